// Rankers isolated on the engine's threads (PipelineBuilder::IsolateRanker):
// same answers as in-line, a hung ranker costs the request its deadline and
// is reported as a deadline fallback, saturation degrades at once with reason
// overload, and an engine that may not start threads refuses the snapshot.
// These tests use the real clock (the wait is a real timed wait) but assert
// outcomes only, never durations.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "aisle/serving/engine.h"
#include "serving/test_storefront.h"
#include "gtest/gtest.h"

namespace aisle::serving {
namespace {

using testing::ItemId;
using testing::MakeSnapshot;

// Blocks until released, like a remote model that stopped answering; then
// scores every row 1.
class HungRanker final : public ranking::Ranker {
 public:
  explicit HungRanker(size_t width) : width_(width) {}
  absl::string_view version() const override { return "hung"; }
  size_t num_features() const override { return width_; }
  absl::Status Score(MatrixView f, absl::Span<float> s) const override {
    return Score(f, s, Deadline::Infinite());
  }
  absl::Status Score(MatrixView, absl::Span<float> s, const Deadline&) const override {
    started_.fetch_add(1);
    release_.WaitForNotification();
    for (float& x : s) x = 1.0f;
    finished_.fetch_add(1);
    return absl::OkStatus();
  }
  void Release() const {
    if (!release_.HasBeenNotified()) release_.Notify();
  }
  int started() const { return started_.load(); }
  int finished() const { return finished_.load(); }

 private:
  size_t width_;
  mutable absl::Notification release_;
  mutable std::atomic<int> started_{0}, finished_{0};
};

// Releases the ranker when a test leaves early (an ASSERT), so the engine's
// destructor, which joins its isolation threads, cannot hang the binary.
struct ReleaseOnExit {
  std::shared_ptr<HungRanker> r;
  ~ReleaseOnExit() { r->Release(); }
};

Request Home(const std::string& user = "u1") {
  Request r;
  r.surface = "home";
  r.user_id = user;
  r.seed_items = {ItemId("sku-", 3)};
  return r;
}

std::shared_ptr<Snapshot> Isolated(std::shared_ptr<Snapshot> s, absl::Duration budget) {
  s->pipeline.surfaces[0].isolate_ranker = true;
  s->pipeline.surfaces[0].default_budget = budget;
  return s;
}

void WaitIdle(const Engine& e) {
  while (e.metrics().isolated_outstanding != 0) absl::SleepFor(absl::Milliseconds(1));
}

TEST(EngineIsolation, IsolatedRankerAnswersExactlyAsInline) {
  auto inline_engine = Engine::Create(MakeSnapshot("v1"));
  auto isolated_engine = Engine::Create(Isolated(MakeSnapshot("v1"), absl::Seconds(30)));
  ASSERT_TRUE(inline_engine.ok()) << inline_engine.status();
  ASSERT_TRUE(isolated_engine.ok()) << isolated_engine.status();
  for (const std::string user : {"u1", "u2", "u3"}) {
    auto a = (*inline_engine)->Recommend(Home(user));
    auto b = (*isolated_engine)->Recommend(Home(user));
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->fallback_level, FallbackLevel::kPersonalized);
    ASSERT_EQ(b->fallback_level, FallbackLevel::kPersonalized) << b->fallback_detail;
    EXPECT_EQ(b->ranker_version, a->ranker_version);
    ASSERT_EQ(a->items.size(), b->items.size());
    for (size_t i = 0; i < a->items.size(); ++i) {
      EXPECT_EQ(a->items[i].id, b->items[i].id);
      EXPECT_EQ(a->items[i].score, b->items[i].score);
    }
  }
  const EngineMetrics m = (*isolated_engine)->metrics();
  EXPECT_EQ(m.isolated_calls, 3u);
  EXPECT_EQ(m.isolated_timeouts, 0u);
  EXPECT_EQ((*inline_engine)->metrics().isolated_calls, 0u);
}

TEST(EngineIsolation, HungRankerIsAbandonedAtTheDeadlineAndReportedAsDeadline) {
  auto snap = Isolated(MakeSnapshot("v1"), absl::Milliseconds(200));
  auto hung = std::make_shared<HungRanker>(9);  // default schema: 9 features
  snap->models["price"] = ModelFactory::Bound(hung);
  auto engine = Engine::Create(snap);
  ASSERT_TRUE(engine.ok()) << engine.status();
  ReleaseOnExit guard{hung};
  auto resp = (*engine)->Recommend(Home());
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->fallback_reason, FallbackReason::kDeadline);
  EXPECT_NE(resp->fallback_level, FallbackLevel::kPersonalized);
  EXPECT_FALSE(resp->items.empty()) << "a lower level serves";
  EXPECT_TRUE(absl::StrContains(resp->fallback_detail, "abandoned")) << resp->fallback_detail;
  EXPECT_EQ(hung->started(), 1);
  EXPECT_EQ(hung->finished(), 0) << "the request returned while the ranker still ran";
  EngineMetrics m = (*engine)->metrics();
  EXPECT_EQ(m.isolated_timeouts, 1u);
  EXPECT_EQ(m.isolated_outstanding, 1u);
  EXPECT_EQ(m.fallback_reasons[static_cast<int>(FallbackReason::kDeadline)], 1u);
  hung->Release();
  WaitIdle(**engine);
  EXPECT_EQ(hung->finished(), 1);
  // Released, it answers in time again.
  auto again = (*engine)->Recommend(Home());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->fallback_level, FallbackLevel::kPersonalized) << again->fallback_detail;
  EXPECT_EQ(again->ranker_version, "hung");
}

TEST(EngineIsolation, SaturatedRunnerFallsBackAtOnceWithReasonOverload) {
  auto snap = Isolated(MakeSnapshot("v1"), absl::Milliseconds(200));
  auto hung = std::make_shared<HungRanker>(9);
  snap->models["price"] = ModelFactory::Bound(hung);
  EngineOptions o;
  o.isolation_threads = 1;
  o.isolation_max_outstanding = 1;
  auto engine = Engine::Create(snap, o);
  ASSERT_TRUE(engine.ok()) << engine.status();
  ReleaseOnExit guard{hung};
  auto first = (*engine)->Recommend(Home());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->fallback_reason, FallbackReason::kDeadline);
  // The hung call still holds the only slot: the next request is refused
  // without waiting and says so.
  auto second = (*engine)->Recommend(Home("u2"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->fallback_reason, FallbackReason::kOverload) << second->fallback_detail;
  EXPECT_NE(second->fallback_level, FallbackLevel::kPersonalized);
  EXPECT_FALSE(second->items.empty());
  EXPECT_TRUE(absl::StrContains(second->fallback_detail, "outstanding")) << second->fallback_detail;
  EXPECT_EQ(hung->started(), 1) << "the refused request never reached the ranker";
  EXPECT_EQ((*engine)->metrics().isolated_rejected, 1u);
  hung->Release();
  WaitIdle(**engine);
  auto third = (*engine)->Recommend(Home("u3"));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->fallback_level, FallbackLevel::kPersonalized) << third->fallback_detail;
}

TEST(EngineIsolation, EngineWithoutThreadsRefusesAnIsolatingSnapshot) {
  EngineOptions o;
  o.allow_threads = false;
  auto engine = Engine::Create(Isolated(MakeSnapshot("v1"), absl::Seconds(1)), o);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(engine.status().message(), "'home'")) << engine.status();
  EXPECT_TRUE(absl::StrContains(engine.status().message(), "allow_threads")) << engine.status();
  // Without isolation the same engine options serve.
  auto plain = Engine::Create(MakeSnapshot("v1"), o);
  ASSERT_TRUE(plain.ok()) << plain.status();
  // And a swap to an isolating snapshot is refused while the old one serves.
  absl::Status st = (*plain)->Swap(Isolated(MakeSnapshot("v2"), absl::Seconds(1)));
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*plain)->snapshot_version(), "v1");
}

TEST(EngineIsolation, IsolationWithoutARankerIsRejected) {
  auto snap = MakeSnapshot("v1");
  snap->pipeline.surfaces[1].isolate_ranker = true;  // product_page has no ranker
  auto engine = Engine::Create(snap);
  ASSERT_FALSE(engine.ok());
  EXPECT_TRUE(absl::StrContains(engine.status().message(), "product_page")) << engine.status();
}

}  // namespace
}  // namespace aisle::serving
