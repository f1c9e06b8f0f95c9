#include "stress/run_message.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace ravel {
namespace {

TEST(RunMessage, EveryFieldSurvivesOneLineOfJson) {
  RunMessage m;
  m.seed = 18446744073709551615u;
  m.interrupted = true;
  m.error = "cannot trace";
  m.outcome = "fail(signal SIGABRT)";
  m.signature = "fail(signal SIGABRT) at a.c:3";
  m.deadlock_report = "T0 waits\nT1 waits\n";
  m.guest_stdout = "/tmp/w0.stdout";
  m.guest_stderr = "/tmp/w0.stderr";
  m.schedule = "/tmp/w0.sched";
  m.schedule_error = "disk full";
  m.verified = true;
  m.not_deterministic = "failed once but not on a second run";
  const std::string line = m.Encode();
  ASSERT_EQ(line.find('\n'), line.size() - 1);
  std::optional<RunMessage> back = RunMessage::Decode(line.substr(0, line.size() - 1));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->seed, m.seed);
  EXPECT_EQ(back->interrupted, m.interrupted);
  EXPECT_EQ(back->error, m.error);
  EXPECT_EQ(back->outcome, m.outcome);
  EXPECT_EQ(back->signature, m.signature);
  EXPECT_EQ(back->deadlock_report, m.deadlock_report);
  EXPECT_EQ(back->guest_stdout, m.guest_stdout);
  EXPECT_EQ(back->guest_stderr, m.guest_stderr);
  EXPECT_EQ(back->schedule, m.schedule);
  EXPECT_EQ(back->schedule_error, m.schedule_error);
  EXPECT_EQ(back->verified, m.verified);
  EXPECT_EQ(back->not_deterministic, m.not_deterministic);
}

TEST(RunMessage, ALineThatIsNotAMessageIsNone) {
  EXPECT_FALSE(RunMessage::Decode("{\"seed\": ").has_value());
  EXPECT_FALSE(RunMessage::Decode("42").has_value());
}

TEST(RunMessage, SeedsCrossAPipeWhole) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_TRUE(WriteSeed(fds[1], 0x0123456789abcdefu));
  close(fds[1]);
  uint64_t seed = 0;
  EXPECT_TRUE(ReadSeed(fds[0], &seed));
  EXPECT_EQ(seed, 0x0123456789abcdefu);
  EXPECT_FALSE(ReadSeed(fds[0], &seed));  // EOF: no more seeds
  close(fds[0]);
}

}  // namespace
}  // namespace ravel
