#include "scheduler/random_devices.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace ravel {
namespace {

TEST(RandomDevices, OnlyTheTwoDevicesAreRandom) {
  EXPECT_TRUE(IsRandomDevice("/dev/urandom"));
  EXPECT_TRUE(IsRandomDevice("/dev/random"));
  EXPECT_FALSE(IsRandomDevice("/dev/urandom2"));
  EXPECT_FALSE(IsRandomDevice("urandom"));
  EXPECT_FALSE(IsRandomDevice("/dev/zero"));
}

TEST(RandomDevices, AnFdIsRandomFromItsOpenToItsClose) {
  RandomDevices devices;
  EXPECT_FALSE(devices.IsRandomFd(10, 3));
  devices.Opened(10, 3, /*close_on_exec=*/false);
  EXPECT_TRUE(devices.IsRandomFd(10, 3));
  EXPECT_FALSE(devices.IsRandomFd(11, 3));  // another process's fd 3
  EXPECT_FALSE(devices.IsRandomFd(10, 4));
  devices.Closed(10, 3);
  EXPECT_FALSE(devices.IsRandomFd(10, 3));
  devices.Closed(10, 3);  // twice, or a process never seen: nothing
  devices.Closed(12, 3);
}

TEST(RandomDevices, AForkedChildHasCopiesOfItsParentsFdsThatCloseApart) {
  RandomDevices devices;
  devices.Opened(10, 3, false);
  devices.Opened(10, 5, true);
  devices.Forked(10, 20);
  EXPECT_TRUE(devices.IsRandomFd(20, 3));
  EXPECT_TRUE(devices.IsRandomFd(20, 5));
  devices.Closed(20, 3);
  EXPECT_FALSE(devices.IsRandomFd(20, 3));
  EXPECT_TRUE(devices.IsRandomFd(10, 3));  // the parent's stays open
  devices.Forked(30, 40);                   // a parent without any: nothing
  EXPECT_FALSE(devices.IsRandomFd(40, 3));
  devices.Forked(10, 10);  // a thread of the same process: nothing changes
  EXPECT_TRUE(devices.IsRandomFd(10, 5));
}

TEST(RandomDevices, AnExecDropsCloseOnExecFdsAndAnEndDropsAll) {
  RandomDevices devices;
  devices.Opened(10, 3, /*close_on_exec=*/false);
  devices.Opened(10, 4, /*close_on_exec=*/true);
  devices.Execed(10);
  EXPECT_TRUE(devices.IsRandomFd(10, 3));
  EXPECT_FALSE(devices.IsRandomFd(10, 4));
  devices.Execed(11);  // nothing open: nothing
  devices.Gone(10);
  EXPECT_FALSE(devices.IsRandomFd(10, 3));
}

TEST(RandomDevices, BytesComeFromTheStreamEightAWordInMemoryOrder) {
  uint64_t drawn = 0;
  const auto next = [&] { return 0x0807060504030201ull + 0x1010101010101010ull * drawn++; };
  std::vector<uint8_t> bytes(11);
  FillFromStream(next, bytes.data(), bytes.size());
  EXPECT_EQ(drawn, 2u);  // ceil(11 / 8)
  EXPECT_EQ(bytes, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13}));
  FillFromStream(next, bytes.data(), 0);
  EXPECT_EQ(drawn, 2u);  // nothing asked, nothing drawn
  FillFromStream(next, bytes.data(), 8);
  EXPECT_EQ(drawn, 3u);
  EXPECT_EQ(bytes[0], 0x21);
}

}  // namespace
}  // namespace ravel
