#include "scheduler/liveness.h"

#include <vector>

#include "gtest/gtest.h"
#include "scheduler/fake_guest_test_util.h"

namespace ravel {
namespace {

constexpr pid_t kPid = 100;
constexpr pid_t kTid = 101;
constexpr Liveness::Holder kHolder{/*thread=*/1, kTid, kPid};

bool Waiting() { return true; }
bool NobodyWaits() { return false; }

class LivenessTick : public ::testing::Test {
 protected:
  // A tick with the holder's process at `cpu` seconds of CPU time.
  bool TickAt(double cpu, uint64_t steps, bool (*keeps_others_waiting)() = Waiting) {
    probe.seconds[kPid] = cpu;
    return liveness.Tick(control, kHolder, steps, keeps_others_waiting);
  }

  FakeCpuProbe probe;
  FakeControl control;
  Liveness liveness{probe, {}};
};

TEST_F(LivenessTick, ASpinnerIsInterruptedOnceItsSliceOfCpuTimeIsSpent) {
  EXPECT_FALSE(TickAt(5.0, 7));  // the first tick after the step starts the slice
  EXPECT_FALSE(TickAt(5.0 + kLivenessSliceSeconds / 2, 7));
  EXPECT_TRUE(TickAt(5.0 + kLivenessSliceSeconds, 7));
  EXPECT_EQ(control.interrupted, std::vector<pid_t>{kTid});
  // Asked already at this step: not again, however long it goes on.
  EXPECT_FALSE(TickAt(9.0, 7));
  EXPECT_EQ(control.interrupted.size(), 1u);
}

TEST_F(LivenessTick, AStepOrAnotherHolderStartsANewSlice) {
  EXPECT_FALSE(TickAt(1.0, 7));
  EXPECT_FALSE(TickAt(2.0, 8));  // a step: the slice starts again at 2.0
  EXPECT_FALSE(TickAt(2.1, 8));
  EXPECT_FALSE(liveness.Tick(control, Liveness::Holder{2, kTid + 1, kPid}, 8, Waiting));  // another holder
  probe.seconds[kPid] = 2.1 + kLivenessSliceSeconds;
  EXPECT_FALSE(liveness.Tick(control, kHolder, 8, Waiting));  // back to T1: a new slice
  EXPECT_TRUE(control.interrupted.empty());
}

TEST_F(LivenessTick, NoInterruptWhileNobodyWaitsOrTheThreadSleepsInACall) {
  EXPECT_FALSE(TickAt(1.0, 3));
  EXPECT_FALSE(TickAt(2.0, 3, NobodyWaits));
  probe.running = false;
  EXPECT_FALSE(TickAt(2.1, 3));
  EXPECT_TRUE(control.interrupted.empty());
  probe.running = true;
  EXPECT_TRUE(TickAt(2.2, 3));  // not asked before: asked now
}

TEST_F(LivenessTick, AnUnreadableCpuClockAsksNothing) {
  EXPECT_FALSE(liveness.Tick(control, kHolder, 3, Waiting));
  EXPECT_FALSE(TickAt(1.0, 3));  // the slice starts at the first reading
  EXPECT_TRUE(TickAt(1.5, 3));
}

TEST_F(LivenessTick, AReportIsCurrentOnlyForTheThreadAndStepAskedAndWhileItHoldsTheBaton) {
  TickAt(1.0, 4);
  ASSERT_TRUE(TickAt(2.0, 4));
  EXPECT_FALSE(liveness.TakeInterrupt(/*thread=*/2, 4, /*running=*/2));  // another thread
  EXPECT_FALSE(liveness.TakeInterrupt(1, 5, 1));                         // it made a step since
  EXPECT_FALSE(liveness.TakeInterrupt(1, 4, 2));                         // it lost the baton
  EXPECT_TRUE(liveness.TakeInterrupt(1, 4, 1));
  EXPECT_FALSE(liveness.TakeInterrupt(1, 4, 1));  // taken once
}

TEST(LivenessWalk, AnInterruptedSpinStopsJustAfterItsBackwardJump) {
  // 0x100: mov (3 bytes); 0x103: cmp (3 bytes); 0x106: jne 0x100 (2 bytes).
  FakeCode code;
  code.Load(0x100, {0x8b, 0x07, 0x90, 0x83, 0xf8, 0x00, 0x75, 0xf8});
  FakeThread thread(code);
  thread.next = {{0x100, 0x103}, {0x103, 0x106}, {0x106, 0x100}};
  thread.regs.set_ip(0x103);
  Registers regs = thread.regs;
  Liveness::WalkToLoopHead(thread, regs);
  EXPECT_EQ(regs.ip(), 0x100u);
  EXPECT_EQ(thread.steps, 2);
  // From anywhere in the loop, the same place.
  thread.regs.set_ip(0x100);
  regs = thread.regs;
  Liveness::WalkToLoopHead(thread, regs);
  EXPECT_EQ(regs.ip(), 0x100u);
}

TEST(LivenessWalk, NeverStepsOverAnInstructionThatStopsTheThread) {
  const std::vector<std::vector<uint8_t>> stoppers = {
      {0x0f, 0x05}, {0x0f, 0x34}, {0xcd, 0x80}, {0xcc, 0x90}, {0x0f, 0x31},
      {0x0f, 0x01}, {0x0f, 0xa2}, {0x0f, 0x0b}};
  for (const std::vector<uint8_t>& stopper : stoppers) {
    FakeCode code;
    code.Load(0x200, {0x90});
    code.Load(0x201, {stopper[0], stopper[1]});
    FakeThread thread(code);
    thread.next = {{0x200, 0x201}, {0x201, 0x203}};
    thread.regs.set_ip(0x200);
    Registers regs = thread.regs;
    Liveness::WalkToLoopHead(thread, regs);
    EXPECT_EQ(regs.ip(), 0x201u) << std::hex << int{stopper[0]} << " " << int{stopper[1]};
    EXPECT_EQ(thread.steps, 1);
  }
}

TEST(LivenessWalk, StraightLineCodeIsLeftAfterAtMostKLoopHeadStepsAndUnreadableCodeAtOnce) {
  FakeCode code;
  FakeThread thread(code);
  for (uint64_t ip = 0x1000; ip < 0x1000 + 2 * kLoopHeadSteps; ++ip) {
    code.Load(ip, {0x90});
    thread.next[ip] = ip + 1;
  }
  code.Load(0x1000 + 2 * kLoopHeadSteps, {0x90, 0x90});
  thread.regs.set_ip(0x1000);
  Registers regs = thread.regs;
  Liveness::WalkToLoopHead(thread, regs);
  EXPECT_EQ(thread.steps, kLoopHeadSteps);
  EXPECT_EQ(regs.ip(), 0x1000u + kLoopHeadSteps);

  FakeThread lost(code);
  lost.regs.set_ip(0x9000);  // unmapped
  regs = lost.regs;
  Liveness::WalkToLoopHead(lost, regs);
  EXPECT_EQ(lost.steps, 0);
  EXPECT_EQ(regs.ip(), 0x9000u);
}

TEST(LivenessSpinning, ASpinnerIsNoTargetWhileAThreadThatMakesPointsCanRun) {
  FakeCpuProbe probe;
  Liveness liveness(probe, {});
  const auto held = [&](std::vector<ThreadId> runnable, std::vector<ThreadId> held) {
    liveness.HoldSpinners(runnable, held);
    return held;
  };
  EXPECT_EQ(held({0, 1, 2}, {}), std::vector<ThreadId>{});

  liveness.Preempted(1, Registers());
  liveness.Preempted(1, Registers());  // still one spinner
  EXPECT_EQ(liveness.preemptions(), 2);
  EXPECT_EQ(held({0, 1, 2}, {}), std::vector<ThreadId>{1});
  EXPECT_EQ(held({0, 1, 2}, {0}), (std::vector<ThreadId>{0, 1}));  // 2 still makes points
  EXPECT_EQ(held({0, 1, 2}, {2}), (std::vector<ThreadId>{1, 2}));
  EXPECT_EQ(held({0, 1}, {0}), std::vector<ThreadId>{0});  // 1 is the only choice left

  EXPECT_EQ(held({1}, {}), std::vector<ThreadId>{});
  liveness.Preempted(3, Registers());
  EXPECT_EQ(held({1, 3}, {}), std::vector<ThreadId>{});  // all spin: all stay
  EXPECT_EQ(held({0, 1, 3}, {0}), std::vector<ThreadId>{0});  // all the choices spin

  liveness.NotSpinning(1);
  liveness.NotSpinning(7);  // never seen: nothing to do
  EXPECT_EQ(held({1, 3}, {}), std::vector<ThreadId>{3});
}

TEST(LivenessHash, TheRegisterHashIgnoresHowTheThreadWasStopped) {
  user_regs_struct raw{};
  raw.rip = 0x401000;
  raw.rax = 7;
  Registers a(raw);
  raw.eflags = 0x346;
  raw.orig_rax = 39;
  Registers b(raw);
  EXPECT_EQ(RegisterHash(a), RegisterHash(b));
  raw.rax = 8;
  EXPECT_NE(RegisterHash(a), RegisterHash(Registers(raw)));
}

// A replay of one recorded preemption: T2 at step 10, at 0x500, with rax = 3.
class LivenessReplay : public ::testing::Test {
 protected:
  static constexpr uint64_t kRip = 0x500;
  static constexpr uint8_t kOriginal = 0x8b;

  LivenessReplay() : thread(code) {
    code.Load(kRip, {kOriginal, 0x07});
    thread.next = {{kRip, kRip + 2}};
  }
  static Registers Wanted() {
    user_regs_struct raw{};
    raw.rip = kRip;
    raw.rax = 3;
    return Registers(raw);
  }
  // Thread `thread` stopped by the int3: just after it, with `rax`.
  Liveness::Trap TrapWith(uint64_t rax, ThreadId id, uint64_t steps, ThreadId running, Registers* at) {
    user_regs_struct raw{};
    raw.rip = kRip + 1;
    raw.rax = rax;
    thread.regs = Registers(raw);
    return liveness.OnTrap(thread, kPid, id, thread.regs, steps, running, at);
  }
  void PlantAtStep10() {
    ASSERT_EQ(liveness.DueAt(9), nullptr);
    ASSERT_NE(liveness.DueAt(10), nullptr);
    liveness.Plant(code, kPid);
    ASSERT_EQ(code.bytes[kRip], 0xcc);
    ASSERT_EQ(liveness.DueAt(10), nullptr);  // planted already
  }

  FakeCpuProbe probe;
  FakeCode code;
  FakeThread thread;
  Liveness liveness{probe, {ForcedPreemption{10, 2, kRip, RegisterHash(Wanted())}}};
};

TEST_F(LivenessReplay, TheMatchingPassIsThePreemptionAndTheCodeIsAsItWas) {
  PlantAtStep10();
  Registers at;
  EXPECT_EQ(TrapWith(3, 2, 10, 2, &at), Liveness::Trap::kPreempt);
  EXPECT_EQ(at.ip(), kRip);
  EXPECT_EQ(thread.regs.ip(), kRip);  // it goes on with the instruction
  EXPECT_EQ(code.bytes[kRip], kOriginal);
  EXPECT_FALSE(liveness.ReplayPending());
  EXPECT_EQ(thread.steps, 0);
}

TEST_F(LivenessReplay, OtherPassesStepOverTheInstructionAndPlantAgain) {
  PlantAtStep10();
  Registers at;
  EXPECT_EQ(TrapWith(4, 2, 10, 2, &at), Liveness::Trap::kPassed);  // other registers
  EXPECT_EQ(TrapWith(3, 1, 10, 1, &at), Liveness::Trap::kPassed);  // another thread
  EXPECT_EQ(TrapWith(3, 2, 10, 1, &at), Liveness::Trap::kPassed);  // not holding the baton
  EXPECT_EQ(TrapWith(3, kNoThread, 10, 2, &at), Liveness::Trap::kPassed);  // not a known thread
  EXPECT_EQ(thread.steps, 4);
  EXPECT_EQ(thread.regs.ip(), kRip + 2);
  EXPECT_EQ(code.bytes[kRip], 0xcc);
  EXPECT_TRUE(liveness.ReplayPending());
  EXPECT_EQ(TrapWith(3, 2, 10, 2, &at), Liveness::Trap::kPreempt);
}

TEST_F(LivenessReplay, AnotherTrapIsNotThePlantedOne) {
  PlantAtStep10();
  Registers at;
  thread.regs.set_ip(0x900);
  EXPECT_EQ(liveness.OnTrap(thread, kPid, 2, thread.regs, 10, 2, &at), Liveness::Trap::kNotPlanted);
  user_regs_struct raw{};
  raw.rip = kRip + 1;
  EXPECT_EQ(liveness.OnTrap(thread, kPid + 1, 2, Registers(raw), 10, 2, &at), Liveness::Trap::kNotPlanted);
  EXPECT_EQ(code.bytes[kRip], 0xcc);
  EXPECT_EQ(code.pokes, 1);
}

TEST_F(LivenessReplay, APreemptionNotFoundIsGivenUpAfterKMaxForcedPasses) {
  PlantAtStep10();
  Registers at;
  for (int pass = 0; pass < kMaxForcedPasses; ++pass) ASSERT_EQ(TrapWith(4, 2, 10, 2, &at), Liveness::Trap::kPassed);
  EXPECT_EQ(code.bytes[kRip], 0xcc);
  EXPECT_EQ(TrapWith(4, 2, 10, 2, &at), Liveness::Trap::kPassed);
  EXPECT_EQ(code.bytes[kRip], kOriginal);  // given up: the code is as it was
  EXPECT_FALSE(liveness.ReplayPending());
  EXPECT_EQ(liveness.DueAt(10), nullptr);
}

TEST_F(LivenessReplay, UnwritableCodeIsNotPlantedAndTriedAgainLater) {
  FakeCode elsewhere;  // the address is not mapped there
  liveness.Plant(elsewhere, kPid);
  EXPECT_NE(liveness.DueAt(10), nullptr);
  EXPECT_TRUE(liveness.ReplayPending());
}

}  // namespace
}  // namespace ravel
