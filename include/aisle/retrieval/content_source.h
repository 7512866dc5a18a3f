// File: aisle/retrieval/content_source.h
//
// ContentSource: content-based candidates for a session with a little
// history ("items like the ones you just looked at"). Given the request's
// seeds (the session's viewed and carted items, most recent first) it
// proposes items similar to them by embedding (nearest neighbours of the
// seeds' vectors, through an AnnIndex when one is given, else an exact scan
// of the catalog's embeddings) and by attributes (same category, same brand,
// shared attribute values), and scores every proposed item with one blended,
// documented score. It needs no interaction history, so it also reaches
// items that co-visitation has never seen (new arrivals).
//
//   std::shared_ptr<const aisle::catalog::Catalog> catalog = ...;
//   std::shared_ptr<const aisle::retrieval::AnnIndex> ann = ...;  // or nullptr
//   AISLE_ASSIGN_OR_RETURN(std::unique_ptr<aisle::retrieval::ContentSource> content,
//                          aisle::retrieval::ContentSource::Create(catalog, ann, {}));
//   const float weights[] = {3.0f, 1.0f};     // the carted item counts 3x
//   aisle::retrieval::RetrievalQuery q;
//   q.seeds = recent;                          // {carted, viewed}: most recent first
//   q.seed_weights = weights;                  // optional
//   q.exclude = already_bought;
//   q.deadline = request_deadline;
//   AISLE_RETURN_IF_ERROR(content->Retrieve(q, /*quota=*/100, /*id=*/3, out));
//
// The score. Seeds are s_0 (most recent), s_1, ...; only the first
// `max_seeds` in-range seeds count. Seed j weighs
//
//     r_j = seed_weight_j * recency_decay^j,     w_j = r_j / sum(r)
//
// (seed_weight_j = 1 when the query gives none; j is the seed's position in
// the query). A candidate c scores
//
//     score(c) = embedding_weight * E(c) + category_weight * C(c)
//              + brand_weight * B(c)     + attribute_weight * A(c)
//     E(c) = sum_j w_j * sim(s_j, c)           cosine or inner product
//     C(c) = sum_j w_j * [category(c) == category(s_j)]
//     B(c) = sum_j w_j * [brand(c) == brand(s_j)]
//     A(c) = sum_j w_j * |attrs(c) & attrs(s_j)| / |attrs(s_j)|
//
// where category is the item's own (deepest) category, an item without a
// category or brand matches nothing, attrs are (key, value) pairs, and a
// catalog without embeddings has E = 0. Because E is linear in the seeds,
// E(c) = sim(c, q) for the one query vector q = sum_j w_j * s_j (seeds
// normalized under cosine), so one nearest-neighbour search finds the items
// with the best E.
//
// Candidates. The score is computed exactly for every item of a bounded
// pool: (1) the `embedding_candidates` best items by E (ANN search with q,
// or an exact scan over the catalog), and (2) items sharing attributes with
// the seeds, walked through groups precomputed at construction: for each
// seed in recency order, its (category, brand) group, then its category,
// its brand and each of its attribute values; a seed may visit
// max(min_visits_per_seed, max_attribute_visits * w_j) members in all and
// max_group_items per group.
// Inside a group, members are visited newest first (catalog launch time,
// unknown last, then by item index), so when a group is cut the freshest
// items are the ones considered. The seeds, `query.exclude` and items
// outside `query.filter` are never returned; the best `quota` of the pool
// are, best first (ties: lower item index), score as above.
//
// Query fields used: seeds, seed_weights, exclude, filter, deadline (the
// user vector, categories and segment are ignored). Seeds outside the
// catalog are ignored. The deadline is checked between blocks of the exact
// scan, of the group walks and of the scoring; when it passes, the best of
// what was scored so far is returned (not an error; the first 1,024 pool
// items are always scored).
//
// Cost: no allocation per candidate (per-thread scratch, a dense
// generation-stamped array over the catalog); the exact scan reads every
// embedding, so give an AnnIndex beyond a few tens of thousands of items
// (docs/retrieval-sources.md has measured figures).
//
// Thread-safe: immutable after Create(); Retrieve may be called from any
// number of threads.
#ifndef AISLE_RETRIEVAL_CONTENT_SOURCE_H_
#define AISLE_RETRIEVAL_CONTENT_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/catalog/catalog.h"
#include "aisle/core/candidate.h"
#include "aisle/core/ids.h"
#include "aisle/retrieval/ann_index.h"
#include "aisle/retrieval/candidate_source.h"
#include "aisle/retrieval/metric.h"

namespace aisle::retrieval {

struct ContentSourceOptions {
  std::string name = "content";

  // Blend weights (finite, >= 0; see the file comment). With these defaults
  // an item as close as the seed's nearest neighbours (cosine ~0.8) and one
  // of the seed's category with the same brand score alike.
  float embedding_weight = 1.0f;
  float category_weight = 0.5f;
  float brand_weight = 0.3f;
  float attribute_weight = 0.2f;

  // Seeds: at most this many (the most recent) count; >= 1.
  size_t max_seeds = 10;
  // Each older seed weighs this much of the one after it; in (0, 1]. 1 makes
  // every seed count alike.
  float recency_decay = 0.7f;

  // The similarity of E: kCosine or kInnerProduct (kL2 is not a similarity
  // that sums over seeds). With an AnnIndex it must be the index's metric.
  Metric metric = Metric::kCosine;
  // Nearest neighbours of q put in the pool; 0 = 2 * quota.
  size_t embedding_candidates = 0;
  // ANN search breadth (0 = the index default).
  size_t ef = 0;

  // Attribute groups: members visited per group and seed, and in all per
  // request (shared among the seeds in proportion to their weights w_j, at
  // least min_visits_per_seed each). All >= 1.
  size_t max_group_items = 1000;
  size_t max_attribute_visits = 8192;
  size_t min_visits_per_seed = 64;
};

// What one Retrieve did (for tests, metrics and logs). Thread-compatible.
struct ContentSourceStats {
  // Seeds that counted (in range, within max_seeds, weight > 0).
  size_t seeds_used = 0;
  // Items the embedding search put in the pool.
  size_t embedding_candidates = 0;
  // Group members visited, and the pool size scored.
  size_t attribute_visits = 0;
  size_t scored = 0;
  // The embedding search ran on the AnnIndex (else exactly, or not at all).
  bool used_ann = false;
  // The deadline passed and the result may be incomplete.
  bool deadline_expired = false;
};

class ContentSource final : public CandidateSource {
 public:
  // `catalog` is required; `ann` is optional (nullptr: exact search over the
  // catalog's embeddings, or attributes only when it has none). The index's
  // rows must be the catalog's ItemIndex values (built from
  // catalog->embeddings()); items it returns beyond the catalog are skipped.
  // InvalidArgument naming the option for a weight that is negative or not
  // finite, recency_decay outside (0, 1], max_seeds or a visit bound of 0, a
  // kL2 metric, or an index given for a catalog without embeddings, of
  // another dimension or another metric.
  static absl::StatusOr<std::unique_ptr<ContentSource>> Create(
      std::shared_ptr<const catalog::Catalog> catalog, std::shared_ptr<const AnnIndex> ann,
      ContentSourceOptions options = {});

  ContentSource(const ContentSource&) = delete;
  ContentSource& operator=(const ContentSource&) = delete;

  absl::string_view name() const override { return options_.name; }

  // Appends up to `quota` candidates to `out`, best first (see the file
  // comment). InvalidArgument for id >= kMaxSources, or seed_weights of
  // another length than seeds or with a negative or non-finite weight; an
  // error of the ANN search comes back prefixed with the source's name. No
  // usable seed: OK, nothing appended.
  absl::Status Retrieve(const RetrievalQuery& query, size_t quota, SourceId id,
                        std::vector<Candidate>& out) const override;

  // Same, and reports what it did (`stats` may be nullptr).
  absl::Status RetrieveWithStats(const RetrievalQuery& query, size_t quota, SourceId id,
                                 std::vector<Candidate>& out, ContentSourceStats* stats) const;

  // The blended score of `item` for `query`'s seeds (the file comment's
  // score(c)), computed directly; for tests and explanations. 0 without
  // usable seeds. Same errors as Retrieve.
  absl::StatusOr<float> Score(const RetrievalQuery& query, ItemIndex item) const;

  const ContentSourceOptions& options() const { return options_; }
  const catalog::Catalog& catalog() const { return *catalog_; }

 private:
  // Items grouped in CSR form: group g's members are
  // members[offsets[g] .. offsets[g + 1]), newest first.
  struct GroupTable {
    std::vector<uint32_t> offsets{0};
    std::vector<ItemIndex> members;
    absl::Span<const ItemIndex> Members(uint32_t g) const {
      return {members.data() + offsets[g], offsets[g + 1] - offsets[g]};
    }
  };
  // What scoring reads of one item, in one 16-byte record.
  struct ItemContent {
    CategoryIndex category = kInvalidCategory;
    catalog::BrandIndex brand = catalog::kNoBrand;
    uint32_t attr_begin = 0;  // its sorted attribute groups are
    uint32_t attr_count = 0;  // attr_groups_[attr_begin, attr_begin + attr_count)
  };
  struct SeedInfo;  // one seed of one request
  struct Terms;     // one request's seeds, summed by category, brand, attribute
  struct Scratch;   // per-thread request buffers
  static Scratch& LocalScratch();

  ContentSource(std::shared_ptr<const catalog::Catalog> catalog,
                std::shared_ptr<const AnnIndex> ann, ContentSourceOptions options);
  void BuildGroups();
  // Validates the query's seed weights and fills one SeedInfo per seed that
  // counts, with its normalized weight w_j.
  absl::Status PrepareSeeds(const RetrievalQuery& query, std::vector<SeedInfo>& seeds) const;
  void BuildTerms(absl::Span<const SeedInfo> seeds, Terms& terms) const;
  // q = sum_j w_j * s_j (normalized under cosine); false when it is zero.
  bool BuildQuery(absl::Span<const SeedInfo> seeds, std::vector<float>& q) const;
  // score(c); q is BuildQuery's vector, or nullptr when E is not computed.
  float ScoreItem(ItemIndex c, const float* q, const Terms& terms) const;
  // Starts loading what ScoreItem(c) reads.
  void Prefetch(ItemIndex c, bool embedding) const;
  absl::Span<const uint32_t> AttributeGroups(ItemIndex i) const {
    return {attr_groups_.data() + content_[i].attr_begin, content_[i].attr_count};
  }

  std::shared_ptr<const catalog::Catalog> catalog_;
  std::shared_ptr<const AnnIndex> ann_;
  ContentSourceOptions options_;
  // E is computed (embeddings present and embedding_weight > 0).
  bool use_embeddings_ = false;

  GroupTable by_category_;                // group = the item's CategoryIndex
  GroupTable by_brand_;                   // group = BrandIndex
  GroupTable by_category_brand_;          // group = category_brand_[item]
  GroupTable by_attribute_;               // group = an interned (key, value) pair
  std::vector<ItemContent> content_;      // per item
  std::vector<uint32_t> category_brand_;  // per item; kNoGroup without category or brand
  std::vector<uint32_t> attr_groups_;
  std::vector<float> inv_norms_;  // 1 / |embedding| per item (0 for a zero row)
};

}  // namespace aisle::retrieval

#endif  // AISLE_RETRIEVAL_CONTENT_SOURCE_H_
