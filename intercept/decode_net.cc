// Socket and I/O structures: sockaddr, msghdr (with SCM_RIGHTS), iovec,
// pollfd, fd_set, epoll_event, socket option values.
//
// Layouts are the x86-64 kernel's (epoll_event is packed there, unlike on
// other architectures).

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "intercept/decode_internal.h"

namespace ravel::internal {
namespace {

struct KernelIovec {
  uint64_t base, len;
};

struct KernelMsghdr {
  uint64_t name;
  uint32_t namelen, pad0;
  uint64_t iov, iovlen, control, controllen;
  uint32_t flags, pad1;
};
static_assert(sizeof(KernelMsghdr) == 56);

struct KernelPollfd {
  int32_t fd;
  int16_t events, revents;
};

struct __attribute__((packed)) KernelEpollEvent {  // packed on x86-64 only
  uint32_t events;
  uint64_t data;
};
static_assert(sizeof(KernelEpollEvent) == 12);

std::string FormatSockaddrBytes(std::string_view b) {
  uint16_t family = 0;
  std::memcpy(&family, b.data(), sizeof(family));
  std::string out = absl::StrCat("{sa_family=", FormatSockaddrFamily(family));
  std::string_view rest = b.substr(2);
  switch (family) {
    case AF_UNIX: {
      if (rest.empty()) break;
      if (rest[0] == '\0') {  // abstract socket: the name is not NUL-terminated
        absl::StrAppend(&out, ", sun_path=@", EscapeString(rest.substr(1), rest.size(), false));
      } else {
        std::string_view path = rest.substr(0, std::min(rest.find('\0'), rest.size()));
        absl::StrAppend(&out, ", sun_path=", EscapeString(path, path.size(), false));
      }
      break;
    }
    case AF_INET: {
      if (b.size() < 8) break;
      uint16_t port;
      in_addr addr;
      std::memcpy(&port, b.data() + 2, sizeof(port));
      std::memcpy(&addr, b.data() + 4, sizeof(addr));
      char text[INET_ADDRSTRLEN] = "";
      inet_ntop(AF_INET, &addr, text, sizeof(text));
      absl::StrAppend(&out, ", sin_port=htons(", ntohs(port), "), sin_addr=inet_addr(\"", text,
                      "\")");
      break;
    }
    case AF_INET6: {
      if (b.size() < 24) break;
      uint16_t port;
      uint32_t flowinfo;
      in6_addr addr;
      std::memcpy(&port, b.data() + 2, sizeof(port));
      std::memcpy(&flowinfo, b.data() + 4, sizeof(flowinfo));
      std::memcpy(&addr, b.data() + 8, sizeof(addr));
      char text[INET6_ADDRSTRLEN] = "";
      inet_ntop(AF_INET6, &addr, text, sizeof(text));
      absl::StrAppend(&out, ", sin6_port=htons(", ntohs(port), "), sin6_flowinfo=htonl(",
                      ntohl(flowinfo), "), inet_pton(AF_INET6, \"", text, "\", &sin6_addr)");
      if (b.size() >= 28) {
        uint32_t scope;
        std::memcpy(&scope, b.data() + 24, sizeof(scope));
        absl::StrAppend(&out, ", sin6_scope_id=", scope);
      }
      break;
    }
    case AF_NETLINK: {
      if (b.size() < 12) break;
      uint32_t pid, groups;
      std::memcpy(&pid, b.data() + 4, sizeof(pid));
      std::memcpy(&groups, b.data() + 8, sizeof(groups));
      absl::StrAppendFormat(&out, ", nl_pid=%u, nl_groups=%08x", pid, groups);
      break;
    }
    default:
      if (!rest.empty()) {
        absl::StrAppend(&out, ", sa_data=", EscapeString(rest, rest.size(), false));
      }
  }
  out += "}";
  return out;
}

}  // namespace

std::string FormatSockaddr(RemoteReader& mem, uint64_t addr, uint64_t len) {
  if (addr == 0) return "NULL";
  constexpr uint64_t kMaxSockaddr = 128;  // sizeof(struct sockaddr_storage)
  if (len < 2) return FormatPtr(addr);
  std::string bytes = ReadBytes(mem, addr, std::min(len, kMaxSockaddr));
  if (bytes.size() < 2) return FormatPtr(addr);
  return FormatSockaddrBytes(bytes);
}

std::string FormatIovecs(RemoteReader& mem, uint64_t addr, uint64_t count,
                         std::optional<uint64_t> data_limit, const PrintOptions& opt) {
  if (addr == 0) return "NULL";
  constexpr uint64_t kMaxIov = 1024;  // UIO_MAXIOV
  if (count > kMaxIov) return FormatPtr(addr);
  std::string out = "[";
  uint64_t remaining = data_limit.value_or(~uint64_t{0});
  for (uint64_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    if (i >= opt.string_limit) {
      out += "...";
      break;
    }
    KernelIovec iov;
    if (!ReadObject(mem, addr + i * sizeof(iov), iov)) {
      if (i == 0) return FormatPtr(addr);
      out += "...";
      break;
    }
    uint64_t shown = std::min(iov.len, remaining);
    remaining -= shown;
    absl::StrAppend(&out, "{iov_base=", FormatBuffer(mem, iov.base, shown, opt.string_limit),
                    ", iov_len=", iov.len, "}");
  }
  out += "]";
  return out;
}

namespace {

// `, msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS,
// cmsg_data=[5]}]`; nothing when there is no control data.
std::string FormatControl(RemoteReader& mem, uint64_t addr, uint64_t len) {
  constexpr uint64_t kMaxControl = 1 << 16;
  constexpr size_t kHeader = 16;  // struct cmsghdr: u64 len, i32 level, i32 type
  constexpr int kSolSocket = 1;
  constexpr int kScmRights = 1;
  constexpr int kScmCredentials = 2;
  if (len == 0) return "";
  std::string buf = ReadBytes(mem, addr, std::min(len, kMaxControl));
  if (buf.size() < kHeader) return absl::StrCat(", msg_control=", FormatPtr(addr));
  std::vector<std::string> items;
  for (size_t off = 0; off + kHeader <= buf.size();) {
    uint64_t cmsg_len;
    int32_t level, type;
    std::memcpy(&cmsg_len, buf.data() + off, 8);
    std::memcpy(&level, buf.data() + off + 8, 4);
    std::memcpy(&type, buf.data() + off + 12, 4);
    if (cmsg_len < kHeader || off + cmsg_len > buf.size()) break;
    std::string_view data(buf.data() + off + kHeader, cmsg_len - kHeader);
    std::string item = absl::StrCat("{cmsg_len=", cmsg_len, ", cmsg_level=",
                                    level == kSolSocket ? "SOL_SOCKET" : absl::StrCat(level),
                                    ", cmsg_type=");
    if (level == kSolSocket && type == kScmRights) {
      std::vector<int32_t> fds(data.size() / sizeof(int32_t));
      std::memcpy(fds.data(), data.data(), fds.size() * sizeof(int32_t));
      absl::StrAppend(&item, "SCM_RIGHTS, cmsg_data=[", absl::StrJoin(fds, ", "), "]}");
    } else if (level == kSolSocket && type == kScmCredentials && data.size() >= 12) {
      uint32_t cred[3];
      std::memcpy(cred, data.data(), sizeof(cred));
      absl::StrAppend(&item, "SCM_CREDENTIALS, cmsg_data={pid=", cred[0], ", uid=", cred[1],
                      ", gid=", cred[2], "}}");
    } else {
      absl::StrAppend(&item, type, ", cmsg_data=", EscapeString(data, 32, false), "}");
    }
    items.push_back(std::move(item));
    off += (cmsg_len + 7) & ~uint64_t{7};  // CMSG_ALIGN
  }
  return absl::StrCat(", msg_control=[", absl::StrJoin(items, ", "), "]");
}

}  // namespace

std::string FormatMsghdr(RemoteReader& mem, uint64_t addr, std::optional<uint64_t> data_limit,
                         const PrintOptions& opt) {
  KernelMsghdr msg;
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, msg)) return FormatPtr(addr);
  return absl::StrCat(
      "{msg_name=", FormatSockaddr(mem, msg.name, msg.namelen), ", msg_namelen=", msg.namelen,
      ", msg_iov=", FormatIovecs(mem, msg.iov, msg.iovlen, data_limit, opt),
      ", msg_iovlen=", msg.iovlen, FormatControl(mem, msg.control, msg.controllen),
      ", msg_controllen=", msg.controllen,
      ", msg_flags=", FormatFlagArg(ArgKind::kMsgFlags, msg.flags, 0).value_or(""), "}");
}

std::string FormatPollFds(RemoteReader& mem, uint64_t addr, uint64_t count,
                          const PrintOptions& opt) {
  if (addr == 0) return "NULL";
  std::string out = "[";
  for (uint64_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    if (i >= opt.string_limit) {
      out += "...";
      break;
    }
    KernelPollfd p;
    if (!ReadObject(mem, addr + i * sizeof(p), p)) {
      if (i == 0) return FormatPtr(addr);
      out += "...";
      break;
    }
    absl::StrAppend(&out, "{fd=", p.fd, ", events=",
                    FormatPollEvents(static_cast<uint16_t>(p.events)), "}");
  }
  out += "]";
  return out;
}

std::string FormatPollRevents(RemoteReader& mem, uint64_t addr, uint64_t count,
                              const PrintOptions& opt) {
  std::vector<std::string> ready;
  for (uint64_t i = 0; i < count && i < (1u << 20); ++i) {
    KernelPollfd p;
    if (!ReadObject(mem, addr + i * sizeof(p), p)) break;
    if (p.revents == 0) continue;
    if (ready.size() >= opt.string_limit) {
      ready.push_back("...");
      break;
    }
    ready.push_back(absl::StrCat("{fd=", p.fd, ", revents=",
                                 FormatPollEvents(static_cast<uint16_t>(p.revents)), "}"));
  }
  return absl::StrCat("[", absl::StrJoin(ready, ", "), "]");
}

std::string FormatFdSet(RemoteReader& mem, uint64_t addr, int nfds) {
  if (addr == 0) return "NULL";
  constexpr int kMaxFds = 1 << 16;
  if (nfds < 0 || nfds > kMaxFds) return FormatPtr(addr);
  size_t words = (static_cast<size_t>(nfds) + 63) / 64;
  std::string bytes = ReadBytes(mem, addr, words * 8);
  if (bytes.size() < words * 8) return FormatPtr(addr);
  std::vector<int> fds;
  for (int fd = 0; fd < nfds; ++fd) {
    if (static_cast<unsigned char>(bytes[fd / 8]) & (1u << (fd % 8))) fds.push_back(fd);
  }
  return absl::StrCat("[", absl::StrJoin(fds, " "), "]");
}

std::string FormatEpollEvent(RemoteReader& mem, uint64_t addr) {
  KernelEpollEvent ev;
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, ev)) return FormatPtr(addr);
  uint64_t data = ev.data;
  return absl::StrCat("{events=", FormatEpollEvents(ev.events), ", data={u32=",
                      static_cast<uint32_t>(data), ", u64=", data, "}}");
}

std::string FormatEpollEvents(RemoteReader& mem, uint64_t addr, int64_t count,
                              const PrintOptions& opt) {
  if (addr == 0) return "NULL";
  if (count <= 0) return count == 0 ? "[]" : FormatPtr(addr);
  std::string out = "[";
  for (int64_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    if (static_cast<uint64_t>(i) >= opt.string_limit) {
      out += "...";
      break;
    }
    out += FormatEpollEvent(mem, addr + i * sizeof(KernelEpollEvent));
  }
  out += "]";
  return out;
}

std::string FormatSockoptValue(RemoteReader& mem, uint64_t addr, uint64_t len,
                               const PrintOptions& opt) {
  if (addr == 0) return "NULL";
  if (len == sizeof(int32_t)) return FormatIntPtr(mem, addr);
  return FormatBuffer(mem, addr, len, opt.string_limit);
}

}  // namespace ravel::internal
