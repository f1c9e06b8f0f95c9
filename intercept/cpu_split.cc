#include "intercept/cpu_split.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ravel {
namespace {

// Binds an abstract unix socket named `name` (no file: the name lives as long as the
// socket). -1: someone holds the name, or no socket could be made.
int BindAbstract(const std::string& name) {
  sockaddr_un address;
  if (name.size() + 1 > sizeof(address.sun_path)) return -1;
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  std::memset(&address, 0, sizeof(address));
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path + 1, name.data(), name.size());  // sun_path[0] == 0: abstract
  const socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::string CpuSplit::ClaimName() {
  const char* name = getenv("RAVEL_CPU_CLAIMS");
  return name != nullptr && *name != '\0' ? name : "ravel-guest-cpu";
}

std::optional<CpuSplit> CpuSplit::Claim(const cpu_set_t& allowed, const std::string& name) {
  if (CPU_COUNT(&allowed) < 2) return std::nullopt;
  for (int cpu = CPU_SETSIZE - 1; cpu >= 0; --cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    const int fd = BindAbstract(absl::StrCat(name, "-", cpu));
    if (fd >= 0) return CpuSplit(fd, cpu, allowed);
  }
  return std::nullopt;
}

CpuSplit::CpuSplit(int fd, int guest_cpu, const cpu_set_t& allowed) : fd_(fd), guest_cpu_(guest_cpu), rest_(allowed) {
  CPU_ZERO(&guest_);
  CPU_SET(guest_cpu, &guest_);
  CPU_CLR(guest_cpu, &rest_);
}

CpuSplit::CpuSplit(CpuSplit&& other) noexcept
    : fd_(other.fd_), guest_cpu_(other.guest_cpu_), guest_(other.guest_), rest_(other.rest_) {
  other.fd_ = -1;
}

CpuSplit& CpuSplit::operator=(CpuSplit&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    guest_cpu_ = other.guest_cpu_;
    guest_ = other.guest_;
    rest_ = other.rest_;
    other.fd_ = -1;
  }
  return *this;
}

CpuSplit::~CpuSplit() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace ravel
