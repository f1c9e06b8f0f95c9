// ravel corpus: cv_unlocked_predicate (bug class: unlocked-predicate, granularity: sync,
// expected: deadlock)
//
// C++ hand-off with std::thread and std::condition_variable. The consumer waits with a
// predicate, correctly; the producer sets the predicate's flag (an std::atomic, so no
// data race) without holding the mutex and then notifies. If the flag is set and the
// notification sent after the consumer evaluated the predicate (false) but before it
// is registered as a waiter inside pthread_cond_wait, the notification is lost and the
// consumer sleeps forever.
//
// Why `sync`: the consumer holds the mutex from the predicate test until
// pthread_cond_wait has registered it as a waiter, and there is no syscall in between,
// so at syscall granularity the producer can never act inside the window (a consumer
// preempted at its futex wait is already registered and is woken correctly). A
// scheduling point at the pthread_cond_wait call opens it.
//
// Triggering interleaving (sync granularity): the consumer locks, finds ready == false
// and is preempted at its call to pthread_cond_wait; main stores ready = true, calls
// notify_one (no registered waiter: nothing happens) and blocks in join; the consumer
// enters pthread_cond_wait and blocks for good. All threads blocked: deadlock.
// Fixed twin: cv_unlocked_predicate_fixed.cc.
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace {

std::mutex m;
std::condition_variable cv;
std::atomic<bool> ready{false};
int payload = 0;

[[noreturn]] void Bug(const char* what) {
  std::fprintf(stderr, "BUG: %s\n", what);
  std::exit(1);
}

void Consumer() {
  std::unique_lock<std::mutex> lock(m);
  cv.wait(lock, [] { return ready.load(); });
  if (payload != 42) Bug("consumer woke up without the payload");
}

}  // namespace

int main() {
  std::thread consumer(Consumer);
  payload = 42;
  ready.store(true);  // BUG: the flag changes without the mutex held
  cv.notify_one();
  consumer.join();
  return 0;
}
