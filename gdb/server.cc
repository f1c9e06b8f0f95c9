#include "gdb/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ravel::gdb {
namespace {

// Retransmissions of one packet on `-` before giving up on it (gdb itself retries three
// times); keeps a peer that NAKs everything from making us resend forever.
constexpr int kMaxRetransmits = 3;
// Events kept from PollInterrupt() while the program runs; gdb sends nothing but Ctrl-C
// then, so anything beyond this is a misbehaving peer and is dropped.
constexpr size_t kMaxPendingWhileRunning = 16;

std::string Errno(int err) { return std::strerror(err); }

absl::Status ListenError(absl::string_view where, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("gdbserver: cannot listen on ", where, ": ", why));
}

std::string HostPort(absl::string_view host, absl::string_view port) {
  if (host.find(':') != absl::string_view::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

}  // namespace

Server::~Server() { Close(); }

absl::Status Server::Listen(absl::string_view address) {
  Close();
  std::string host = "127.0.0.1";
  absl::string_view port_text = address;
  if (absl::StartsWith(address, "[")) {
    const size_t close = address.find(']');
    if (close == absl::string_view::npos || address.substr(close + 1, 1) != ":") {
      return ListenError(address, "expected [HOST]:PORT");
    }
    host = std::string(address.substr(1, close - 1));
    port_text = address.substr(close + 2);
  } else if (const size_t colon = address.rfind(':'); colon != absl::string_view::npos) {
    if (address.substr(0, colon).find(':') != absl::string_view::npos) {
      return ListenError(address, "write IPv6 addresses in brackets, e.g. [::1]:1234");
    }
    if (colon > 0) host = std::string(address.substr(0, colon));
    port_text = address.substr(colon + 1);
  }
  const std::string where = HostPort(host, port_text);
  if (port_text.empty()) return ListenError(where, "no port given");
  for (char c : port_text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return ListenError(where, "the port is not a number");
    }
  }
  int port = 0;
  if (port_text.size() > 5 || !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return ListenError(where, "port out of range");
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_string(port_text);
  if (const int rc = getaddrinfo(host.c_str(), port_string.c_str(), &hints, &found); rc != 0) {
    return ListenError(where, gai_strerror(rc));
  }
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int err = errno;
    freeaddrinfo(found);
    return ListenError(where, Errno(err));
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (found->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  const bool bound = bind(fd, found->ai_addr, found->ai_addrlen) == 0 && listen(fd, 1) == 0;
  const int err = errno;
  freeaddrinfo(found);
  if (!bound) {
    close(fd);
    return ListenError(where, Errno(err));
  }

  sockaddr_storage local{};
  socklen_t local_len = sizeof(local);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) {
    const int err = errno;
    close(fd);
    return ListenError(where, Errno(err));
  }
  port_ = ntohs(local.ss_family == AF_INET6
                    ? reinterpret_cast<const sockaddr_in6*>(&local)->sin6_port
                    : reinterpret_cast<const sockaddr_in*>(&local)->sin_port);
  listen_fd_ = fd;
  address_ = HostPort(host, std::to_string(port_));
  return absl::OkStatus();
}

absl::Status Server::Accept(absl::Duration timeout) {
  if (listen_fd_ < 0) return absl::FailedPreconditionError("gdbserver: not listening");
  if (connected()) return absl::FailedPreconditionError("gdbserver: already connected");
  const bool forever = timeout == absl::InfiniteDuration();
  // A day is "forever" for poll(); it keeps the deadline arithmetic from overflowing.
  const auto deadline = std::chrono::steady_clock::now() +
                        absl::ToChronoMilliseconds(std::min(timeout, absl::Hours(24)));
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const int wait_ms =
        forever ? -1
                : static_cast<int>(std::clamp<int64_t>(left.count(), 0,
                                                       std::numeric_limits<int>::max()));
    pollfd pfd{listen_fd_, POLLIN, 0};
    const int ready = poll(&pfd, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return absl::InternalError(absl::StrCat("gdbserver: poll: ", Errno(errno)));
    if (ready == 0) {
      return absl::DeadlineExceededError(absl::StrCat("gdbserver: no gdb connected to ",
                                                      address_, " within ",
                                                      absl::FormatDuration(timeout)));
    }
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) continue;
      return absl::InternalError(absl::StrCat("gdbserver: accept: ", Errno(errno)));
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    conn_fd_ = fd;
    parser_ = PacketParser();
    pending_.clear();
    session_ = Session();
    awaiting_stop_ = false;
    last_packet_.clear();
    retransmits_ = 0;
    return absl::OkStatus();
  }
}

void Server::Disconnect() {
  if (conn_fd_ >= 0) close(conn_fd_);
  conn_fd_ = -1;
  pending_.clear();
}

void Server::Close() {
  Disconnect();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
}

absl::Status Server::ReadMore(bool block) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = recv(conn_fd_, buffer, sizeof(buffer), block ? 0 : MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && !block && (errno == EAGAIN || errno == EWOULDBLOCK)) return absl::OkStatus();
    if (n <= 0) {
      const std::string why = n == 0 ? "gdb closed the connection" : Errno(errno);
      Disconnect();
      return absl::UnavailableError(absl::StrCat("gdbserver: ", why));
    }
    std::vector<PacketEvent> events;
    parser_.Feed(absl::string_view(buffer, static_cast<size_t>(n)), events);
    for (PacketEvent& event : events) pending_.push_back(std::move(event));
    return absl::OkStatus();
  }
}

absl::Status Server::SendRaw(absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(conn_fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = Errno(errno);
      Disconnect();
      return absl::UnavailableError(absl::StrCat("gdbserver: send: ", why));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status Server::SendPacket(absl::string_view payload) {
  std::string framed = Frame(payload);
  if (!session_.no_ack_mode()) {
    last_packet_ = framed;
    retransmits_ = 0;
  }
  return SendRaw(framed);
}

absl::StatusOr<Resume> Server::Serve(const StopReport& stop, Target& target) {
  if (!connected()) return absl::FailedPreconditionError("gdbserver: no gdb connected");
  session_.SetStop(stop, target.Pid());
  if (awaiting_stop_) {
    awaiting_stop_ = false;
    if (absl::Status s = SendPacket(session_.StopReply()); !s.ok()) return s;
    if (stop.kind != StopReport::kSignal) return Resume{Resume::kDetach, 0, 0, true};
  }
  for (;;) {
    while (!pending_.empty()) {
      PacketEvent event = std::move(pending_.front());
      pending_.pop_front();
      const bool ack_mode = !session_.no_ack_mode();
      absl::Status sent;
      switch (event.kind) {
        case PacketEvent::Kind::kAck:
        case PacketEvent::Kind::kInterrupt:  // already stopped: nothing to interrupt
          break;
        case PacketEvent::Kind::kNak:
          if (ack_mode && !last_packet_.empty() && retransmits_ < kMaxRetransmits) {
            ++retransmits_;
            sent = SendRaw(last_packet_);
          }
          break;
        case PacketEvent::Kind::kBadChecksum:
          // Without acks there is no way to ask again; refuse rather than guess.
          sent = ack_mode ? SendRaw("-") : SendPacket("E01");
          break;
        case PacketEvent::Kind::kTooLong:
          sent = ack_mode ? SendRaw("+") : absl::OkStatus();
          if (sent.ok()) sent = SendPacket("E01");
          break;
        case PacketEvent::Kind::kPacket: {
          if (ack_mode) sent = SendRaw("+");
          if (!sent.ok()) return sent;
          Session::Outcome outcome = session_.Handle(event.payload, target);
          if (outcome.send_reply) sent = SendPacket(outcome.reply);
          if (!sent.ok()) return sent;
          if (outcome.resume.has_value()) {
            const Resume::Kind kind = outcome.resume->kind;
            awaiting_stop_ = kind == Resume::kContinue || kind == Resume::kStep;
            return *outcome.resume;
          }
          break;
        }
      }
      if (!sent.ok()) return sent;
    }
    if (absl::Status s = ReadMore(/*block=*/true); !s.ok()) return s;
  }
}

absl::StatusOr<bool> Server::PollInterrupt() {
  if (!connected()) return false;
  if (absl::Status s = ReadMore(/*block=*/false); !s.ok()) return s;
  bool interrupt = false;
  std::deque<PacketEvent> kept;
  for (PacketEvent& event : pending_) {
    if (event.kind == PacketEvent::Kind::kInterrupt) {
      interrupt = true;
    } else if (event.kind != PacketEvent::Kind::kAck && kept.size() < kMaxPendingWhileRunning) {
      kept.push_back(std::move(event));
    }
  }
  pending_ = std::move(kept);
  return interrupt;
}

}  // namespace ravel::gdb
