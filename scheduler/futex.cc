// Futex emulation: waiters park in the scheduler instead of the kernel, so a wait never
// blocks a thread that holds the baton, and who is woken is the strategy's choice.
// Keys follow the kernel's: private futexes by (process, address); shared ones by the
// mapped object and offset, so processes sharing a mapping meet on one futex. futex_waitv
// waits on several at once; PI futexes go to the kernel (with a one-time warning).
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cinttypes>

#include "absl/container/flat_hash_map.h"
#include "base/logging.h"
#include "scheduler/mapping.h"
#include "scheduler/scheduler.h"

namespace ravel {
namespace {

constexpr uint32_t kMatchAny = FUTEX_BITSET_MATCH_ANY;

}  // namespace

FutexKey Scheduler::KeyOf(const Thread& t, uint64_t addr, bool shared) {
  FutexKey key{static_cast<uint64_t>(t.pid), 0, addr};
  if (!shared) return key;
  if (std::optional<Mapping> m = MappingAt(t.pid, addr); m.has_value() && m->shared) {
    key = FutexKey{m->dev, m->inode, m->offset};
  }
  return key;
}

std::vector<FutexTable::Wakeable> Scheduler::FutexWaiters(const FutexKey& key, uint32_t bitset) {
  std::vector<FutexTable::Wakeable> waiters = futex_table_.Waiters(key, bitset);
  std::erase_if(waiters, [&](const FutexTable::Wakeable& w) {
    const Thread& t = At(w.thread);
    if (t.state == State::kBlocked && t.block == Block::kFutex) return false;
    LOG(WARNING) << "T" << w.thread << " was still queued on a futex it no longer waits on";
    futex_table_.Remove(w.thread);
    return true;
  });
  return waiters;
}

int Scheduler::WakeFutex(const FutexKey& key, uint32_t bitset, int n) {
  if (n <= 0) return 0;
  std::vector<ThreadId> fifo;
  absl::flat_hash_map<ThreadId, int64_t> results;  // futex_waitv: which of its futexes woke it
  for (const FutexTable::Wakeable& w : FutexWaiters(key, bitset)) {
    fifo.push_back(w.thread);
    results[w.thread] = w.index;
  }
  std::vector<ThreadId> woken = strategy_.ChooseWakees(fifo, n);
  for (ThreadId id : woken) {
    Thread& w = At(id);
    w.wake_result = results.at(id);
    Wake(w, Woke::kEvent);
    Mix(0x77616b6500000000ull | static_cast<uint64_t>(id));
    if (options_.observer != nullptr) options_.observer->OnWake(steps_, running_, id);
  }
  return static_cast<int>(woken.size());
}

int Scheduler::RequeueFutex(const FutexKey& from, const FutexKey& to, uint64_t to_addr, int wake, int requeue) {
  const int woken = WakeFutex(from, kMatchAny, wake);
  (void)FutexWaiters(from, kMatchAny);  // (only waiting threads are counted)
  const std::vector<ThreadId> moved = futex_table_.Requeue(from, to, requeue);
  for (ThreadId id : moved) At(id).futex_addr = to_addr;
  return woken + static_cast<int>(moved.size());
}

bool Scheduler::FutexWait(Guest& guest, Thread& t, const Syscall& call, const std::vector<FutexKey>& keys,
                          uint32_t bitset) {
  futex_table_.Wait(t.id, keys, bitset, wait_seq_++);
  return BlockAndWait(guest, t, Block::kFutex, call.nr, PointKind::kSync);
}

SyscallResult Scheduler::Futex(Guest& guest, Thread& t, const Syscall& call) {
  const uint64_t addr = call.args[0];
  const int op = static_cast<int>(call.args[1]);
  const int cmd = op & FUTEX_CMD_MASK;
  const uint32_t val = static_cast<uint32_t>(call.args[2]);
  const bool shared = (op & FUTEX_PRIVATE_FLAG) == 0;
  auto key = [&](uint64_t a) { return KeyOf(t, a, shared); };
  auto read_word = [&](uint64_t a) -> std::optional<uint32_t> {
    uint32_t v;
    if (!guest.memory().Read(RemotePtr<uint32_t>(a), v).ok()) return std::nullopt;
    return v;
  };
  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      uint32_t bitset = cmd == FUTEX_WAIT ? kMatchAny : static_cast<uint32_t>(call.args[5]);
      if (bitset == 0) return -EINVAL;
      std::optional<uint32_t> current = read_word(addr);
      if (!current.has_value()) return -EFAULT;
      if (*current != val) return -EAGAIN;
      std::optional<uint64_t> deadline;
      if (call.args[3] != 0) {
        struct timespec ts;
        if (!guest.memory().Read(RemotePtr<timespec>(call.args[3]), ts).ok()) return -EFAULT;
        uint64_t ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
        if (cmd == FUTEX_WAIT) {
          deadline = clock_.now() + ns;  // relative
        } else if (op & FUTEX_CLOCK_REALTIME) {
          deadline = clock_.FromRealtime(ns);
        } else {
          deadline = ns;  // absolute CLOCK_MONOTONIC
        }
        if (*deadline <= clock_.now()) return -ETIMEDOUT;
      }
      t.futex_addr = addr;
      t.deadline_ns = deadline;
      if (!FutexWait(guest, t, call, {key(addr)}, bitset)) return 0;
      // A signal interrupts the wait; glibc's callers retry or report EINTR as the kernel's
      // own (timed) waits do.
      if (t.woke == Woke::kSignal) t.wake_result = -EINTR;
      Mix(static_cast<uint64_t>(t.wake_result));
      return t.wake_result;
    }
    case FUTEX_WAKE:
      return WakeFutex(key(addr), kMatchAny, static_cast<int>(val));
    case FUTEX_WAKE_BITSET: {
      uint32_t bitset = static_cast<uint32_t>(call.args[5]);
      if (bitset == 0) return -EINVAL;
      return WakeFutex(key(addr), bitset, static_cast<int>(val));
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      if (cmd == FUTEX_CMP_REQUEUE) {
        std::optional<uint32_t> current = read_word(addr);
        if (!current.has_value()) return -EFAULT;
        if (*current != static_cast<uint32_t>(call.args[5])) return -EAGAIN;
      }
      int requeue = static_cast<int>(call.args[3]);  // val2, passed in the timeout slot
      int total = RequeueFutex(key(addr), key(call.args[4]), call.args[4], static_cast<int>(val), requeue);
      if (cmd == FUTEX_REQUEUE) return std::min(total, static_cast<int>(val));
      return total;
    }
    case FUTEX_WAKE_OP: {
      // *uaddr2 = *uaddr2 OP oparg, then wake on uaddr, and on uaddr2 if the old value
      // passes the comparison. One thread runs at a time, so this is atomic for the guest.
      uint64_t addr2 = call.args[4];
      uint32_t encoded = static_cast<uint32_t>(call.args[5]);
      int wake_op = (encoded >> 28) & 7;
      int cmp = (encoded >> 24) & 15;
      uint32_t oparg = (encoded >> 12) & 0xfff;
      uint32_t cmparg = encoded & 0xfff;
      if ((encoded >> 28) & 8) oparg = 1u << (oparg & 31);  // FUTEX_OP_OPARG_SHIFT
      std::optional<uint32_t> old = read_word(addr2);
      if (!old.has_value()) return -EFAULT;
      uint32_t next = *old;
      switch (wake_op) {
        case FUTEX_OP_SET: next = oparg; break;
        case FUTEX_OP_ADD: next = *old + oparg; break;
        case FUTEX_OP_OR: next = *old | oparg; break;
        case FUTEX_OP_ANDN: next = *old & ~oparg; break;
        case FUTEX_OP_XOR: next = *old ^ oparg; break;
        default: return -ENOSYS;
      }
      if (!guest.memory().Write(RemotePtr<uint32_t>(addr2), next).ok()) return -EFAULT;
      int32_t o = static_cast<int32_t>(*old), c = static_cast<int32_t>(cmparg);
      bool pass = false;
      switch (cmp) {
        case FUTEX_OP_CMP_EQ: pass = o == c; break;
        case FUTEX_OP_CMP_NE: pass = o != c; break;
        case FUTEX_OP_CMP_LT: pass = o < c; break;
        case FUTEX_OP_CMP_LE: pass = o <= c; break;
        case FUTEX_OP_CMP_GT: pass = o > c; break;
        case FUTEX_OP_CMP_GE: pass = o >= c; break;
        default: return -ENOSYS;
      }
      int woken = WakeFutex(key(addr), kMatchAny, static_cast<int>(val));
      if (pass) woken += WakeFutex(key(addr2), kMatchAny, static_cast<int>(call.args[3]));
      return woken;
    }
    default:
      if (warned_.insert("futex-pi").second) {
        LOG(WARNING) << "futex operation " << cmd << " (PI or requeue-PI) is not modelled; it runs in the kernel";
      }
      return InKernel(guest, t, call);
  }
}

SyscallResult Scheduler::FutexWaitv(Guest& guest, Thread& t, const Syscall& call) {
  // futex_waitv(waiters, nr, flags, timeout, clockid), as kernel/futex/syscalls.c checks it.
  struct Waiter {
    uint64_t val;
    uint64_t uaddr;
    uint32_t flags;
    uint32_t reserved;
  };
  constexpr uint32_t kSizeU32 = 0x02, kPrivate = 128;  // FUTEX2_SIZE_U32, FUTEX2_PRIVATE
  constexpr uint64_t kMaxWaiters = 128;                // FUTEX_WAITV_MAX
  const uint64_t nr = call.args[1];
  if (call.args[2] != 0 || call.args[0] == 0 || nr == 0 || nr > kMaxWaiters) return -EINVAL;
  std::optional<uint64_t> deadline;
  if (call.args[3] != 0) {
    const int clock = static_cast<int>(call.args[4]);
    if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME) return -EINVAL;
    struct timespec ts;
    if (!guest.memory().Read(RemotePtr<timespec>(call.args[3]), ts).ok()) return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L) return -EINVAL;
    const uint64_t ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
    if (clock == CLOCK_REALTIME) {
      deadline = clock_.FromRealtime(ns);
    } else {
      deadline = ns;  // absolute, always
    }
  }
  std::vector<Waiter> waiters(nr);
  if (!guest.memory().ReadArray(RemotePtr<Waiter>(call.args[0]), waiters.data(), nr).ok()) return -EFAULT;
  std::vector<FutexKey> keys;
  for (const Waiter& w : waiters) {
    if ((w.flags & ~(kSizeU32 | kPrivate | 0x03)) != 0 || (w.flags & 0x03) != kSizeU32 || w.reserved != 0) {
      return -EINVAL;
    }
    if (w.uaddr % 4 != 0) return -EINVAL;
    if (w.val > UINT32_MAX) return -EINVAL;  // a 32-bit futex's value must fit its size
    keys.push_back(KeyOf(t, w.uaddr, (w.flags & kPrivate) == 0));
  }
  // As the kernel: queued on all, then every value checked; one that changed: EAGAIN.
  for (const Waiter& w : waiters) {
    uint32_t v;
    if (!guest.memory().Read(RemotePtr<uint32_t>(w.uaddr), v).ok()) return -EFAULT;
    if (v != static_cast<uint32_t>(w.val)) return -EAGAIN;
  }
  if (deadline.has_value() && *deadline <= clock_.now()) return -ETIMEDOUT;
  t.futex_addr = waiters[0].uaddr;
  t.deadline_ns = deadline;
  if (!FutexWait(guest, t, call, keys, kMatchAny)) return 0;
  if (t.woke == Woke::kSignal) t.wake_result = -EINTR;  // as FUTEX_WAIT's above
  Mix(static_cast<uint64_t>(t.wake_result));
  return t.wake_result;
}

}  // namespace ravel
