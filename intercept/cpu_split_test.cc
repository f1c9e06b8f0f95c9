#include "intercept/cpu_split.h"

#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace ravel {
namespace {

cpu_set_t Cpus(std::initializer_list<int> cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) CPU_SET(cpu, &set);
  return set;
}

// A name no other test's runs claim under.
std::string TestName(const char* what) { return absl::StrCat("ravel-unit-", getpid(), "-", what); }

TEST(CpuSplit, OneCpuIsNotSplit) {
  EXPECT_FALSE(CpuSplit::Claim(Cpus({3}), TestName("one")).has_value());
  EXPECT_FALSE(CpuSplit::Claim(Cpus({}), TestName("none")).has_value());
}

TEST(CpuSplit, ClaimsTakeTheHighestFreeCpuUntilNoneIsLeft) {
  const std::string name = TestName("claims");
  const cpu_set_t allowed = Cpus({0, 2, 5});
  std::optional<CpuSplit> a = CpuSplit::Claim(allowed, name);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->guest_cpu(), 5);
  const cpu_set_t five = Cpus({5}), zero_two = Cpus({0, 2}), zero_five = Cpus({0, 5});
  EXPECT_TRUE(CPU_EQUAL(&a->guest_cpus(), &five));
  EXPECT_TRUE(CPU_EQUAL(&a->tracer_cpus(), &zero_two));
  std::optional<CpuSplit> b = CpuSplit::Claim(allowed, name);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->guest_cpu(), 2);
  EXPECT_TRUE(CPU_EQUAL(&b->tracer_cpus(), &zero_five));
  std::optional<CpuSplit> c = CpuSplit::Claim(allowed, name);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->guest_cpu(), 0);
  EXPECT_FALSE(CpuSplit::Claim(allowed, name).has_value());
  // Another name, other claims.
  std::optional<CpuSplit> elsewhere = CpuSplit::Claim(allowed, TestName("elsewhere"));
  ASSERT_TRUE(elsewhere.has_value());
  EXPECT_EQ(elsewhere->guest_cpu(), 5);
  // A claim ends with its holder; a moved one lives on in its new holder.
  b.reset();
  std::optional<CpuSplit> d = CpuSplit::Claim(allowed, name);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->guest_cpu(), 2);
  std::vector<CpuSplit> held;
  held.push_back(std::move(*a));
  a.reset();
  EXPECT_FALSE(CpuSplit::Claim(allowed, name).has_value());
  held.clear();
  std::optional<CpuSplit> e = CpuSplit::Claim(allowed, name);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->guest_cpu(), 5);
}

TEST(CpuSplit, TheClaimNameComesFromTheEnvironment) {
  unsetenv("RAVEL_CPU_CLAIMS");
  EXPECT_EQ(CpuSplit::ClaimName(), "ravel-guest-cpu");
  setenv("RAVEL_CPU_CLAIMS", "", 1);
  EXPECT_EQ(CpuSplit::ClaimName(), "ravel-guest-cpu");
  setenv("RAVEL_CPU_CLAIMS", "mine", 1);
  EXPECT_EQ(CpuSplit::ClaimName(), "mine");
  unsetenv("RAVEL_CPU_CLAIMS");
}

}  // namespace
}  // namespace ravel
