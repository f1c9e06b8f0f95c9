#include "gdb/session.h"

#include <csignal>
#include <random>
#include <string>

#include "gdb/fake_target_test_util.h"
#include "gdb/packet.h"
#include "gdb/registers.h"
#include "gdb/signals.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ravel::gdb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr pid_t kPid = FakeTarget::kPid;
constexpr pid_t kOther = FakeTarget::kOtherThread;

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() { session_.SetStop({StopReport::kSignal, kPid, SIGTRAP}, kPid); }

  std::string Ask(absl::string_view packet) {
    Session::Outcome out = session_.Handle(packet, target_);
    EXPECT_TRUE(out.send_reply) << packet;
    EXPECT_FALSE(out.resume.has_value()) << packet;
    return out.reply;
  }

  Resume AskResume(absl::string_view packet) {
    Session::Outcome out = session_.Handle(packet, target_);
    EXPECT_TRUE(out.resume.has_value()) << packet << " -> " << out.reply;
    return out.resume.value_or(Resume{});
  }

  void Negotiate(absl::string_view features = "multiprocess+;swbreak+;vContSupported+") {
    Ask(absl::StrCat("qSupported:", features));
  }

  FakeTarget target_;
  Session session_;
};

TEST_F(SessionTest, SupportedAdvertisesWhatIsImplemented) {
  const std::string reply = Ask("qSupported:multiprocess+;swbreak+;xmlRegisters=i386");
  EXPECT_THAT(reply, StartsWith("PacketSize=4000;"));
  for (const char* feature :
       {"QStartNoAckMode+", "qXfer:features:read+", "qXfer:auxv:read+",
        "qXfer:exec-file:read+", "multiprocess+", "swbreak+", "vContSupported+"}) {
    EXPECT_THAT(reply, HasSubstr(feature));
  }
  // Features gdb did not offer are not claimed.
  EXPECT_THAT(Ask("qSupported"), ::testing::Not(HasSubstr("multiprocess+")));
}

TEST_F(SessionTest, NoAckModeAfterItIsAnswered) {
  EXPECT_FALSE(session_.no_ack_mode());
  EXPECT_EQ(Ask("QStartNoAckMode"), "OK");
  EXPECT_TRUE(session_.no_ack_mode());
}

TEST_F(SessionTest, StopReplyUsesTheNegotiatedThreadSyntax) {
  EXPECT_EQ(Ask("?"), "T05thread:64;");
  Negotiate();
  EXPECT_EQ(Ask("?"), "T05thread:p64.64;");
  session_.SetStop({StopReport::kSignal, kOther, SIGTRAP, 0, /*breakpoint=*/true}, kPid);
  EXPECT_EQ(Ask("?"), "T05thread:p64.65;swbreak:;");
  session_.SetStop({StopReport::kSignal, kOther, SIGUSR1}, kPid);
  EXPECT_EQ(Ask("?"), "T1ethread:p64.65;");  // gdb numbers SIGUSR1 30
  Negotiate("multiprocess+");  // no swbreak+: the reason is not sent
  session_.SetStop({StopReport::kSignal, kPid, SIGTRAP, 0, true}, kPid);
  EXPECT_EQ(Ask("?"), "T05thread:p64.64;");
}

TEST_F(SessionTest, ExitStopsEndTheSession) {
  Negotiate();
  session_.SetStop({StopReport::kExited, 0, 0, 3}, kPid);
  Session::Outcome out = session_.Handle("?", target_);
  EXPECT_EQ(out.reply, "W03;process:64");
  ASSERT_TRUE(out.resume.has_value());
  EXPECT_EQ(out.resume->kind, Resume::kDetach);
  session_.SetStop({StopReport::kKilled, 0, SIGKILL}, kPid);
  EXPECT_EQ(session_.StopReply(), "X09;process:64");
  session_.SetStop({StopReport::kKilled, 0, SIGUSR2}, kPid);
  EXPECT_EQ(session_.StopReply(), "X1f;process:64");
  // Nothing can be resumed once the process is gone.
  EXPECT_EQ(Ask("c"), "E01");
  EXPECT_EQ(Ask("vCont;c"), "E01");
}

TEST_F(SessionTest, ReadAndWriteAllRegisters) {
  const std::string hex = Ask("g");
  ASSERT_EQ(hex.size(), 2 * kRegisterFileBytes);
  EXPECT_EQ(hex.substr(0, 16), "6400000000001111");  // rax of thread 0x64, little-endian
  // Change rip and xmm0 through G, then read them back.
  std::string bytes = *HexDecode(hex);
  bytes[128] = '\x99';
  bytes[276] = '\x55';
  EXPECT_EQ(Ask("G" + HexEncode(bytes)), "OK");
  EXPECT_EQ(target_.regs[kPid].rip & 0xff, 0x99u);
  EXPECT_EQ(target_.fpregs[kPid].xmm_space[0] & 0xff, 0x55u);
  EXPECT_EQ(Ask("g"), HexEncode(bytes));
  // The other thread is untouched.
  EXPECT_EQ(target_.regs[kOther].rip, 0x401000u + kOther);
  EXPECT_EQ(Ask("G" + HexEncode(bytes).substr(2)), "E01");  // too short
  EXPECT_EQ(Ask("G" + HexEncode(bytes) + "00"), "E01");     // too long
  EXPECT_EQ(Ask("Gzz"), "E01");
}

TEST_F(SessionTest, SingleRegisters) {
  EXPECT_EQ(Ask("p10"), "6410400000000000");  // rip = 0x401064
  EXPECT_EQ(Ask("p11"), "46020000");          // eflags
  EXPECT_EQ(Ask("p38"), "801f0000");          // mxcsr
  EXPECT_EQ(Ask("P10=efbeadde00000000"), "OK");
  EXPECT_EQ(target_.regs[kPid].rip, 0xdeadbeefu);
  EXPECT_EQ(Ask("P28=" + std::string(32, 'a')), "OK");  // xmm0
  EXPECT_EQ(Ask("p28"), std::string(32, 'a'));
  EXPECT_EQ(Ask("p3c"), "E01");                 // register 60 does not exist
  EXPECT_EQ(Ask("pzz"), "E01");
  EXPECT_EQ(Ask("P10=00"), "E01");              // wrong size
  EXPECT_EQ(Ask("P10"), "E01");
}

TEST_F(SessionTest, HgSelectsTheThreadRegistersComeFrom) {
  Negotiate();
  EXPECT_EQ(Ask("Hgp64.65"), "OK");
  EXPECT_EQ(Ask("p10"), "6510400000000000");
  EXPECT_EQ(Ask("Hgp64.99"), "E02");            // no such thread
  EXPECT_EQ(Ask("Hgp63.65"), "E02");            // no such process
  EXPECT_EQ(Ask("Hgzz"), "E01");
  EXPECT_EQ(Ask("Hx0"), "E01");
  EXPECT_EQ(Ask("Hg0"), "OK");                  // any thread: back to the stopped one
  EXPECT_EQ(Ask("p10"), "6410400000000000");
  // A new stop makes the stopped thread current again, as gdb assumes.
  EXPECT_EQ(Ask("Hg65"), "OK");
  session_.SetStop({StopReport::kSignal, kPid, SIGTRAP}, kPid);
  EXPECT_EQ(Ask("p10"), "6410400000000000");
}

TEST_F(SessionTest, ThreadQueries) {
  EXPECT_EQ(Ask("qfThreadInfo"), "m64,65");
  EXPECT_EQ(Ask("qsThreadInfo"), "l");
  EXPECT_EQ(Ask("qC"), "QC64");
  Negotiate();
  EXPECT_EQ(Ask("qfThreadInfo"), "mp64.64,p64.65");
  EXPECT_EQ(Ask("qC"), "QCp64.64");
  EXPECT_EQ(Ask("Tp64.65"), "OK");
  EXPECT_EQ(Ask("T65"), "OK");
  EXPECT_EQ(Ask("Tp64.66"), "E02");
  EXPECT_EQ(Ask("T"), "E01");
  EXPECT_EQ(Ask("qAttached:64"), "1");
  EXPECT_EQ(Ask("qAttached"), "1");
}

TEST_F(SessionTest, ReadMemory) {
  EXPECT_EQ(Ask("m1000,4"), "00070e15");
  EXPECT_EQ(Ask("m1ffe,10"), HexEncode(target_.memory.substr(0xffe, 2)));  // short read
  EXPECT_EQ(Ask("m1000,0"), "");
  EXPECT_EQ(Ask("m0,4"), "E03");                // unmapped
  EXPECT_EQ(Ask("mzz,1"), "E01");
  EXPECT_EQ(Ask("m1000"), "E01");
  EXPECT_EQ(Ask("m1000,"), "E01");
  EXPECT_EQ(Ask("mffffffffffffffff,2"), "E01");  // wraps
  EXPECT_EQ(Ask("m10000000000000000,1"), "E01");  // 17 digits
  // A huge length is served in part (gdb asks again for the rest).
  const std::string big = Ask("m1000,ffffffff");
  EXPECT_GT(big.size(), 0u);
  EXPECT_LT(big.size(), kAdvertisedPacketSize);
}

TEST_F(SessionTest, WriteMemory) {
  EXPECT_EQ(Ask("M1010,3:aabbcc"), "OK");
  EXPECT_EQ(target_.memory.substr(0x10, 3), "\xaa\xbb\xcc");
  EXPECT_EQ(Ask("M1010,3:aabb"), "E01");        // length mismatch
  EXPECT_EQ(Ask("M1010,3:aabbzz"), "E01");
  EXPECT_EQ(Ask("M1010,3"), "E01");
  EXPECT_EQ(Ask("M0,1:00"), "E03");
  const std::string binary = std::string("#$}*", 4) + '\0';
  EXPECT_EQ(Ask("X1020,5:" + EscapeBinary(binary)), "OK");
  EXPECT_EQ(target_.memory.substr(0x20, 5), binary);
  EXPECT_EQ(Ask("X1020,0:"), "OK");             // gdb's probe for X support
  EXPECT_EQ(Ask("X1020,9:abc"), "E01");         // bogus length
  EXPECT_EQ(Ask("X1020,1:}"), "E01");           // dangling escape
  EXPECT_EQ(Ask("X1020,ffffffffffffffff:a"), "E01");
}

TEST_F(SessionTest, Breakpoints) {
  EXPECT_EQ(Ask("Z0,401000,1"), "OK");
  EXPECT_EQ(Ask("z0,401000,1"), "OK");
  EXPECT_EQ(Ask("Z0,401010,1;X2,0a"), "OK");    // conditions are ignored
  EXPECT_EQ(Ask("Z0,0,1"), "E03");              // the target refused
  EXPECT_THAT(target_.calls,
              ElementsAre("insert 401000", "remove 401000", "insert 401010", "insert 0"));
  EXPECT_EQ(Ask("Z1,401000,1"), "");            // hardware breakpoints: unsupported
  EXPECT_EQ(Ask("Z2,401000,8"), "");
  EXPECT_EQ(Ask("Z0,zz,1"), "E01");
  EXPECT_EQ(Ask("Z0,401000"), "E01");
  EXPECT_EQ(Ask("Z0"), "E01");
  EXPECT_EQ(Ask("Z"), "E01");
}

TEST_F(SessionTest, XferTargetXmlInChunks) {
  const std::string& xml = TargetXml();
  std::string assembled;
  for (int guard = 0; guard < 1000; ++guard) {
    const std::string reply =
        Ask(absl::StrCat("qXfer:features:read:target.xml:", absl::Hex(assembled.size()), ",64"));
    ASSERT_FALSE(reply.empty());
    ASSERT_TRUE(reply[0] == 'm' || reply[0] == 'l') << reply;
    assembled += *UnescapeBinary(reply.substr(1));
    if (reply[0] == 'l') break;
  }
  EXPECT_EQ(assembled, xml);
  EXPECT_EQ(Ask(absl::StrCat("qXfer:features:read:target.xml:", absl::Hex(xml.size()), ",10")),
            "l");
  EXPECT_EQ(Ask("qXfer:features:read:target.xml:ffffffffffff,10"), "l");
  EXPECT_EQ(Ask("qXfer:features:read:other.xml:0,10"), "E01");
  EXPECT_EQ(Ask("qXfer:features:read:target.xml:0,0"), "E01");
  EXPECT_EQ(Ask("qXfer:features:read:target.xml:zz,10"), "E01");
  EXPECT_EQ(Ask("qXfer:features:read:target.xml"), "E01");
  EXPECT_EQ(Ask("qXfer:features:write:target.xml:0:abc"), "");
  EXPECT_EQ(Ask("qXfer:threads:read::0,fff"), "");  // not offered
}

TEST_F(SessionTest, XferAuxvAndExecFile) {
  const std::string auxv = Ask("qXfer:auxv:read::0,1000");
  EXPECT_EQ(auxv, "l" + EscapeBinary(target_.auxv));
  EXPECT_EQ(Ask("qXfer:auxv:read::8,4"), "m" + EscapeBinary(target_.auxv.substr(8, 4)));
  EXPECT_EQ(Ask("qXfer:auxv:read:x:0,10"), "E01");
  EXPECT_EQ(Ask("qXfer:exec-file:read::0,fff"), "l/usr/bin/guest");
  EXPECT_EQ(Ask("qXfer:exec-file:read:64:5,3"), "mbin");
  EXPECT_EQ(Ask("qXfer:exec-file:read:99:0,fff"), "E02");
  EXPECT_EQ(Ask("qXfer:exec-file:read:zz:0,fff"), "E01");
}

TEST_F(SessionTest, VContPicksTheSteppedThread) {
  Negotiate();
  EXPECT_EQ(Ask("vCont?"), "vCont;c;C;s;S");
  Resume r = AskResume("vCont;s:p64.65;c:p64.-1");
  EXPECT_EQ(r.kind, Resume::kStep);
  EXPECT_EQ(r.tid, kOther);
  EXPECT_EQ(r.signal, 0);
  EXPECT_TRUE(r.others);
  r = AskResume("vCont;s:p64.64");  // scheduler-locking: only this thread
  EXPECT_EQ(r.kind, Resume::kStep);
  EXPECT_EQ(r.tid, kPid);
  EXPECT_FALSE(r.others);
  r = AskResume("vCont;c");
  EXPECT_EQ(r.kind, Resume::kContinue);
  EXPECT_EQ(r.tid, kPid);  // the stopped thread
  EXPECT_TRUE(r.others);
  r = AskResume("vCont;C0b:65;c");  // gdb's 11 is SIGSEGV
  EXPECT_EQ(r.kind, Resume::kContinue);
  EXPECT_EQ(r.tid, kOther);
  EXPECT_EQ(r.signal, SIGSEGV);
  r = AskResume("vCont;S1e:p64.64");  // gdb's 30 is SIGUSR1
  EXPECT_EQ(r.kind, Resume::kStep);
  EXPECT_EQ(r.signal, SIGUSR1);
  Session::Outcome out = session_.Handle("vCont;c", target_);
  EXPECT_FALSE(out.send_reply);  // the answer is the next stop reply
}

TEST_F(SessionTest, VContRejectsWhatItCannotDo) {
  for (const char* bad : {"vCont;", "vCont;x", "vCont;C", "vCont;Czz", "vCont;c:zz",
                          "vCont;t", "vCont;r1000,2000:64", "vCont;c;;s", "vCont;C00ff"}) {
    EXPECT_THAT(Ask(bad), StartsWith("E")) << bad;
  }
  EXPECT_EQ(Ask("vCont;c:p64.99"), "E02");  // no live thread is resumed
  EXPECT_EQ(Ask("vCont;c:p63.-1"), "E02");
}

TEST_F(SessionTest, LegacyResume) {
  Resume r = AskResume("c");
  EXPECT_EQ(r.kind, Resume::kContinue);
  EXPECT_EQ(r.tid, kPid);
  EXPECT_TRUE(r.others);
  EXPECT_EQ(Ask("Hc65"), "OK");
  r = AskResume("s");
  EXPECT_EQ(r.kind, Resume::kStep);
  EXPECT_EQ(r.tid, kOther);
  EXPECT_FALSE(r.others);
  r = AskResume("C0e;402000");  // SIGALRM, resuming at 0x402000
  EXPECT_EQ(r.signal, SIGALRM);
  EXPECT_EQ(target_.regs[kOther].rip, 0x402000u);
  EXPECT_EQ(Ask("Czz"), "E01");
  EXPECT_EQ(Ask("cxyz"), "E01");
}

TEST_F(SessionTest, DetachAndKill) {
  Session::Outcome out = session_.Handle("D;64", target_);
  EXPECT_EQ(out.reply, "OK");
  ASSERT_TRUE(out.resume.has_value());
  EXPECT_EQ(out.resume->kind, Resume::kDetach);
  out = session_.Handle("k", target_);
  EXPECT_FALSE(out.send_reply);
  EXPECT_EQ(out.resume->kind, Resume::kKill);
  out = session_.Handle("vKill;64", target_);
  EXPECT_EQ(out.reply, "OK");
  EXPECT_EQ(out.resume->kind, Resume::kKill);
}

TEST_F(SessionTest, UnknownPacketsGetTheEmptyReply) {
  for (const char* packet : {"vMustReplyEmpty", "qTStatus", "qOffsets", "!", "vFile:setfs:0",
                             "qSymbol::", "QNonStop:1", "bc", "Y", "\x7f"}) {
    EXPECT_EQ(Ask(packet), "") << packet;
  }
}

TEST(SignalsTest, TranslationBothWays) {
  EXPECT_EQ(HostToGdbSignal(SIGTRAP), 5);
  EXPECT_EQ(HostToGdbSignal(SIGUSR1), 30);
  EXPECT_EQ(HostToGdbSignal(SIGCHLD), 20);
  EXPECT_EQ(HostToGdbSignal(SIGRTMIN), 46);  // 34 in glibc's numbering
  EXPECT_EQ(HostToGdbSignal(SIGSTKFLT), 143);
  for (int host = 1; host <= 64; ++host) {
    if (host == SIGSTKFLT) continue;
    EXPECT_EQ(GdbToHostSignal(HostToGdbSignal(host)), host) << host;
  }
  EXPECT_EQ(GdbToHostSignal(7), -1);  // SIGEMT: not on Linux
  EXPECT_EQ(GdbToHostSignal(0), 0);
}

// Random packets built from real command letters and field syntax: every one gets some
// reply or resume, none crashes.
TEST_F(SessionTest, RandomPacketsFuzz) {
  std::mt19937_64 rng(0xbadc0de);
  const char* kHeads[] = {"g", "G", "p", "P", "m", "M", "X", "Z0,", "z0,", "H", "Hg", "Hc",
                          "T", "qXfer:", "qXfer:features:read:target.xml:",
                          "qXfer:auxv:read::", "qXfer:exec-file:read:", "vCont;", "c", "C",
                          "s", "S", "qSupported:", "qC", "qfThreadInfo", "?", "D", "vKill;"};
  const char kAlphabet[] = "0123456789abcdefABCDEF,:;.-p=}#$*xzl";
  for (int i = 0; i < 20000; ++i) {
    std::string packet = kHeads[rng() % std::size(kHeads)];
    const size_t extra = rng() % 40;
    for (size_t k = 0; k < extra; ++k) {
      packet += rng() % 8 == 0 ? static_cast<char>(rng() & 0xff)
                               : kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
    }
    Session::Outcome out = session_.Handle(packet, target_);
    if (!out.resume.has_value()) {
      EXPECT_TRUE(out.send_reply) << packet;
    }
    if (out.resume.has_value() &&
        (out.resume->kind == Resume::kStep || out.resume->kind == Resume::kContinue)) {
      EXPECT_GT(out.resume->tid, 0) << packet;
    }
    if (i % 997 == 0) session_.SetStop({StopReport::kSignal, kPid, SIGTRAP}, kPid);
  }
}

}  // namespace
}  // namespace ravel::gdb
