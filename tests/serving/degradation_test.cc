// Fallback transitions that need a clock: deadlines, open breakers with
// last-known-good results, stale features and overload shedding.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "aisle/serving/engine.h"
#include "serving/test_storefront.h"
#include "gtest/gtest.h"

namespace aisle::serving {
namespace {

using testing::ItemId;
using testing::MakeSnapshot;

// A ranker that never finishes in time: it moves the fake clock past the
// deadline it was given and reports DeadlineExceeded.
class SlowRanker final : public ranking::Ranker {
 public:
  SlowRanker(FakeClock& clock, size_t width) : clock_(clock), width_(width) {}
  absl::string_view version() const override { return "slow"; }
  size_t num_features() const override { return width_; }
  absl::Status Score(MatrixView, absl::Span<float>) const override { return absl::OkStatus(); }
  absl::Status Score(MatrixView, absl::Span<float>, const Deadline& d) const override {
    clock_.Advance(d.Remaining() + absl::Milliseconds(1));
    calls_.fetch_add(1);
    return absl::DeadlineExceededError("slow ranker ran out of time");
  }
  int calls() const { return calls_.load(); }

 private:
  FakeClock& clock_;
  size_t width_;
  mutable std::atomic<int> calls_{0};
};

Request HomeWithSeed() {
  Request r;
  r.surface = "home";
  r.user_id = "u1";
  r.seed_items = {ItemId("sku-", 3)};
  return r;
}

TEST(EngineDegradation, SlowRankerDegradesToTheNextLevelWithReasonDeadline) {
  FakeClock clock(testing::kNow);
  auto snap = MakeSnapshot("v1");
  // The default schema has 3 retrieval + 4 item + 2 user features.
  auto slow = std::make_shared<SlowRanker>(clock, 9);
  snap->models["price"] = ModelFactory::Bound(slow);
  EngineOptions o;
  o.clock = &clock;
  auto engine = Engine::Create(snap, o);
  ASSERT_TRUE(engine.ok()) << engine.status();
  auto resp = (*engine)->Recommend(HomeWithSeed());
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(slow->calls(), 1);
  EXPECT_EQ(resp->fallback_reason, FallbackReason::kDeadline);
  EXPECT_NE(resp->fallback_level, FallbackLevel::kPersonalized);
  EXPECT_FALSE(resp->items.empty()) << "a lower level still serves";
  EXPECT_TRUE(absl::StrContains(resp->fallback_detail, "rank")) << resp->fallback_detail;
  EXPECT_EQ((*engine)->metrics().fallback_reasons[static_cast<int>(FallbackReason::kDeadline)], 1u);
}

TEST(EngineDegradation, ExpiredDeadlineSkipsFeaturesAndRanking) {
  FakeClock clock(testing::kNow);
  EngineOptions o;
  o.clock = &clock;
  auto engine = Engine::Create(MakeSnapshot("v1"), o);
  ASSERT_TRUE(engine.ok());
  Request r = HomeWithSeed();
  r.deadline = Deadline::In(absl::ZeroDuration(), clock);
  auto resp = (*engine)->Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->fallback_reason, FallbackReason::kDeadline);
  EXPECT_TRUE(resp->ranker_version.empty());
  EXPECT_FALSE(resp->items.empty());
}

TEST(EngineDegradation, OpenBreakerServesLastKnownGoodThenFallsBack) {
  FakeClock clock(testing::kNow);
  auto snap = MakeSnapshot("v1");
  snap->pipeline.surfaces[0].ranker = "remote";
  EngineOptions o;
  o.clock = &clock;
  auto engine = Engine::Create(snap, o);
  // Compiling needs the scorer, so register it first on a second engine.
  ASSERT_FALSE(engine.ok());
  EXPECT_TRUE(absl::StrContains(engine.status().message(), "remote"));

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
                        if (!healthy.load()) return absl::UnavailableError("model server down");
                        for (size_t i = 0; i < f.rows; ++i) scores[i] = -float(i);
                        return absl::OkStatus();
                      },
                      bo)
                  .ok());
  ASSERT_TRUE((*base)->Swap(snap).ok());

  auto good = (*base)->Recommend(HomeWithSeed());
  ASSERT_TRUE(good.ok()) << good.status();
  ASSERT_EQ(good->fallback_level, FallbackLevel::kPersonalized);
  EXPECT_EQ(good->ranker_version, "host:remote");

  healthy = false;
  Request other = HomeWithSeed();
  other.user_id = "u2";
  for (int i = 0; i < 3; ++i) {
    auto r = (*base)->Recommend(other);
    ASSERT_TRUE(r.ok());
    EXPECT_NE(r->fallback_level, FallbackLevel::kPersonalized);
    EXPECT_FALSE(r->items.empty());
  }
  ASSERT_EQ((*base)->scorer_breaker("remote")->state(), BreakerState::kOpen);

  // u1 had a good answer: it is served again, at the personalized level.
  auto lkg = (*base)->Recommend(HomeWithSeed());
  ASSERT_TRUE(lkg.ok());
  EXPECT_EQ(lkg->fallback_level, FallbackLevel::kPersonalized);
  EXPECT_EQ(lkg->fallback_reason, FallbackReason::kBreakerOpen);
  ASSERT_EQ(lkg->items.size(), good->items.size());
  for (size_t i = 0; i < lkg->items.size(); ++i) {
    EXPECT_EQ(lkg->items[i].id, good->items[i].id);
    EXPECT_EQ(lkg->items[i].reason, "last_known_good");
  }
  // u2 has none: the next level, reason breaker_open.
  auto r2 = (*base)->Recommend(other);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->fallback_reason, FallbackReason::kBreakerOpen);
  EXPECT_NE(r2->fallback_level, FallbackLevel::kPersonalized);
  EXPECT_FALSE(r2->items.empty());
}

TEST(EngineDegradation, StaleFeaturesUnderDropPolicyFallBack) {
  FakeClock clock(testing::kNow);
  auto snap = MakeSnapshot("v1");
  features::FeatureSchemaBuilder b;
  b.AddGroup(features::FeatureGroup::kRetrieval, {});
  b.AddGroup(features::FeatureGroup::kItem,
             {.max_age_seconds = 3600, .stale_policy = features::StalePolicy::kDropToFallback});
  b.AddFeature({"ann_score", features::FeatureGroup::kRetrieval, 0.0f, -1});
  b.AddFeature({"price", features::FeatureGroup::kItem, 0.0f, -1});
  auto schema = std::move(b).Build();
  ASSERT_TRUE(schema.ok()) << schema.status();
  snap->pipeline.schema = *schema;
  std::vector<float> price(snap->catalog->size(), 1.0f);
  features::ItemFeatureStoreBuilder items(snap->catalog->size());
  ASSERT_TRUE(items.AddColumn("price", price, testing::kNow - absl::Hours(24)).ok());
  snap->item_features = *std::move(items).Build();
  EngineOptions o;
  o.clock = &clock;
  auto engine = Engine::Create(snap, o);
  ASSERT_TRUE(engine.ok()) << engine.status();
  auto resp = (*engine)->Recommend(HomeWithSeed());
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->fallback_reason, FallbackReason::kStaleFeatures);
  EXPECT_GT(resp->stale_features, 0u);
  EXPECT_FALSE(resp->items.empty());
}

// A source that makes every request slow by moving the fake clock.
class SlowSource final : public retrieval::CandidateSource {
 public:
  SlowSource(FakeClock& c, std::atomic<int64_t>& ms) : clock_(c), ms_(ms) {}
  absl::string_view name() const override { return "slow_source"; }
  absl::Status Retrieve(const retrieval::RetrievalQuery&, size_t quota, SourceId id,
                        std::vector<Candidate>& out) const override {
    clock_.Advance(absl::Milliseconds(ms_.load()));
    for (ItemIndex i = 0; i < quota && i < 40; ++i)
      out.push_back({i, 1.0f - i * 0.01f, SourceBit(id)});
    return absl::OkStatus();
  }

 private:
  FakeClock& clock_;
  std::atomic<int64_t>& ms_;
};

TEST(EngineDegradation, OverloadLowersQualityShedsPersonalizationAndRecovers) {
  FakeClock clock(testing::kNow);
  std::atomic<int64_t> slow_ms{80};
  auto snap = MakeSnapshot("v1");
  PipelineBuilder rail("rail");
  OverloadOptions oo;
  oo.budget = absl::Milliseconds(50);
  oo.adjust_interval = absl::Milliseconds(1);
  oo.ewma_alpha = 1.0;
  rail.CustomSource(std::make_shared<SlowSource>(clock, slow_ms), 20)
      .Budget(absl::Seconds(10))
      .Overload(oo);
  ASSERT_TRUE(snap->pipeline.Add(std::move(rail)).ok());
  EngineOptions o;
  o.clock = &clock;
  auto engine = Engine::Create(snap, o);
  ASSERT_TRUE(engine.ok()) << engine.status();
  Request r;
  r.surface = "rail";
  r.seed_items = {ItemId("sku-", 1)};
  double last = 1.0;
  bool shed = false;
  for (int i = 0; i < 12; ++i) {
    auto resp = (*engine)->Recommend(r);
    ASSERT_TRUE(resp.ok());
    EXPECT_LE(resp->quality, last);
    last = resp->quality;
    if (resp->fallback_reason == FallbackReason::kOverload) {
      shed = true;
      EXPECT_NE(resp->fallback_level, FallbackLevel::kPersonalized);
      EXPECT_FALSE(resp->items.empty());
    }
  }
  EXPECT_LT((*engine)->quality("rail"), 0.2);
  EXPECT_TRUE(shed) << "below cache_only_below the personalized level is shed";

  slow_ms = 0;
  for (int i = 0; i < 40; ++i) {
    clock.Advance(absl::Milliseconds(2));
    ASSERT_TRUE((*engine)->Recommend(r).ok());
  }
  EXPECT_GT((*engine)->quality("rail"), last) << "quality recovers once latency drops";
}

}  // namespace
}  // namespace aisle::serving

namespace aisle::serving {
namespace {

// A source that finds nothing because its deadline passes while it runs.
class ExpiringSource final : public retrieval::CandidateSource {
 public:
  explicit ExpiringSource(FakeClock& c) : clock_(c) {}
  absl::string_view name() const override { return "expiring"; }
  absl::Status Retrieve(const retrieval::RetrievalQuery& q, size_t, SourceId,
                        std::vector<Candidate>&) const override {
    clock_.Advance(q.deadline.Remaining() + absl::Milliseconds(1));
    return absl::OkStatus();
  }

 private:
  FakeClock& clock_;
};

TEST(EngineDegradation, RetrievalThatRunsOutOfTimeIsADeadlineNotAnEmptyStage) {
  FakeClock clock(testing::kNow);
  auto snap = testing::MakeSnapshot("v1");
  PipelineBuilder rail("rail");
  rail.CustomSource(std::make_shared<ExpiringSource>(clock), 20).Budget(absl::Milliseconds(10));
  ASSERT_TRUE(snap->pipeline.Add(std::move(rail)).ok());
  EngineOptions o;
  o.clock = &clock;
  auto engine = Engine::Create(snap, o);
  ASSERT_TRUE(engine.ok()) << engine.status();
  Request r;
  r.surface = "rail";
  r.seed_items = {testing::ItemId("sku-", 1)};
  auto resp = (*engine)->Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->fallback_reason, FallbackReason::kDeadline) << resp->fallback_detail;
}

}  // namespace
}  // namespace aisle::serving
