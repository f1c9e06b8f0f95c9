#include "replay/schedule_builder.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ravel {
namespace {

using Options = std::vector<std::pair<std::string, std::string>>;

RecordingHeader PctHeader() {
  RecordingHeader h;
  h.ravel_version = "0.1.0";
  h.command = "/bin/prog";
  h.args = {"prog", "-x"};
  h.cwd = "/tmp";
  h.exe_hash = 42;
  h.strategy = "pct";
  h.seed = 7;
  h.pct_depth = 3;
  h.pct_steps = 1000;
  h.model = 2;
  h.virtual_tsc = true;
  h.stdio_kinds = {"chr", "file", "pipe"};
  return h;
}

TEST(ScheduleBuilder, StepsAreKeptWithACheckpointEveryFixedNumberOfSteps) {
  ScheduleBuilder builder;
  for (uint64_t step = 0; step < 2 * kCheckpointEvery + 1; ++step) builder.OnStep(step, 0, 1, step * 10);
  const Schedule s = builder.Finish(PctHeader(), {}, {}, RecordingTrailer{"pass", 5, 1});
  EXPECT_EQ(s.steps.size(), 2 * kCheckpointEvery + 1);
  EXPECT_EQ(s.checkpoints, (std::vector<Checkpoint>{Checkpoint{kCheckpointEvery - 1, (kCheckpointEvery - 1) * 10},
                                                    Checkpoint{2 * kCheckpointEvery - 1,
                                                               (2 * kCheckpointEvery - 1) * 10}}));
}

TEST(ScheduleBuilder, OptionsComeInOneFixedOrder) {
  RecordingHeader h = PctHeader();
  h.cpuid = "model-text";
  h.timeout_seconds = 2.5;
  h.preempt = "syscall,sync";
  h.preempt_modules = "libfoo.so";
  const Schedule s = ScheduleBuilder().Finish(h, {Decision::Pick(1)}, {}, RecordingTrailer{"deadlock", 9, 3});
  EXPECT_EQ(s.options, (Options{{"pct-depth", "3"},
                                {"pct-steps", "1000"},
                                {"model", "2"},
                                {"tsc", "virtual"},
                                {"cpuid", "model-text"},
                                {"timeout", "2.5"},
                                {"preempt", "syscall,sync"},
                                {"preempt-modules", "libfoo.so"},
                                {"stdio", "chr,file,pipe"}}));
  EXPECT_EQ(s.command, "/bin/prog");
  EXPECT_EQ(s.args, (std::vector<std::string>{"prog", "-x"}));
  EXPECT_EQ(s.decisions, (std::vector<Decision>{Decision::Pick(1)}));
  EXPECT_EQ(s.outcome, "deadlock");
  EXPECT_EQ(s.fingerprint, 9u);
  EXPECT_EQ(s.threads, 3);
}

TEST(ScheduleBuilder, AGuidedOrNonPctRunHasNoPctOptionsAndSyscallPointsAreNotWritten) {
  RecordingHeader h = PctHeader();
  h.guided = true;
  h.preempt = "syscall";
  h.virtual_tsc = false;
  const Options want = {{"model", "2"}, {"tsc", "host"}, {"cpuid", "host"}, {"stdio", "chr,file,pipe"}};
  EXPECT_EQ(ScheduleBuilder().Finish(h, {}, {}, RecordingTrailer{}).options, want);
  h.guided = false;
  h.strategy = "random";
  EXPECT_EQ(ScheduleBuilder().Finish(h, {}, {}, RecordingTrailer{}).options, want);
}

}  // namespace
}  // namespace ravel
