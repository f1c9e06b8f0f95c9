// The byte level of the GDB remote serial protocol: framing, checksums, escapes and hex.
//
// On the wire a packet is `$payload#cs`, cs the two-hex-digit sum of the payload bytes
// modulo 256. The receiver answers `+` (good) or `-` (bad checksum: resend) until both sides
// agree to QStartNoAckMode. Between packets gdb may send a lone 0x03 byte: Ctrl-C, a
// request to interrupt the running program. Binary data (X packets, qXfer replies) escapes
// `#`, `$`, `}` and `*` as `}` followed by the byte XOR 0x20.
//
// PacketParser is an incremental, allocation-bounded decoder: feed it whatever bytes the
// socket produced, in any split, and it reports whole events. It never blocks, never
// throws, and never holds more than kMaxPacketSize payload bytes, whatever it is fed:
//
//   PacketParser parser;
//   std::vector<PacketEvent> events;
//   parser.Feed("+$g#67\x03", events);  // -> kAck, kPacket "g", kInterrupt
//
// The payload of a kPacket event is the raw payload: escapes are undone only by the code
// that expects binary data (UnescapeBinary), because only X packets carry any.
#ifndef RAVEL_GDB_PACKET_H_
#define RAVEL_GDB_PACKET_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ravel::gdb {

// The longest payload accepted; longer packets are consumed (their checksum still checked)
// and reported as kTooLong.
inline constexpr size_t kMaxPacketSize = 64 * 1024;
// What qSupported advertises as PacketSize (it counts `$`, `#` and the checksum too): gdb
// sends nothing longer and sizes its m/qXfer requests by it. Well under kMaxPacketSize.
inline constexpr size_t kAdvertisedPacketSize = 16 * 1024;

// Sum of the bytes modulo 256.
uint8_t Checksum(absl::string_view payload);

// "$payload#cs". The payload must already be escaped where it carries binary data.
std::string Frame(absl::string_view payload);

// Two lowercase hex digits per byte.
std::string HexEncode(absl::string_view bytes);
// Inverse of HexEncode (either case); nullopt on an odd length or a non-hex digit.
std::optional<std::string> HexDecode(absl::string_view hex);
// A hex number of 1 to 16 digits (either case); nullopt when empty, too long or not hex.
std::optional<uint64_t> ParseHexNumber(absl::string_view hex);
// "%02x" of the low byte.
std::string HexByte(unsigned value);

// Escapes `#`, `$`, `}` and `*` for a binary payload.
std::string EscapeBinary(absl::string_view bytes);
// Undoes EscapeBinary; nullopt when the data ends in a lone `}`.
std::optional<std::string> UnescapeBinary(absl::string_view escaped);

struct PacketEvent {
  enum class Kind {
    kPacket,       // a well-formed packet: payload holds its (still escaped) payload
    kBadChecksum,  // a complete packet whose checksum did not match: answer `-`
    kTooLong,      // a complete packet longer than kMaxPacketSize (payload dropped)
    kInterrupt,    // a 0x03 byte between packets
    kAck,          // `+`
    kNak,          // `-`: the peer wants our last packet again
  };
  Kind kind;
  std::string payload;

  bool operator==(const PacketEvent&) const = default;
};

// Incremental decoder. Bytes between packets other than `$`, `+`, `-` and 0x03 are
// ignored; a `$` inside a packet restarts it (gdb escapes `$` in data, so a raw one means
// the previous packet was cut off).
class PacketParser {
 public:
  void Feed(absl::string_view bytes, std::vector<PacketEvent>& events);

  // True between a `$` and the end of its checksum.
  bool in_packet() const { return state_ != State::kIdle; }

 private:
  enum class State { kIdle, kBody, kChecksumHigh, kChecksumLow };

  void StartPacket();
  void FinishPacket(std::vector<PacketEvent>& events);

  State state_ = State::kIdle;
  std::string body_;
  bool too_long_ = false;
  uint8_t sum_ = 0;        // running sum of the body bytes, kept even when dropping them
  int received_sum_ = 0;   // the checksum digits as they arrive; -1 if one is not hex
};

}  // namespace ravel::gdb

#endif  // RAVEL_GDB_PACKET_H_
