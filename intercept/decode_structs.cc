// Structures behind pointers: stat, time, signals, process and resource
// structs. Socket and I/O-multiplexing structures are in decode_net.cc.
//
// Layouts are the x86-64 kernel's, declared here rather than taken from libc
// where the two differ (struct stat and struct sigaction do) or where libc
// may lack the type (clone_args, open_how).

#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

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

struct KernelStat {
  uint64_t st_dev, st_ino, st_nlink;
  uint32_t st_mode, st_uid, st_gid, pad0;
  uint64_t st_rdev;
  int64_t st_size, st_blksize, st_blocks;
  uint64_t st_atime_sec, st_atime_nsec, st_mtime_sec, st_mtime_nsec, st_ctime_sec,
      st_ctime_nsec;
  int64_t unused[3];
};
static_assert(sizeof(KernelStat) == 144);

struct StatxTimestamp {
  int64_t tv_sec;
  uint32_t tv_nsec;
  int32_t reserved;
};
struct KernelStatx {
  uint32_t stx_mask, stx_blksize;
  uint64_t stx_attributes;
  uint32_t stx_nlink, stx_uid, stx_gid;
  uint16_t stx_mode, spare0;
  uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
  StatxTimestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
  uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
  uint64_t stx_mnt_id;
  uint32_t stx_dio_mem_align, stx_dio_offset_align;
  uint64_t spare[12];
};
static_assert(sizeof(KernelStatx) == 256);

struct KernelStatfs {
  int64_t f_type, f_bsize;
  uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
  int32_t f_fsid[2];
  int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};
static_assert(sizeof(KernelStatfs) == 120);

struct KernelTimespec {
  int64_t tv_sec, tv_nsec;
};
struct KernelTimeval {
  int64_t tv_sec, tv_usec;
};

struct KernelSigaction {
  uint64_t handler, flags, restorer, mask;
};
constexpr uint64_t kSaRestorer = 0x04000000;

struct KernelStack {
  uint64_t ss_sp;
  int32_t ss_flags;
  int32_t pad;
  uint64_t ss_size;
};

struct KernelCloneArgs {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};

struct KernelOpenHow {
  uint64_t flags, mode, resolve;
};

constexpr size_t kUtsFieldLen = 65;

// CLONE_* bits that decide which clone_args fields matter.
constexpr uint64_t kClonePidfd = 0x1000;
constexpr uint64_t kCloneSettls = 0x80000;
constexpr uint64_t kCloneParentSettid = 0x100000;
constexpr uint64_t kCloneChildCleartid = 0x200000;
constexpr uint64_t kCloneChildSettid = 0x1000000;
constexpr uint64_t kCloneIntoCgroup = 0x200000000;

constexpr uint32_t kFileTypeMask = 0170000;
constexpr uint32_t kIfChr = 0020000;
constexpr uint32_t kIfBlk = 0060000;

constexpr int64_t kUtimeNow = (1 << 30) - 1;
constexpr int64_t kUtimeOmit = (1 << 30) - 2;

constexpr FlagName kStatfsFlagNames[] = {
    {1, "ST_RDONLY"},      {2, "ST_NOSUID"},     {4, "ST_NODEV"},     {8, "ST_NOEXEC"},
    {16, "ST_SYNCHRONOUS"}, {32, "ST_VALID"},    {64, "ST_MANDLOCK"}, {1024, "ST_NOATIME"},
    {2048, "ST_NODIRATIME"}, {4096, "ST_RELATIME"}, {8192, "ST_NOSYMFOLLOW"},
};
constexpr FlagName kFsMagicNames[] = {
    {0xef53, "EXT2_SUPER_MAGIC"},      {0x01021994, "TMPFS_MAGIC"},
    {0x9fa0, "PROC_SUPER_MAGIC"},      {0x62656572, "SYSFS_MAGIC"},
    {0x794c7630, "OVERLAYFS_SUPER_MAGIC"}, {0x9123683e, "BTRFS_SUPER_MAGIC"},
    {0x58465342, "XFS_SUPER_MAGIC"},   {0x63677270, "CGROUP2_SUPER_MAGIC"},
    {0x27e0eb, "CGROUP_SUPER_MAGIC"},  {0x6969, "NFS_SUPER_MAGIC"},
    {0x1cd1, "DEVPTS_SUPER_MAGIC"},    {0x01021997, "V9FS_MAGIC"},
    {0x65735546, "FUSE_SUPER_MAGIC"},  {0x4d44, "MSDOS_SUPER_MAGIC"},
};
constexpr FlagName kStatxAttrNames[] = {
    {0x4, "STATX_ATTR_COMPRESSED"},   {0x10, "STATX_ATTR_IMMUTABLE"},
    {0x20, "STATX_ATTR_APPEND"},      {0x40, "STATX_ATTR_NODUMP"},
    {0x800, "STATX_ATTR_ENCRYPTED"},  {0x1000, "STATX_ATTR_AUTOMOUNT"},
    {0x2000, "STATX_ATTR_MOUNT_ROOT"}, {0x100000, "STATX_ATTR_VERITY"},
    {0x200000, "STATX_ATTR_DAX"},     {0x400000, "STATX_ATTR_WRITE_ATOMIC"},
};
constexpr uint32_t kStatxBtime = 0x800;
constexpr uint32_t kStatxMntId = 0x1000;

constexpr FlagName kSsFlagNames[] = {
    {1, "SS_ONSTACK"}, {2, "SS_DISABLE"}, {0x80000000, "SS_AUTODISARM"}};

constexpr uint32_t kAuditArchX86_64 = 0xc000003e;

// ` /* 2026-11-28T05:34:28.686742218+0000 */` after verbose timestamps.
std::string TimeComment(int64_t sec, uint64_t nsec) {
  time_t t = static_cast<time_t>(sec);
  struct tm tm;
  if (gmtime_r(&t, &tm) == nullptr) return "";
  char buf[64];
  if (strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0) return "";
  std::string out = absl::StrCat(" /* ", buf);
  if (nsec != 0) absl::StrAppendFormat(&out, ".%09u", nsec);
  out += "+0000 */";
  return out;
}

// Clock ticks, with seconds in a comment when not zero: `150 /* 1.50 s */`.
std::string FormatClockTicks(int64_t ticks) {
  static const int64_t kTicksPerSecond = sysconf(_SC_CLK_TCK);
  std::string out = absl::StrCat(ticks);
  if (ticks != 0 && kTicksPerSecond > 0) {
    absl::StrAppendFormat(&out, " /* %d.%02d s */", ticks / kTicksPerSecond,
                          (ticks % kTicksPerSecond) * 100 / kTicksPerSecond);
  }
  return out;
}

std::string FormatRlimValue(uint64_t v) {
  if (v == ~uint64_t{0}) return "RLIM64_INFINITY";
  if (v > 1024 && v % 1024 == 0) return absl::StrCat(v / 1024, "*1024");
  return absl::StrCat(v);
}

std::string TimespecText(const KernelTimespec& ts) {
  return absl::StrCat("{tv_sec=", ts.tv_sec, ", tv_nsec=", ts.tv_nsec, "}");
}

}  // namespace

std::string FormatStat(RemoteReader& mem, uint64_t addr, const PrintOptions& opt) {
  KernelStat st;
  if (!ReadObject(mem, addr, st)) return FormatPtr(addr);
  const bool is_dev = (st.st_mode & kFileTypeMask) == kIfChr ||
                      (st.st_mode & kFileTypeMask) == kIfBlk;
  std::string size_or_rdev = is_dev ? absl::StrCat("st_rdev=", FormatDev(st.st_rdev))
                                    : absl::StrCat("st_size=", st.st_size);
  if (!opt.verbose_structs) {
    return absl::StrCat("{st_mode=", FormatStatMode(st.st_mode), ", ", size_or_rdev, ", ...}");
  }
  auto time_field = [](absl::string_view name, uint64_t sec, uint64_t nsec) {
    return absl::StrCat(name, "=", static_cast<int64_t>(sec),
                        TimeComment(static_cast<int64_t>(sec), nsec), ", ", name, "_nsec=", nsec);
  };
  return absl::StrCat(
      "{st_dev=", FormatDev(st.st_dev), ", st_ino=", st.st_ino,
      ", st_mode=", FormatStatMode(st.st_mode), ", st_nlink=", st.st_nlink,
      ", st_uid=", st.st_uid, ", st_gid=", st.st_gid, ", st_blksize=", st.st_blksize,
      ", st_blocks=", st.st_blocks, ", ", size_or_rdev, ", ",
      time_field("st_atime", st.st_atime_sec, st.st_atime_nsec), ", ",
      time_field("st_mtime", st.st_mtime_sec, st.st_mtime_nsec), ", ",
      time_field("st_ctime", st.st_ctime_sec, st.st_ctime_nsec), "}");
}

std::string FormatStatx(RemoteReader& mem, uint64_t addr, const PrintOptions& opt) {
  KernelStatx stx;
  if (!ReadObject(mem, addr, stx)) return FormatPtr(addr);
  if (!opt.verbose_structs) {
    return absl::StrCat("{stx_mask=", FormatStatxMask(stx.stx_mask),
                        ", stx_attributes=", FormatFlags(stx.stx_attributes, kStatxAttrNames),
                        ", stx_mode=", FormatStatMode(stx.stx_mode),
                        ", stx_size=", stx.stx_size, ", ...}");
  }
  auto ts = [](absl::string_view name, const StatxTimestamp& t) {
    return absl::StrCat(", ", name, "={tv_sec=", t.tv_sec, ", tv_nsec=", t.tv_nsec, "}",
                        TimeComment(t.tv_sec, t.tv_nsec));
  };
  std::string out = absl::StrCat(
      "{stx_mask=", FormatStatxMask(stx.stx_mask), ", stx_blksize=", stx.stx_blksize,
      ", stx_attributes=", FormatFlags(stx.stx_attributes, kStatxAttrNames),
      ", stx_nlink=", stx.stx_nlink, ", stx_uid=", stx.stx_uid, ", stx_gid=", stx.stx_gid,
      ", stx_mode=", FormatStatMode(stx.stx_mode), ", stx_ino=", stx.stx_ino,
      ", stx_size=", stx.stx_size, ", stx_blocks=", stx.stx_blocks,
      ", stx_attributes_mask=", FormatFlags(stx.stx_attributes_mask, kStatxAttrNames));
  absl::StrAppend(&out, ts("stx_atime", stx.stx_atime));
  if (stx.stx_mask & kStatxBtime) absl::StrAppend(&out, ts("stx_btime", stx.stx_btime));
  absl::StrAppend(&out, ts("stx_ctime", stx.stx_ctime), ts("stx_mtime", stx.stx_mtime),
                  ", stx_rdev_major=", stx.stx_rdev_major,
                  ", stx_rdev_minor=", stx.stx_rdev_minor, ", stx_dev_major=", stx.stx_dev_major,
                  ", stx_dev_minor=", stx.stx_dev_minor);
  if (stx.stx_mask & kStatxMntId) absl::StrAppend(&out, ", stx_mnt_id=", FormatHex(stx.stx_mnt_id));
  out += "}";
  return out;
}

std::string FormatStatfs(RemoteReader& mem, uint64_t addr, const PrintOptions& opt) {
  KernelStatfs sf;
  if (!ReadObject(mem, addr, sf)) return FormatPtr(addr);
  return absl::StrFormat(
      "{f_type=%s, f_bsize=%d, f_blocks=%u, f_bfree=%u, f_bavail=%u, f_files=%u, f_ffree=%u, "
      "f_fsid={val=[%#x, %#x]}, f_namelen=%d, f_frsize=%d, f_flags=%s}",
      FormatEnum(static_cast<uint64_t>(sf.f_type), kFsMagicNames, /*hex=*/true), sf.f_bsize,
      sf.f_blocks, sf.f_bfree, sf.f_bavail, sf.f_files, sf.f_ffree,
      static_cast<uint32_t>(sf.f_fsid[0]), static_cast<uint32_t>(sf.f_fsid[1]), sf.f_namelen,
      sf.f_frsize, FormatFlags(static_cast<uint64_t>(sf.f_flags), kStatfsFlagNames));
}

std::string FormatTimespec(RemoteReader& mem, uint64_t addr) {
  KernelTimespec ts;
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, ts)) return FormatPtr(addr);
  return TimespecText(ts);
}

std::string FormatTimespecPair(RemoteReader& mem, uint64_t addr) {
  KernelTimespec ts[2];
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, ts)) return FormatPtr(addr);
  auto one = [](const KernelTimespec& t) -> std::string {
    if (t.tv_nsec == kUtimeNow) return "UTIME_NOW";
    if (t.tv_nsec == kUtimeOmit) return "UTIME_OMIT";
    return TimespecText(t);
  };
  return absl::StrCat("[", one(ts[0]), ", ", one(ts[1]), "]");
}

std::string FormatTimeval(RemoteReader& mem, uint64_t addr) {
  KernelTimeval tv;
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, tv)) return FormatPtr(addr);
  return absl::StrCat("{tv_sec=", tv.tv_sec, ", tv_usec=", tv.tv_usec, "}");
}

std::string FormatItimerspec(RemoteReader& mem, uint64_t addr) {
  KernelTimespec its[2];
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, its)) return FormatPtr(addr);
  return absl::StrCat("{it_interval=", TimespecText(its[0]), ", it_value=", TimespecText(its[1]),
                      "}");
}

std::string FormatItimerval(RemoteReader& mem, uint64_t addr) {
  KernelTimeval itv[2];
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, itv)) return FormatPtr(addr);
  auto tv = [](const KernelTimeval& t) {
    return absl::StrCat("{tv_sec=", t.tv_sec, ", tv_usec=", t.tv_usec, "}");
  };
  return absl::StrCat("{it_interval=", tv(itv[0]), ", it_value=", tv(itv[1]), "}");
}

std::string FormatSigset(RemoteReader& mem, uint64_t addr) {
  uint64_t mask;
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, mask)) return FormatPtr(addr);
  return FormatSigsetMask(mask);
}

std::string FormatSigaction(RemoteReader& mem, uint64_t addr) {
  KernelSigaction sa;
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, sa)) return FormatPtr(addr);
  std::string handler = sa.handler == 0   ? "SIG_DFL"
                        : sa.handler == 1 ? "SIG_IGN"
                                          : FormatPtr(sa.handler);
  std::string out = absl::StrCat("{sa_handler=", handler, ", sa_mask=", FormatSigsetMask(sa.mask),
                                 ", sa_flags=", FormatSaFlags(sa.flags));
  if (sa.flags & kSaRestorer) absl::StrAppend(&out, ", sa_restorer=", FormatPtr(sa.restorer));
  out += "}";
  return out;
}

std::string FormatStack(RemoteReader& mem, uint64_t addr) {
  KernelStack ss;
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, ss)) return FormatPtr(addr);
  return absl::StrCat("{ss_sp=", FormatPtr(ss.ss_sp),
                      ", ss_flags=", FormatFlags(static_cast<uint32_t>(ss.ss_flags), kSsFlagNames),
                      ", ss_size=", ss.ss_size, "}");
}

std::string FormatSiginfo(const siginfo_t& si) {
  std::string out = absl::StrCat("{si_signo=", FormatSignalNumber(si.si_signo),
                                 ", si_code=", FormatSiCode(si.si_signo, si.si_code));
  if (si.si_errno != 0) {
    std::string_view name = ErrnoName(si.si_errno);
    absl::StrAppend(&out, ", si_errno=",
                    name.empty() ? absl::StrCat(si.si_errno) : std::string(name));
  }
  const int code = si.si_code;
  const std::string sigval =
      absl::StrCat(", si_int=", si.si_int,
                   ", si_ptr=", FormatPtr(reinterpret_cast<uint64_t>(si.si_ptr)));
  if (code <= 0) {  // sent by a process (kill, sigqueue, timers, ...)
    if (code == SI_TIMER) {
      absl::StrAppend(&out, ", si_timerid=", FormatHex(static_cast<uint32_t>(si.si_timerid)),
                      ", si_overrun=", si.si_overrun, sigval);
    } else if (code == SI_SIGIO) {
      absl::StrAppend(&out, ", si_band=", si.si_band, ", si_fd=", si.si_fd);
    } else {
      absl::StrAppend(&out, ", si_pid=", si.si_pid, ", si_uid=", si.si_uid);
      if (code != SI_USER && code != SI_TKILL && si.si_ptr != nullptr) out += sigval;
    }
  } else {  // from the kernel, SI_KERNEL included
    switch (si.si_signo) {
      case SIGILL: case SIGFPE: case SIGSEGV: case SIGBUS: case SIGTRAP:
        absl::StrAppend(&out, ", si_addr=", FormatPtr(reinterpret_cast<uint64_t>(si.si_addr)));
        break;
      case SIGCHLD: {
        std::string status = code == CLD_EXITED ? absl::StrCat(si.si_status)
                                                : FormatSignalNumber(si.si_status);
        absl::StrAppend(&out, ", si_pid=", si.si_pid, ", si_uid=", si.si_uid,
                        ", si_status=", status, ", si_utime=", FormatClockTicks(si.si_utime),
                        ", si_stime=", FormatClockTicks(si.si_stime));
        break;
      }
      case SIGIO:
        absl::StrAppend(&out, ", si_band=", si.si_band, ", si_fd=", si.si_fd);
        break;
      case SIGSYS: {
        const SyscallInfo* call = FindSyscall(si.si_syscall);
        std::string arch = si.si_arch == kAuditArchX86_64 ? "AUDIT_ARCH_X86_64"
                                                          : FormatHex(si.si_arch);
        absl::StrAppend(&out, ", si_call_addr=",
                        FormatPtr(reinterpret_cast<uint64_t>(si.si_call_addr)), ", si_syscall=",
                        call != nullptr ? absl::StrCat("__NR_", ToAbsl(call->name))
                                        : absl::StrCat(si.si_syscall),
                        ", si_arch=", arch);
        break;
      }
      default:
        break;
    }
  }
  out += "}";
  return out;
}

std::string FormatSiginfoAt(RemoteReader& mem, uint64_t addr) {
  siginfo_t si;
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, si)) return FormatPtr(addr);
  return FormatSiginfo(si);
}

std::string FormatCloneArgs(RemoteReader& mem, uint64_t addr, uint64_t size) {
  if (addr == 0) return "NULL";
  KernelCloneArgs ca{};
  size_t want = std::min<uint64_t>(size, sizeof(ca));
  constexpr size_t kMinSize = 64;  // CLONE_ARGS_SIZE_VER0
  if (want < kMinSize) return FormatPtr(addr);
  std::string bytes = ReadBytes(mem, addr, want);
  if (bytes.size() < want) return FormatPtr(addr);
  std::memcpy(&ca, bytes.data(), want);
  std::string out = absl::StrCat("{flags=", FormatCloneFlags(ca.flags, false));
  if (ca.flags & kClonePidfd) absl::StrAppend(&out, ", pidfd=", FormatPtr(ca.pidfd));
  if (ca.flags & (kCloneChildSettid | kCloneChildCleartid)) {
    absl::StrAppend(&out, ", child_tid=", FormatPtr(ca.child_tid));
  }
  if (ca.flags & kCloneParentSettid) {
    absl::StrAppend(&out, ", parent_tid=", FormatPtr(ca.parent_tid));
  }
  absl::StrAppend(&out, ", exit_signal=",
                  ca.exit_signal == 0 ? "0" : FormatSignalNumber(ca.exit_signal),
                  ", stack=", FormatPtr(ca.stack), ", stack_size=", FormatHex(ca.stack_size));
  if (ca.flags & kCloneSettls) absl::StrAppend(&out, ", tls=", FormatPtr(ca.tls));
  if (ca.set_tid_size != 0) {
    absl::StrAppend(&out, ", set_tid=", FormatPtr(ca.set_tid),
                    ", set_tid_size=", ca.set_tid_size);
  }
  if (ca.flags & kCloneIntoCgroup) absl::StrAppend(&out, ", cgroup=", ca.cgroup);
  out += "}";
  return out;
}

std::string FormatCloneArgsResult(RemoteReader& mem, uint64_t addr, uint64_t size) {
  KernelCloneArgs ca{};
  if (size < 32 || !ReadObject(mem, addr, ca)) return "";  // parent_tid ends at 32
  int32_t tid = 0;
  if (!(ca.flags & kCloneParentSettid) || !ReadObject(mem, ca.parent_tid, tid)) return "";
  return absl::StrCat(" => {parent_tid=[", tid, "]}");
}

std::string FormatWaitStatus(RemoteReader& mem, uint64_t addr) {
  int32_t status;
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, status)) return FormatPtr(addr);
  return absl::StrCat("[", FormatWaitStatusValue(status), "]");
}

std::string FormatRlimit(RemoteReader& mem, uint64_t addr) {
  uint64_t lim[2];
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, lim)) return FormatPtr(addr);
  return absl::StrCat("{rlim_cur=", FormatRlimValue(lim[0]),
                      ", rlim_max=", FormatRlimValue(lim[1]), "}");
}

std::string FormatUtsname(RemoteReader& mem, uint64_t addr, const PrintOptions& opt) {
  char uts[6][kUtsFieldLen];
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, uts)) return FormatPtr(addr);
  auto field = [&](int i) {
    std::string_view s(uts[i], strnlen(uts[i], kUtsFieldLen));
    return EscapeString(s, kUtsFieldLen, false);
  };
  if (!opt.verbose_structs) {
    return absl::StrCat("{sysname=", field(0), ", nodename=", field(1), ", ...}");
  }
  return absl::StrCat("{sysname=", field(0), ", nodename=", field(1), ", release=", field(2),
                      ", version=", field(3), ", machine=", field(4),
                      ", domainname=", field(5), "}");
}

std::string FormatOpenHow(RemoteReader& mem, uint64_t addr, uint64_t size) {
  KernelOpenHow how;
  if (addr == 0) return "NULL";
  if (size < sizeof(how) || !ReadObject(mem, addr, how)) return FormatPtr(addr);
  constexpr uint64_t kCreates = 0100 | 020000000;  // O_CREAT, __O_TMPFILE
  std::string mode;
  if ((how.flags & kCreates) || how.mode != 0) {
    mode = absl::StrCat(", mode=", FormatMode(static_cast<uint32_t>(how.mode)));
  }
  return absl::StrCat("{flags=", FormatOpenFlags(how.flags), mode,
                      ", resolve=", FormatResolveFlags(how.resolve), "}");
}

std::string FormatIntPtr(RemoteReader& mem, uint64_t addr) {
  int32_t v;
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, v)) return FormatPtr(addr);
  return absl::StrCat("[", v, "]");
}

std::string FormatGids(RemoteReader& mem, uint64_t addr, int64_t count,
                       const PrintOptions& opt) {
  constexpr int64_t kMaxGroups = 65536;  // NGROUPS_MAX
  if (addr == 0) return "NULL";
  if (count == 0) return "[]";
  if (count < 0 || count > kMaxGroups) return FormatPtr(addr);
  std::string out = "[";
  for (int64_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    if (static_cast<uint64_t>(i) >= opt.string_limit) {
      out += "...";
      break;
    }
    uint32_t gid;
    if (!ReadObject(mem, addr + i * sizeof(gid), gid)) {
      if (i == 0) return FormatPtr(addr);
      out += "...";
      break;
    }
    absl::StrAppend(&out, gid);
  }
  out += "]";
  return out;
}

std::string FormatSysinfo(RemoteReader& mem, uint64_t addr) {
  struct sysinfo si;  // glibc's layout is the kernel's on x86-64
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, si)) return FormatPtr(addr);
  return absl::StrCat(
      "{uptime=", si.uptime, ", loads=[", si.loads[0], ", ", si.loads[1], ", ", si.loads[2],
      "], totalram=", si.totalram, ", freeram=", si.freeram, ", sharedram=", si.sharedram,
      ", bufferram=", si.bufferram, ", totalswap=", si.totalswap, ", freeswap=", si.freeswap,
      ", procs=", si.procs, ", totalhigh=", si.totalhigh, ", freehigh=", si.freehigh,
      ", mem_unit=", si.mem_unit, "}");
}

std::string FormatTimes(RemoteReader& mem, uint64_t addr) {
  struct tms t;
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, t)) return FormatPtr(addr);
  return absl::StrCat("{tms_utime=", FormatClockTicks(t.tms_utime),
                      ", tms_stime=", FormatClockTicks(t.tms_stime),
                      ", tms_cutime=", FormatClockTicks(t.tms_cutime),
                      ", tms_cstime=", FormatClockTicks(t.tms_cstime), "}");
}

std::string FormatRusage(RemoteReader& mem, uint64_t addr, const PrintOptions& opt) {
  struct rusage ru;  // glibc's layout is the kernel's on x86-64
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, ru)) return FormatPtr(addr);
  auto tv = [](const timeval& t) {
    return absl::StrCat("{tv_sec=", t.tv_sec, ", tv_usec=", t.tv_usec, "}");
  };
  std::string out =
      absl::StrCat("{ru_utime=", tv(ru.ru_utime), ", ru_stime=", tv(ru.ru_stime));
  if (!opt.verbose_structs) return out + ", ...}";
  absl::StrAppend(&out, ", ru_maxrss=", ru.ru_maxrss, ", ru_ixrss=", ru.ru_ixrss,
                  ", ru_idrss=", ru.ru_idrss, ", ru_isrss=", ru.ru_isrss,
                  ", ru_minflt=", ru.ru_minflt, ", ru_majflt=", ru.ru_majflt,
                  ", ru_nswap=", ru.ru_nswap, ", ru_inblock=", ru.ru_inblock);
  absl::StrAppend(&out, ", ru_oublock=", ru.ru_oublock, ", ru_msgsnd=", ru.ru_msgsnd,
                  ", ru_msgrcv=", ru.ru_msgrcv, ", ru_nsignals=", ru.ru_nsignals,
                  ", ru_nvcsw=", ru.ru_nvcsw, ", ru_nivcsw=", ru.ru_nivcsw, "}");
  return out;
}

std::string FormatOffPtr(RemoteReader& mem, uint64_t addr) {
  int64_t v;
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, v)) return FormatPtr(addr);
  return absl::StrCat("[", v, "]");
}

std::string FormatCpuSet(RemoteReader& mem, uint64_t addr, int64_t bytes) {
  constexpr int64_t kMaxBytes = 1 << 13;  // 65536 CPUs
  if (addr == 0) return "NULL";
  if (bytes < 0 || bytes > kMaxBytes) return FormatPtr(addr);
  std::string mask = ReadBytes(mem, addr, static_cast<size_t>(bytes));
  if (mask.size() < static_cast<size_t>(bytes)) return FormatPtr(addr);
  std::vector<int> cpus;
  for (size_t bit = 0; bit < mask.size() * 8; ++bit) {
    if (static_cast<unsigned char>(mask[bit / 8]) & (1u << (bit % 8))) {
      cpus.push_back(static_cast<int>(bit));
    }
  }
  return absl::StrCat("[", absl::StrJoin(cpus, " "), "]");
}

std::string FormatFdPair(RemoteReader& mem, uint64_t addr) {
  int32_t fds[2];
  if (addr == 0) return "NULL";
  if (!ReadObject(mem, addr, fds)) return FormatPtr(addr);
  return absl::StrCat("[", fds[0], ", ", fds[1], "]");
}

}  // namespace ravel::internal
