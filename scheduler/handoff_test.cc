// HandoffPages: where a guest's word of its hand-off page is, in the scheduler's terms.
#include "scheduler/handoff.h"

#include <cstddef>

#include "gtest/gtest.h"

namespace ravel {
namespace {

// A signal's stop inside the shim's hand-on names the next thread by its word's address
// in the guest (rdi); only a word of that process's page is a slot.
TEST(HandoffPages, SlotOfWordIsAWordOfThePageOrNone) {
  HandoffPages::Process process;
  EXPECT_EQ(HandoffPages::SlotOfWord(process, offsetof(RavelHandoffPage, word)), -1);  // no page registered
  process.guest_page = 0x7f0000010000;
  const uint64_t first = process.guest_page + offsetof(RavelHandoffPage, word);
  EXPECT_EQ(HandoffPages::SlotOfWord(process, first), 0);
  EXPECT_EQ(HandoffPages::SlotOfWord(process, first + 4 * 7), 7);
  EXPECT_EQ(HandoffPages::SlotOfWord(process, first + 4 * (RAVEL_HANDOFF_SLOTS - 1)), RAVEL_HANDOFF_SLOTS - 1);
  EXPECT_EQ(HandoffPages::SlotOfWord(process, first + 4 * RAVEL_HANDOFF_SLOTS), -1);  // past the last word
  EXPECT_EQ(HandoffPages::SlotOfWord(process, first + 2), -1);                        // inside a word
  EXPECT_EQ(HandoffPages::SlotOfWord(process, first - 4), -1);                        // before them
  EXPECT_EQ(HandoffPages::SlotOfWord(process, 0), -1);
}

}  // namespace
}  // namespace ravel
