#include "scheduler/cpu_model.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ravel {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A made-up host: every recorded leaf answers with its number in EAX and all features set.
CpuidRegs AllFeatures(uint32_t leaf, uint32_t subleaf) { return CpuidRegs{leaf + subleaf, ~0u, ~0u, ~0u}; }

TEST(CpuModel, HardwareRandomnessTransactionsAndApicIdsAreHidden) {
  const CpuidRegs one = MaskCpuid(0x1, 0, CpuidRegs{0, 0xff123456u, ~0u, ~0u});
  EXPECT_EQ(one.ecx & (1u << 30), 0u);  // RDRAND
  EXPECT_EQ(one.ebx, 0x00123456u);      // initial APIC id 0, the rest kept
  EXPECT_EQ(one.edx, ~0u);
  const CpuidRegs seven = MaskCpuid(0x7, 0, CpuidRegs{0, ~0u, ~0u, ~0u});
  EXPECT_EQ(seven.ebx & ((1u << 18) | (1u << 4) | (1u << 11)), 0u);  // RDSEED, HLE, RTM
  EXPECT_EQ(seven.ebx | (1u << 18) | (1u << 4) | (1u << 11), ~0u);   // nothing else
  EXPECT_EQ(MaskCpuid(0x7, 1, CpuidRegs{0, ~0u, 0, 0}).ebx, ~0u);     // subleaf 1: unchanged
  EXPECT_EQ(MaskCpuid(0xb, 1, CpuidRegs{1, 2, 3, 77}).edx, 0u);       // x2APIC id
  EXPECT_EQ(MaskCpuid(0x8000001e, 0, CpuidRegs{9, 2, 3, 4}).eax, 0u);  // extended APIC id
  EXPECT_EQ(MaskCpuid(0x4, 0, CpuidRegs{1, 2, 3, 4}), (CpuidRegs{1, 2, 3, 4}));  // caches pass through
}

TEST(CpuModel, ItRoundTripsThroughItsText) {
  const CpuModel m = CpuModel::Of(AllFeatures);
  absl::StatusOr<CpuModel> back = CpuModel::Parse(m.Serialize());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, m);
  CpuidRegs r;
  ASSERT_TRUE(back->Answer(0x80000008, 0, &r));
  EXPECT_EQ(r.eax, 0x80000008u);
  EXPECT_FALSE(back->Answer(0x4, 0, &r));  // not a recorded leaf
  EXPECT_THAT(m.Serialize(), HasSubstr("1.0=1,ffffff,bfffffff,ffffffff"));  // masked when made
}

TEST(CpuModel, BadTextIsRefusedByName) {
  for (const std::string bad : {"", "1.0=1,2,3", "x.0=1,2,3,4", "1=1,2,3,4", "1.0=1,2,3,zz"}) {
    absl::StatusOr<CpuModel> m = CpuModel::Parse(bad);
    EXPECT_FALSE(m.ok()) << bad;
  }
}

TEST(CpuModel, AModelRunsWhereTheHostHasEveryFeatureOfIt) {
  const CpuModel full = CpuModel::Of(AllFeatures);
  EXPECT_THAT(full.MissingOn(full), IsEmpty());
  // A host without AVX2 (leaf 7 EBX bit 5) and without leaf 0x80000001 EDX bit 3.
  const CpuModel smaller = CpuModel::Of([](uint32_t leaf, uint32_t subleaf) {
    CpuidRegs r = AllFeatures(leaf, subleaf);
    if (leaf == 0x7 && subleaf == 0) r.ebx &= ~(1u << 5);
    if (leaf == 0x80000001) r.edx &= ~(1u << 3);
    return r;
  });
  EXPECT_THAT(full.MissingOn(smaller), ElementsAre("leaf 7.0 EBX bit 5 (AVX2)", "leaf 80000001.0 EDX bit 3"));
  EXPECT_THAT(smaller.MissingOn(full), IsEmpty());  // a smaller model runs on a bigger CPU
}

TEST(CpuModel, OnlyLeavesWithSubleavesReadEcx) {
  EXPECT_EQ(CpuidSubleaf(0x80000000, 0x444d4163), 0u);  // ECX left over from the last call
  EXPECT_EQ(CpuidSubleaf(0x1, 7), 0u);
  EXPECT_EQ(CpuidSubleaf(0x7, 1), 1u);
  EXPECT_EQ(CpuidSubleaf(0xd, 5), 5u);
  EXPECT_EQ(CpuidSubleaf(0x4, 3), 3u);
}

TEST(CpuModel, ThisHostsModelHidesWhatItMasks) {
  CpuidRegs r;
  ASSERT_TRUE(CpuModel::OfThisHost().Answer(0x1, 0, &r));
  EXPECT_EQ(r.ecx & (1u << 30), 0u);
  EXPECT_EQ(r.ebx >> 24, 0u);
}

}  // namespace
}  // namespace ravel
