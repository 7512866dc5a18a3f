#include "aisle/core/event_time.h"

#include <cstdint>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle {
namespace {

using ::testing::HasSubstr;

TEST(EventTime, SaneRangeExcludesNoTimeAndExtremes) {
  EXPECT_TRUE(IsSaneTimeMicros(0));
  EXPECT_TRUE(IsSaneTimeMicros(1700000000LL * 1000000));
  EXPECT_TRUE(IsSaneTimeMicros(kMinEventMicros));
  EXPECT_FALSE(IsSaneTimeMicros(kMaxEventMicros));
  EXPECT_FALSE(IsSaneTimeMicros(std::numeric_limits<int64_t>::min()));
  EXPECT_FALSE(IsSaneTimeMicros(std::numeric_limits<int64_t>::max()));
  EXPECT_FALSE(IsSaneTime(absl::InfinitePast()));
  EXPECT_FALSE(IsSaneTime(absl::InfiniteFuture()));
  EXPECT_FALSE(IsSaneTime(absl::FromUnixSeconds(int64_t{1} << 50)));
}

TEST(EventTime, CheckNamesWhatAndValue) {
  absl::Status s = CheckTimeMicros(std::numeric_limits<int64_t>::min(), "event 3");
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("event 3"));
  EXPECT_THAT(s.message(), HasSubstr("INT64_MIN (no time)"));
  s = CheckTime(absl::FromUnixSeconds(int64_t{1} << 40), "launch_time");
  EXPECT_THAT(s.message(), HasSubstr("launch_time"));
  EXPECT_THAT(s.message(), HasSubstr("2400-01-01"));
  EXPECT_TRUE(CheckTimeMicros(1700000000LL * 1000000, "x").ok());
  EXPECT_THAT(FormatTimeMicros(1700000000LL * 1000000), HasSubstr("2023-11-14T22:13:20Z"));
}

TEST(EventTime, WindowRejectsOrClampsEachSide) {
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  EventTimeWindow w;  // 7 days back (reject), 5 minutes ahead (clamp to now)
  absl::Time t = now - absl::Hours(1);
  EXPECT_EQ(PlaceInWindow(w, now, &t), TimeVerdict::kInWindow);
  EXPECT_EQ(t, now - absl::Hours(1));
  t = now + absl::Minutes(4);
  EXPECT_EQ(PlaceInWindow(w, now, &t), TimeVerdict::kInWindow);
  t = now + absl::Hours(24 * 365 * 50);
  EXPECT_EQ(PlaceInWindow(w, now, &t), TimeVerdict::kClampedNew);
  EXPECT_EQ(t, now);
  t = now - absl::Hours(24 * 8);
  EXPECT_EQ(PlaceInWindow(w, now, &t), TimeVerdict::kRejectedOld);
  t = absl::FromUnixMicros(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(PlaceInWindow(w, now, &t), TimeVerdict::kInvalid);
  EXPECT_TRUE(IsRejected(TimeVerdict::kInvalid));

  w.too_old = OutOfWindow::kClamp;
  w.too_new = OutOfWindow::kReject;
  t = now - absl::Hours(24 * 30);
  EXPECT_EQ(PlaceInWindow(w, now, &t), TimeVerdict::kClampedOld);
  EXPECT_EQ(t, now - w.max_age);
  t = now + absl::Hours(1);
  EXPECT_EQ(PlaceInWindow(w, now, &t), TimeVerdict::kRejectedNew);
}

TEST(EventTime, ValidateWindowNamesTheField) {
  EventTimeWindow w;
  EXPECT_TRUE(ValidateWindow(w).ok());
  w.max_lead = -absl::Seconds(1);
  EXPECT_THAT(ValidateWindow(w).message(), HasSubstr("max_lead"));
  w = EventTimeWindow();
  w.max_age = absl::InfiniteDuration();
  EXPECT_THAT(ValidateWindow(w).message(), HasSubstr("max_age"));
}

}  // namespace
}  // namespace aisle
