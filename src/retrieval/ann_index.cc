// AnnIndex over hnswlib 0.6.2. This is the ONLY translation unit that
// includes hnswlib: its headers define non-inline functions.
#include "aisle/retrieval/ann_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "aisle/core/blob.h"
#include "aisle/core/file.h"
#include "aisle/core/status_macros.h"
#include "hnswlib/hnswlib.h"
#include "retrieval/ann_internal.h"
#include "retrieval/ann_raw.h"
#include "retrieval/ann_space.h"

namespace aisle::retrieval {
namespace {

using Hnsw = hnswlib::HierarchicalNSW<float>;
using hnswlib::tableint;

constexpr uint32_t kNoInternal = std::numeric_limits<uint32_t>::max();
constexpr size_t kHeaderSize = 64;
// hnswlib's saveIndex header: 6 size_t, int maxlevel, tableint enterpoint,
// 3 size_t, double mult, size_t ef_construction.
constexpr size_t kHnswHeaderSize = 6 * 8 + 4 + 4 + 3 * 8 + 8 + 8;
constexpr size_t kMaxDim = 1 << 16;
constexpr size_t kMaxM = 10000;

// Cost model of a filtered query (units: one distance computation while
// scanning the allowed set in item order). A graph search that fetches f
// candidates computes about f * M distances (each expanded node has up to 2*M
// base-layer links, about half already visited), each about this many times
// as expensive as a sequential exact one (random access, two heaps).
constexpr double kGraphCostPerFetched = 2.0;
// A filtered graph search fetches at least ef / selectivity candidates: about
// as many allowed ones as an unfiltered search of breadth ef would consider.
// (Fetching only 2 * k / selectivity, which would keep more queries on the
// graph, lost up to 15% recall on hard clustered data.) And enough that
// needed = k + excluded of them are allowed with this many standard
// deviations to spare when the filter is independent of the query (binomial:
// the fetch f solves f*s - z*sqrt(f*s*(1-s)) = needed). Fetching needed / s
// exactly came up short for half of the queries when k > ef (k = 300 at 70%
// in stock) and paid a second, doubled round for them.
constexpr double kFetchSigmas = 3.0;
// The least work a bounded filtered search may do (VectorSearchParams::
// max_work_ratio), in fetched candidates: about 0.3 ms of graph search.
constexpr size_t kMinBoundedFetch = 2048;
// Graph rounds (the first plus widenings) before a filtered query finishes
// exactly.
constexpr uint32_t kMaxGraphRounds = 4;
// Items scored between deadline checks in the exact scan.
constexpr size_t kExactCheckEvery = 1024;

void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

float ScoreOf(Metric metric, float dist) { return metric == Metric::kL2 ? -dist : 1.0f - dist; }

// aisle's hnswlib spaces: the distance kernel is chosen at run time
// (retrieval/ann_space.h) instead of hnswlib's compile-time SSE/AVX choice.
// The space is not stored in index files, so files stay compatible.
class DispatchedSpace : public hnswlib::SpaceInterface<float> {
 public:
  size_t get_data_size() override { return dim_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return fn_; }
  void* get_dist_func_param() override { return &dim_; }

 protected:
  DispatchedSpace(size_t dim, internal::DistanceFn fn) : dim_(dim), fn_(fn) {}

 private:
  size_t dim_;
  hnswlib::DISTFUNC<float> fn_;
};

// 1 - dot(a, b), as hnswlib::InnerProductSpace (cosine: on normalized vectors).
class InnerProductSpace final : public DispatchedSpace {
 public:
  InnerProductSpace(size_t dim, internal::DistanceKernel k)
      : DispatchedSpace(dim, internal::InnerProductDistanceFn(k)) {}
};

// Squared Euclidean distance, as hnswlib::L2Space.
class L2Space final : public DispatchedSpace {
 public:
  L2Space(size_t dim, internal::DistanceKernel k)
      : DispatchedSpace(dim, internal::L2SqrDistanceFn(k)) {}
};

std::unique_ptr<hnswlib::SpaceInterface<float>> MakeSpace(Metric metric, size_t dim) {
  const internal::DistanceKernel k =
      internal::ResolveDistanceKernel(internal::DistanceKernelOverride());
  if (k == internal::DistanceKernel::kHnswlib) {
    if (metric == Metric::kL2) return std::make_unique<hnswlib::L2Space>(dim);
    return std::make_unique<hnswlib::InnerProductSpace>(dim);
  }
  if (metric == Metric::kL2) return std::make_unique<L2Space>(dim, k);
  return std::make_unique<InnerProductSpace>(dim, k);
}

// A private temporary file, removed when this goes out of scope. hnswlib
// 0.6.2 only saves to and loads from a path.
class TempFile {
 public:
  static absl::StatusOr<TempFile> Create() {
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
    if (ec) dir = "/tmp";
    std::string tmpl = (dir / "aisle-ann-XXXXXX").string();
    const int fd = mkstemp(tmpl.data());
    if (fd < 0) {
      return absl::InternalError(absl::StrCat("cannot create a temporary file in ", dir.string(),
                                              ": ", std::strerror(errno)));
    }
    close(fd);
    return TempFile(std::move(tmpl));
  }
  TempFile(TempFile&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  TempFile& operator=(TempFile&&) = delete;
  ~TempFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempFile(std::string p) : path_(std::move(p)) {}
  std::string path_;
};

// What the validator learnt about a well-formed hnswlib image.
struct HnswImage {
  std::vector<uint64_t> labels;  // by internal id
};

// Parses and checks the aisle header at the start of `payload`.
absl::StatusOr<AnnIndexInfo> ParseHeader(absl::string_view payload, absl::string_view what,
                                         absl::string_view* hnsw_bytes) {
  if (payload.size() < kHeaderSize) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": payload of ", payload.size(),
                                                   " bytes is shorter than the ", kHeaderSize,
                                                   "-byte ANN header"));
  }
  const char* p = payload.data();
  AnnIndexInfo info;
  const uint8_t metric = static_cast<uint8_t>(p[0]);
  if (metric > static_cast<uint8_t>(Metric::kL2)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": header field 'metric' has unknown value ", metric));
  }
  info.metric = static_cast<Metric>(metric);
  info.dim = GetLe(p + 4, 4);
  info.count = GetLe(p + 8, 8);
  info.M = GetLe(p + 16, 4);
  info.ef_construction = GetLe(p + 20, 4);
  info.default_ef = GetLe(p + 24, 4);
  info.seed = GetLe(p + 32, 8);
  const uint64_t hnsw_len = GetLe(p + 40, 8);
  if (info.dim == 0 || info.dim > kMaxDim) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": header field 'dim' has invalid value ", info.dim));
  }
  if (info.M < 2 || info.M > kMaxM) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": header field 'M' has invalid value ", info.M));
  }
  if (info.default_ef == 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": header field 'default_ef' is 0"));
  }
  if (hnsw_len != payload.size() - kHeaderSize) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": header field 'hnsw_length' is ",
                                                   hnsw_len, " but ", payload.size() - kHeaderSize,
                                                   " bytes follow the header"));
  }
  if (hnsw_bytes != nullptr) *hnsw_bytes = payload.substr(kHeaderSize);
  return info;
}

// Checks every field, list and link of hnswlib's saveIndex image against the
// aisle header, so that hnswlib (which trusts its input) never sees a
// malformed one.
absl::StatusOr<HnswImage> ValidateHnswImage(absl::string_view b, const AnnIndexInfo& info,
                                            absl::string_view what) {
  auto bad = [&](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": hnswlib section: ", parts...));
  };
  if (b.size() < kHnswHeaderSize) return bad("truncated header (", b.size(), " bytes)");
  const char* p = b.data();
  const uint64_t offset_level0 = GetLe(p + 0, 8);
  const uint64_t count = GetLe(p + 16, 8);
  const uint64_t size_data_per_element = GetLe(p + 24, 8);
  const uint64_t label_offset = GetLe(p + 32, 8);
  const uint64_t offset_data = GetLe(p + 40, 8);
  const int32_t maxlevel = static_cast<int32_t>(GetLe(p + 48, 4));
  const uint32_t enterpoint = static_cast<uint32_t>(GetLe(p + 52, 4));
  const uint64_t max_m = GetLe(p + 56, 8);
  const uint64_t max_m0 = GetLe(p + 64, 8);
  const uint64_t m = GetLe(p + 72, 8);
  double mult;
  std::memcpy(&mult, p + 80, 8);
  const uint64_t ef_construction = GetLe(p + 88, 8);

  if (offset_level0 != 0) return bad("offsetLevel0 is ", offset_level0, ", expected 0");
  if (count != info.count) {
    return bad("element count ", count, " differs from the header count ", info.count);
  }
  if (m != info.M || max_m != info.M || max_m0 != 2 * info.M) {
    return bad("M/maxM/maxM0 are ", m, "/", max_m, "/", max_m0, ", expected ", info.M, "/", info.M,
               "/", 2 * info.M);
  }
  if (ef_construction != std::max(info.ef_construction, info.M)) {
    return bad("ef_construction ", ef_construction, " differs from the header");
  }
  const uint64_t size_links0 = max_m0 * 4 + 4;
  const uint64_t data_size = info.dim * 4;
  if (offset_data != size_links0 || label_offset != size_links0 + data_size ||
      size_data_per_element != size_links0 + data_size + 8) {
    return bad("element layout (", size_data_per_element, ", ", offset_data, ", ", label_offset,
               ") does not match dim ", info.dim, " and M ", info.M);
  }
  if (!std::isfinite(mult) || mult <= 0) return bad("level multiplier ", mult, " is invalid");
  if (count == 0) {
    if (maxlevel != -1) return bad("empty index with max level ", maxlevel);
  } else {
    if (maxlevel < 0 || maxlevel > 64) return bad("max level ", maxlevel, " is out of range");
    if (enterpoint >= count) return bad("entry point ", enterpoint, " >= count ", count);
  }
  // Level 0 block.
  const uint64_t level0_bytes = count * size_data_per_element;
  if (count > (b.size() - kHnswHeaderSize) / size_data_per_element) {
    return bad("truncated: ", count, " elements need ", level0_bytes, " bytes of level 0, ",
               b.size() - kHnswHeaderSize, " remain");
  }
  HnswImage image;
  image.labels.resize(count);
  const char* level0 = p + kHnswHeaderSize;
  for (uint64_t i = 0; i < count; ++i) {
    const char* e = level0 + i * size_data_per_element;
    const uint32_t n = static_cast<uint32_t>(GetLe(e, 2));
    const uint8_t flags = static_cast<uint8_t>(e[2]);
    if (n > max_m0) return bad("element ", i, " has ", n, " level-0 links, max ", max_m0);
    if (flags != 0) return bad("element ", i, " has flags ", int{flags}, " (deleted?)");
    for (uint32_t j = 0; j < n; ++j) {
      const uint64_t link = GetLe(e + 4 + 4 * j, 4);
      if (link >= count) return bad("element ", i, " links to ", link, " >= count ", count);
    }
    const char* data = e + offset_data;
    for (size_t d = 0; d < info.dim; ++d) {
      float x;
      std::memcpy(&x, data + 4 * d, 4);
      if (!std::isfinite(x)) return bad("element ", i, " component ", d, " is not finite");
    }
    image.labels[i] = GetLe(e + label_offset, 8);
  }
  // Upper levels: a size per element, then its lists.
  const uint64_t size_links = max_m * 4 + 4;
  std::vector<int32_t> levels(count, 0);
  std::vector<uint64_t> offsets(count, 0);
  uint64_t pos = kHnswHeaderSize + level0_bytes;
  for (uint64_t i = 0; i < count; ++i) {
    if (b.size() - pos < 4) return bad("truncated at the link lists of element ", i);
    const uint64_t len = GetLe(p + pos, 4);
    pos += 4;
    if (len % size_links != 0) return bad("element ", i, " link-list size ", len, " is invalid");
    const uint64_t lv = len / size_links;
    if (lv > static_cast<uint64_t>(std::max(maxlevel, 0))) {
      return bad("element ", i, " has level ", lv, " above the max level ", maxlevel);
    }
    if (b.size() - pos < len) return bad("truncated in the link lists of element ", i);
    levels[i] = static_cast<int32_t>(lv);
    offsets[i] = pos;
    pos += len;
  }
  if (pos != b.size()) return bad(b.size() - pos, " trailing bytes after the link lists");
  if (count > 0 && levels[enterpoint] != maxlevel) {
    return bad("entry point ", enterpoint, " has level ", levels[enterpoint], ", the max level is ",
               maxlevel);
  }
  for (uint64_t i = 0; i < count; ++i) {
    for (int32_t l = 1; l <= levels[i]; ++l) {
      const char* list = p + offsets[i] + (l - 1) * size_links;
      const uint32_t n = static_cast<uint32_t>(GetLe(list, 2));
      if (n > max_m) return bad("element ", i, " has ", n, " links at level ", l, ", max ", max_m);
      for (uint32_t j = 0; j < n; ++j) {
        const uint64_t link = GetLe(list + 4 + 4 * j, 4);
        if (link >= count || levels[link] < l) {
          return bad("element ", i, " links at level ", l, " to ", link,
                     ", which is not on that level");
        }
      }
    }
  }
  // Labels are item indices: unique and dense enough to index a table.
  const uint64_t label_limit = std::max<uint64_t>(8 * count, uint64_t{1} << 20);
  std::vector<uint64_t> sorted = image.labels;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i] >= label_limit) return bad("item index ", sorted[i], " is out of range");
    if (i > 0 && sorted[i] == sorted[i - 1]) return bad("item ", sorted[i], " appears twice");
  }
  return image;
}

}  // namespace

struct AnnIndex::Impl {
  AnnIndexInfo info;
  std::unique_ptr<hnswlib::SpaceInterface<float>> space;
  std::unique_ptr<Hnsw> hnsw;
  // Readers (searches) share it; Add holds it exclusively.
  mutable absl::Mutex mu;
  // Item -> hnswlib internal id (kNoInternal when absent).
  std::vector<uint32_t> item_to_internal ABSL_GUARDED_BY(mu);

  // Graph search with breadth `breadth`; `out` gets (distance, internal id),
  // best first. Caller holds mu (shared).
  void GraphSearch(const float* q, size_t breadth,
                   std::vector<std::pair<float, unsigned>>& out) const
      ABSL_SHARED_LOCKS_REQUIRED(mu) {
    out.clear();
    const Hnsw& h = *hnsw;
    if (h.cur_element_count == 0) return;
    tableint cur = h.enterpoint_node_;
    float cur_dist = h.fstdistfunc_(q, h.getDataByInternalId(cur), h.dist_func_param_);
    for (int level = h.maxlevel_; level > 0; --level) {
      bool changed = true;
      while (changed) {
        changed = false;
        const unsigned* list = h.get_linklist(cur, level);
        const int n = h.getListCount(const_cast<unsigned*>(list));
        const tableint* links = reinterpret_cast<const tableint*>(list + 1);
        for (int i = 0; i < n; ++i) {
          const float d = h.fstdistfunc_(q, h.getDataByInternalId(links[i]), h.dist_func_param_);
          if (d < cur_dist) {
            cur_dist = d;
            cur = links[i];
            changed = true;
          }
        }
      }
    }
    auto top = h.searchBaseLayerST<false>(cur, q, breadth);
    out.resize(top.size());
    for (size_t i = top.size(); i-- > 0;) {
      out[i] = top.top();
      top.pop();
    }
  }

  ItemIndex LabelOf(unsigned internal) const {
    return static_cast<ItemIndex>(hnsw->getExternalLabel(internal));
  }

  absl::Status SearchLocked(const float* q, const VectorSearchParams& params,
                            absl::Span<const ItemIndex> seeds, std::vector<ScoredItem>& out,
                            SearchStats& st) const ABSL_SHARED_LOCKS_REQUIRED(mu);

  // Exact scoring of every allowed, non-excluded item (all items when filter
  // is null). Caller holds mu (shared).
  void ExactScan(const float* q, const ItemFilter* filter, const internal::ExclusionSet& excluded,
                 internal::TopK& top, const Deadline& deadline, SearchStats& st) const
      ABSL_SHARED_LOCKS_REQUIRED(mu);

  absl::Status AddLocked(ItemIndex item, const float* prepared) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
};

void AnnIndex::Impl::ExactScan(const float* q, const ItemFilter* filter,
                               const internal::ExclusionSet& excluded, internal::TopK& top,
                               const Deadline& deadline, SearchStats& st) const {
  const Hnsw& h = *hnsw;
  size_t since_check = 0;
  auto score = [&](ItemIndex item, unsigned internal) {
    if (!excluded.empty() && excluded.Contains(item)) return;
    const float d = h.fstdistfunc_(q, h.getDataByInternalId(internal), h.dist_func_param_);
    top.Push(item, ScoreOf(info.metric, d));
    ++st.candidates_scanned;
    ++since_check;
  };
  if (filter == nullptr) {
    for (size_t i = 0; i < h.cur_element_count; ++i) {
      score(LabelOf(static_cast<unsigned>(i)), static_cast<unsigned>(i));
      if (since_check >= kExactCheckEvery) {
        since_check = 0;
        if (deadline.Expired()) {
          st.deadline_expired = true;
          return;
        }
      }
    }
    return;
  }
  // Members are gathered in batches so that the vectors of the next few can
  // be prefetched: internal ids are in insertion order, not item order, so
  // the reads are random over the whole index.
  constexpr size_t kBatch = 256;
  constexpr size_t kAhead = 6;
  ItemIndex items[kBatch];
  unsigned internals[kBatch];
  size_t batch = 0;
  const size_t vector_bytes = info.dim * sizeof(float);
  auto flush = [&] {
    for (size_t j = 0; j < batch; ++j) {
      if (j + kAhead < batch) {
        const char* next = h.getDataByInternalId(internals[j + kAhead]);
        for (size_t off = 0; off < vector_bytes; off += 64) __builtin_prefetch(next + off);
      }
      score(items[j], internals[j]);
    }
    batch = 0;
  };
  // The allowed set is read a block of words at a time (one call per
  // kWordsPerBlock * 64 items): a live filter is read as it is at that moment.
  constexpr size_t kWordsPerBlock = 16;
  uint64_t words[kWordsPerBlock];
  const size_t limit = std::min(item_to_internal.size(), filter->Size());
  const size_t num_words = (limit + 63) / 64;
  for (size_t w0 = 0; w0 < num_words; w0 += kWordsPerBlock) {
    const size_t block = std::min(kWordsPerBlock, num_words - w0);
    filter->AllowedWords(w0, absl::MakeSpan(words, block));
    for (size_t j = 0; j < block; ++j) {
      uint64_t bits = words[j];
      while (bits) {
        const size_t item = (w0 + j) * 64 + std::countr_zero(bits);
        bits &= bits - 1;
        if (item >= limit) break;
        const uint32_t internal = item_to_internal[item];
        if (internal == kNoInternal) continue;
        items[batch] = static_cast<ItemIndex>(item);
        internals[batch] = internal;
        if (++batch == kBatch) flush();
      }
    }
    if (since_check >= kExactCheckEvery) {
      since_check = 0;
      if (deadline.Expired()) {
        st.deadline_expired = true;
        return;
      }
    }
  }
  flush();
}

absl::Status AnnIndex::Impl::SearchLocked(const float* q, const VectorSearchParams& params,
                                          absl::Span<const ItemIndex> seeds,
                                          std::vector<ScoredItem>& out, SearchStats& st) const {
  const size_t n = hnsw->cur_element_count;
  const ItemFilter* filter = params.filter;
  const size_t allowed = filter == nullptr ? n : std::min(filter->AllowedCount(), n);
  st.selectivity = filter == nullptr ? 1.0 : (n == 0 ? 0.0 : double(allowed) / double(n));
  if (params.k == 0 || n == 0 || allowed == 0) {
    st.strategy = SearchStrategy::kNone;
    return absl::OkStatus();
  }
  if (params.deadline.Expired()) {
    st.deadline_expired = true;
    return absl::OkStatus();
  }
  internal::SearchScratch& s = internal::LocalScratch();
  s.excluded.Reset(params.exclude, seeds);
  const size_t ef = params.ef > 0 ? params.ef : info.default_ef;
  const size_t needed = params.k + s.excluded.size();

  // Keeps the first k results of s.graph that are allowed and not excluded.
  // Filtered rounds read labels and test them in chunks sized to yield the
  // items still missing (one batched filter call per chunk), so that a round
  // stops reading labels once it has k: at 1M items a label read is a cache
  // and TLB miss, and reading all of a round's labels made k = 10 searches
  // 1.4-1.6x slower (ef 128, 10% and 50% filters).
  auto collect = [&](bool filtered) {
    out.clear();
    if (!filtered) {
      for (const auto& [dist, internal] : s.graph) {
        const ItemIndex item = LabelOf(internal);
        if (!s.excluded.empty() && s.excluded.Contains(item)) continue;
        out.push_back({item, ScoreOf(info.metric, dist)});
        if (out.size() == params.k) break;
      }
      return;
    }
    const size_t found = s.graph.size();
    const double yield = std::max(st.selectivity, 1e-9);
    s.labels.resize(found);
    s.mask.resize(found);
    for (size_t j = 0; j < found && out.size() < params.k;) {
      const double missing = double(params.k - out.size());
      const size_t chunk = std::min(
          found - j, std::max<size_t>(16, static_cast<size_t>(std::ceil(1.25 * missing / yield))));
      for (size_t c = 0; c < chunk; ++c) s.labels[c] = LabelOf(s.graph[j + c].second);
      filter->AllowedMask(absl::MakeConstSpan(s.labels.data(), chunk),
                          absl::MakeSpan(s.mask.data(), chunk));
      for (size_t c = 0; c < chunk && out.size() < params.k; ++c) {
        if (s.mask[c] == 0) continue;
        const ItemIndex item = s.labels[c];
        if (!s.excluded.empty() && s.excluded.Contains(item)) continue;
        out.push_back({item, ScoreOf(info.metric, s.graph[j + c].first)});
      }
      j += chunk;
    }
  };

  if (filter == nullptr) {
    st.strategy = SearchStrategy::kGraph;
    const size_t breadth = std::min(std::max(ef, needed), n);
    GraphSearch(q, breadth, s.graph);
    st.candidates_scanned = s.graph.size();
    collect(false);
    return absl::OkStatus();
  }

  // Filtered: graph with over-fetch, or exact over the allowed set, whichever
  // the cost model says is cheaper.
  const double sel = std::max(st.selectivity, 1e-9);
  auto graph_cost = [&](size_t fetch) {
    return kGraphCostPerFetched * double(fetch) * double(info.M);
  };
  const double spread = kFetchSigmas * std::sqrt(1.0 - std::min(sel, 1.0));
  const double root = 0.5 * (spread + std::sqrt(spread * spread + 4.0 * double(needed)));
  const double for_needed = root * root / sel;
  size_t fetch = static_cast<size_t>(
      std::ceil(std::min(std::max(double(ef) / sel, for_needed), double(n))));
  fetch = std::min(std::max<size_t>(fetch, 1), n);
  if (double(allowed) <= graph_cost(fetch)) {
    st.strategy = SearchStrategy::kExact;
    internal::TopK top(params.k, s.heap);
    ExactScan(q, filter, s.excluded, top, params.deadline, st);
    out.clear();
    top.Drain(out);
    return absl::OkStatus();
  }
  st.strategy = SearchStrategy::kGraphFiltered;
  // The work bound: max_work_ratio x an unfiltered search for the same k,
  // and never below what fetching kMinBoundedFetch candidates costs (so small
  // queries and small indexes still widen or finish exactly).
  const double bound =
      params.max_work_ratio > 0
          ? std::max(params.max_work_ratio * graph_cost(std::min(std::max(ef, needed), n)),
                     graph_cost(kMinBoundedFetch))
          : std::numeric_limits<double>::infinity();
  double spent = 0;
  for (uint32_t round = 0;; ++round) {
    GraphSearch(q, fetch, s.graph);
    st.candidates_scanned += s.graph.size();
    spent += graph_cost(fetch);
    collect(true);
    if (out.size() >= params.k || fetch >= n) return absl::OkStatus();
    if (params.deadline.Expired()) {
      st.deadline_expired = true;
      return absl::OkStatus();
    }
    const size_t next = std::min(fetch * 2, n);
    if (round + 1 >= kMaxGraphRounds || double(allowed) <= graph_cost(next)) break;
    if (spent + graph_cost(next) > bound) break;
    fetch = next;
    ++st.widenings;
  }
  if (spent + double(allowed) > bound) {
    // The filter removed the query's neighbourhood; scanning every allowed
    // item would cost more than the bound: serve what the graph found.
    st.work_bounded = true;
    return absl::OkStatus();
  }
  st.fell_back_to_exact = true;
  internal::TopK top(params.k, s.heap);
  ExactScan(q, filter, s.excluded, top, params.deadline, st);
  out.clear();
  top.Drain(out);
  return absl::OkStatus();
}

absl::Status AnnIndex::Impl::AddLocked(ItemIndex item, const float* prepared) {
  if (item == kInvalidItem) return absl::InvalidArgumentError("item index kInvalidItem");
  if (item < item_to_internal.size() && item_to_internal[item] != kNoInternal) {
    return absl::AlreadyExistsError(absl::StrCat("item index ", item, " is already in the index"));
  }
  try {
    if (hnsw->cur_element_count >= hnsw->max_elements_) {
      hnsw->resizeIndex(std::max<size_t>(16, hnsw->max_elements_ * 2));
    }
    const tableint internal = hnsw->addPoint(prepared, item, -1);
    if (item >= item_to_internal.size()) item_to_internal.resize(size_t{item} + 1, kNoInternal);
    item_to_internal[item] = internal;
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat("out of memory adding item index ", item));
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("hnswlib failed adding item index ", item, ": ", e.what()));
  }
  ++info.count;
  return absl::OkStatus();
}

AnnIndex::AnnIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AnnIndex::~AnnIndex() = default;

absl::StatusOr<std::unique_ptr<AnnIndex>> AnnIndex::Build(MatrixView embeddings,
                                                          const AnnIndexOptions& o) {
  if (o.metric != Metric::kInnerProduct && o.metric != Metric::kCosine && o.metric != Metric::kL2) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown metric value ", static_cast<int>(o.metric)));
  }
  if (o.M < 2 || o.M > kMaxM) {
    return absl::InvalidArgumentError(
        absl::StrCat("option M = ", o.M, " is outside [2, ", kMaxM, "]"));
  }
  if (o.ef_construction == 0 || o.ef_construction > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("option ef_construction = ", o.ef_construction, " is invalid"));
  }
  if (o.default_ef == 0 || o.default_ef > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("option default_ef = ", o.default_ef, " is invalid"));
  }
  if (embeddings.cols > kMaxDim) {
    return absl::InvalidArgumentError(
        absl::StrCat("dimension ", embeddings.cols, " exceeds ", kMaxDim));
  }
  if (embeddings.rows >= kInvalidItem) {
    return absl::InvalidArgumentError(absl::StrCat(
        "embeddings have ", embeddings.rows, " rows, outside [0, 2^32-1) (the ItemIndex range)"));
  }
  // hnswlib sizes its tables from the capacity (and multiplies it unchecked).
  if (o.capacity >= kInvalidItem) {
    return absl::InvalidArgumentError(
        absl::StrCat("option capacity = ", o.capacity, " is outside [0, 2^32-1)"));
  }
  AISLE_RETURN_IF_ERROR(internal::ValidateEmbeddings(embeddings, o.metric));

  auto impl = std::make_unique<Impl>();
  impl->info.metric = o.metric;
  impl->info.dim = embeddings.cols;
  impl->info.M = o.M;
  impl->info.ef_construction = o.ef_construction;
  impl->info.default_ef = o.default_ef;
  impl->info.seed = o.seed;
  impl->space = MakeSpace(o.metric, embeddings.cols);
  const size_t capacity = std::max<size_t>({embeddings.rows, o.capacity, 1});
  try {
    impl->hnsw =
        std::make_unique<Hnsw>(impl->space.get(), capacity, o.M, o.ef_construction, o.seed);
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat("out of memory allocating an index of ", capacity, " items"));
  } catch (const std::exception& e) {
    return absl::ResourceExhaustedError(absl::StrCat("hnswlib: ", e.what()));
  }
  absl::MutexLock lock(&impl->mu);
  impl->item_to_internal.assign(embeddings.rows, kNoInternal);

  const size_t dim = embeddings.cols;
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  absl::Mutex error_mu;
  absl::Status error;
  Impl* m = impl.get();
  // Items are added with hnswlib's own per-node locks; the first one is added
  // alone because hnswlib initializes the entry point with it.
  auto add_rows = [&](size_t limit) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    std::vector<float> row(dim);
    while (!failed.load(std::memory_order_relaxed)) {
      const size_t i = next.fetch_add(1);
      if (i >= limit) return;
      const float* v = embeddings.Row(i);
      if (o.metric == Metric::kCosine) {
        std::copy(v, v + dim, row.begin());
        internal::NormalizeInPlace(row.data(), dim);
        v = row.data();
      }
      try {
        m->item_to_internal[i] = m->hnsw->addPoint(v, static_cast<hnswlib::labeltype>(i), -1);
      } catch (const std::bad_alloc&) {
        absl::MutexLock l(&error_mu);
        error = absl::ResourceExhaustedError(absl::StrCat("out of memory adding item ", i));
        failed = true;
      } catch (const std::exception& e) {
        absl::MutexLock l(&error_mu);
        error = absl::InternalError(absl::StrCat("hnswlib failed adding item ", i, ": ", e.what()));
        failed = true;
      }
    }
  };
  if (embeddings.rows > 0) {
    add_rows(1);
    next = 1;  // add_rows(1) claimed index 1 too before stopping
    const size_t threads = std::max<size_t>(1, std::min<size_t>(o.threads, 256));
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(add_rows, embeddings.rows);
    add_rows(embeddings.rows);
    for (std::thread& t : pool) t.join();
  }
  if (failed) return error;
  impl->info.count = embeddings.rows;
  return std::unique_ptr<AnnIndex>(new AnnIndex(std::move(impl)));
}

absl::StatusOr<std::string> AnnIndex::Serialize() const {
  absl::ReaderMutexLock lock(&impl_->mu);
  AISLE_ASSIGN_OR_RETURN(TempFile tmp, TempFile::Create());
  try {
    impl_->hnsw->saveIndex(tmp.path());
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("hnswlib saveIndex to ", tmp.path(), ": ", e.what()));
  }
  AISLE_ASSIGN_OR_RETURN(std::string hnsw_bytes, ReadFileToString(tmp.path()));
  const AnnIndexInfo& info = impl_->info;
  std::string payload;
  payload.reserve(kHeaderSize + hnsw_bytes.size());
  PutLe(payload, static_cast<uint8_t>(info.metric), 1);
  PutLe(payload, 0, 3);
  PutLe(payload, info.dim, 4);
  PutLe(payload, info.count, 8);
  PutLe(payload, info.M, 4);
  PutLe(payload, info.ef_construction, 4);
  PutLe(payload, info.default_ef, 4);
  PutLe(payload, 0, 4);
  PutLe(payload, info.seed, 8);
  PutLe(payload, hnsw_bytes.size(), 8);
  PutLe(payload, 0, 8);
  PutLe(payload, 0, 8);
  payload.append(hnsw_bytes);
  // A short write (full disk) must not produce a file that fails at load.
  auto check = ValidateHnswImage(hnsw_bytes, info, tmp.path());
  if (!check.ok()) {
    return absl::InternalError(
        absl::StrCat("hnswlib wrote an unreadable index: ", check.status().message()));
  }
  return WrapBlob(kAnnIndexMagic, kAnnIndexFormatVersion, payload);
}

absl::Status AnnIndex::Save(absl::string_view path) const {
  AISLE_ASSIGN_OR_RETURN(std::string bytes, Serialize());
  return WriteFileAtomically(path, bytes);
}

absl::StatusOr<AnnIndexInfo> AnnIndex::ReadInfo(absl::string_view bytes, absl::string_view what) {
  AISLE_ASSIGN_OR_RETURN(BlobContents blob,
                         UnwrapBlob(bytes, kAnnIndexMagic, 1, kAnnIndexFormatVersion, what));
  return ParseHeader(blob.payload, what, nullptr);
}

absl::StatusOr<std::unique_ptr<AnnIndex>> AnnIndex::Load(absl::string_view path,
                                                         const AnnLoadOptions& options) {
  AISLE_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return Deserialize(bytes, options, path);
}

absl::StatusOr<std::unique_ptr<AnnIndex>> AnnIndex::Deserialize(absl::string_view bytes,
                                                                const AnnLoadOptions& options,
                                                                absl::string_view what) {
  AISLE_ASSIGN_OR_RETURN(BlobContents blob,
                         UnwrapBlob(bytes, kAnnIndexMagic, 1, kAnnIndexFormatVersion, what));
  absl::string_view hnsw_bytes;
  AISLE_ASSIGN_OR_RETURN(AnnIndexInfo info, ParseHeader(blob.payload, what, &hnsw_bytes));
  if (options.expected_dim != 0 && options.expected_dim != info.dim) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": dimension mismatch: the index has dim ",
                                                   info.dim, ", the caller expects ",
                                                   options.expected_dim));
  }
  if (options.expected_metric.has_value() && *options.expected_metric != info.metric) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": metric mismatch: the index uses ",
                                                   MetricName(info.metric), ", the caller expects ",
                                                   MetricName(*options.expected_metric)));
  }
  if (options.expected_count != 0 && options.expected_count != info.count) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": item count mismatch: the index has ",
                                                   info.count, " items, the caller expects ",
                                                   options.expected_count));
  }
  if (options.capacity >= kInvalidItem) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": load option capacity = ", options.capacity, " is outside [0, 2^32-1)"));
  }
  if (info.count >= kInvalidItem) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": header field 'count' = ", info.count,
                                                   " is outside [0, 2^32-1): corrupt header"));
  }
  AISLE_ASSIGN_OR_RETURN(HnswImage image, ValidateHnswImage(hnsw_bytes, info, what));
  AISLE_ASSIGN_OR_RETURN(TempFile tmp, TempFile::Create());
  AISLE_RETURN_IF_ERROR(WriteFileAtomically(tmp.path(), hnsw_bytes));

  auto impl = std::make_unique<Impl>();
  if (options.default_ef != 0) info.default_ef = options.default_ef;
  impl->info = info;
  impl->space = MakeSpace(info.metric, info.dim);
  auto hnsw = std::make_unique<Hnsw>(impl->space.get());
  // hnswlib 0.6.2's path constructor leaves these uninitialized; its
  // destructor and search read them.
  hnsw->num_deleted_ = 0;
  hnsw->cur_element_count = 0;
  hnsw->data_level0_memory_ = nullptr;
  hnsw->linkLists_ = nullptr;
  hnsw->visited_list_pool_ = nullptr;
  hnsw->metric_distance_computations = 0;
  hnsw->metric_hops = 0;
  try {
    hnsw->loadIndex(tmp.path(), impl->space.get(),
                    std::max<size_t>({options.capacity, info.count, 1}));
  } catch (const std::bad_alloc&) {
    hnsw->cur_element_count = 0;
    return absl::ResourceExhaustedError(absl::StrCat(what, ": out of memory loading the index"));
  } catch (const std::exception& e) {
    hnsw->cur_element_count = 0;
    return absl::InvalidArgumentError(absl::StrCat(what, ": hnswlib: ", e.what()));
  }
  impl->hnsw = std::move(hnsw);
  absl::MutexLock lock(&impl->mu);
  uint64_t max_label = 0;
  for (uint64_t l : image.labels) max_label = std::max(max_label, l);
  impl->item_to_internal.assign(info.count == 0 ? 0 : max_label + 1, kNoInternal);
  for (size_t i = 0; i < image.labels.size(); ++i) {
    impl->item_to_internal[image.labels[i]] = static_cast<uint32_t>(i);
  }
  return std::unique_ptr<AnnIndex>(new AnnIndex(std::move(impl)));
}

absl::Status AnnIndex::Add(ItemIndex item, absl::Span<const float> vector) {
  AISLE_RETURN_IF_ERROR(
      internal::ValidateVector(vector, impl_->info.dim, absl::StrCat("vector of item index ", item)));
  std::vector<float> prepared;
  AISLE_RETURN_IF_ERROR(internal::PrepareQuery(impl_->info.metric, vector, prepared,
                                               absl::StrCat("vector of item index ", item)));
  absl::MutexLock lock(&impl_->mu);
  return impl_->AddLocked(item, prepared.data());
}

absl::Status AnnIndex::Search(absl::Span<const float> query, const VectorSearchParams& params,
                              std::vector<ScoredItem>& out, SearchStats* stats) const {
  out.clear();
  SearchStats local;
  SearchStats& st = stats ? *stats : local;
  st = SearchStats{};
  AISLE_RETURN_IF_ERROR(internal::ValidateVector(query, impl_->info.dim, "query"));
  internal::SearchScratch& s = internal::LocalScratch();
  AISLE_RETURN_IF_ERROR(internal::PrepareQuery(impl_->info.metric, query, s.query, "query"));
  absl::ReaderMutexLock lock(&impl_->mu);
  return impl_->SearchLocked(s.query.data(), params, {}, out, st);
}

absl::Status AnnIndex::SearchBySeeds(absl::Span<const ItemIndex> seeds,
                                     const VectorSearchParams& params, std::vector<ScoredItem>& out,
                                     SearchStats* stats) const {
  out.clear();
  SearchStats local;
  SearchStats& st = stats ? *stats : local;
  st = SearchStats{};
  if (seeds.empty()) return absl::InvalidArgumentError("seed query has no seeds");
  const size_t dim = impl_->info.dim;
  internal::SearchScratch& s = internal::LocalScratch();
  s.query.assign(dim, 0.0f);
  absl::ReaderMutexLock lock(&impl_->mu);
  const Hnsw& h = *impl_->hnsw;
  for (ItemIndex seed : seeds) {
    if (seed >= impl_->item_to_internal.size() || impl_->item_to_internal[seed] == kNoInternal) {
      return absl::NotFoundError(absl::StrCat("seed item index ", seed, " is not in the index"));
    }
    const char* raw = h.getDataByInternalId(impl_->item_to_internal[seed]);
    for (size_t d = 0; d < dim; ++d) {
      float x;
      std::memcpy(&x, raw + 4 * d, 4);
      s.query[d] += x;
    }
  }
  const float inv = 1.0f / static_cast<float>(seeds.size());
  for (float& x : s.query) x *= inv;
  if (impl_->info.metric == Metric::kCosine && !internal::NormalizeInPlace(s.query.data(), dim)) {
    return absl::InvalidArgumentError("the mean of the seed vectors is zero");
  }
  return impl_->SearchLocked(s.query.data(), params, seeds, out, st);
}

absl::Status AnnIndex::GetVector(ItemIndex item, std::vector<float>& out) const {
  absl::ReaderMutexLock lock(&impl_->mu);
  if (item >= impl_->item_to_internal.size() || impl_->item_to_internal[item] == kNoInternal) {
    return absl::NotFoundError(absl::StrCat("item index ", item, " is not in the index"));
  }
  const char* raw = impl_->hnsw->getDataByInternalId(impl_->item_to_internal[item]);
  out.resize(impl_->info.dim);
  std::memcpy(out.data(), raw, 4 * impl_->info.dim);
  return absl::OkStatus();
}

bool AnnIndex::Contains(ItemIndex item) const {
  absl::ReaderMutexLock lock(&impl_->mu);
  return item < impl_->item_to_internal.size() && impl_->item_to_internal[item] != kNoInternal;
}

AnnIndexInfo AnnIndex::info() const {
  absl::ReaderMutexLock lock(&impl_->mu);
  return impl_->info;
}
size_t AnnIndex::size() const { return info().count; }
size_t AnnIndex::dim() const { return impl_->info.dim; }
Metric AnnIndex::metric() const { return impl_->info.metric; }
namespace internal {

void AnnIndexRawAccess::SetEf(const AnnIndex& index, size_t ef) { index.impl_->hnsw->setEf(ef); }

size_t AnnIndexRawAccess::SearchKnn(const AnnIndex& index, const float* query, size_t k,
                                    ItemIndex* out) {
  auto top = index.impl_->hnsw->searchKnn(query, k);
  const size_t n = top.size();
  for (size_t i = n; i-- > 0;) {
    out[i] = static_cast<ItemIndex>(top.top().second);
    top.pop();
  }
  return n;
}

DistanceFn HnswlibDistanceFn(Metric metric, size_t dim) {
  if (metric == Metric::kL2) return hnswlib::L2Space(dim).get_dist_func();
  return hnswlib::InnerProductSpace(dim).get_dist_func();
}

}  // namespace internal

}  // namespace aisle::retrieval
