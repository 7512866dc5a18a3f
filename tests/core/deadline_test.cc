#include "aisle/core/deadline.h"

#include "gtest/gtest.h"

namespace aisle {
namespace {

TEST(Deadline, ExpiresWhenItsClockPassesIt) {
  FakeClock clock;
  Deadline d = Deadline::In(absl::Milliseconds(10), clock);
  EXPECT_FALSE(d.Expired());
  EXPECT_EQ(d.Remaining(), absl::Milliseconds(10));
  clock.Advance(absl::Milliseconds(9));
  EXPECT_FALSE(d.Expired());
  clock.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(d.Expired());
  EXPECT_EQ(d.Remaining(), absl::ZeroDuration());
}

TEST(Deadline, InfiniteNeverExpires) {
  Deadline d;
  EXPECT_TRUE(d.IsInfinite());
  EXPECT_FALSE(d.Expired());
  EXPECT_EQ(d.Remaining(), absl::InfiniteDuration());
}

TEST(Deadline, SoonerTakesTheEarlierOfStageBudgetAndRequest) {
  FakeClock clock;
  Deadline request = Deadline::In(absl::Milliseconds(10), clock);
  EXPECT_EQ(request.Sooner(absl::Milliseconds(3)).Remaining(), absl::Milliseconds(3));
  EXPECT_EQ(request.Sooner(absl::Milliseconds(30)).Remaining(), absl::Milliseconds(10));
}

}  // namespace
}  // namespace aisle
