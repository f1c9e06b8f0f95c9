#include "gdb/packet.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ravel::gdb {
namespace {

using ::testing::ElementsAre;
using Kind = PacketEvent::Kind;

std::vector<PacketEvent> FeedAll(PacketParser& parser, absl::string_view bytes) {
  std::vector<PacketEvent> events;
  parser.Feed(bytes, events);
  return events;
}

PacketEvent Packet(std::string payload) { return {Kind::kPacket, std::move(payload)}; }
PacketEvent Event(Kind kind) { return {kind, {}}; }

TEST(ChecksumTest, KnownFrames) {
  // Frames as gdb sends them.
  EXPECT_EQ(Frame("g"), "$g#67");
  EXPECT_EQ(Frame("?"), "$?#3f");
  EXPECT_EQ(Frame("OK"), "$OK#9a");
  EXPECT_EQ(Frame(""), "$#00");
  EXPECT_EQ(Frame("QStartNoAckMode"), "$QStartNoAckMode#b0");
}

TEST(HexTest, EncodeDecodeRoundTrip) {
  const std::string bytes("\x00\x01\x7f\x80\xff", 5);
  EXPECT_EQ(HexEncode(bytes), "00017f80ff");
  EXPECT_EQ(HexDecode("00017f80FF"), bytes);
  EXPECT_EQ(HexDecode(""), "");
  EXPECT_EQ(HexDecode("0"), std::nullopt);
  EXPECT_EQ(HexDecode("zz"), std::nullopt);
  EXPECT_EQ(HexDecode("0g"), std::nullopt);
}

TEST(HexTest, Numbers) {
  EXPECT_EQ(ParseHexNumber("0"), 0u);
  EXPECT_EQ(ParseHexNumber("7fFF"), 0x7fffu);
  EXPECT_EQ(ParseHexNumber("ffffffffffffffff"), UINT64_MAX);
  EXPECT_EQ(ParseHexNumber("10000000000000000"), std::nullopt);  // 17 digits
  EXPECT_EQ(ParseHexNumber(""), std::nullopt);
  EXPECT_EQ(ParseHexNumber("-1"), std::nullopt);
  EXPECT_EQ(ParseHexNumber("1 "), std::nullopt);
  EXPECT_EQ(HexByte(0x5), "05");
  EXPECT_EQ(HexByte(0x1ab), "ab");
}

TEST(EscapeTest, SpecialBytesRoundTrip) {
  const std::string raw = std::string("a#b$c}d*e") + '\0' + "\x03";
  const std::string escaped = EscapeBinary(raw);
  EXPECT_EQ(escaped, std::string("a}\x03" "b}\x04" "c}\x5d" "d}\x0a" "e") + '\0' + "\x03");
  EXPECT_EQ(escaped.find_first_of("#$*"), std::string::npos);
  EXPECT_EQ(UnescapeBinary(escaped), raw);
  EXPECT_EQ(UnescapeBinary("abc}"), std::nullopt);  // dangling escape
}

TEST(ParserTest, PacketsAcksAndInterrupt) {
  PacketParser parser;
  EXPECT_THAT(FeedAll(parser, "+$g#67-\x03$?#3f"),
              ElementsAre(Event(Kind::kAck), Packet("g"), Event(Kind::kNak),
                          Event(Kind::kInterrupt), Packet("?")));
  EXPECT_FALSE(parser.in_packet());
}

TEST(ParserTest, ChecksumDigitsInEitherCase) {
  PacketParser parser;
  EXPECT_THAT(FeedAll(parser, "$OK#9A$OK#9a"), ElementsAre(Packet("OK"), Packet("OK")));
}

TEST(ParserTest, BadChecksumIsReported) {
  PacketParser parser;
  EXPECT_THAT(FeedAll(parser, "$g#00"), ElementsAre(Event(Kind::kBadChecksum)));
  EXPECT_THAT(FeedAll(parser, "$g#zz"), ElementsAre(Event(Kind::kBadChecksum)));
  EXPECT_THAT(FeedAll(parser, "$g#6z"), ElementsAre(Event(Kind::kBadChecksum)));
  // The parser recovers for the next packet.
  EXPECT_THAT(FeedAll(parser, "$g#67"), ElementsAre(Packet("g")));
}

TEST(ParserTest, SplitAcrossFeeds) {
  PacketParser parser;
  const std::string frame = Frame("qSupported:multiprocess+;swbreak+");
  std::vector<PacketEvent> events;
  for (size_t i = 0; i < frame.size(); ++i) {
    parser.Feed(absl::string_view(&frame[i], 1), events);
    if (i + 1 < frame.size()) {
      EXPECT_TRUE(events.empty()) << i;
    }
  }
  EXPECT_THAT(events, ElementsAre(Packet("qSupported:multiprocess+;swbreak+")));
}

TEST(ParserTest, DollarRestartsAPacket) {
  PacketParser parser;
  EXPECT_THAT(FeedAll(parser, "$garbage$g#67"), ElementsAre(Packet("g")));
}

TEST(ParserTest, InterruptInsideAPacketIsData) {
  PacketParser parser;
  const std::string payload = std::string("X10,1:") + '\x03';
  EXPECT_THAT(FeedAll(parser, Frame(payload)), ElementsAre(Packet(payload)));
}

TEST(ParserTest, EscapesAreKeptForTheBinaryDecoder) {
  PacketParser parser;
  const std::string payload = "X0,2:" + EscapeBinary("#}");
  const std::vector<PacketEvent> events = FeedAll(parser, Frame(payload));
  ASSERT_THAT(events, ElementsAre(Packet(payload)));
  EXPECT_EQ(UnescapeBinary(events[0].payload.substr(5)), "#}");
}

TEST(ParserTest, OversizedPacketIsConsumedAndReported) {
  PacketParser parser;
  const std::string payload(kMaxPacketSize + 10, 'a');
  EXPECT_THAT(FeedAll(parser, Frame(payload)), ElementsAre(Event(Kind::kTooLong)));
  // A corrupted oversized packet is still a bad checksum (the sender should resend).
  std::string corrupt = Frame(payload);
  corrupt[corrupt.size() - 1] ^= 1;
  EXPECT_THAT(FeedAll(parser, corrupt), ElementsAre(Event(Kind::kBadChecksum)));
  // Exactly the maximum is fine.
  const std::string largest(kMaxPacketSize, 'b');
  EXPECT_THAT(FeedAll(parser, Frame(largest)), ElementsAre(Packet(largest)));
  EXPECT_THAT(FeedAll(parser, "$?#3f"), ElementsAre(Packet("?")));
}

TEST(ParserTest, JunkBetweenPacketsIsIgnored) {
  PacketParser parser;
  EXPECT_THAT(FeedAll(parser, std::string("hello\0\xff#12", 10) + "$?#3f"),
              ElementsAre(Packet("?")));
}

// Random bytes in random splits: never a crash, never a payload over the cap, and the
// parser always resynchronises on the next well-formed packet.
TEST(ParserTest, RandomGarbageFuzz) {
  std::mt19937_64 rng(0x5eed);
  const char kInteresting[] = {'$', '#', '}', '+', '-', '\x03', '0', 'a', 'f', 'g'};
  for (int round = 0; round < 2000; ++round) {
    PacketParser parser;
    std::string junk(rng() % 512, '\0');
    for (char& c : junk) {
      c = rng() % 3 == 0 ? kInteresting[rng() % sizeof(kInteresting)]
                         : static_cast<char>(rng() & 0xff);
    }
    if (round % 100 == 0) junk += std::string(kMaxPacketSize + rng() % 100, 'z');
    std::vector<PacketEvent> events;
    size_t pos = 0;
    while (pos < junk.size()) {
      const size_t take = std::min<size_t>(1 + rng() % 64, junk.size() - pos);
      parser.Feed(absl::string_view(junk).substr(pos, take), events);
      pos += take;
    }
    for (const PacketEvent& e : events) ASSERT_LE(e.payload.size(), kMaxPacketSize);
    // Whatever state the junk left: a checksum ("#xx") closes any open packet, and the
    // next `$` starts ours.
    events.clear();
    parser.Feed("#00$?#3f", events);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back(), Packet("?")) << "round " << round;
  }
}

}  // namespace
}  // namespace ravel::gdb
