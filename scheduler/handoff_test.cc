// HandoffPages: where a guest's word of its hand-off page is, in the scheduler's terms.
#include "scheduler/handoff.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <ctime>
#include <memory>
#include <optional>
#include <thread>

#include "base/proc.h"
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

// A hand-on is asked only of a caller that waits awake and has none out; it is taken back
// only while it is not made (the caller's swap to 0 makes it), and only as asked.
TEST(HandoffPages, AHandOnIsAskedOfAnAwakeCallerAndTakenBackUnlessMade) {
  auto page = std::make_unique<RavelHandoffPage>();
  uint64_t& handon = page->call[3].handon;
  EXPECT_TRUE(HandoffPages::AskHandOn(page.get(), 3, 5));
  EXPECT_EQ(handon, 6u);
  EXPECT_FALSE(HandoffPages::AskHandOn(page.get(), 3, 7));  // one out already
  EXPECT_FALSE(HandoffPages::TakeBackHandOn(page.get(), 3, 7));  // not the one asked
  EXPECT_TRUE(HandoffPages::TakeBackHandOn(page.get(), 3, 5));
  EXPECT_EQ(handon, 0u);
  EXPECT_FALSE(HandoffPages::TakeBackHandOn(page.get(), 3, 5));  // made (or taken back) already
  handon = RAVEL_HANDOFF_ASLEEP;
  EXPECT_FALSE(HandoffPages::AskHandOn(page.get(), 3, 5));  // asleep: the scheduler lets 5 go itself
  EXPECT_EQ(handon, RAVEL_HANDOFF_ASLEEP);
}

// Release sets the word, and wakes the thread that sleeps on it (marked asleep, as the
// shim's WaitTurn marks itself). The sleeper is asleep before the release, and waits at
// most 30 s: a lost wake fails the test instead of hanging it.
TEST(HandoffPages, ReleaseWakesASleeper) {
  auto page = std::make_unique<RavelHandoffPage>();
  page->call[2].handon = RAVEL_HANDOFF_ASLEEP;
  std::atomic<pid_t> tid{0};
  long waited = -1;
  int waited_errno = 0;
  std::thread sleeper([&] {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    const timespec limit{30, 0};
    waited = syscall(SYS_futex, &page->word[2], FUTEX_WAIT, 0, &limit, nullptr, 0);
    waited_errno = errno;
  });
  while (tid == 0) std::this_thread::yield();
  for (int i = 0; i < 10000; ++i) {  // asleep: in its futex wait (or, at worst, 10 s on)
    std::optional<ProcStat> stat = ReadProcStat(getpid(), tid);
    if (stat.has_value() && stat->state == 'S') break;
    usleep(1000);
  }
  HandoffPages::Release(page.get(), 2);
  sleeper.join();
  EXPECT_EQ(page->word[2], 1u);
  EXPECT_EQ(waited, 0) << "errno " << waited_errno;
}

// Release of a thread that waits awake sets its word and leaves its `handon` alone (it is
// the thread's to mark).
TEST(HandoffPages, ReleaseOfAnAwakeWaiterSetsOnlyItsWord) {
  auto page = std::make_unique<RavelHandoffPage>();
  HandoffPages::Release(page.get(), 4);
  EXPECT_EQ(page->word[4], 1u);
  EXPECT_EQ(page->call[4].handon, 0u);
  EXPECT_EQ(page->word[3], 0u);
  EXPECT_EQ(page->word[5], 0u);
}

// A marker log belongs to one plan: another plan's entries count for nothing there. The
// seal fixes the count of the plan's: a marker the thread logs after it fails its swap, as
// the shim's does. An order[] entry keeps its slot whatever the points it allows.
TEST(HandoffPages, ATurnLogIsOnePlansAndASealEndsIt) {
  auto page = std::make_unique<RavelHandoffPage>();
  RavelTurnLog& log = page->turn_log[4];
  log.state = (uint64_t{6} << 16) | 3;  // 3 markers under plan 6
  EXPECT_EQ(HandoffPages::TurnLogged(page.get(), 4, 6), 3u);
  EXPECT_EQ(HandoffPages::TurnLogged(page.get(), 4, 7), 0u);
  const uint64_t before = log.state;
  EXPECT_EQ(HandoffPages::SealTurnLog(page.get(), 4, 6), 3u);
  EXPECT_NE(log.state & RAVEL_TURN_LOG_SEALED, 0u);
  EXPECT_EQ(HandoffPages::TurnLogged(page.get(), 4, 6), 3u);
  uint64_t expected = before;  // the shim's swap for a fourth marker, begun before the seal
  EXPECT_FALSE(__atomic_compare_exchange_n(&log.state, &expected, before + 1, false, __ATOMIC_SEQ_CST,
                                           __ATOMIC_SEQ_CST));
  EXPECT_EQ(HandoffPages::TurnLogged(page.get(), 4, 6), 3u);
  // A log last written under an older plan is sealed empty for this one.
  page->turn_log[5].state = (uint64_t{2} << 16) | 9;
  EXPECT_EQ(HandoffPages::SealTurnLog(page.get(), 5, 9), 0u);
  EXPECT_EQ(page->turn_log[5].state, (uint64_t{9} << 16) | RAVEL_TURN_LOG_SEALED);
  EXPECT_EQ(HandoffPages::TurnEntry(7, 3), 7u | (3u << 16));
  EXPECT_EQ(HandoffPages::TurnEntry(7, 1u << 20) >> 16, HandoffPages::kMaxTurnPoints);
  EXPECT_EQ(HandoffPages::TurnEntry(7, 1u << 20) & RAVEL_HANDOFF_ORDER_SLOT, 7u);
  // The points never reach the bit that lets a turn end in a block, and the bit is set on an
  // entry already out without changing its slot or points (the shim reads them with
  // (entry >> 16) & 0x7fff).
  EXPECT_EQ(HandoffPages::TurnEntry(7, 1u << 20) & RAVEL_HANDOFF_ORDER_MAY_BLOCK, 0u);
  page->order[260 & RAVEL_HANDOFF_PLAN] = HandoffPages::TurnEntry(9, 5);
  HandoffPages::AllowBlock(page.get(), 260);
  const uint32_t entry = page->order[260 & RAVEL_HANDOFF_PLAN];
  EXPECT_NE(entry & RAVEL_HANDOFF_ORDER_MAY_BLOCK, 0u);
  EXPECT_EQ(entry & RAVEL_HANDOFF_ORDER_SLOT, 9u);
  EXPECT_EQ((entry >> 16) & 0x7fffu, 5u);
}

}  // namespace
}  // namespace ravel
