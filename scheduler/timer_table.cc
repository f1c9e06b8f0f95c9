#include "scheduler/timer_table.h"

#include <algorithm>
#include <climits>

namespace ravel {
namespace {

// Overrun counts saturate at DELAYTIMER_MAX (INT_MAX), as the kernel's do.
int AddOverrun(int a, uint64_t b) {
  const uint64_t sum = static_cast<uint64_t>(a) + b;
  return sum > static_cast<uint64_t>(INT_MAX) ? INT_MAX : static_cast<int>(sum);
}

}  // namespace

const TimerTable::Timer* TimerTable::Find(pid_t pid, int id) const {
  auto it = timers_.find({pid, id});
  return it == timers_.end() ? nullptr : &it->second;
}

void TimerTable::Create(pid_t pid, int id, bool realtime, const Notify& notify) {
  Timer t;
  t.notify = notify;
  t.realtime = realtime;
  timers_[{pid, id}] = t;
}

bool TimerTable::Has(pid_t pid, int id) const { return Find(pid, id) != nullptr; }

bool TimerTable::IsRealtime(pid_t pid, int id) const {
  const Timer* t = Find(pid, id);
  return t != nullptr && t->realtime;
}

TimerTable::Value TimerTable::Get(pid_t pid, int id, uint64_t now_ns) const {
  const Timer* t = Find(pid, id);
  if (t == nullptr || t->deadline_ns == 0) return Value{0, t == nullptr ? 0 : t->interval_ns};
  // A timer that is due but not yet fired reads as 1 ns left, as the kernel's does.
  return Value{t->deadline_ns > now_ns ? t->deadline_ns - now_ns : 1, t->interval_ns};
}

TimerTable::Value TimerTable::Arm(pid_t pid, int id, uint64_t deadline_ns, uint64_t interval_ns, uint64_t now_ns) {
  const Value old = Get(pid, id, now_ns);
  auto it = timers_.find({pid, id});
  if (it == timers_.end()) return old;
  Timer& t = it->second;
  t.deadline_ns = deadline_ns;
  t.interval_ns = deadline_ns == 0 ? 0 : interval_ns;
  t.pending_overrun = 0;
  return old;
}

std::optional<TimerTable::Notify> TimerTable::NotifyOf(pid_t pid, int id) const {
  const Timer* t = Find(pid, id);
  if (t == nullptr) return std::nullopt;
  return t->notify;
}

int TimerTable::Overrun(pid_t pid, int id) const {
  const Timer* t = Find(pid, id);
  return t == nullptr ? 0 : t->last_overrun;
}

void TimerTable::Delete(pid_t pid, int id) { timers_.erase({pid, id}); }

void TimerTable::ForgetProcess(pid_t pid) {
  auto first = timers_.lower_bound({pid, INT_MIN});
  auto last = timers_.upper_bound({pid, INT_MAX});
  timers_.erase(first, last);
}

std::optional<uint64_t> TimerTable::NextDeadline() const {
  std::optional<uint64_t> next;
  for (const auto& [key, t] : timers_) {
    if (t.deadline_ns != 0 && (!next.has_value() || t.deadline_ns < *next)) next = t.deadline_ns;
  }
  return next;
}

std::vector<TimerTable::Fire> TimerTable::Due(uint64_t now_ns) {
  std::vector<Fire> fires;
  for (auto& [key, t] : timers_) {
    if (t.deadline_ns == 0 || t.deadline_ns > now_ns) continue;
    uint64_t missed = 0;
    if (t.interval_ns > 0) {
      missed = (now_ns - t.deadline_ns) / t.interval_ns;
      t.deadline_ns += (missed + 1) * t.interval_ns;
    } else {
      t.deadline_ns = 0;
    }
    if (t.notify.kind == Notify::Kind::kNone) continue;
    fires.push_back(Fire{key.first, key.second, t.notify, AddOverrun(0, missed)});
  }
  return fires;
}

void TimerTable::Sent(const Fire& fire) {
  auto it = timers_.find({fire.pid, fire.id});
  if (it == timers_.end()) return;
  it->second.last_overrun = fire.overrun;
  it->second.pending_overrun = 0;
}

int TimerTable::Taken(pid_t pid, int id) {
  auto it = timers_.find({pid, id});
  if (it == timers_.end()) return 0;
  Timer& t = it->second;
  const int folded = t.pending_overrun;
  t.last_overrun = AddOverrun(t.last_overrun, static_cast<uint64_t>(folded));
  t.pending_overrun = 0;
  return folded;
}

void TimerTable::Coalesced(const Fire& fire) {
  auto it = timers_.find({fire.pid, fire.id});
  if (it == timers_.end()) return;
  it->second.pending_overrun = AddOverrun(it->second.pending_overrun, static_cast<uint64_t>(fire.overrun) + 1);
}

}  // namespace ravel
