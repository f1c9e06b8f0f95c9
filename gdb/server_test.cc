#include "gdb/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gdb/fake_target_test_util.h"
#include "gdb/packet.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ravel::gdb {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A raw TCP client speaking bytes to the server, with every read bounded.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  bool connected() const { return connected_; }

  void Send(absl::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << "send failed";
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  void SendPacket(absl::string_view payload) { Send(Frame(payload)); }

  // The next `+`, `-` or whole `$...#xx` frame from the server ("" on timeout/EOF).
  std::string Next() {
    while (true) {
      if (!buffer_.empty() && (buffer_[0] == '+' || buffer_[0] == '-')) {
        std::string one = buffer_.substr(0, 1);
        buffer_.erase(0, 1);
        return one;
      }
      if (!buffer_.empty() && buffer_[0] == '$') {
        const size_t hash = buffer_.find('#');
        if (hash != std::string::npos && buffer_.size() >= hash + 3) {
          std::string frame = buffer_.substr(0, hash + 3);
          buffer_.erase(0, hash + 3);
          return frame;
        }
      } else if (!buffer_.empty()) {
        ADD_FAILURE() << "unexpected byte from the server: " << static_cast<int>(buffer_[0]);
        buffer_.erase(0, 1);
        continue;
      }
      char chunk[4096];
      const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  // Sends a packet and returns the reply payload, checking the ack (in ack mode).
  std::string Ask(absl::string_view payload, bool ack_mode = true) {
    SendPacket(payload);
    if (ack_mode) {
      const std::string ack = Next();
      EXPECT_EQ(ack, "+") << "for " << payload.substr(0, 40);
    }
    return PayloadOf(Next());
  }

  static std::string PayloadOf(const std::string& frame) {
    if (frame.size() < 4 || frame[0] != '$') return "<no frame: " + frame + ">";
    const std::string payload = frame.substr(1, frame.size() - 4);
    EXPECT_EQ(Frame(payload), frame) << "bad checksum from the server";
    return payload;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

// The server under test, serving a FakeTarget from its own thread until the connection
// drops. Each resume is answered with a SIGTRAP stop of the resumed thread.
class ServedTarget {
 public:
  ServedTarget() {
    EXPECT_TRUE(server_.Listen("0").ok());
    thread_ = std::thread([this] {
      absl::Status accepted = server_.Accept(absl::Seconds(10));
      if (!accepted.ok()) {
        end_ = accepted;
        return;
      }
      sockaddr_in local{};
      socklen_t len = sizeof(local);
      getsockname(server_.connection_fd(), reinterpret_cast<sockaddr*>(&local), &len);
      local_address_ = ntohl(local.sin_addr.s_addr);
      StopReport stop{StopReport::kSignal, FakeTarget::kPid, SIGTRAP};
      while (true) {
        absl::StatusOr<Resume> resume = server_.Serve(stop, target_);
        if (!resume.ok()) {
          end_ = resume.status();
          return;
        }
        resumes_.push_back(*resume);
        if (resume->kind == Resume::kKill || resume->kind == Resume::kDetach) {
          stop = {StopReport::kExited, 0, 0, 0};
          end_ = absl::CancelledError("killed or detached");
          return;
        }
        stop = {StopReport::kSignal, resume->tid, SIGTRAP};
      }
    });
  }
  ~ServedTarget() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return server_.port(); }
  Server server_;
  FakeTarget target_;
  std::vector<Resume> resumes_;
  absl::Status end_;
  uint32_t local_address_ = 0;

 private:
  std::thread thread_;
};

TEST(ServerTest, ListenDefaultsToLoopbackOnly) {
  ServedTarget served;
  EXPECT_EQ(served.server_.address(), absl::StrCat("127.0.0.1:", served.port()));
  // The listening socket, as the kernel shows it: bound to 127.0.0.1, not 0.0.0.0.
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  bool found = false;
  const std::string loopback = absl::StrFormat("0100007F:%04X", served.port());
  const std::string wildcard = absl::StrFormat("00000000:%04X", served.port());
  while (std::getline(tcp, line)) {
    EXPECT_THAT(line, ::testing::Not(HasSubstr(wildcard)));
    if (line.find(loopback) != std::string::npos && line.find(" 0A ") != std::string::npos) {
      found = true;  // state 0A: LISTEN
    }
  }
  EXPECT_TRUE(found) << "no listener on " << loopback;
  {
    RawClient client(served.port());
    ASSERT_TRUE(client.connected());
    EXPECT_EQ(client.Ask("?"), "T05thread:64;");
  }
  served.Join();
  EXPECT_EQ(served.local_address_, INADDR_LOOPBACK);
  EXPECT_TRUE(absl::IsUnavailable(served.end_)) << served.end_;  // the client hung up
}

TEST(ServerTest, ListenErrorsAreOneLine) {
  Server server;
  absl::Status s = server.Listen("99999");
  EXPECT_EQ(s.message(), "gdbserver: cannot listen on 127.0.0.1:99999: port out of range");
  s = server.Listen("localhost:123456789");
  EXPECT_EQ(s.message(), "gdbserver: cannot listen on localhost:123456789: port out of range");
  s = server.Listen("12ab");
  EXPECT_EQ(s.message(), "gdbserver: cannot listen on 127.0.0.1:12ab: the port is not a number");
  s = server.Listen("127.0.0.1:");
  EXPECT_EQ(s.message(), "gdbserver: cannot listen on 127.0.0.1:: no port given");
  s = server.Listen("::1:80");
  EXPECT_THAT(s.message(), HasSubstr("brackets"));
  s = server.Listen("[::1");
  EXPECT_THAT(s.message(), HasSubstr("expected [HOST]:PORT"));
  s = server.Listen("192.0.2.1:0");  // TEST-NET-1: an address this machine does not have
  EXPECT_EQ(s.message(),
            "gdbserver: cannot listen on 192.0.2.1:0: Cannot assign requested address");
  // A port in use.
  Server first;
  ASSERT_TRUE(first.Listen("0").ok());
  s = server.Listen(absl::StrCat(first.port()));
  EXPECT_EQ(s.message(), absl::StrCat("gdbserver: cannot listen on 127.0.0.1:", first.port(),
                                      ": Address already in use"));
  // An explicit host is bound as given.
  ASSERT_TRUE(server.Listen("127.0.0.1:0").ok());
  EXPECT_THAT(server.address(), StartsWith("127.0.0.1:"));
}

TEST(ServerTest, AcceptGivesUp) {
  Server server;
  EXPECT_TRUE(absl::IsFailedPrecondition(server.Accept(absl::Milliseconds(1))));
  ASSERT_TRUE(server.Listen("0").ok());
  const absl::Status s = server.Accept(absl::Milliseconds(50));
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
}

TEST(ServerTest, MalformedInputGetsErrorsAndTheServerSurvives) {
  ServedTarget served;
  RawClient client(served.port());
  ASSERT_TRUE(client.connected());

  client.Send("$g#00");  // bad checksum
  EXPECT_EQ(client.Next(), "-");
  EXPECT_EQ(client.Ask("mzz,1"), "E01");
  EXPECT_EQ(client.Ask("X1000,ff:ab"), "E01");  // bogus length
  EXPECT_EQ(client.Ask("Xzz"), "E01");
  EXPECT_EQ(client.Ask("m1000,"), "E01");
  EXPECT_EQ(client.Ask("Hgp1.zz"), "E01");
  EXPECT_EQ(client.Ask("Hgp64.99"), "E02");      // unknown thread
  EXPECT_EQ(client.Ask("qXfer:features:read:target.xml:zz,1"), "E01");
  EXPECT_EQ(client.Ask(std::string(70000, 'm')), "E01");  // oversized: acked, refused
  // Binary junk, none of it a packet start: ignored.
  std::string junk;
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    char c = static_cast<char>(rng() & 0xff);
    if (c == '$' || c == '+' || c == '-' || c == '\x03') c = 'J';
    junk.push_back(c);
  }
  client.Send(junk);
  // A packet cut short by a new `$` is dropped; the next one is served.
  client.Send("$m10");
  EXPECT_EQ(client.Ask("?"), "T05thread:64;");
  EXPECT_EQ(client.Ask("m1000,2"), "0007");
  client.Close();
  served.Join();
  EXPECT_TRUE(absl::IsUnavailable(served.end_)) << served.end_;
}

TEST(ServerTest, NakMakesTheServerResend) {
  ServedTarget served;
  RawClient client(served.port());
  ASSERT_TRUE(client.connected());
  EXPECT_EQ(client.Ask("qC"), "QC64");
  client.Send("-");
  EXPECT_EQ(RawClient::PayloadOf(client.Next()), "QC64");
  client.Send("+");
  EXPECT_EQ(client.Ask("qC"), "QC64");
}

TEST(ServerTest, SessionWithNoAckResumeAndInterrupt) {
  ServedTarget served;
  RawClient client(served.port());
  ASSERT_TRUE(client.connected());
  EXPECT_THAT(client.Ask("qSupported:multiprocess+;swbreak+"), HasSubstr("multiprocess+"));
  EXPECT_EQ(client.Ask("QStartNoAckMode"), "OK");
  client.Send("+");  // gdb's ack of that OK, the last one
  EXPECT_EQ(client.Ask("?", /*ack_mode=*/false), "T05thread:p64.64;");
  EXPECT_EQ(client.Ask("Hgp64.65", false), "OK");
  EXPECT_EQ(client.Ask("p10", false), "6510400000000000");
  // A resume: no reply until the (fake) program stops again, then at once.
  EXPECT_EQ(client.Ask("vCont;s:p64.65;c", false), "T05thread:p64.65;");
  EXPECT_EQ(client.Ask("c", false), "T05thread:p64.65;");  // c resumes the stopped thread
  // Without acks a corrupted packet is refused instead of NAKed.
  client.Send("$g#00");
  EXPECT_EQ(RawClient::PayloadOf(client.Next()), "E01");
  client.SendPacket("k");
  served.Join();
  ASSERT_EQ(served.resumes_.size(), 3u);
  EXPECT_EQ(served.resumes_[0].kind, Resume::kStep);
  EXPECT_EQ(served.resumes_[0].tid, FakeTarget::kOtherThread);
  EXPECT_EQ(served.resumes_[1].kind, Resume::kContinue);
  EXPECT_EQ(served.resumes_[2].kind, Resume::kKill);
}

TEST(ServerTest, PollInterruptSeesCtrlC) {
  Server server;
  ASSERT_TRUE(server.Listen("0").ok());
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(server.Accept(absl::Seconds(5)).ok());
  FakeTarget target;
  absl::StatusOr<bool> polled = server.PollInterrupt();
  ASSERT_TRUE(polled.ok());
  EXPECT_FALSE(*polled);
  client.SendPacket("c");
  absl::StatusOr<Resume> resume = server.Serve({StopReport::kSignal, FakeTarget::kPid, SIGTRAP},
                                               target);
  ASSERT_TRUE(resume.ok()) << resume.status();
  EXPECT_EQ(resume->kind, Resume::kContinue);
  EXPECT_EQ(client.Next(), "+");
  // The program "runs"; gdb sends Ctrl-C.
  client.Send("\x03");
  for (int i = 0; i < 500 && polled.ok() && !*polled; ++i) {
    usleep(2000);
    polled = server.PollInterrupt();
  }
  ASSERT_TRUE(polled.ok());
  EXPECT_TRUE(*polled);
  // The caller stops the program with SIGINT and reports it; gdb receives T02.
  client.SendPacket("D");  // queued behind the stop
  resume = server.Serve({StopReport::kSignal, FakeTarget::kPid, SIGINT}, target);
  ASSERT_TRUE(resume.ok()) << resume.status();
  EXPECT_EQ(resume->kind, Resume::kDetach);
  EXPECT_EQ(RawClient::PayloadOf(client.Next()), "T02thread:64;");
  EXPECT_EQ(client.Next(), "+");
  EXPECT_EQ(RawClient::PayloadOf(client.Next()), "OK");
  // gdb hanging up is a status, not a hang.
  client.Close();
  resume = server.Serve({StopReport::kSignal, FakeTarget::kPid, SIGTRAP}, target);
  ASSERT_FALSE(resume.ok());
  EXPECT_TRUE(absl::IsUnavailable(resume.status())) << resume.status();
  EXPECT_FALSE(server.connected());
  EXPECT_TRUE(absl::IsFailedPrecondition(
      server.Serve({StopReport::kSignal, FakeTarget::kPid, SIGTRAP}, target).status()));
}

TEST(ServerTest, ExitIsReportedAndEndsServing) {
  Server server;
  ASSERT_TRUE(server.Listen("0").ok());
  RawClient client(server.port());
  ASSERT_TRUE(server.Accept(absl::Seconds(5)).ok());
  FakeTarget target;
  client.SendPacket("vCont;c");
  absl::StatusOr<Resume> resume =
      server.Serve({StopReport::kSignal, FakeTarget::kPid, SIGTRAP}, target);
  ASSERT_TRUE(resume.ok());
  resume = server.Serve({StopReport::kExited, 0, 0, 42}, target);
  ASSERT_TRUE(resume.ok());
  EXPECT_EQ(resume->kind, Resume::kDetach);
  EXPECT_EQ(client.Next(), "+");
  EXPECT_EQ(RawClient::PayloadOf(client.Next()), "W2a");
}

}  // namespace
}  // namespace ravel::gdb
