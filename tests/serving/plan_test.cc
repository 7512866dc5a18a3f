// The engine as a routed plan: rollback kept warm, shadow rankers off the
// response path, a custom candidate source added with one builder call, and
// the defects fixed with the redesign (request ids, last-known-good lists,
// snapshots kept alive by idle threads).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "aisle/ranking/linear_ranker.h"
#include "aisle/retrieval/candidate_source.h"
#include "aisle/serving/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "serving/test_storefront.h"

namespace aisle::serving {
namespace {

using ::testing::HasSubstr;
using testing::ItemId;
using testing::MakeSnapshot;

// The default schema's feature names of a snapshot (what a bound ranker
// must read).
std::vector<std::string> DefaultLayout(const Snapshot& snap) {
  auto e = Engine::Create(std::make_shared<Snapshot>(snap));
  Request r;
  r.surface = "home";
  auto m = (*e)->AssembleFeatures(r, {std::string(snap.catalog->id(0))});
  return m.ok() ? m->feature_names : std::vector<std::string>();
}

Request ProductPage(int seed) {
  Request r;
  r.surface = "product_page";
  r.seed_items = {ItemId("sku-", seed)};
  return r;
}

// ------------------------------------------------------------ rollback

TEST(Rollback, ServesThePreviousSnapshotAtOnceAndIsRecorded) {
  std::shared_ptr<const Snapshot> a = MakeSnapshot("A", "a-");
  std::shared_ptr<const Snapshot> b = MakeSnapshot("B", "b-");
  auto engine = Engine::Create(a);
  ASSERT_TRUE(engine.ok()) << engine.status();
  Engine& e = **engine;
  EXPECT_TRUE(absl::IsFailedPrecondition(e.Rollback("nothing to go back to")));
  ASSERT_TRUE(e.Swap(b).ok());
  EXPECT_EQ(e.snapshot_version(), "B");
  ASSERT_TRUE(e.Rollback("bad ranker in B", "oncall:ana").ok());
  EXPECT_EQ(e.snapshot_version(), "A");
  Request r;
  r.surface = "product_page";
  r.seed_items = {"a-3"};
  auto resp = e.Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->snapshot_version, "A");
  for (const auto& item : resp->items) EXPECT_TRUE(absl::StartsWith(item.id, "a-"));
  // A second rollback undoes the first.
  ASSERT_TRUE(e.Rollback("B was fine after all").ok());
  EXPECT_EQ(e.snapshot_version(), "B");
  const std::vector<SnapshotChange> log = e.SnapshotLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_FALSE(log[0].rollback);
  EXPECT_EQ(log[0].from_version, "A");
  EXPECT_EQ(log[0].to_version, "B");
  EXPECT_TRUE(log[1].rollback);
  EXPECT_EQ(log[1].to_version, "A");
  EXPECT_EQ(log[1].reason, "bad ranker in B");
  EXPECT_EQ(log[1].actor, "oncall:ana");
  EXPECT_EQ(e.metrics().rollbacks, 2u);
}

TEST(Rollback, UnderConcurrentLoadNoRequestFailsOrMixesSnapshots) {
  std::shared_ptr<const Snapshot> a = MakeSnapshot("A", "a-");
  std::shared_ptr<const Snapshot> b = MakeSnapshot("B", "b-");
  auto engine = Engine::Create(a);
  ASSERT_TRUE(engine.ok());
  ASSERT_TRUE((*engine)->Swap(b).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0}, mixed{0}, served{0};
  std::set<std::string> versions_seen[2];
  auto reader = [&](int t) {
    for (int n = 0; !stop.load() || n < 100; ++n) {
      Request r;
      r.surface = "product_page";
      r.seed_items = {absl::StrCat("a-", n % 40), absl::StrCat("b-", n % 40)};
      auto resp = (*engine)->Recommend(r);
      if (!resp.ok()) {
        failed.fetch_add(1);
        continue;
      }
      served.fetch_add(1);
      versions_seen[t].insert(resp->snapshot_version);
      const std::string prefix = resp->snapshot_version == "A" ? "a-" : "b-";
      for (const auto& item : resp->items) {
        if (!absl::StartsWith(item.id, prefix)) mixed.fetch_add(1);
      }
      if (n > 20000) break;
    }
  };
  std::thread r0(reader, 0), r1(reader, 1);
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE((*engine)->Rollback(absl::StrCat("flip ", i)).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  r0.join();
  r1.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_GT(served.load(), 0);
  EXPECT_EQ((*engine)->metrics().rollbacks, 30u);
}

// ------------------------------------------------------------ defects

TEST(EngineDefects, ConcurrentRequestsNeverShareARequestId) {
  auto engine = Engine::Create(MakeSnapshot("v1"));
  ASSERT_TRUE(engine.ok());
  constexpr int kThreads = 4, kEach = 500;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto resp = (*engine)->Recommend(ProductPage(i % 40));
        if (resp.ok()) ids[t].push_back(resp->request_id);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> unique;
  size_t total = 0;
  for (const auto& v : ids) {
    total += v.size();
    unique.insert(v.begin(), v.end());
  }
  EXPECT_EQ(total, size_t{kThreads * kEach});
  EXPECT_EQ(unique.size(), total);
}

TEST(EngineDefects, AnIdleThreadDoesNotKeepAReplacedSnapshotAlive) {
  auto first = MakeSnapshot("A", "a-");
  std::weak_ptr<const catalog::Catalog> old_catalog = first->catalog;
  // The ranker of A's home surface, held only by A.
  auto ranker = ranking::LinearRanker::Create(testing::PriceModel(), DefaultLayout(*first));
  ASSERT_TRUE(ranker.ok()) << ranker.status();
  std::shared_ptr<const ranking::Ranker> shared(std::move(*ranker));
  std::weak_ptr<const ranking::Ranker> old_ranker = shared;
  first->models["price"] = ModelFactory::Bound(std::move(shared));
  auto engine = Engine::Create(std::move(first));
  ASSERT_TRUE(engine.ok()) << engine.status();
  // A host thread serves once, then idles while the snapshot is replaced.
  absl::Notification served, swapped, done;
  std::thread host([&] {
    Request r;
    r.surface = "home";
    r.seed_items = {"a-1"};
    auto resp = (*engine)->Recommend(r);
    EXPECT_TRUE(resp.ok());
    EXPECT_FALSE(resp->ranker_version.empty());
    resp = absl::InternalError("dropped");  // the response no longer holds A
    served.Notify();
    swapped.WaitForNotification();
    // Checked while this thread is alive and idle.
    EXPECT_TRUE(old_catalog.expired());
    EXPECT_TRUE(old_ranker.expired());
    done.Notify();
  });
  served.WaitForNotification();
  ASSERT_TRUE((*engine)->Swap(MakeSnapshot("B", "b-")).ok());
  // The previous snapshot is kept warm for Rollback: swap once more so that
  // A is neither current nor previous.
  ASSERT_TRUE((*engine)->Swap(MakeSnapshot("C", "c-")).ok());
  EXPECT_TRUE(old_catalog.expired());
  EXPECT_TRUE(old_ranker.expired());
  swapped.Notify();
  done.WaitForNotification();
  host.join();
}

TEST(EngineDefects, LastKnownGoodIsCutToKPinnedAndDroppedWhenTheCatalogChanges) {
  FakeClock clock(testing::kNow);
  EngineOptions o;
  o.clock = &clock;
  auto base = Engine::Create(MakeSnapshot("v0"), o);
  ASSERT_TRUE(base.ok());
  std::atomic<bool> healthy{true};
  CircuitBreakerOptions bo;
  bo.min_requests = 2;
  bo.failure_rate_threshold = 0.5;
  bo.open_duration = absl::Seconds(30);
  ASSERT_TRUE((*base)
                  ->RegisterScorer(
                      "remote",
                      [&](MatrixView f, absl::Span<float> scores, const Deadline&) {
                        if (!healthy.load()) return absl::UnavailableError("down");
                        for (size_t i = 0; i < f.rows; ++i) scores[i] = -float(i);
                        return absl::OkStatus();
                      },
                      bo)
                  .ok());
  auto pinned = [](absl::string_view version, absl::string_view prefix) {
    auto s = MakeSnapshot(version, prefix);
    s->pipeline.surfaces[0].ranker = "remote";
    policy::PinRule pin;
    pin.item = policy::ItemRef::Id(absl::StrCat(prefix, 39));
    pin.position = 0;
    pin.force = true;
    s->pipeline.surfaces[0].pins.push_back(pin);
    return s;
  };
  ASSERT_TRUE((*base)->Swap(pinned("v1", "sku-")).ok());
  Request r;
  r.surface = "home";
  r.user_id = "u1";
  r.seed_items = {ItemId("sku-", 3)};
  r.k = 8;
  auto good = (*base)->Recommend(r);
  ASSERT_TRUE(good.ok());
  ASSERT_EQ(good->fallback_level, FallbackLevel::kPersonalized);
  EXPECT_EQ(good->items.size(), 8u);
  EXPECT_EQ(good->items[0].id, ItemId("sku-", 39));  // pinned first
  healthy = false;
  Request other = r;
  other.user_id = "u2";
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*base)->Recommend(other).ok());
  ASSERT_EQ((*base)->scorer_breaker("remote")->state(), BreakerState::kOpen);
  // A smaller k: the remembered list is cut to it, and pins still apply.
  r.k = 3;
  auto lkg = (*base)->Recommend(r);
  ASSERT_TRUE(lkg.ok());
  EXPECT_EQ(lkg->fallback_reason, FallbackReason::kBreakerOpen);
  ASSERT_EQ(lkg->items.size(), 3u);
  EXPECT_EQ(lkg->items[0].reason, "last_known_good");
  EXPECT_EQ(lkg->items[0].id, ItemId("sku-", 39));
  // A swap that renumbers the catalog: the list indexes the old one and must
  // not be served.
  ASSERT_TRUE((*base)->Swap(pinned("v2", "new-")).ok());
  r.seed_items = {"new-3"};
  auto after = (*base)->Recommend(r);
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->fallback_level, FallbackLevel::kPersonalized);
  for (const auto& item : after->items) {
    EXPECT_NE(item.reason, "last_known_good");
    EXPECT_TRUE(absl::StartsWith(item.id, "new-")) << item.id;
  }
}

// ------------------------------------------------------------ shadows

// A ranker that can throw, answer NaN or stall (until released), and counts
// its calls.
class ShadowRanker final : public ranking::Ranker {
 public:
  enum class Mode { kGood, kThrow, kNan, kStall };
  ShadowRanker(size_t width, Mode mode) : width_(width), mode_(mode) {}
  ~ShadowRanker() override { Release(); }
  void Release() const {
    if (!release.HasBeenNotified()) release.Notify();
  }
  absl::string_view version() const override { return "shadow"; }
  size_t num_features() const override { return width_; }
  absl::Status Score(MatrixView f, absl::Span<float> s) const override {
    calls_.fetch_add(1);
    switch (mode_) {
      case Mode::kThrow:
        throw std::runtime_error("shadow exploded");
      case Mode::kNan:
        for (float& x : s) x = std::numeric_limits<float>::quiet_NaN();
        return absl::OkStatus();
      case Mode::kStall:
        release.WaitForNotification();
        break;
      case Mode::kGood:
        break;
    }
    for (size_t r = 0; r < f.rows; ++r) s[r] = float(f.rows - r);
    return absl::OkStatus();
  }
  mutable std::atomic<int> calls_{0};
  mutable absl::Notification release;

 private:
  size_t width_;
  Mode mode_;
};

size_t SchemaWidth() {
  auto e = Engine::Create(MakeSnapshot("probe"));
  Request r;
  r.surface = "home";
  auto m = (*e)->AssembleFeatures(r, {ItemId("sku-", 0)});
  return m.ok() ? m->cols : 0;
}

TEST(Shadow, ScoresTheServedCandidatesOffThePathAndIsNeverServed) {
  const size_t width = SchemaWidth();
  ASSERT_GT(width, 0u);
  auto plain = Engine::Create(MakeSnapshot("v1"));
  ASSERT_TRUE(plain.ok());
  for (ShadowRanker::Mode mode : {ShadowRanker::Mode::kGood, ShadowRanker::Mode::kThrow,
                                  ShadowRanker::Mode::kNan, ShadowRanker::Mode::kStall}) {
    auto shadow = std::make_shared<ShadowRanker>(width, mode);
    auto snap = MakeSnapshot("v1");
    snap->models["shadow"] = ModelFactory::Bound(shadow);
    snap->pipeline.surfaces[0].shadow_rankers = {"shadow"};
    auto engine = Engine::Create(snap);
    ASSERT_TRUE(engine.ok()) << engine.status();
    Request r;
    r.surface = "home";
    r.user_id = "u1";
    r.seed_items = {ItemId("sku-", 3)};
    auto resp = (*engine)->Recommend(r);
    auto want = (*plain)->Recommend(r);
    ASSERT_TRUE(resp.ok() && want.ok());
    // Served exactly as without the shadow, and without waiting for it.
    ASSERT_EQ(resp->items.size(), want->items.size());
    for (size_t i = 0; i < resp->items.size(); ++i) {
      EXPECT_EQ(resp->items[i].id, want->items[i].id);
      EXPECT_EQ(resp->items[i].score, want->items[i].score);
    }
    EXPECT_EQ(resp->fallback_level, FallbackLevel::kPersonalized);
    EXPECT_THAT(resp->shadow_rankers, ::testing::ElementsAre("shadow"));
    if (mode == ShadowRanker::Mode::kStall) {
      // The response came back while the shadow is still stalled.
      EXPECT_TRUE((*engine)->DrainShadowResults().empty());
      shadow->Release();
    }
    // The shadow's result arrives later.
    std::vector<ShadowResult> results;
    for (int i = 0; i < 500 && results.empty(); ++i) {
      results = (*engine)->DrainShadowResults();
      if (results.empty()) absl::SleepFor(absl::Milliseconds(2));
    }
    ASSERT_EQ(results.size(), 1u);
    const ShadowResult& s = results[0];
    EXPECT_EQ(s.request_id, resp->request_id);
    EXPECT_EQ(s.ranker, "shadow");
    EXPECT_EQ(s.item_ids.size(), size_t(resp->candidates) - resp->filtered);
    const EngineMetrics m = (*engine)->metrics();
    EXPECT_EQ(m.shadow_calls, 1u);
    if (mode == ShadowRanker::Mode::kGood || mode == ShadowRanker::Mode::kStall) {
      EXPECT_TRUE(s.status.ok()) << s.status;
      EXPECT_EQ(s.scores.size(), s.item_ids.size());
      EXPECT_EQ(m.shadow_failed, 0u);
    } else {
      EXPECT_FALSE(s.status.ok());
      EXPECT_TRUE(s.scores.empty());
      EXPECT_EQ(m.shadow_failed, 1u);
      EXPECT_THAT(s.status.message(), mode == ShadowRanker::Mode::kThrow
                                          ? HasSubstr("shadow exploded")
                                          : HasSubstr("returned nan"));
    }
  }
}

TEST(Shadow, AStalledShadowNeverTakesTheSlotsOfAnIsolatedRanker) {
  const size_t width = SchemaWidth();
  auto shadow = std::make_shared<ShadowRanker>(width, ShadowRanker::Mode::kStall);
  auto snap = MakeSnapshot("v1");
  snap->models["shadow"] = ModelFactory::Bound(shadow);
  snap->pipeline.surfaces[0].shadow_rankers = {"shadow"};
  snap->pipeline.surfaces[0].isolate_ranker = true;
  EngineOptions o;
  o.shadow_threads = 1;
  o.shadow_max_outstanding = 2;
  o.isolation_threads = 1;
  o.isolation_max_outstanding = 2;  // what two stalled shadows would fill if they shared it
  auto engine = Engine::Create(snap, o);
  ASSERT_TRUE(engine.ok()) << engine.status();
  Request r;
  r.surface = "home";
  r.seed_items = {ItemId("sku-", 3)};
  for (int i = 0; i < 10; ++i) {
    auto resp = (*engine)->Recommend(r);
    ASSERT_TRUE(resp.ok());
    EXPECT_EQ(resp->fallback_level, FallbackLevel::kPersonalized) << resp->fallback_detail;
  }
  const EngineMetrics m = (*engine)->metrics();
  EXPECT_EQ(m.isolated_rejected, 0u);
  EXPECT_EQ(m.shadow_calls, 2u);  // one running (stalled), one queued
  EXPECT_EQ(m.shadow_skipped, 8u);
  shadow->Release();
}

TEST(Shadow, NeedsThreads) {
  auto snap = MakeSnapshot("v1");
  snap->pipeline.surfaces[0].shadow_rankers = {"price"};
  EngineOptions o;
  o.allow_threads = false;
  auto engine = Engine::Create(snap, o);
  EXPECT_TRUE(absl::IsFailedPrecondition(engine.status()));
  EXPECT_THAT(engine.status().message(), HasSubstr("runs shadow rankers"));
  snap->pipeline.surfaces[0].shadow_rankers = {"no_such_model"};
  EXPECT_THAT(Engine::Create(snap).status().message(), HasSubstr("shadow: ranker 'no_such_model'"));
}

// ------------------------------------------------------------ custom source

// A host's own candidate source: its "editor's picks", one class.
class EditorsPicks final : public retrieval::CandidateSource {
 public:
  absl::string_view name() const override { return "editors_picks"; }
  absl::Status Retrieve(const retrieval::RetrievalQuery& q, size_t quota, SourceId id,
                        std::vector<Candidate>& out) const override {
    for (ItemIndex i : {ItemIndex{33}, ItemIndex{34}, ItemIndex{35}}) {
      if (out.size() >= quota) break;
      if (q.filter != nullptr && !q.filter->Test(i)) continue;
      out.push_back({i, 100.0f - float(i), SourceBit(id)});
    }
    return absl::OkStatus();
  }
};

TEST(CustomSource, IsOneClassAndOneBuilderCall) {
  auto snap = MakeSnapshot("v1");
  PipelineBuilder picks("picks");
  picks.CustomSource(std::make_shared<EditorsPicks>(), 3)
      .Source("covis", SourceKind::kCoVisitation, 5)
      .DefaultK(3)
      .Budget(absl::Seconds(5));
  ASSERT_TRUE(snap->pipeline.Add(std::move(picks)).ok());
  auto engine = Engine::Create(snap);
  ASSERT_TRUE(engine.ok()) << engine.status();
  Request r;
  r.surface = "picks";
  r.seed_items = {ItemId("sku-", 1)};
  auto resp = (*engine)->Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->fallback_level, FallbackLevel::kPersonalized);
  EXPECT_THAT(resp->source_names, ::testing::ElementsAre("editors_picks", "covis"));
  std::vector<std::string> ids;
  for (const auto& item : resp->items) ids.emplace_back(item.id);
  EXPECT_THAT(ids,
              ::testing::ElementsAre(ItemId("sku-", 33), ItemId("sku-", 34), ItemId("sku-", 35)));
  // Its switch works like any source's.
  ASSERT_TRUE((*engine)->switches().SetSource("picks", "editors_picks", false, "test").ok());
  resp = (*engine)->Recommend(r);
  ASSERT_TRUE(resp.ok());
  for (const auto& item : resp->items) EXPECT_EQ(item.sources & 1u, 0u);
}

}  // namespace
}  // namespace aisle::serving
