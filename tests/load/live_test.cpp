// Live control: schedule and profile edits (pure), LiveControl's checks, and
// the engine following edits while it runs.
#include "load/live.h"

#include <gtest/gtest.h>

#include "load/schedule.h"

using namespace scalelab;
using namespace scalelab::load;
using namespace std::chrono_literals;

TEST(UserProfile, AnEditRampsFromTheCountAtThatMomentToTheNewOne) {
  Scenario s;
  s.users = 10;
  s.spawn_rate = 2;  // 10 users by 5 s
  const UserProfile p = UserProfile(s).edited(2.0, 20, 4);  // 4 users at 2 s, then +4/s
  EXPECT_DOUBLE_EQ(p.users_at(1.0), 2);  // earlier: unchanged
  EXPECT_DOUBLE_EQ(p.users_at(2.0), 4);
  EXPECT_DOUBLE_EQ(p.users_at(4.0), 12);
  EXPECT_DOUBLE_EQ(p.users_at(6.0), 20);
  EXPECT_DOUBLE_EQ(p.users_at(60.0), 20);
  EXPECT_EQ(p.peak(), 20u);
  EXPECT_NEAR(p.next_active(15, 2.0), 4.75, 1e-3);
}

TEST(UserProfile, AnEditDownAtOnceLeavesTheSurplusInactiveForGood) {
  Scenario s;
  s.users = 8;
  const UserProfile p = UserProfile(s).edited(3.0, 2, 0);
  EXPECT_DOUBLE_EQ(p.users_at(2.0), 8);
  EXPECT_DOUBLE_EQ(p.users_at(3.5), 2);
  EXPECT_LT(p.next_active(5, 3.5), 0);
  EXPECT_NEAR(p.next_active(1, 3.5), 3.5, 1e-9);
}

TEST(ArrivalSchedule, AnEditKeepsEarlierArrivalsAndNumbersLaterOnesAtTheNewRate) {
  Scenario s;
  s.rate = 10;
  const ArrivalSchedule a = ArrivalSchedule(s, 1.0).edited(2.0, 100);
  EXPECT_NEAR(a.time_of(5), 0.5, 1e-9);    // before the edit: 10/s
  EXPECT_NEAR(a.time_of(20), 2.0, 1e-9);   // 20 arrivals by 2 s
  EXPECT_NEAR(a.time_of(120), 3.0, 1e-9);  // then 100/s
  EXPECT_DOUBLE_EQ(a.rate_at(1.0), 10);
  EXPECT_DOUBLE_EQ(a.rate_at(2.5), 100);
  const ArrivalSchedule half = ArrivalSchedule(s, 0.5).edited(2.0, 100);  // one of two threads
  EXPECT_NEAR(half.time_of(60), 3.0, 1e-9);
}

TEST(ArrivalSchedule, AnEditDuringARampCutsItWhereItStands) {
  Scenario s;
  s.stages = {{10s, 100}};  // 0 -> 100/s
  const ArrivalSchedule a = ArrivalSchedule(s, 1.0).edited(4.0, 10);
  EXPECT_NEAR(a.arrivals_before(4.0), 80, 1e-9);  // 0.5 * 40/s * 4 s
  EXPECT_NEAR(a.time_of(90), 5.0, 1e-9);
  EXPECT_DOUBLE_EQ(a.rate_at(8.0), 10);
}

TEST(LiveControl, EditsOfTheOtherModelAreConflicts) {
  LiveControl closed(Model::kClosed), open(Model::kOpen);
  EXPECT_EQ(closed.set_rate(10).error().kind, ErrorKind::kConflict);
  EXPECT_EQ(open.set_users(3, 1).error().kind, ErrorKind::kConflict);
  EXPECT_FALSE(closed.take_edit());
  EXPECT_FALSE(open.take_edit());
}

TEST(LiveControl, OutOfRangeValuesAreInvalid) {
  LiveControl closed(Model::kClosed), open(Model::kOpen);
  EXPECT_EQ(closed.set_users(LiveControl::kMaxUsers + 1, 1).error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(closed.set_users(3, -1).error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(open.set_rate(0).error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(open.set_rate(std::nan("")).error().kind, ErrorKind::kInvalidInput);
  EXPECT_FALSE(closed.take_edit());
}

TEST(LiveControl, TheLatestEditWinsAndIsTakenOnce) {
  LiveControl c(Model::kClosed);
  ASSERT_TRUE(c.set_users(3, 1).ok());
  ASSERT_TRUE(c.set_users(7, 2).ok());
  auto e = c.take_edit();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->users, 7u);
  EXPECT_DOUBLE_EQ(e->spawn_rate, 2);
  EXPECT_FALSE(c.take_edit());
  EXPECT_FALSE(c.stop_requested());
  c.stop();
  EXPECT_TRUE(c.stop_requested());
}
