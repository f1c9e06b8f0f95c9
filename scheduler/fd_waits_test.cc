#include "scheduler/fd_waits.h"

#include <vector>

#include "gtest/gtest.h"
#include "scheduler/fake_guest_test_util.h"

namespace ravel {
namespace {

constexpr pid_t kGuest = 100;
constexpr pid_t kOtherGuest = 200;
constexpr pid_t kOutside = 900;

std::vector<pollfd> In(int fd) { return {pollfd{fd, POLLIN, 0}}; }

class FdWaitsTest : public ::testing::Test {
 protected:
  FdWaitsTest() {
    probe.fds[{kGuest, 3}] = {"pipe:[11]", {}, false};
    probe.fds[{kGuest, 4}] = {"pipe:[11]", {}, false};  // the other end
    probe.fds[{kGuest, 5}] = {"socket:[12]", {}, false};
    probe.fds[{kOtherGuest, 3}] = {"pipe:[11]", {}, false};
  }
  bool OnlyGuestFeeds(int fd) { return FdWaits::OnlyGuestFeeds(probe, guests, kGuest, fd); }

  FakeFdWaitProbe probe;
  absl::flat_hash_set<pid_t> guests = {kGuest, kOtherGuest};
  FdWaits waits;
};

TEST_F(FdWaitsTest, ReadyWaitersComeOutInIdOrderWhateverOrderTheyCameIn) {
  waits.Wait(5, kGuest, In(3));
  waits.Wait(2, kOtherGuest, In(3));
  waits.Wait(7, kGuest, In(5));
  EXPECT_TRUE(waits.Ready(probe).empty());
  EXPECT_EQ(probe.probed, (std::vector<pid_t>{kOtherGuest, kGuest, kGuest}));  // each waiter once, by id

  probe.fds[{kGuest, 3}].ready = true;
  probe.fds[{kOtherGuest, 3}].ready = true;
  EXPECT_EQ(waits.Ready(probe), (std::vector<ThreadId>{2, 5}));
  waits.Remove(2);  // woken
  EXPECT_EQ(waits.Ready(probe), std::vector<ThreadId>{5});
}

TEST_F(FdWaitsTest, AnyReadyFdOfAWaiterWakesIt) {
  waits.Wait(1, kGuest, {pollfd{3, POLLIN, 0}, pollfd{5, POLLIN, 0}});
  probe.fds[{kGuest, 5}].ready = true;
  EXPECT_EQ(waits.Ready(probe), std::vector<ThreadId>{1});
  waits.Wait(1, kGuest, In(42));  // a bad fd: the call fails at once
  EXPECT_EQ(waits.Ready(probe), std::vector<ThreadId>{1});
}

TEST_F(FdWaitsTest, FirstIsTheLowestIdWaiterAndFdsOfItsFds) {
  EXPECT_EQ(waits.First(), kNoThread);
  EXPECT_TRUE(waits.FdsOf(3).empty());
  waits.Wait(4, kGuest, In(3));
  waits.Wait(3, kGuest, In(5));
  EXPECT_EQ(waits.First(), 3);
  ASSERT_EQ(waits.FdsOf(3).size(), 1u);
  EXPECT_EQ(waits.FdsOf(3)[0].fd, 5);
  waits.Remove(3);
  waits.Remove(3);  // again: nothing
  EXPECT_EQ(waits.First(), 4);
  EXPECT_TRUE(waits.FdsOf(3).empty());
}

TEST_F(FdWaitsTest, APipeFeedsOnlyTheGuestUntilAProcessOutsideHoldsIt) {
  EXPECT_TRUE(OnlyGuestFeeds(3));
  probe.fds[{kOutside, 7}] = {"pipe:[99]", {}, false};  // another pipe
  EXPECT_TRUE(OnlyGuestFeeds(3));
  probe.fds[{kOutside, 8}] = {"pipe:[11]", {}, false};
  EXPECT_FALSE(OnlyGuestFeeds(3));
}

TEST_F(FdWaitsTest, AnEventfdIsToldApartByItsIdAndWithoutOneNothingIsProven) {
  probe.fds[{kGuest, 6}] = {"anon_inode:[eventfd]", {}, false};
  EXPECT_FALSE(OnlyGuestFeeds(6));  // no eventfd-id (before Linux 6.4)
  probe.fds[{kGuest, 6}].info["eventfd-id:"] = {"17"};
  EXPECT_TRUE(OnlyGuestFeeds(6));
  probe.fds[{kOutside, 3}] = {"anon_inode:[eventfd]", {{"eventfd-id:", {"18"}}}, false};
  EXPECT_TRUE(OnlyGuestFeeds(6));  // another eventfd
  probe.fds[{kOutside, 4}] = {"anon_inode:[eventfd]", {{"eventfd-id:", {"17"}}}, false};
  EXPECT_FALSE(OnlyGuestFeeds(6));
}

TEST_F(FdWaitsTest, AnEpollSetFeedsOnlyTheGuestWhenEachFdItWatchesDoes) {
  probe.fds[{kGuest, 8}] = {"anon_inode:[eventpoll]", {{"tfd:", {"3 events: 19 data: 0", "4 events: 19"}}}, false};
  EXPECT_TRUE(OnlyGuestFeeds(8));
  probe.fds[{kGuest, 9}] = {"anon_inode:[eventpoll]", {{"tfd:", {"3 events: 19", "5 events: 19"}}}, false};
  EXPECT_FALSE(OnlyGuestFeeds(9));  // a socket among them
  probe.fds[{kGuest, 10}] = {"anon_inode:[eventpoll]", {{"tfd:", {"8 events: 19"}}}, false};
  EXPECT_FALSE(OnlyGuestFeeds(10));  // an epoll set in an epoll set: not looked into
  probe.fds[{kGuest, 11}] = {"anon_inode:[eventpoll]", {}, false};
  EXPECT_FALSE(OnlyGuestFeeds(11));  // watches nothing that can be read
}

TEST_F(FdWaitsTest, SocketsAndGoneFdsMayBeFedFromOutside) {
  EXPECT_FALSE(OnlyGuestFeeds(5));
  EXPECT_FALSE(OnlyGuestFeeds(77));
}

TEST_F(FdWaitsTest, WaitersAreFedFromOutsideWhenAnyOfThemMayBe) {
  EXPECT_FALSE(waits.FedFromOutside(probe, guests));  // nobody waits
  waits.Wait(1, kGuest, In(3));
  waits.Wait(2, kOtherGuest, In(3));
  EXPECT_FALSE(waits.FedFromOutside(probe, guests));
  waits.Wait(3, kGuest, {pollfd{4, POLLIN, 0}, pollfd{5, POLLIN, 0}});
  EXPECT_TRUE(waits.FedFromOutside(probe, guests));
  waits.Remove(3);
  waits.Wait(4, kGuest, {});  // a poll of no fds: only its timeout (or a signal) ends it
  EXPECT_TRUE(waits.FedFromOutside(probe, guests));
}

}  // namespace
}  // namespace ravel
