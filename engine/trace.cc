#include "engine/trace.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "base/atomic_file.h"
#include "engine/run_tool.h"
#include "intercept/guest.h"
#include "intercept/syscall_printer.h"
#include "preempt/sync_marker.h"
#include "replay/schedule.h"

namespace ravel {
namespace {

constexpr int kPid = 1;  // one process in the picture: the run

nlohmann::json Event(const char* ph, std::string name, const char* category, ThreadId thread, uint64_t ts) {
  nlohmann::json e;
  e["ph"] = ph;
  e["name"] = std::move(name);
  e["cat"] = category;
  e["pid"] = kPid;
  e["tid"] = thread;
  e["ts"] = ts;
  return e;
}

}  // namespace

std::string DescribeCallAtEntry(Guest& guest, const Syscall& call) {
  PrintOptions options;
  DecodedEntry entry = DecodeEntry(call.nr, call.args, guest.memory(), options);
  std::string text = FormatEntryOnly(entry);
  // Arguments the kernel fills in are not known yet.
  absl::StrAppend(&text, absl::EndsWith(text, ", ") ? "...)" : ")");
  return text;
}

absl::Status CheckTracePath(const std::string& path) {
  absl::Status s = CheckOutputPath(path);
  if (s.ok()) return s;
  absl::string_view reason = s.message();
  absl::ConsumePrefix(&reason, absl::StrCat("cannot write ", path, ": "));
  return absl::Status(s.code(), absl::StrCat("cannot write the trace to ", path, ": ", reason));
}

std::string DescribeStepAt(Guest& guest, int64_t what, const Syscall* call) {
  if (what >= 0 && call != nullptr) return DescribeCallAtEntry(guest, *call);
  if (what == kWhatSync && call != nullptr) {
    return absl::StrFormat("%s(0x%x)", SyncOpName(static_cast<int>(call->args[1])), call->args[2]);
  }
  if (what == kWhatAtomic) return "an atomic instruction";
  if (what == kWhatAtomicAfter) return "the instruction after an atomic one";
  if (what == kWhatSpin) return "a pass through a spin loop";
  if (what == kWhatPreempt) return "a spin (preempted for running too long without a point)";
  return std::string(StepWhatName(static_cast<int32_t>(what)));
}

std::string SyncOpName(int op) {
  switch (op) {
    case RAVEL_SYNC_MUTEX_LOCK: return "mutex_lock";
    case RAVEL_SYNC_MUTEX_TRYLOCK: return "mutex_trylock";
    case RAVEL_SYNC_RWLOCK_RDLOCK: return "rwlock_rdlock";
    case RAVEL_SYNC_RWLOCK_WRLOCK: return "rwlock_wrlock";
    case RAVEL_SYNC_RWLOCK_TRYLOCK: return "rwlock_trylock";
    case RAVEL_SYNC_SPIN_LOCK: return "spin_lock";
    case RAVEL_SYNC_SPIN_TRYLOCK: return "spin_trylock";
    case RAVEL_SYNC_MUTEX_UNLOCK: return "mutex_unlock";
    case RAVEL_SYNC_RWLOCK_UNLOCK: return "rwlock_unlock";
    case RAVEL_SYNC_SPIN_UNLOCK: return "spin_unlock";
    case RAVEL_SYNC_COND_WAIT: return "cond_wait";
    case RAVEL_SYNC_COND_SIGNAL: return "cond_signal";
    case RAVEL_SYNC_COND_BROADCAST: return "cond_broadcast";
    case RAVEL_SYNC_SEM_WAIT: return "sem_wait";
    case RAVEL_SYNC_SEM_TRYWAIT: return "sem_trywait";
    case RAVEL_SYNC_SEM_POST: return "sem_post";
    case RAVEL_SYNC_BARRIER_WAIT: return "barrier_wait";
    case RAVEL_SYNC_ONCE: return "once";
    case RAVEL_SYNC_THREAD_CREATE: return "thread_create";
    case RAVEL_SYNC_THREAD_JOIN: return "thread_join";
    case RAVEL_SYNC_THREAD_DETACH: return "thread_detach";
    default: return absl::StrCat("sync_op_", op);
  }
}

void TraceObserver::OnThreadStart(Guest& guest, ThreadId thread) {
  nlohmann::json name = Event("M", "thread_name", "__metadata", thread, 0);
  name["args"] = {{"name", absl::StrFormat("T%d (tid %d)", thread, guest.tid())}};
  events_.push_back(std::move(name));
  nlohmann::json order = Event("M", "thread_sort_index", "__metadata", thread, 0);
  order["args"] = {{"sort_index", thread}};
  events_.push_back(std::move(order));
}

void TraceObserver::OnStep(Guest& guest, uint64_t step, ThreadId thread, int64_t what, const Syscall* call) {
  last_steps_ = step + 1;
  // The first thread gets the baton before any observer call; a stretch is open for
  // whoever makes a step.
  if (running_since_.count(thread) == 0) running_since_[thread] = step;
  std::string name;
  const char* category = "syscall";
  if (what >= 0 && call != nullptr) {
    name = call->name();
  } else if (what == kWhatSync && call != nullptr) {
    category = "sync";
    name = SyncOpName(static_cast<int>(call->args[1]));
  } else {
    name = std::string(StepWhatName(static_cast<int32_t>(what)));
    category = what == kWhatAtomic || what == kWhatAtomicAfter ? "atomic" : what == kWhatSpin ? "spin" : what == kWhatPreempt ? "preempt" : "step";
  }
  const std::string detail = what >= 0 || what == kWhatSync ? DescribeStepAt(guest, what, call) : "";
  nlohmann::json e = Event("i", name, category, thread, step);
  e["s"] = "t";
  e["args"] = {{"step", step}};
  if (!detail.empty()) e["args"]["call"] = detail;
  events_.push_back(std::move(e));
}

void TraceObserver::OnBaton(uint64_t steps, ThreadId from, ThreadId to) {
  // One thread runs at a time: whoever ran before (`from` is kNoThread when it blocked
  // first) stops now.
  std::vector<ThreadId> ran;
  for (const auto& [thread, since] : running_since_) {
    if (thread != to) ran.push_back(thread);
  }
  for (ThreadId thread : ran) EndStretch(thread, steps);
  if (running_since_.count(to) == 0) running_since_[to] = steps;
  auto it = flows_in_.find(to);
  if (it == flows_in_.end()) return;
  for (uint64_t id : it->second) {
    nlohmann::json f = Event("f", "wake", "wake", to, steps);
    f["id"] = id;
    f["bp"] = "e";
    events_.push_back(std::move(f));
  }
  flows_in_.erase(it);
}

void TraceObserver::OnWake(uint64_t steps, ThreadId waker, ThreadId wakee) {
  if (waker == kNoThread) return;
  nlohmann::json s = Event("s", "wake", "wake", waker, steps);
  s["id"] = next_flow_;
  events_.push_back(std::move(s));
  flows_in_[wakee].push_back(next_flow_++);
}

void TraceObserver::OnThreadExit(ThreadId thread) { EndStretch(thread, last_steps_); }

void TraceObserver::EndStretch(ThreadId thread, uint64_t steps) {
  auto it = running_since_.find(thread);
  if (it == running_since_.end()) return;
  nlohmann::json x = Event("X", absl::StrCat("T", thread, " runs"), "run", thread, it->second);
  x["dur"] = steps >= it->second ? steps - it->second : 0;
  x["args"] = {{"from_step", it->second}, {"to_step", steps}};
  events_.push_back(std::move(x));
  running_since_.erase(it);
}

absl::Status TraceObserver::Write(const std::string& path, uint64_t steps,
                                  const std::map<std::string, std::string>& about) {
  std::vector<ThreadId> open;
  for (const auto& [thread, since] : running_since_) open.push_back(thread);
  for (ThreadId thread : open) EndStretch(thread, steps);
  nlohmann::json doc;
  doc["traceEvents"] = events_;
  doc["displayTimeUnit"] = "ns";
  nlohmann::json other = nlohmann::json::object();
  for (const auto& [key, value] : about) other[key] = value;
  other["clock"] = "one microsecond per scheduling step";
  doc["otherData"] = other;
  // Whole or absent (base/atomic_file.h).
  return WriteFileAtomically(path, doc.dump(1) + "\n");
}

}  // namespace ravel
