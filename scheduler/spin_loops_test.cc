#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/atomics.h"

namespace ravel {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<uint64_t> Heads(std::vector<uint8_t> code, uint64_t base = 0x1000) {
  return FindSpinLoopHeads(code.data(), code.size(), base);
}

TEST(SpinLoops, AFlagWaitIsASpinLoop) {
  // 1000: mov -0x44(%rbp),%eax; test %eax,%eax; je 1000   (GLib's thread-pool test, -O0)
  EXPECT_THAT(Heads({0x8b, 0x45, 0xbc, 0x85, 0xc0, 0x74, 0xf9}), ElementsAre(0x1000));
}

TEST(SpinLoops, PauseAndARipRelativeLoadToo) {
  // pause; mov 0x0(%rip),%eax; cmp $0x1,%eax; jne back
  EXPECT_THAT(Heads({0xf3, 0x90, 0x8b, 0x05, 0, 0, 0, 0, 0x83, 0xf8, 0x01, 0x75, 0xf3}), ElementsAre(0x1000));
}

TEST(SpinLoops, TheLoopMayStartAfterOtherCode) {
  // nop; nop; then the loop at 0x1002
  EXPECT_THAT(Heads({0x90, 0x90, 0x8b, 0x45, 0xbc, 0x85, 0xc0, 0x74, 0xf9}), ElementsAre(0x1002));
}

TEST(SpinLoops, ALoopThatComputesIsNot) {
  // mov -0x44(%rbp),%eax; add $0x1,%eax; test %eax,%eax; je back: it changes a register
  EXPECT_THAT(Heads({0x8b, 0x45, 0xbc, 0x83, 0xc0, 0x01, 0x85, 0xc0, 0x74, 0xf6}), IsEmpty());
}

TEST(SpinLoops, ALoopThatStoresIsNot) {
  // mov %eax,-0x44(%rbp); test %eax,%eax; je back
  EXPECT_THAT(Heads({0x89, 0x45, 0xbc, 0x85, 0xc0, 0x74, 0xf9}), IsEmpty());
}

TEST(SpinLoops, ALoopThatReadsNoMemoryIsNot) {
  // test %eax,%eax; je back: it never ends, or never loops; nothing to wait for
  EXPECT_THAT(Heads({0x85, 0xc0, 0x74, 0xfc}), IsEmpty());
}

TEST(SpinLoops, ALockedInstructionIsNotASpinBody) {
  // lock cmpxchg %ecx,(%rdx); jne back: a CAS loop changes memory
  EXPECT_THAT(Heads({0xf0, 0x0f, 0xb1, 0x0a, 0x75, 0xfa}), IsEmpty());
}

TEST(SpinLoops, AForwardJumpOrATooLongLoopIsNot) {
  EXPECT_THAT(Heads({0x8b, 0x45, 0xbc, 0x85, 0xc0, 0x74, 0x02, 0x90, 0x90}), IsEmpty());
  // 46 nops and a load, then a jump back over all of them (51 bytes > kMaxSpinLoopBytes)
  std::vector<uint8_t> code(46, 0x90);
  for (uint8_t b : {0x8b, 0x45, 0xbc, 0x85, 0xc0}) code.push_back(b);
  code.push_back(0x74);
  code.push_back(static_cast<uint8_t>(-53));
  EXPECT_THAT(Heads(code), IsEmpty());
}

TEST(SpinLoops, AJumpIntoTheMiddleOfAnInstructionIsNot) {
  // The target splits the load: decoding from it does not end at the jump.
  EXPECT_THAT(Heads({0x8b, 0x45, 0xbc, 0x85, 0xc0, 0x74, 0xfa}), IsEmpty());
}

}  // namespace
}  // namespace ravel
