// ravel corpus: cv_unlocked_predicate_fixed (twin of cv_unlocked_predicate; must always
// pass)
//
// The producer sets the flag while holding the mutex. The consumer holds the mutex from
// its predicate test until it is registered as a waiter, so the store happens either
// before the test (the consumer never waits) or after the registration (the
// notification finds it).
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace {

std::mutex m;
std::condition_variable cv;
bool ready = false;
int payload = 0;

[[noreturn]] void Bug(const char* what) {
  std::fprintf(stderr, "BUG: %s\n", what);
  std::exit(1);
}

void Consumer() {
  std::unique_lock<std::mutex> lock(m);
  cv.wait(lock, [] { return ready; });
  if (payload != 42) Bug("consumer woke up without the payload");
}

}  // namespace

int main() {
  std::thread consumer(Consumer);
  {
    std::lock_guard<std::mutex> guard(m);
    payload = 42;
    ready = true;
  }
  cv.notify_one();
  consumer.join();
  return 0;
}
