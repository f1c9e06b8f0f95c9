#include "scheduler/mapping.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ravel {
namespace {

// struct procmap_query of linux/fs.h (UAPI, Linux 6.11), which older headers lack.
struct ProcmapQuery {
  uint64_t size;
  uint64_t query_flags;
  uint64_t query_addr;
  uint64_t vma_start;
  uint64_t vma_end;
  uint64_t vma_flags;
  uint64_t vma_page_size;
  uint64_t vma_offset;
  uint64_t inode;
  uint32_t dev_major;
  uint32_t dev_minor;
  uint32_t vma_name_size;
  uint32_t build_id_size;
  uint64_t vma_name_addr;
  uint64_t build_id_addr;
};
static_assert(sizeof(ProcmapQuery) == 104, "the size of struct procmap_query");
constexpr unsigned long kProcmapQuery = _IOWR('f', 17, ProcmapQuery);
constexpr uint64_t kProcmapVmaShared = 0x08;

// Whether the kernel answers PROCMAP_QUERY: 1 yes, 0 not asked yet, -1 no.
std::atomic<int> g_query_works{0};

enum class Answer { kFound, kUnmapped, kUnsupported };

Answer Query(int fd, uint64_t addr, Mapping* out) {
  ProcmapQuery q{};
  q.size = sizeof(q);
  q.query_addr = addr;
  if (ioctl(fd, kProcmapQuery, &q) != 0) {
    return errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP ? Answer::kUnsupported : Answer::kUnmapped;
  }
  out->start = q.vma_start;
  out->end = q.vma_end;
  out->shared = (q.vma_flags & kProcmapVmaShared) != 0 && q.inode != 0;
  out->dev = (static_cast<uint64_t>(q.dev_major) << 32) | q.dev_minor;
  out->inode = q.inode;
  out->offset = q.vma_offset + (addr - q.vma_start);
  return Answer::kFound;
}

// Only the line that holds `addr` is parsed in full; the others to their second number.
bool Parse(int fd, uint64_t addr, Mapping* out) {
  std::string text;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
  const char* line = text.c_str();
  while (*line != '\0') {
    char* rest = nullptr;
    const uint64_t start = strtoull(line, &rest, 16);
    const uint64_t end = *rest == '-' ? strtoull(rest + 1, &rest, 16) : 0;
    if (addr >= start && addr < end) {
      char perms[8];
      uint64_t file_offset = 0, inode = 0;
      unsigned major = 0, minor = 0;
      if (sscanf(rest, " %7s %" SCNx64 " %x:%x %" SCNu64, perms, &file_offset, &major, &minor, &inode) != 5) {
        return false;
      }
      out->start = start;
      out->end = end;
      out->shared = perms[3] == 's' && inode != 0;
      out->dev = (static_cast<uint64_t>(major) << 32) | minor;
      out->inode = inode;
      out->offset = file_offset + (addr - start);
      return true;
    }
    const char* eol = strchr(line, '\n');
    if (eol == nullptr) break;
    line = eol + 1;
  }
  return false;
}

}  // namespace

std::optional<Mapping> MappingAt(pid_t pid, uint64_t addr, MapsSource source) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/maps", pid);
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  Mapping m;
  bool found = false;
  bool parse = source == MapsSource::kText;
  if (source == MapsSource::kQuery || (source == MapsSource::kAny && g_query_works.load() >= 0)) {
    switch (Query(fd, addr, &m)) {
      case Answer::kFound:
        found = true;
        if (source == MapsSource::kAny) g_query_works.store(1);
        break;
      case Answer::kUnmapped:
        break;
      case Answer::kUnsupported:
        if (source == MapsSource::kAny) {
          g_query_works.store(-1);
          parse = true;
        }
        break;
    }
  } else if (source == MapsSource::kAny) {
    parse = true;
  }
  if (parse) found = Parse(fd, addr, &m);
  close(fd);
  if (!found) return std::nullopt;
  return m;
}

}  // namespace ravel
