#include "serving/stages.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "aisle/core/status_macros.h"
#include "aisle/policy/filter.h"
#include "serving/engine_core.h"
#include "serving/host_scorer.h"

namespace aisle::serving::internal {
namespace {

StageFailure Failure(FallbackReason why, Stage stage, absl::string_view what) {
  return StageFailure{why, absl::StrCat(StageName(stage), ": ", what)};
}

// After the filters compacted `list` (keeping its order) right after
// retrieval, the merged row of each survivor: the list is a subsequence of
// the merged candidates, so one forward walk finds every row.
void RealignRows(const retrieval::MergedCandidates& merged, const std::vector<Candidate>& list,
                 std::vector<int32_t>& rows) {
  rows.resize(list.size());
  size_t m = 0;
  for (size_t j = 0; j < list.size(); ++j) {
    while (m < merged.candidates.size() && merged.candidates[m].item != list[j].item) ++m;
    rows[j] = m < merged.candidates.size() ? static_cast<int32_t>(m++) : -1;
  }
}

// The rank-stage mapping: which fallback reason a ranker failure is.
FallbackReason RankReason(const absl::Status& st) {
  if (st.GetPayload(kNonFinitePayload).has_value()) return FallbackReason::kNonFiniteScore;
  if (absl::IsDeadlineExceeded(st)) return FallbackReason::kDeadline;
  if (absl::IsResourceExhausted(st)) return FallbackReason::kOverload;  // isolation slots held
  if (absl::IsUnavailable(st)) return FallbackReason::kBreakerOpen;
  return FallbackReason::kError;
}

// Runs the ranker on the isolation threads and waits until `deadline`. The
// job owns the matrix copy, the scores and a reference on the ranker, so an
// abandoned call can finish after this request has returned.
absl::Status RankIsolated(IsolatedRunner& runner,
                          const std::shared_ptr<const ranking::Ranker>& ranker, MatrixView m,
                          absl::Span<float> scores, const Deadline& deadline) {
  struct Job {
    std::shared_ptr<const ranking::Ranker> ranker;
    std::vector<float> features;
    size_t rows = 0, cols = 0;
    std::vector<float> scores;
    Deadline deadline;
    absl::Status status;
  };
  auto job = std::make_shared<Job>();
  job->ranker = ranker;
  job->features.assign(m.data, m.data + m.rows * m.cols);
  job->rows = m.rows;
  job->cols = m.cols;
  job->scores.resize(m.rows);
  job->deadline = deadline;
  const IsolatedOutcome o = runner.Run(
      [job] {
        job->status = job->ranker->Score(MatrixView(job->features.data(), job->rows, job->cols),
                                         absl::MakeSpan(job->scores), job->deadline);
      },
      deadline);
  switch (o) {
    case IsolatedOutcome::kDone:
      if (job->status.ok()) std::copy(job->scores.begin(), job->scores.end(), scores.begin());
      return job->status;
    case IsolatedOutcome::kTimedOut:
      return absl::DeadlineExceededError(
          absl::StrCat("isolated ranker '", ranker->version(),
                       "' did not answer by the rank deadline; abandoned"));
    case IsolatedOutcome::kRejected:
      break;
  }
  return absl::ResourceExhaustedError(absl::StrCat("isolated ranker '", ranker->version(),
                                                   "': ", runner.options().max_outstanding,
                                                   " calls already outstanding"));
}

// Runs the surface's reorderers of `stage` (and, for diversify, the plan's
// MMR) over the list; an error is the stage's failure.
StageResult RunReorderers(RequestState& st, policy::ReorderStage stage, Stage budget_stage) {
  const CompiledSurface& cs = *st.plan.surface;
  Scratch& s = st.scratch;
  policy::FilterContext fctx;
  fctx.bought = s.bought;
  fctx.cart = s.cart;
  fctx.seeds = s.seeds;
  policy::ReorderContext ctx;
  ctx.now = st.engine.clk().Now();
  ctx.k = st.k;
  ctx.deadline = st.budget->StageDeadline(budget_stage);
  ctx.inventory = st.compiled.live->inventory.get();
  ctx.inventory_reserve = cs.config.inventory_reserve;
  ctx.seeds = s.seeds;
  ctx.filters = &cs.filters;
  ctx.filter_context = &fctx;
  ctx.explore_share = st.plan.exploration ? st.plan.exploration_share : 0.0f;
  ctx.arm = st.plan.exploration_arm;
  ctx.report = &s.reorder;
  for (const auto& r : cs.reorderers) {
    if (r->stage() != stage) continue;
    if (absl::Status status = r->Apply(ctx, s.list); !status.ok()) {
      return Failure(FallbackReason::kError, budget_stage,
                     absl::StrCat(r->name(), ": ", status.message()));
    }
  }
  if (stage == policy::ReorderStage::kDiversify && st.plan.mmr != nullptr) {
    if (absl::Status status = st.plan.mmr->Apply(ctx, s.list); !status.ok()) {
      return Failure(FallbackReason::kError, budget_stage,
                     absl::StrCat(st.plan.mmr->name(), ": ", status.message()));
    }
  }
  return std::nullopt;
}

}  // namespace

void CountStage(const RequestState& st, Stage stage, bool failed);

// ------------------------------------------------------------------ retrieve

StageFailure RetrieveStage::Fail(const absl::Status& st) {
  return Failure(absl::IsDeadlineExceeded(st) ? FallbackReason::kDeadline : FallbackReason::kError,
                 kStage, st.message());
}

StageResult RetrieveStage::Run(RequestState& st) {
  const CompiledSurface& cs = *st.plan.surface;
  Scratch& s = st.scratch;
  retrieval::MergedCandidates& merged = s.merged;
  const Deadline deadline = st.budget->StageDeadline(kStage);
  if (cs.config.kind == SurfaceKind::kSearchRerank) {
    merged.candidates.clear();
    merged.source_scores.clear();
    merged.source_names.assign(1, "query");
    float score = 1.0f;
    for (ItemIndex i : s.search) {
      merged.candidates.push_back({i, score, SourceBit(0)});
      merged.source_scores.push_back(score);
      score *= 0.999f;
    }
  } else {
    const catalog::Catalog& cat = st.catalog;
    if (s.merger == nullptr || s.merger->num_items() != cat.size()) {
      s.merger = std::make_unique<retrieval::CandidateMerger>(cat.size());
    }
    retrieval::RetrievalQuery q;
    q.user_vector = st.req.user_vector;
    q.seeds = s.seeds;
    q.exclude = s.bought;
    q.segment = st.req.segment != 0 ? st.req.segment : st.plan.segment;
    q.deadline = deadline;
    q.filter = cs.allowed.get();
    s.specs.clear();
    for (size_t i = 0; i < cs.sources.size(); ++i) {
      const int sw = cs.source_switch[i];
      const bool on = sw < 0 || st.switches.source_enabled(static_cast<SourceId>(sw));
      retrieval::SourceSpec spec;
      spec.source = cs.sources[i].get();
      spec.quota = on ? st.plan.quotas[i] : 0;
      spec.id = static_cast<SourceId>(i);
      spec.ef = st.plan.efs[i];
      s.specs.push_back(spec);
    }
    absl::Status status =
        s.merger->RetrieveAndMerge(s.specs, q, cs.config.max_candidates, s.merged);
    if (!status.ok()) return Fail(status);
  }
  st.response.candidates = static_cast<uint32_t>(merged.candidates.size());
  s.list.assign(merged.candidates.begin(), merged.candidates.end());
  s.rows.resize(s.list.size());
  for (size_t i = 0; i < s.rows.size(); ++i) s.rows[i] = static_cast<int32_t>(i);
  if (merged.candidates.empty()) {
    // Sources stop quietly at their deadline: nothing found in time is a
    // deadline, not an empty stage.
    if (deadline.Expired()) {
      return Failure(FallbackReason::kDeadline, kStage, "deadline passed before any candidate");
    }
    return Failure(FallbackReason::kEmptyStage, kStage, "no candidates");
  }
  return std::nullopt;
}

// ------------------------------------------------------------------ filter

StageResult FilterStage::Run(RequestState& st) {
  Scratch& s = st.scratch;
  policy::FilterContext ctx;
  ctx.bought = s.bought;
  ctx.cart = s.cart;
  ctx.seeds = s.seeds;
  const size_t removed = st.plan.surface->filters.Run(ctx, s.list);
  st.response.filtered += static_cast<uint32_t>(removed);
  if (removed > 0) RealignRows(s.merged, s.list, s.rows);
  if (s.list.empty())
    return Failure(FallbackReason::kEmptyStage, kStage, "every candidate removed");
  return std::nullopt;
}

// ------------------------------------------------------------------ features

StageFailure FeaturesStage::Fail(const absl::Status& st) {
  return Failure(absl::IsDeadlineExceeded(st) ? FallbackReason::kDeadline : FallbackReason::kError,
                 kStage, st.message());
}

absl::StatusOr<MatrixView> AssembleRows(RequestState& st, const Deadline& deadline,
                                        features::FreshnessReport* report) {
  Scratch& s = st.scratch;
  const Compiled& c = st.compiled;
  const CompiledSurface& cs = *st.plan.surface;
  const retrieval::MergedCandidates& merged = s.merged;
  const features::FeatureSchema& schema = c.assembler->schema();
  const size_t n = s.list.size();
  const size_t nsrc = merged.source_names.size();
  const size_t nret = cs.retrieval_column_source.size();
  s.items.resize(n);
  s.source_bits.resize(n);
  s.retrieval.assign(n * nret, std::numeric_limits<float>::quiet_NaN());
  for (size_t r = 0; r < n; ++r) {
    s.items[r] = s.list[r].item;
    s.source_bits[r] = s.list[r].sources;
    const int32_t row = r < s.rows.size() ? s.rows[r] : -1;
    if (row < 0) continue;
    for (size_t j = 0; j < nret; ++j) {
      const int src = cs.retrieval_column_source[j];
      if (src >= 0 && size_t(src) < nsrc) {
        s.retrieval[r * nret + j] = merged.source_scores[size_t(row) * nsrc + src];
      }
    }
  }
  const absl::Span<const size_t> context_cols = schema.columns(features::FeatureGroup::kContext);
  s.context.assign(context_cols.size(), std::numeric_limits<float>::quiet_NaN());
  for (size_t j = 0; j < context_cols.size(); ++j) {
    const std::string& name = schema.names()[context_cols[j]];
    for (const auto& [key, value] : st.req.context) {
      float v;
      if (key == name && absl::SimpleAtof(value, &v)) s.context[j] = v;
    }
  }
  features::AssemblyRequest ar;
  if (!st.req.user_id.empty()) ar.user_key = features::OnlineFeatureStore::KeyOf(st.req.user_id);
  ar.context = s.context;
  ar.items = s.items;
  ar.retrieval = MatrixView(s.retrieval.data(), n, nret);
  ar.sources = s.source_bits;
  ar.deadline = deadline;
  return c.assembler->Assemble(ar, &s.features, report);
}

StageResult FeaturesStage::Run(RequestState& st) {
  features::FreshnessReport report;
  auto m = AssembleRows(st, st.budget->StageDeadline(kStage), &report);
  if (!m.ok()) return Fail(m.status());
  st.response.stale_features += static_cast<uint32_t>(report.TotalStale());
  st.response.defaulted_features += static_cast<uint32_t>(report.TotalDefaulted());
  if (report.drop_to_fallback) {
    return Failure(FallbackReason::kStaleFeatures, kStage, "stale beyond the group's max age");
  }
  matrix = *m;
  return std::nullopt;
}

// ------------------------------------------------------------------ rank

StageFailure RankStage::Fail(const absl::Status& st, const RequestState& rs) {
  StageFailure f = Failure(RankReason(st), kStage, st.message());
  const int64_t row = NonFiniteRow(st);
  if (row >= 0 && static_cast<size_t>(row) < rs.scratch.list.size()) {
    absl::StrAppend(&f.detail, " (item '", rs.catalog.id(rs.scratch.list[row].item), "')");
  }
  return f;
}

StageResult RankStage::Run(RequestState& st) {
  Scratch& s = st.scratch;
  const Plan& plan = st.plan;
  const size_t n = s.list.size();
  s.scores.resize(n);
  const Deadline deadline = st.budget->StageDeadline(kStage);
  absl::Status status;
  if (plan.surface->isolation != nullptr) {
    status = RankIsolated(*plan.surface->isolation, plan.ranker, matrix_, absl::MakeSpan(s.scores),
                          deadline);
  } else {
    status = plan.ranker->Score(matrix_, absl::MakeSpan(s.scores), deadline);
  }
  // Any ranker, not only a host scorer, may answer NaN or infinity (an
  // infinite weight, an overflowing leaf sum): never serve that.
  if (status.ok()) status = CheckScoresFinite(plan.ranker->version(), s.scores);
  if (!status.ok()) return Fail(status, st);
  for (size_t r = 0; r < n; ++r) s.list[r].score = s.scores[r];
  st.response.ranker_version = std::string(plan.ranker->version());
  return std::nullopt;
}

// ------------------------------------------------------------------ post-rank

StageResult RulesStage::Run(RequestState& st) {
  return RunReorderers(st, policy::ReorderStage::kRules, kStage);
}

StageResult DiversifyStage::Run(RequestState& st) {
  if (!st.switches.diversification()) return std::nullopt;
  return RunReorderers(st, policy::ReorderStage::kDiversify, kStage);
}

StageResult ExploreStage::Run(RequestState& st) {
  if (!st.switches.exploration() || !st.plan.exploration) return std::nullopt;
  return RunReorderers(st, policy::ReorderStage::kExplore, kStage);
}

StageResult PinsStage::Run(RequestState& st) {
  // The pin reorderer cuts the list to k.
  return RunReorderers(st, policy::ReorderStage::kPins, kStage);
}

// ------------------------------------------------------------------ respond

void Respond(RequestState& st, const LevelOutcome& out) {
  RequestBudget& budget = *st.budget;
  budget.Begin(Stage::kRespond);
  Response& resp = st.response;
  const CompiledSurface& cs = *st.plan.surface;
  if (out.served) {
    const bool explored = cs.exploration != nullptr;
    resp.items.reserve(st.scratch.list.size());
    for (const Candidate& cand : st.scratch.list) {
      ResponseItem item;
      item.index = cand.item;
      item.id = st.catalog.id(cand.item);
      item.score = cand.score;
      item.sources = cand.sources;
      item.reason =
          explored && (cand.sources & SourceBit(cs.explore_bit)) ? "exploration" : out.reason;
      resp.items.push_back(item);
    }
  }
  if (resp.fallback_level == FallbackLevel::kPersonalized &&
      cs.config.kind == SurfaceKind::kSearchRerank) {
    resp.source_names.push_back("query");
  } else if (resp.fallback_level == FallbackLevel::kPersonalized) {
    resp.source_names.assign(cs.source_names.begin(), cs.source_names.end());
    if (cs.exploration != nullptr) resp.source_names.push_back("exploration");
  } else {
    resp.source_names.push_back(FallbackLevelName(resp.fallback_level));
  }
  budget.End(Stage::kRespond);
  CountStage(st, Stage::kRespond, false);
  EngineCore::Counters& counters = st.engine.counters();
  for (int i = 0; i < kNumStages; ++i) {
    const absl::Duration d = budget.elapsed(static_cast<Stage>(i));
    resp.stage_latency[i] = d;
    if (d > absl::ZeroDuration()) {
      counters.stage_nanos[i].fetch_add(static_cast<uint64_t>(absl::ToInt64Nanoseconds(d)),
                                        std::memory_order_relaxed);
    }
  }
}

// ------------------------------------------------------------------ framework

void CountStage(const RequestState& st, Stage stage, bool failed) {
  EngineCore::Counters& c = st.engine.counters();
  const int i = static_cast<int>(stage);
  c.stage_runs[i].fetch_add(1, std::memory_order_relaxed);
  if (failed) c.stage_failures[i].fetch_add(1, std::memory_order_relaxed);
}

template <typename S>
StageResult RunStage(S& stage, RequestState& st) {
  RequestBudget& budget = *st.budget;
  if (!budget.Fits(S::kStage)) {
    if constexpr (S::kSkippable) {
      return std::nullopt;  // polishing skipped: the list as it is still serves
    } else {
      CountStage(st, S::kStage, true);
      return Failure(FallbackReason::kDeadline, S::kStage, "no time left");
    }
  }
  budget.Begin(S::kStage);
  StageResult r = stage.Run(st);
  budget.End(S::kStage);
  CountStage(st, S::kStage, r.has_value());
  return r;
}

template StageResult RunStage(RetrieveStage&, RequestState&);
template StageResult RunStage(FilterStage&, RequestState&);
template StageResult RunStage(FeaturesStage&, RequestState&);
template StageResult RunStage(RankStage&, RequestState&);
template StageResult RunStage(RulesStage&, RequestState&);
template StageResult RunStage(DiversifyStage&, RequestState&);
template StageResult RunStage(ExploreStage&, RequestState&);
template StageResult RunStage(PinsStage&, RequestState&);

}  // namespace aisle::serving::internal
