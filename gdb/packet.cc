#include "gdb/packet.h"

namespace ravel::gdb {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool NeedsEscape(char c) { return c == '#' || c == '$' || c == '}' || c == '*'; }

}  // namespace

uint8_t Checksum(absl::string_view payload) {
  uint8_t sum = 0;
  for (char c : payload) sum += static_cast<uint8_t>(c);
  return sum;
}

std::string Frame(absl::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 4);
  out.push_back('$');
  out.append(payload.data(), payload.size());
  out.push_back('#');
  out.append(HexByte(Checksum(payload)));
  return out;
}

std::string HexByte(unsigned value) {
  return {kHexDigits[(value >> 4) & 0xf], kHexDigits[value & 0xf]};
}

std::string HexEncode(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<uint8_t>(c);
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0xf]);
  }
  return out;
}

std::optional<std::string> HexDecode(absl::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::optional<uint64_t> ParseHexNumber(absl::string_view hex) {
  if (hex.empty() || hex.size() > 16) return std::nullopt;
  uint64_t value = 0;
  for (char c : hex) {
    const int digit = HexValue(c);
    if (digit < 0) return std::nullopt;
    value = value << 4 | static_cast<uint64_t>(digit);
  }
  return value;
}

std::string EscapeBinary(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (char c : bytes) {
    if (NeedsEscape(c)) {
      out.push_back('}');
      out.push_back(static_cast<char>(c ^ 0x20));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> UnescapeBinary(absl::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] != '}') {
      out.push_back(escaped[i]);
      continue;
    }
    if (++i == escaped.size()) return std::nullopt;
    out.push_back(static_cast<char>(escaped[i] ^ 0x20));
  }
  return out;
}

void PacketParser::StartPacket() {
  state_ = State::kBody;
  body_.clear();
  too_long_ = false;
  sum_ = 0;
  received_sum_ = 0;
}

void PacketParser::FinishPacket(std::vector<PacketEvent>& events) {
  state_ = State::kIdle;
  if (received_sum_ != sum_) {
    events.push_back({PacketEvent::Kind::kBadChecksum, {}});
  } else if (too_long_) {
    events.push_back({PacketEvent::Kind::kTooLong, {}});
  } else {
    events.push_back({PacketEvent::Kind::kPacket, std::move(body_)});
  }
  body_.clear();
  // A 64 KiB packet should not pin 64 KiB for the rest of the session.
  if (body_.capacity() > 4096) body_.shrink_to_fit();
}

void PacketParser::Feed(absl::string_view bytes, std::vector<PacketEvent>& events) {
  for (char c : bytes) {
    switch (state_) {
      case State::kIdle:
        if (c == '$') {
          StartPacket();
        } else if (c == '\x03') {
          events.push_back({PacketEvent::Kind::kInterrupt, {}});
        } else if (c == '+') {
          events.push_back({PacketEvent::Kind::kAck, {}});
        } else if (c == '-') {
          events.push_back({PacketEvent::Kind::kNak, {}});
        }
        break;
      case State::kBody:
        if (c == '#') {
          state_ = State::kChecksumHigh;
        } else if (c == '$') {
          StartPacket();
        } else {
          sum_ += static_cast<uint8_t>(c);
          if (body_.size() < kMaxPacketSize) {
            body_.push_back(c);
          } else {
            too_long_ = true;
          }
        }
        break;
      case State::kChecksumHigh: {
        const int digit = HexValue(c);
        received_sum_ = digit < 0 ? -1 : digit << 4;
        state_ = State::kChecksumLow;
        break;
      }
      case State::kChecksumLow: {
        const int digit = HexValue(c);
        if (digit < 0 || received_sum_ < 0) {
          received_sum_ = -1;
        } else {
          received_sum_ |= digit;
        }
        FinishPacket(events);
        break;
      }
    }
  }
}

}  // namespace ravel::gdb
