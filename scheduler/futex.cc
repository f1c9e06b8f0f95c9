// Futex emulation: waiters park in the scheduler instead of the kernel, so a wait never
// blocks a thread that holds the baton, and who is woken is the strategy's choice.
// Keys are (process, address): private futexes, and shared ones within one process.
// PI futexes go to the kernel (with a one-time warning).
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include <algorithm>

#include "base/logging.h"
#include "scheduler/scheduler.h"

namespace ravel {
namespace {

constexpr uint32_t kMatchAny = FUTEX_BITSET_MATCH_ANY;

}  // namespace

int Scheduler::WakeFutex(pid_t pid, uint64_t addr, uint32_t bitset, int n) {
  if (n <= 0) return 0;
  std::vector<std::pair<uint64_t, ThreadId>> waiters;  // (seq, id): FIFO
  for (const auto& [id, t] : threads_) {
    if (t.state == State::kBlocked && t.block == Block::kFutex && t.pid == pid && t.futex_addr == addr &&
        (t.futex_bitset & bitset) != 0) {
      waiters.emplace_back(t.wait_seq, id);
    }
  }
  std::sort(waiters.begin(), waiters.end());
  std::vector<ThreadId> fifo;
  for (const auto& w : waiters) fifo.push_back(w.second);
  std::vector<ThreadId> woken = strategy_.ChooseWakees(fifo, n);
  for (ThreadId id : woken) {
    Thread& w = threads_.at(id);
    w.state = State::kRunnable;
    w.block = Block::kNone;
    w.deadline_ns.reset();
    w.wake_result = 0;
    Mix(0x77616b6500000000ull | static_cast<uint64_t>(id));
  }
  return static_cast<int>(woken.size());
}

int Scheduler::RequeueFutex(pid_t pid, uint64_t from, uint64_t to, int wake, int requeue) {
  int woken = WakeFutex(pid, from, kMatchAny, wake);
  int moved = 0;
  std::vector<std::pair<uint64_t, ThreadId>> waiters;
  for (const auto& [id, t] : threads_) {
    if (t.state == State::kBlocked && t.block == Block::kFutex && t.pid == pid && t.futex_addr == from) {
      waiters.emplace_back(t.wait_seq, id);
    }
  }
  std::sort(waiters.begin(), waiters.end());
  for (const auto& [seq, id] : waiters) {
    if (moved >= requeue) break;
    threads_.at(id).futex_addr = to;
    ++moved;
  }
  return woken + moved;
}

SyscallResult Scheduler::Futex(Guest& guest, Thread& t, const Syscall& call) {
  const uint64_t addr = call.args[0];
  const int op = static_cast<int>(call.args[1]);
  const int cmd = op & FUTEX_CMD_MASK;
  const uint32_t val = static_cast<uint32_t>(call.args[2]);
  auto read_word = [&](uint64_t a) -> std::optional<uint32_t> {
    uint32_t v;
    if (!guest.memory().ReadExact(a, &v, sizeof(v)).ok()) return std::nullopt;
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
        if (!guest.memory().ReadExact(call.args[3], &ts, sizeof(ts)).ok()) return -EFAULT;
        uint64_t ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
        if (cmd == FUTEX_WAIT) {
          deadline = now_ns_ + ns;  // relative
        } else if (op & FUTEX_CLOCK_REALTIME) {
          uint64_t real = RealtimeNs();
          deadline = ns > real ? now_ns_ + (ns - real) : now_ns_;
        } else {
          deadline = ns;  // absolute CLOCK_MONOTONIC
        }
        if (*deadline <= now_ns_) return -ETIMEDOUT;
      }
      t.futex_addr = addr;
      t.futex_bitset = bitset;
      t.wait_seq = wait_seq_++;
      t.deadline_ns = deadline;
      if (!BlockAndWait(guest, t, Block::kFutex, call.nr, PointKind::kSync)) return 0;
      Mix(static_cast<uint64_t>(t.wake_result));
      return t.wake_result;
    }
    case FUTEX_WAKE:
      return WakeFutex(t.pid, addr, kMatchAny, static_cast<int>(val));
    case FUTEX_WAKE_BITSET: {
      uint32_t bitset = static_cast<uint32_t>(call.args[5]);
      if (bitset == 0) return -EINVAL;
      return WakeFutex(t.pid, addr, bitset, static_cast<int>(val));
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      if (cmd == FUTEX_CMP_REQUEUE) {
        std::optional<uint32_t> current = read_word(addr);
        if (!current.has_value()) return -EFAULT;
        if (*current != static_cast<uint32_t>(call.args[5])) return -EAGAIN;
      }
      int requeue = static_cast<int>(call.args[3]);  // val2, passed in the timeout slot
      int total = RequeueFutex(t.pid, addr, call.args[4], static_cast<int>(val), requeue);
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
      if (!guest.memory().WriteExact(addr2, &next, sizeof(next)).ok()) return -EFAULT;
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
      int woken = WakeFutex(t.pid, addr, kMatchAny, static_cast<int>(val));
      if (pass) woken += WakeFutex(t.pid, addr2, kMatchAny, static_cast<int>(call.args[3]));
      return woken;
    }
    default:
      if (warned_.insert("futex-pi").second) {
        LOG(WARNING) << "futex operation " << cmd << " (PI or requeue-PI) is not modelled; it runs in the kernel";
      }
      return InKernel(guest, t, call);
  }
}

}  // namespace ravel
