// The packet dispatcher of the gdb server: one decoded packet in, one reply out, against a
// Target. No sockets, no framing, so every packet can be tested on a fake in-memory Target.
//
// Session keeps the protocol state that lives across packets: the features gdb announced
// (multiprocess thread ids, swbreak stop reasons), no-ack mode, the current stop and the
// threads selected by Hg/Hc. Server owns one per connection.
//
// Replies follow the remote protocol: "" for anything unsupported or unknown, "OK", data,
// or an error, never a crash. Error codes:
//   E01  malformed packet: bad hex, a missing field, an out-of-range length or register
//   E02  unknown thread
//   E03  the Target failed (unreadable memory, a ptrace error, no auxv...)
// Resume packets (c, C, s, S, vCont, D, k, vKill) produce a Resume instead of (or, for D
// and vKill, with) a reply; the stop reply for them is produced by the next SetStop().
// `?` on an exit stop answers W/X and ends the session with a kDetach Resume.
#ifndef RAVEL_GDB_SESSION_H_
#define RAVEL_GDB_SESSION_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "gdb/target.h"

namespace ravel::gdb {

class Session {
 public:
  struct Outcome {
    std::string reply;            // payload to send, already escaped where binary
    bool send_reply = true;       // false for resume packets answered only by a later stop
    std::optional<Resume> resume;  // set when gdb let the program go (or detached/killed)
  };

  // The stop gdb is (or will be) told about, in process `pid`; resets the thread that
  // register and memory packets act on to the stopped one.
  void SetStop(const StopReport& stop, pid_t pid);
  const StopReport& stop() const { return stop_; }

  // The stop reply for the current stop: T05thread:p1f.20;, W00, X09...
  std::string StopReply() const;

  // Handles one packet payload (without `$`, `#` and checksum).
  Outcome Handle(absl::string_view packet, Target& target);

  // True once QStartNoAckMode has been answered: no more `+`/`-`.
  bool no_ack_mode() const { return no_ack_mode_; }
  bool multiprocess() const { return multiprocess_; }

 private:
  // A thread id as gdb writes it: "p<pid>.<tid>", "p<pid>", "<tid>", with -1 = all and
  // 0 = any.
  struct ThreadSpec {
    int64_t pid = -1;
    int64_t tid = -1;
  };
  static std::optional<ThreadSpec> ParseThreadSpec(absl::string_view text);

  // "p<pid>.<tid>" once gdb announced multiprocess+, else "<tid>" (hex).
  std::string FormatThread(pid_t tid) const;
  // The thread a spec names: 0 (any) and -1 (all) resolve to `fallback`; a specific one
  // must be alive. nullopt for an unknown thread or another process.
  std::optional<pid_t> ResolveThread(const ThreadSpec& spec, pid_t fallback, Target& target);
  // The thread of the current stop (the first thread if the stop names none).
  pid_t StoppedThread(Target& target) const;
  // The thread register packets act on: Hg's, else the stopped thread.
  pid_t GeneralThread(Target& target) const;

  Outcome HandleQuery(absl::string_view packet, Target& target);
  Outcome HandleSupported(absl::string_view packet);
  Outcome HandleXfer(absl::string_view packet, Target& target);
  Outcome HandleSetThread(absl::string_view packet, Target& target);
  Outcome HandleReadRegisters(Target& target);
  Outcome HandleWriteRegisters(absl::string_view hex, Target& target);
  Outcome HandleReadRegister(absl::string_view packet, Target& target);
  Outcome HandleWriteRegister(absl::string_view packet, Target& target);
  Outcome HandleReadMemory(absl::string_view packet, Target& target);
  Outcome HandleWriteMemory(absl::string_view packet, bool binary, Target& target);
  Outcome HandleBreakpoint(absl::string_view packet, bool insert, Target& target);
  Outcome HandleLegacyResume(absl::string_view packet, Target& target);
  Outcome HandleVCont(absl::string_view actions, Target& target);
  Outcome HandleV(absl::string_view packet, Target& target);

  StopReport stop_;
  pid_t pid_ = 0;
  pid_t general_thread_ = 0;   // Hg; 0 = the stopped thread
  pid_t continue_thread_ = 0;  // Hc (legacy c/s); 0 = any/all
  bool multiprocess_ = false;
  bool swbreak_ = false;
  bool no_ack_mode_ = false;
};

}  // namespace ravel::gdb

#endif  // RAVEL_GDB_SESSION_H_
