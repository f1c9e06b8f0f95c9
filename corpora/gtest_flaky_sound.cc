// ravel corpus: gtest_flaky_sound: a GoogleTest binary with one flaky and one sound test.
//
// Both tests count two hits on a HitCounter from two std::threads. A hit reads the
// count, logs a line (a write() syscall), and stores count + 1.
//
// FlakySuite.Flaky (bug class: lost-update, granularity: syscall): the hit is not
// serialised. Triggering interleaving: thread 1 reads 0 and is preempted at its
// write(); thread 2 runs its whole hit (count = 1); thread 1 resumes and stores 1.
// EXPECT_EQ(count, 2) fails.
//
// SoundSuite.Sound: the same hit under a std::mutex; a thread preempted at its write()
// holds the mutex and the other blocks until it is done. Always passes.
//
// Run one test with --gtest_filter=FlakySuite.Flaky or --gtest_filter=SoundSuite.Sound.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace {

class HitCounter {
 public:
  explicit HitCounter(int log_fd) : log_fd_(log_fd) {}

  // Read, log, write back: loses updates when two hits overlap.
  void Hit() {
    int seen = count_.load();
    ssize_t r = write(log_fd_, "hit\n", 4);
    (void)r;
    count_.store(seen + 1);
  }

  void LockedHit() {
    std::lock_guard<std::mutex> guard(mu_);
    Hit();
  }

  int count() const { return count_.load(); }

 private:
  int log_fd_;
  std::atomic<int> count_{0};
  std::mutex mu_;
};

int OpenLog() { return open("/dev/null", O_WRONLY | O_CLOEXEC); }

TEST(FlakySuite, Flaky) {
  int log_fd = OpenLog();
  ASSERT_GE(log_fd, 0);
  HitCounter counter(log_fd);
  std::thread a([&] { counter.Hit(); });
  std::thread b([&] { counter.Hit(); });
  a.join();
  b.join();
  close(log_fd);
  EXPECT_EQ(counter.count(), 2) << "BUG: a hit was lost (read-log-write not serialised)";
}

TEST(SoundSuite, Sound) {
  int log_fd = OpenLog();
  ASSERT_GE(log_fd, 0);
  HitCounter counter(log_fd);
  std::thread a([&] { counter.LockedHit(); });
  std::thread b([&] { counter.LockedHit(); });
  a.join();
  b.join();
  close(log_fd);
  EXPECT_EQ(counter.count(), 2);
}

}  // namespace
