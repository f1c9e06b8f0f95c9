#include "gdb/registers.h"

#include <cstring>
#include <random>
#include <regex>
#include <string>

#include "gtest/gtest.h"

namespace ravel::gdb {
namespace {

RegisterFile RandomFile(uint64_t seed) {
  std::mt19937_64 rng(seed);
  RegisterFile file;
  auto* gpr = reinterpret_cast<unsigned char*>(&file.gpr);
  for (size_t i = 0; i < sizeof(file.gpr); ++i) gpr[i] = rng() & 0xff;
  auto* fpr = reinterpret_cast<unsigned char*>(&file.fpr);
  for (size_t i = 0; i < sizeof(file.fpr); ++i) fpr[i] = rng() & 0xff;
  return file;
}

// The byte offset of a register in the g packet.
size_t Offset(int regno) {
  size_t offset = 0;
  for (int i = 0; i < regno; ++i) offset += *RegisterSize(i);
  return offset;
}

TEST(RegistersTest, LayoutMatchesTheAmd64Order) {
  EXPECT_EQ(Offset(16), 128u);        // rip after the 16 GPRs
  EXPECT_EQ(*RegisterSize(17), 4u);   // eflags
  EXPECT_EQ(Offset(24), 164u);        // st0 after cs..gs
  EXPECT_EQ(*RegisterSize(24), 10u);
  EXPECT_EQ(Offset(40), 276u);        // xmm0
  EXPECT_EQ(Offset(56), 532u);        // mxcsr
  EXPECT_EQ(Offset(57), 536u);        // orig_rax
  EXPECT_EQ(Offset(kNumRegisters), kRegisterFileBytes);
  EXPECT_EQ(RegisterSize(-1), std::nullopt);
  EXPECT_EQ(RegisterSize(kNumRegisters), std::nullopt);
}

TEST(RegistersTest, GeneralRegistersComeFromUserRegs) {
  RegisterFile file;
  file.gpr.rax = 0x0102030405060708;
  file.gpr.rip = 0xdeadbeefcafe;
  file.gpr.eflags = 0x246;
  file.gpr.fs = 0x1234;
  file.gpr.orig_rax = ~0ull;
  file.gpr.gs_base = 0x7777;
  const std::string all = ReadAllRegisters(file);
  ASSERT_EQ(all.size(), kRegisterFileBytes);
  EXPECT_EQ(all.substr(0, 8), std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
  uint64_t rip;
  std::memcpy(&rip, all.data() + 128, 8);
  EXPECT_EQ(rip, 0xdeadbeefcafeu);
  EXPECT_EQ(all.substr(136, 4), std::string("\x46\x02\x00\x00", 4));
  EXPECT_EQ(ReadRegister(file, 22), std::string("\x34\x12\x00\x00", 4));  // fs
  EXPECT_EQ(ReadRegister(file, 57), std::string(8, '\xff'));              // orig_rax
  EXPECT_EQ(ReadRegister(file, 59), std::string("\x77\x77\0\0\0\0\0\0", 8));
}

TEST(RegistersTest, WriteZeroExtendsNarrowRegisters) {
  RegisterFile file;
  file.gpr.eflags = ~0ull;
  ASSERT_TRUE(WriteRegister(file, 17, std::string("\x02\x01\x00\x00", 4)));
  EXPECT_EQ(file.gpr.eflags, 0x102u);
  EXPECT_FALSE(WriteRegister(file, 17, std::string(8, '\0')));  // wrong size
  EXPECT_FALSE(WriteRegister(file, kNumRegisters, ""));
}

TEST(RegistersTest, SseAndX87Registers) {
  RegisterFile file;
  file.fpr.mxcsr = 0x1f80;
  file.fpr.xmm_space[4] = 0xaabbccdd;  // xmm1, low dword
  file.fpr.cwd = 0x37f;
  file.fpr.fop = 0xffff;               // only 11 bits are architectural
  file.fpr.rip = 0x0000123400005678;   // fiseg:fioff
  EXPECT_EQ(ReadRegister(file, 56), std::string("\x80\x1f\0\0", 4));
  EXPECT_EQ(ReadRegister(file, 41).substr(0, 4), std::string("\xdd\xcc\xbb\xaa", 4));
  EXPECT_EQ(ReadRegister(file, 32), std::string("\x7f\x03\0\0", 4));
  EXPECT_EQ(ReadRegister(file, 39), std::string("\xff\x07\0\0", 4));
  EXPECT_EQ(ReadRegister(file, 35), std::string("\x34\x12\0\0", 4));  // fiseg
  EXPECT_EQ(ReadRegister(file, 36), std::string("\x78\x56\0\0", 4));  // fioff
  ASSERT_TRUE(WriteRegister(file, 36, std::string("\x01\0\0\0", 4)));
  EXPECT_EQ(file.fpr.rip, 0x0000123400000001u);
  const std::string st3(10, '\x42');
  ASSERT_TRUE(WriteRegister(file, 27, st3));
  EXPECT_EQ(ReadRegister(file, 27), st3);
}

TEST(RegistersTest, TagWordConversion) {
  unsigned char st[128] = {};
  // st0 = 1.0: mantissa 0x8000000000000000, exponent 0x3fff.
  st[7] = 0x80;
  st[8] = 0xff;
  st[9] = 0x3f;
  const unsigned top7 = 7u << 11;  // st0 is physical register 7
  EXPECT_EQ(FullTagWord(0x80, top7, st), 0x3fffu);  // valid, others empty
  EXPECT_EQ(FullTagWord(0x00, top7, st), 0xffffu);  // all empty
  unsigned char zero[128] = {};
  EXPECT_EQ(FullTagWord(0x80, top7, zero), 0x7fffu);  // zero
  zero[8] = 0xff;
  zero[9] = 0x7f;                                     // infinity
  EXPECT_EQ(FullTagWord(0x80, top7, zero), 0xbfffu);  // special
  EXPECT_EQ(AbridgedTag(0x3fff), 0x80u);
  EXPECT_EQ(AbridgedTag(0xffff), 0x00u);
  EXPECT_EQ(AbridgedTag(0x0000), 0xffu);
}

// What gdb reads, writes back unchanged, reads again identically (the FXSAVE-derived
// fields are normalised on the first read).
TEST(RegistersTest, GPacketRoundTrip) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const std::string first = ReadAllRegisters(RandomFile(seed));
    RegisterFile other = RandomFile(seed + 1000);
    ASSERT_TRUE(WriteAllRegisters(other, first));
    EXPECT_EQ(ReadAllRegisters(other), first) << "seed " << seed;
  }
  RegisterFile file;
  EXPECT_FALSE(WriteAllRegisters(file, std::string(kRegisterFileBytes - 1, '\0')));
}

TEST(RegistersTest, TargetXmlDescribesTheGPacket) {
  const std::string& xml = TargetXml();
  EXPECT_NE(xml.find("<architecture>i386:x86-64</architecture>"), std::string::npos);
  EXPECT_NE(xml.find("<osabi>GNU/Linux</osabi>"), std::string::npos);
  for (const char* feature : {"org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse",
                              "org.gnu.gdb.i386.linux", "org.gnu.gdb.i386.segments"}) {
    EXPECT_NE(xml.find(feature), std::string::npos) << feature;
  }
  // Every register, in order, with the size the g packet gives it.
  const std::regex reg_re(
      "<reg name=\"([a-z0-9_]+)\" bitsize=\"([0-9]+)\"[^>]*regnum=\"([0-9]+)\"");
  int count = 0;
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), reg_re);
       it != std::sregex_iterator(); ++it, ++count) {
    EXPECT_EQ(std::stoi((*it)[3]), count) << (*it)[1];
    EXPECT_EQ(static_cast<size_t>(std::stoi((*it)[2])), *RegisterSize(count) * 8) << (*it)[1];
  }
  EXPECT_EQ(count, kNumRegisters);
  for (const char* name : {"\"rip\"", "\"eflags\"", "\"st7\"", "\"fop\"", "\"xmm15\"",
                           "\"mxcsr\"", "\"orig_rax\"", "\"fs_base\"", "\"gs_base\""}) {
    EXPECT_NE(xml.find(name), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace ravel::gdb
