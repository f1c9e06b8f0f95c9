#include "scheduler/planted_sites.h"

#include "gtest/gtest.h"
#include "scheduler/fake_guest_test_util.h"

namespace ravel {
namespace {

constexpr pid_t kPid = 100;
constexpr pid_t kChild = 200;
constexpr uint64_t kLock = 0x1000;  // lock xadd, 4 bytes
constexpr uint64_t kHead = 0x2000;  // a spin loop's head: mov, 2 bytes

class PlantedSitesTest : public ::testing::Test {
 protected:
  PlantedSitesTest() : thread(code) {
    code.Load(kLock, {0xf0, 0x0f, 0xc1, 0x07});
    code.Load(kHead, {0x8b, 0x07});
    thread.next = {{kLock, kLock + 4}, {kHead, kHead + 2}};
  }
  // A thread of kPid that trapped at `addr` is stepped over it.
  bool StepOverAt(uint64_t addr) {
    const PlantedSites::Site* site = sites.Find(kPid, addr);
    EXPECT_NE(site, nullptr);
    thread.regs.set_ip(addr);
    return sites.StepOver(thread, kPid, addr, site->saved, site->spin);
  }

  FakeCode code;
  FakeThread thread;
  PlantedSites sites;
};

TEST_F(PlantedSitesTest, APlantedSiteHasAnInt3AndKeepsTheByteUnderIt) {
  sites.Plant(code, kPid, kLock, /*spin=*/false);
  sites.Plant(code, kPid, kHead, /*spin=*/true);
  EXPECT_EQ(code.bytes[kLock], 0xcc);
  EXPECT_EQ(code.bytes[kHead], 0xcc);
  ASSERT_NE(sites.Find(kPid, kLock), nullptr);
  EXPECT_EQ(sites.Find(kPid, kLock)->saved, 0xf0);
  EXPECT_FALSE(sites.Find(kPid, kLock)->spin);
  EXPECT_TRUE(sites.Find(kPid, kHead)->spin);
  EXPECT_EQ(sites.Find(kPid, kLock + 1), nullptr);
  EXPECT_EQ(sites.Find(kChild, kLock), nullptr);
}

TEST_F(PlantedSitesTest, ASpinHeadOnAPlantedSiteIsLeftAloneAndUnwritableCodeIsNotListed) {
  sites.Plant(code, kPid, kLock, /*spin=*/false);
  sites.Plant(code, kPid, kLock, /*spin=*/true);  // would read the int3 as the byte under it
  EXPECT_EQ(sites.Find(kPid, kLock)->saved, 0xf0);
  EXPECT_FALSE(sites.Find(kPid, kLock)->spin);
  sites.Plant(code, kPid, 0x9000, /*spin=*/false);  // unmapped
  EXPECT_EQ(sites.Find(kPid, 0x9000), nullptr);
}

TEST_F(PlantedSitesTest, AnAtomicInstructionIsPlantedAfreshOverAMappingMadeAgain) {
  sites.Plant(code, kPid, kLock, false);
  code.bytes[kLock] = 0xf0;  // the module mapped again at the same address
  sites.Plant(code, kPid, kLock, false);
  EXPECT_EQ(sites.Find(kPid, kLock)->saved, 0xf0);
  EXPECT_EQ(code.bytes[kLock], 0xcc);
}

TEST_F(PlantedSitesTest, SteppingOverRunsTheOriginalInstructionAndPlantsAgain) {
  sites.Plant(code, kPid, kLock, false);
  EXPECT_TRUE(StepOverAt(kLock));
  EXPECT_EQ(thread.steps, 1);
  EXPECT_EQ(thread.regs.ip(), kLock + 4);
  EXPECT_EQ(code.bytes[kLock], 0xcc);
  EXPECT_EQ(sites.Find(kPid, kLock)->hits, 1u);
}

TEST_F(PlantedSitesTest, AnAtomicInstructionRunsNativelyOnceItsBudgetIsSpentASpinHeadNever) {
  sites.Plant(code, kPid, kLock, false);
  sites.Plant(code, kPid, kHead, true);
  for (uint32_t i = 1; i < kAtomicSiteBudget; ++i) {
    ASSERT_TRUE(StepOverAt(kLock));
    ASSERT_EQ(code.bytes[kLock], 0xcc) << "pass " << i;
    ASSERT_TRUE(StepOverAt(kHead));
  }
  EXPECT_TRUE(StepOverAt(kLock));  // the budget's last
  EXPECT_EQ(code.bytes[kLock], 0xf0);
  EXPECT_EQ(sites.Find(kPid, kLock), nullptr);
  EXPECT_TRUE(StepOverAt(kHead));
  EXPECT_EQ(code.bytes[kHead], 0xcc);
}

TEST_F(PlantedSitesTest, ASiteGoneWhileTheThreadWasParkedIsNotPlantedAgain) {
  sites.Plant(code, kPid, kLock, false);
  const PlantedSites::Site site = *sites.Find(kPid, kLock);
  sites.Forget(kPid);  // e.g. another thread exec'd
  thread.regs.set_ip(kLock);
  EXPECT_TRUE(sites.StepOver(thread, kPid, kLock, site.saved, site.spin));
  EXPECT_EQ(code.bytes[kLock], 0xf0);
}

TEST_F(PlantedSitesTest, AStepThatFailsStillPutsTheSiteBack) {
  sites.Plant(code, kPid, kLock, false);
  thread.next.clear();
  thread.regs.set_ip(kLock);
  EXPECT_FALSE(sites.StepOver(thread, kPid, kLock, 0xf0, false));
  EXPECT_EQ(code.bytes[kLock], 0xcc);
}

TEST_F(PlantedSitesTest, AForkedChildHasItsOwnCopyAndAnExecOrAnEndDropsThem) {
  sites.Plant(code, kPid, kLock, false);
  StepOverAt(kLock);
  sites.Forked(kPid, kChild);
  ASSERT_NE(sites.Find(kChild, kLock), nullptr);
  EXPECT_EQ(sites.Find(kChild, kLock)->hits, 1u);
  StepOverAt(kLock);  // the parent's count only
  EXPECT_EQ(sites.Find(kChild, kLock)->hits, 1u);
  sites.Forked(kPid, kPid);  // a thread, not a process: nothing
  EXPECT_EQ(sites.Find(kPid, kLock)->hits, 2u);
  sites.Forked(300, 400);  // a parent with none: nothing
  EXPECT_EQ(sites.Find(400, kLock), nullptr);
  sites.Forget(kPid);
  EXPECT_EQ(sites.Find(kPid, kLock), nullptr);
  EXPECT_NE(sites.Find(kChild, kLock), nullptr);
}

}  // namespace
}  // namespace ravel
