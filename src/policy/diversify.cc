// CategoryCapDiversifier and MmrDiversifier.
#include <algorithm>
#include <cmath>
#include <limits>

#include "Eigen/Core"
#include "absl/strings/str_cat.h"
#include "aisle/policy/category_cap.h"
#include "aisle/policy/mmr.h"

namespace aisle::policy {

absl::StatusOr<CategoryCapDiversifier> CategoryCapDiversifier::Create(const CategoryView& view,
                                                                      CategoryCapOptions options) {
  if (absl::Status s = view.Validate(); !s.ok()) return s;
  if (options.max_per_category == 0) {
    return absl::InvalidArgumentError("category cap: max_per_category must be at least 1");
  }
  CategoryCapDiversifier d;
  d.view_ = view;
  d.options_ = options;
  d.key_of_category_ = AncestorsAtDepth(view, options.depth);
  return d;
}

CategoryCapReport CategoryCapDiversifier::Apply(std::vector<Candidate>& ranked, size_t k) const {
  CategoryCapReport report;
  const size_t m = std::min(options_.top_m, ranked.size());
  if (m > 0) {
    thread_local std::vector<uint32_t> counts;  // per key, zero between calls
    thread_local std::vector<CategoryIndex> touched;
    thread_local std::vector<Candidate> top, deferred;
    if (counts.size() < view_.num_categories()) counts.resize(view_.num_categories(), 0);
    touched.clear();
    top.clear();
    deferred.clear();
    size_t i = 0;
    for (; i < ranked.size() && top.size() < m; ++i) {
      const CategoryIndex key = KeyOf(ranked[i].item);
      if (key == kInvalidCategory) {
        top.push_back(ranked[i]);
      } else if (counts[key] < options_.max_per_category) {
        if (counts[key] == 0) touched.push_back(key);
        ++counts[key];
        top.push_back(ranked[i]);
      } else {
        deferred.push_back(ranked[i]);
      }
    }
    for (CategoryIndex key : touched) counts[key] = 0;
    report.deferred = deferred.size();
    // Relax: fill the rest of the top m with the best deferred items.
    size_t d = 0;
    while (top.size() < m && d < deferred.size()) top.push_back(deferred[d++]);
    report.relaxed = d;
    report.deferred -= d;
    // Rebuild: top, remaining deferred, then the untouched rest [i, n).
    // ranked[0, i) is free to overwrite since i >= top.size() + deferred.size().
    size_t out = 0;
    for (const Candidate& c : top) ranked[out++] = c;
    for (; d < deferred.size(); ++d) ranked[out++] = deferred[d];
    // out == i here: every consumed input went to top or deferred.
  }
  if (ranked.size() > k) ranked.resize(k);
  return report;
}

absl::StatusOr<MmrDiversifier> MmrDiversifier::Create(MatrixView item_embeddings, float lambda) {
  if (!(lambda >= 0.0f && lambda <= 1.0f)) {
    return absl::InvalidArgumentError(absl::StrCat("MMR lambda ", lambda, " is not in [0, 1]"));
  }
  if (item_embeddings.cols == 0 || (item_embeddings.rows > 0 && item_embeddings.data == nullptr)) {
    return absl::InvalidArgumentError("MMR embedding matrix has no columns or no data");
  }
  return MmrDiversifier(item_embeddings, lambda);
}

absl::Status MmrDiversifier::Apply(std::vector<Candidate>& ranked, size_t k,
                                   const Deadline& deadline, MmrReport* report) const {
  const size_t n = ranked.size();
  const size_t dim = embeddings_.cols;
  for (const Candidate& c : ranked) {
    if (c.item >= embeddings_.rows) {
      return absl::InvalidArgumentError(absl::StrCat("MMR: candidate item index ", c.item,
                                                     " has no embedding row (matrix has ",
                                                     embeddings_.rows, " rows)"));
    }
  }
  MmrReport local;
  MmrReport& rep = report != nullptr ? *report : local;
  rep = MmrReport();
  const size_t want = std::min(k, n);
  if (want == 0) {
    ranked.resize(want);
    return absl::OkStatus();
  }

  using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  thread_local std::vector<float> rows, rel, max_sim, sims;
  thread_local std::vector<uint8_t> taken;
  thread_local std::vector<Candidate> out;
  rows.resize(n * dim);
  rel.resize(n);
  max_sim.assign(n, -std::numeric_limits<float>::infinity());
  sims.resize(n);
  taken.assign(n, 0);
  out.clear();

  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (size_t i = 0; i < n; ++i) {
    const float s = ranked[i].score;
    if (std::isfinite(s)) {
      lo = std::min(lo, s);
      hi = std::max(hi, s);
    }
    const float* src = embeddings_.Row(ranked[i].item);
    float* dst = rows.data() + i * dim;
    Eigen::Map<const Eigen::VectorXf> v(src, static_cast<Eigen::Index>(dim));
    const float norm = v.norm();
    Eigen::Map<Eigen::VectorXf> w(dst, static_cast<Eigen::Index>(dim));
    if (norm > 0.0f && std::isfinite(norm)) {
      w = v / norm;
    } else {
      w.setZero();  // no direction: similar to nothing
    }
  }
  const float range = hi - lo;
  for (size_t i = 0; i < n; ++i) {
    const float s = ranked[i].score;
    rel[i] = !std::isfinite(s) ? (s > 0 ? 1.0f : 0.0f) : range > 0 ? (s - lo) / range : 1.0f;
  }

  Eigen::Map<const RowMatrix> all(rows.data(), static_cast<Eigen::Index>(n),
                                  static_cast<Eigen::Index>(dim));
  Eigen::Map<Eigen::VectorXf> sim_vec(sims.data(), static_cast<Eigen::Index>(n));
  const float l = lambda_;
  size_t picked = 0;
  for (; picked < want; ++picked) {
    if (picked % 8 == 0 && picked > 0 && deadline.Expired()) {
      rep.deadline_expired = true;
      break;
    }
    size_t best = n;
    float best_val = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < n; ++i) {
      if (taken[i]) continue;
      const float penalty = picked == 0 ? 0.0f : max_sim[i];
      const float val = l * rel[i] - (1.0f - l) * penalty;
      if (best == n || val > best_val) {
        best = i;
        best_val = val;
      }
    }
    taken[best] = 1;
    out.push_back(ranked[best]);
    if (picked + 1 < want) {
      Eigen::Map<const Eigen::VectorXf> q(rows.data() + best * dim, static_cast<Eigen::Index>(dim));
      sim_vec.noalias() = all * q;
      for (size_t i = 0; i < n; ++i) max_sim[i] = std::max(max_sim[i], sims[i]);
    }
  }
  rep.selected_by_mmr = picked;
  if (out.size() < want) {
    // Deadline: fill by relevance (score order, ties by input order).
    thread_local std::vector<uint32_t> order;
    order.clear();
    for (uint32_t i = 0; i < n; ++i) {
      if (!taken[i]) order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return ranked[a].score > ranked[b].score; });
    for (size_t j = 0; out.size() < want && j < order.size(); ++j) out.push_back(ranked[order[j]]);
  }
  ranked.assign(out.begin(), out.end());
  return absl::OkStatus();
}

}  // namespace aisle::policy
