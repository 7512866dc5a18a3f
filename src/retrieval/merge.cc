#include "aisle/retrieval/merge.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace aisle::retrieval {

absl::Status CandidateMerger::Merge(absl::Span<const SourceCandidates> sources, size_t max_total,
                                    MergedCandidates& out) {
  out.candidates.clear();
  out.source_scores.clear();
  if (slot_.size() != num_items_) {
    // First call: size the de-duplication table (once per merger).
    if (num_items_ >= size_t{kInvalidItem}) {
      out.source_names.clear();
      return absl::InvalidArgumentError(absl::StrCat(
          "merge: CandidateMerger num_items = ", num_items_, " is outside [0, 2^32-1)"));
    }
    try {
      stamp_.assign(num_items_, 0);
      slot_.assign(num_items_, 0);
    } catch (const std::bad_alloc&) {
      stamp_.clear();
      slot_.clear();
      out.source_names.clear();
      return absl::ResourceExhaustedError(absl::StrCat(
          "merge: cannot allocate the de-duplication table for num_items = ", num_items_));
    }
  }
  const size_t ns = sources.size();
  if (ns > static_cast<size_t>(kMaxSources)) {
    out.source_names.clear();
    return absl::InvalidArgumentError(
        absl::StrCat("merge: ", ns, " sources, more than kMaxSources = ", kMaxSources));
  }
  // Validate everything first, so a bad list leaves no half-merged output.
  size_t max_rank = 0;
  const size_t n = slot_.size();
  for (size_t j = 0; j < ns; ++j) {
    const size_t take = std::min(sources[j].quota, sources[j].candidates.size());
    max_rank = std::max(max_rank, take);
    for (size_t r = 0; r < take; ++r) {
      const Candidate& c = sources[j].candidates[r];
      if (c.item >= n || std::isnan(c.score)) {
        out.source_names.clear();
        return absl::InvalidArgumentError(absl::StrCat(
            "merge: source '", sources[j].name, "' rank ", r, ": ",
            c.item >= n
                ? absl::StrCat("item index ", c.item, " is outside the catalog of ", n, " items")
                : absl::StrCat("item index ", c.item, " has a NaN score")));
      }
    }
  }
  out.source_names.resize(ns);
  for (size_t j = 0; j < ns; ++j) {
    if (out.source_names[j] != sources[j].name) {
      out.source_names[j].assign(sources[j].name.data(), sources[j].name.size());
    }
  }
  if (++gen_ == 0) {
    std::fill(stamp_.begin(), stamp_.end(), 0u);
    gen_ = 1;
  }
  const float kNaN = std::numeric_limits<float>::quiet_NaN();
  for (size_t r = 0; r < max_rank; ++r) {
    for (size_t j = 0; j < ns; ++j) {
      const SourceCandidates& src = sources[j];
      if (r >= src.quota || r >= src.candidates.size()) continue;
      const Candidate& c = src.candidates[r];
      uint32_t row;
      if (stamp_[c.item] == gen_) {
        row = slot_[c.item];
        Candidate& m = out.candidates[row];
        m.score = std::max(m.score, c.score);
        m.sources |= c.sources;
      } else {
        if (out.candidates.size() >= max_total) continue;
        row = static_cast<uint32_t>(out.candidates.size());
        stamp_[c.item] = gen_;
        slot_[c.item] = row;
        out.candidates.push_back(c);
        out.source_scores.resize(out.source_scores.size() + ns, kNaN);
      }
      float& cell = out.source_scores[size_t{row} * ns + j];
      cell = std::isnan(cell) ? c.score : std::max(cell, c.score);
    }
  }
  return absl::OkStatus();
}

absl::Status CandidateMerger::RetrieveAndMerge(absl::Span<const SourceSpec> specs,
                                               const RetrievalQuery& query, size_t max_total,
                                               MergedCandidates& out) {
  if (per_source_.size() < specs.size()) per_source_.resize(specs.size());
  lists_.clear();
  for (size_t j = 0; j < specs.size(); ++j) {
    const SourceSpec& spec = specs[j];
    if (spec.source == nullptr) {
      out.candidates.clear();
      out.source_scores.clear();
      return absl::InvalidArgumentError(absl::StrCat("merge: source spec ", j, " is null"));
    }
    std::vector<Candidate>& buf = per_source_[j];
    buf.clear();
    absl::Status s;
    if (spec.ef != 0) {
      RetrievalQuery q = query;
      q.ef = spec.ef;
      s = spec.source->Retrieve(q, spec.quota, spec.id, buf);
    } else {
      s = spec.source->Retrieve(query, spec.quota, spec.id, buf);
    }
    if (!s.ok()) {
      out.candidates.clear();
      out.source_scores.clear();
      return absl::Status(s.code(), absl::StrCat(spec.source->name(), ": ", s.message()));
    }
    lists_.push_back(
        SourceCandidates{.name = spec.source->name(), .candidates = buf, .quota = spec.quota});
  }
  return Merge(lists_, max_total, out);
}

}  // namespace aisle::retrieval
