// Memory reading, string quoting, buffers and string arrays.

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "intercept/decode_internal.h"
#include "intercept/syscall_printer.h"

namespace ravel {

namespace {

// Reads never cross a page boundary in one request: a reader backed by
// process_vm_readv stops at the first unmapped page, and a string may end
// right before one.
constexpr uint64_t kPageSize = 4096;

// More array elements than any real argv/envp; stops runaway loops over
// memory without a terminating NULL.
constexpr size_t kMaxArrayElements = 1 << 16;

bool IsOctalDigit(char c) { return c >= '0' && c <= '7'; }

}  // namespace

std::string EscapeString(std::string_view bytes, size_t limit, bool truncated) {
  size_t n = std::min(limit, bytes.size());
  std::string out;
  out.reserve(n + 8);
  out.push_back('"');
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out.push_back(static_cast<char>(c));
        } else if (i + 1 < n && IsOctalDigit(bytes[i + 1])) {
          // A following digit would otherwise be read as part of the escape.
          absl::StrAppendFormat(&out, "\\%03o", c);
        } else {
          absl::StrAppendFormat(&out, "\\%o", c);
        }
    }
  }
  out.push_back('"');
  if (truncated || bytes.size() > limit) out += "...";
  return out;
}

namespace internal {

std::string ReadBytes(RemoteReader& mem, uint64_t addr, size_t n) {
  std::string out;
  if (addr == 0) return out;
  out.resize(n);
  size_t done = 0;
  while (done < n) {
    uint64_t at = addr + done;
    size_t chunk = std::min<uint64_t>(n - done, kPageSize - at % kPageSize);
    size_t got = mem.Read(at, out.data() + done, chunk);
    done += std::min(got, chunk);
    if (got < chunk) break;
  }
  out.resize(done);
  return out;
}

std::optional<CString> ReadCString(RemoteReader& mem, uint64_t addr, size_t max_len) {
  if (addr == 0) return std::nullopt;
  CString result{"", false};
  // One byte past max_len tells a string of exactly max_len bytes (complete)
  // from a longer one.
  const size_t want = max_len + 1;
  char buf[kPageSize];
  while (result.bytes.size() < want) {
    uint64_t at = addr + result.bytes.size();
    size_t chunk = std::min<uint64_t>(want - result.bytes.size(), kPageSize - at % kPageSize);
    size_t got = std::min(mem.Read(at, buf, chunk), chunk);
    if (const void* nul = std::memchr(buf, '\0', got); nul != nullptr) {
      result.bytes.append(buf, static_cast<const char*>(nul) - buf);
      result.complete = true;
      return result;
    }
    result.bytes.append(buf, got);
    if (got < chunk) break;
  }
  if (result.bytes.empty()) return std::nullopt;
  if (result.bytes.size() > max_len) result.bytes.resize(max_len);
  return result;
}

std::string FormatPtr(uint64_t v) {
  if (v == 0) return "NULL";
  return absl::StrFormat("%#x", v);
}

std::string FormatHex(uint64_t v) {
  if (v == 0) return "0";
  return absl::StrFormat("%#x", v);
}

std::string EscapeHex(std::string_view bytes, size_t limit, bool truncated) {
  size_t n = std::min(limit, bytes.size());
  std::string out = "\"";
  for (size_t i = 0; i < n; ++i) {
    absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(bytes[i]));
  }
  out += "\"";
  if (truncated || bytes.size() > limit) out += "...";
  return out;
}

std::string FormatCStringArg(RemoteReader& mem, uint64_t addr, size_t limit) {
  if (addr == 0) return "NULL";
  std::optional<CString> s = ReadCString(mem, addr, limit);
  if (!s.has_value()) return FormatPtr(addr);
  return EscapeString(s->bytes, limit, !s->complete);
}

std::string FormatBuffer(RemoteReader& mem, uint64_t addr, uint64_t len, size_t limit,
                         bool hex) {
  if (addr == 0) return "NULL";
  size_t want = static_cast<size_t>(std::min<uint64_t>(len, limit));
  std::string bytes = ReadBytes(mem, addr, want);
  if (bytes.size() < want) return FormatPtr(addr);
  bool truncated = len > limit;
  return hex ? EscapeHex(bytes, limit, truncated) : EscapeString(bytes, limit, truncated);
}

std::string FormatStringArray(RemoteReader& mem, uint64_t addr, const PrintOptions& opt) {
  if (addr == 0) return "NULL";
  std::string out = "[";
  for (size_t n = 0; n < kMaxArrayElements; ++n) {
    uint64_t ptr = 0;
    if (!ReadObject(mem, addr + n * sizeof(uint64_t), ptr)) {
      if (n == 0) return FormatPtr(addr);
      absl::StrAppend(&out, ", ...");
      break;
    }
    if (ptr == 0) break;
    if (n > 0) out += ", ";
    if (!opt.verbose_structs && n >= opt.string_limit) {
      out += "...";
      break;
    }
    out += FormatCStringArg(mem, ptr, opt.string_limit);
  }
  out += "]";
  return out;
}

std::string FormatStringArrayCount(RemoteReader& mem, uint64_t addr) {
  std::string out = FormatPtr(addr);
  if (addr == 0) return out;
  size_t n = 0;
  for (; n < kMaxArrayElements; ++n) {
    uint64_t ptr = 0;
    if (!ReadObject(mem, addr + n * sizeof(uint64_t), ptr)) {
      if (n == 0) return out;
      break;
    }
    if (ptr == 0) break;
  }
  absl::StrAppend(&out, " /* ", n, n == 1 ? " var" : " vars", " */");
  return out;
}

std::string FormatDirents(RemoteReader& mem, uint64_t addr, int64_t len, bool dirent64,
                          const PrintOptions& opt) {
  static constexpr FlagName kDirentTypes[] = {
      {0, "DT_UNKNOWN"}, {1, "DT_FIFO"}, {2, "DT_CHR"},  {4, "DT_DIR"}, {6, "DT_BLK"},
      {8, "DT_REG"},     {10, "DT_LNK"}, {12, "DT_SOCK"}, {14, "DT_WHT"},
  };
  // Both layouts start with two 8-byte fields (inode, offset) and the
  // record length; the type byte follows it (dirent64) or ends the record.
  constexpr size_t kReclenOffset = 16;
  constexpr size_t kHeader = 18;
  constexpr size_t kMaxBuffer = 1 << 20;
  if (addr == 0 || len < 0) return FormatPtr(addr);
  std::string buf = ReadBytes(mem, addr, std::min<uint64_t>(len, kMaxBuffer));
  std::vector<std::string> entries;
  size_t off = 0;
  while (off + kHeader <= buf.size()) {
    uint64_t ino, next;
    uint16_t reclen;
    std::memcpy(&ino, buf.data() + off, sizeof(ino));
    std::memcpy(&next, buf.data() + off + 8, sizeof(next));
    std::memcpy(&reclen, buf.data() + off + kReclenOffset, sizeof(reclen));
    if (reclen < kHeader || off + reclen > buf.size()) break;
    if (opt.verbose_structs) {
      std::string_view rec(buf.data() + off, reclen);
      size_t name_at = dirent64 ? kHeader + 1 : kHeader;
      std::string_view name = rec.substr(std::min(name_at, rec.size()));
      name = name.substr(0, std::min(name.find('\0'), name.size()));
      uint8_t type = static_cast<uint8_t>(dirent64 ? rec[kHeader] : rec[reclen - 1]);
      entries.push_back(absl::StrCat("{d_ino=", ino, ", d_off=", next, ", d_reclen=", reclen,
                                     ", d_type=", FormatEnum(type, kDirentTypes), ", d_name=",
                                     EscapeString(name, name.size(), false), "}"));
    } else {
      entries.emplace_back();
    }
    off += reclen;
  }
  if (opt.verbose_structs) return absl::StrCat("[", absl::StrJoin(entries, ", "), "]");
  return absl::StrCat(FormatPtr(addr), " /* ", entries.size(), " entries */");
}

}  // namespace internal
}  // namespace ravel
