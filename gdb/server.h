// A GDB remote-serial-protocol server for one debuggee, driven entirely by its caller.
//
// Model. The server owns no thread and never runs the program. The caller (ravel's replay)
// runs the guest; whenever the guest stops (at the start, a breakpoint, after a single
// step, at exit) with every thread in ptrace-stop, it calls Serve() with the reason.
// Serve() tells gdb about the stop if gdb is waiting for one, then answers gdb's packets
// (registers, memory, breakpoints, threads...) through the Target interface until gdb
// resumes the program, and returns what gdb asked for:
//
//   gdb::Server server;
//   if (absl::Status s = server.Listen("1234"); !s.ok()) return s;   // 127.0.0.1:1234
//   if (absl::Status s = server.Accept(absl::Minutes(5)); !s.ok()) return s;
//   gdb::StopReport stop{gdb::StopReport::kSignal, main_tid, SIGTRAP};
//   while (true) {
//     absl::StatusOr<gdb::Resume> resume = server.Serve(stop, target);
//     if (!resume.ok()) break;                        // gdb went away: kill or detach
//     if (resume->kind == gdb::Resume::kKill || resume->kind == gdb::Resume::kDetach) break;
//     stop = RunUntilNextStop(*resume);               // step, or continue (polling
//   }                                                 // PollInterrupt() for Ctrl-C)
//
// While the program runs the caller may call PollInterrupt() (or poll connection_fd())
// to notice gdb's Ctrl-C, and then report a SIGINT stop.
//
// Security: Listen() binds exactly the host it is given, 127.0.0.1 when none; it never
// picks a wildcard address by itself. The protocol has no authentication, and gdb can make
// the debuggee do anything, so anything but loopback must be asked for literally.
//
// Supported: all-stop mode over TCP; ack and no-ack mode (QStartNoAckMode); qSupported;
// ?; g/G/p/P on the amd64 layout of registers.h (target.xml with the i386 core, sse, linux
// and segments features); m/M/X; Z0/z0 software breakpoints (other Z types unsupported);
// vCont (c, C, s, S) and legacy c/C/s/S; H, T, qC, qfThreadInfo/qsThreadInfo, qAttached;
// qXfer features/auxv/exec-file reads; D, k, vKill; multiprocess thread ids and swbreak
// stop reasons when gdb offers them. Not supported: non-stop mode, extended-remote (run,
// attach), vFile (gdb then reads the executable from the local filesystem, which is the
// same machine), hardware breakpoints and watchpoints, range stepping, fork/exec events.
// Unknown packets get the empty reply gdb expects; malformed ones an error reply (see
// session.h), never a crash.
#ifndef RAVEL_GDB_SERVER_H_
#define RAVEL_GDB_SERVER_H_

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gdb/packet.h"
#include "gdb/session.h"
#include "gdb/target.h"

namespace ravel::gdb {

class Server {
 public:
  Server() = default;
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts listening on "[HOST:]PORT" (HOST defaults to 127.0.0.1; IPv6 as "[::1]:PORT";
  // PORT 0 picks a free port). Errors are one line, e.g.
  //   "gdbserver: cannot listen on 127.0.0.1:99999: port out of range".
  absl::Status Listen(absl::string_view address);
  // The port actually bound (after Listen), and "host:port" as given to gdb.
  int port() const { return port_; }
  const std::string& address() const { return address_; }

  // Waits up to `timeout` for gdb to connect (DeadlineExceeded when none did). The
  // listening socket stays open, so after a dropped connection gdb may connect again.
  absl::Status Accept(absl::Duration timeout);
  bool connected() const { return conn_fd_ >= 0; }
  // The connection's socket, to poll() for input while the program runs; -1 if none.
  int connection_fd() const { return conn_fd_; }

  // Reports `stop` and serves gdb until it resumes the program. The stop reply is sent at
  // once if gdb resumed the program the last time (it is waiting for one), else only when
  // gdb asks (`?`). For an exit stop, Serve returns kDetach as soon as the exit reply has
  // gone out: there is nothing left to debug. A dropped connection (or a read/write error)
  // is an Unavailable status; the caller then kills or detaches.
  absl::StatusOr<Resume> Serve(const StopReport& stop, Target& target);

  // Non-blocking: reads what gdb sent while the program runs and says whether it asked for
  // an interrupt (Ctrl-C). Packets that arrive meanwhile are kept for the next Serve.
  absl::StatusOr<bool> PollInterrupt();

  // Closes the connection (the listener stays).
  void Disconnect();
  // Closes the connection and the listener.
  void Close();

 private:
  // Reads what is available (blocking when `block`) into pending_. Unavailable on EOF.
  absl::Status ReadMore(bool block);
  absl::Status SendRaw(absl::string_view bytes);
  absl::Status SendPacket(absl::string_view payload);

  int listen_fd_ = -1;
  int conn_fd_ = -1;
  int port_ = 0;
  std::string address_;

  PacketParser parser_;
  std::deque<PacketEvent> pending_;
  Session session_;
  bool awaiting_stop_ = false;   // gdb resumed the program and waits for a stop reply
  std::string last_packet_;      // for retransmission on `-` (ack mode only)
  int retransmits_ = 0;
};

}  // namespace ravel::gdb

#endif  // RAVEL_GDB_SERVER_H_
