// The x86-64 syscall table and the strace-style set parser.

#include "intercept/syscall_table.h"

#include <sys/syscall.h>

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "intercept/decode_internal.h"

namespace ravel {
namespace {

// One table row as written below: the public entry plus what <sys/syscall.h>
// says the number is, as text. The text is "123" when the header defines
// SYS_<name>, or "SYS_<name>" itself when it does not (newer calls).
struct Row {
  SyscallInfo info;
  std::string_view header_nr;

  constexpr Row(int nr, std::string_view name, std::string_view header, RetKind ret,
                uint32_t classes, std::initializer_list<ArgKind> args)
      : info{nr, name, static_cast<uint8_t>(args.size()), {}, ret, classes},
        header_nr(header) {
    size_t i = 0;
    for (ArgKind a : args) info.args[i++] = a;  // >6 args fails constant evaluation
  }
};

#define RAVEL_STRINGIFY_(x) #x
#define RAVEL_EXPAND_STRINGIFY_(x) RAVEL_STRINGIFY_(x)
// SYS_##name is macro-expanded before stringification, so a defined macro
// becomes its number and an undefined one stays as its own spelling.
#define R(nr, name, ret, classes, ...)                                   \
  Row(nr, #name, RAVEL_EXPAND_STRINGIFY_(SYS_##name), RetKind::ret, classes, \
      {__VA_ARGS__})

using enum ArgKind;

constexpr uint32_t D = kClassDesc;
constexpr uint32_t F = kClassFile;
constexpr uint32_t P = kClassProcess;
constexpr uint32_t N = kClassNetwork;
constexpr uint32_t S = kClassSignal;
constexpr uint32_t I = kClassIpc;
constexpr uint32_t M = kClassMemory;
constexpr uint32_t C = kClassCreds;
constexpr uint32_t K = kClassClock;
constexpr uint32_t ST = kClassStat;
constexpr uint32_t LST = kClassLstat;
constexpr uint32_t FST = kClassFstat;
constexpr uint32_t STA = kClassStatLike;
constexpr uint32_t SF = kClassStatfs;
constexpr uint32_t FSF = kClassFstatfs;
constexpr uint32_t SFA = kClassStatfsLike;
constexpr uint32_t PU = kClassPure;

// Sorted by number; the static_asserts below keep it that way.
constexpr Row kRows[] = {
    R(0, read, kInt, D, kFd, kOutBuf, kULong),
    R(1, write, kInt, D, kFd, kInBuf, kULong),
    R(2, open, kFd, D | F, kPath, kOpenFlags, kMode),
    R(3, close, kInt, D, kFd),
    R(4, stat, kInt, F | ST | STA, kPath, kStatOut),
    R(5, fstat, kInt, D | FST | STA, kFd, kStatOut),
    R(6, lstat, kInt, F | LST | STA, kPath, kStatOut),
    R(7, poll, kInt, D, kPollFds, kUInt, kInt),
    R(8, lseek, kInt, D, kFd, kLong, kWhence),
    R(9, mmap, kHex, D | M, kPtr, kULong, kMmapProt, kMmapFlags, kFd, kHex),
    R(10, mprotect, kInt, M, kPtr, kULong, kMmapProt),
    R(11, munmap, kInt, M, kPtr, kULong),
    R(12, brk, kHex, M, kPtr),
    R(13, rt_sigaction, kInt, S, kSignal, kSigactionIn, kSigactionOut, kULong),
    R(14, rt_sigprocmask, kInt, S, kSigprocmaskHow, kSigsetIn, kSigsetOut, kULong),
    R(15, rt_sigreturn, kInt, S),
    R(16, ioctl, kInt, D, kFd, kIoctlRequest, kHex),
    R(17, pread64, kInt, D, kFd, kOutBuf, kULong, kLong),
    R(18, pwrite64, kInt, D, kFd, kInBuf, kULong, kLong),
    R(19, readv, kInt, D, kFd, kIovecOut, kInt),
    R(20, writev, kInt, D, kFd, kIovecIn, kInt),
    R(21, access, kInt, F, kPath, kAccessMode),
    R(22, pipe, kInt, D, kFdPairOut),
    R(23, select, kInt, D, kInt, kFdSet, kFdSet, kFdSet, kTimevalIn),
    R(24, sched_yield, kInt, 0),
    R(25, mremap, kHex, M, kPtr, kULong, kULong, kMremapFlags, kPtr),
    R(26, msync, kInt, M, kPtr, kULong, kMsyncFlags),
    R(27, mincore, kInt, M, kPtr, kULong, kPtr),
    R(28, madvise, kInt, M, kPtr, kULong, kMadvise),
    R(29, shmget, kInt, I, kHex, kULong, kHex),
    R(30, shmat, kHex, I | M, kInt, kPtr, kHex),
    R(31, shmctl, kInt, I, kInt, kInt, kPtr),
    R(32, dup, kFd, D, kFd),
    R(33, dup2, kFd, D, kFd, kFd),
    R(34, pause, kInt, S),
    R(35, nanosleep, kInt, 0, kTimespecIn, kPtr),
    R(36, getitimer, kInt, 0, kItimerWhich, kItimervalOut),
    R(37, alarm, kInt, 0, kUInt),
    R(38, setitimer, kInt, 0, kItimerWhich, kItimervalIn, kItimervalOut),
    R(39, getpid, kInt, PU),
    R(40, sendfile, kInt, D | N, kFd, kFd, kOffPtrIn, kULong),
    R(41, socket, kFd, N, kSocketDomain, kSocketType, kSocketProtocol),
    R(42, connect, kInt, N, kFd, kSockaddrIn, kUInt),
    R(43, accept, kFd, N, kFd, kSockaddrOut, kSockLenInOut),
    R(44, sendto, kInt, N, kFd, kInBuf, kULong, kMsgFlags, kSockaddrIn, kUInt),
    R(45, recvfrom, kInt, N, kFd, kOutBuf, kULong, kMsgFlags, kSockaddrOut, kSockLenInOut),
    R(46, sendmsg, kInt, N, kFd, kMsghdrIn, kMsgFlags),
    R(47, recvmsg, kInt, N, kFd, kMsghdrOut, kMsgFlags),
    R(48, shutdown, kInt, N, kFd, kShutdownHow),
    R(49, bind, kInt, N, kFd, kSockaddrIn, kUInt),
    R(50, listen, kInt, N, kFd, kInt),
    R(51, getsockname, kInt, N, kFd, kSockaddrOut, kSockLenInOut),
    R(52, getpeername, kInt, N, kFd, kSockaddrOut, kSockLenInOut),
    R(53, socketpair, kInt, N, kSocketDomain, kSocketType, kSocketProtocol, kFdPairOut),
    R(54, setsockopt, kInt, N, kFd, kSockLevel, kSockOptName, kSockOptIn, kUInt),
    R(55, getsockopt, kInt, N, kFd, kSockLevel, kSockOptName, kSockOptOut, kSockLenInOut),
    R(56, clone, kInt, P, kCloneFlags, kPtr, kPtr, kPtr, kHex),
    R(57, fork, kInt, P),
    R(58, vfork, kInt, P),
    R(59, execve, kInt, F | P, kPath, kArgv, kEnvp),
    R(60, exit, kNone, P, kInt),
    R(61, wait4, kInt, P, kInt, kWaitStatus, kWaitOptions, kRusageOut),
    R(62, kill, kInt, S | P, kInt, kSignal),
    R(63, uname, kInt, 0, kUtsnameOut),
    R(64, semget, kInt, I, kHex, kInt, kHex),
    R(65, semop, kInt, I, kInt, kPtr, kUInt),
    R(66, semctl, kInt, I, kInt, kInt, kInt, kHex),
    R(67, shmdt, kInt, I | M, kPtr),
    R(68, msgget, kInt, I, kHex, kHex),
    R(69, msgsnd, kInt, I, kInt, kPtr, kULong, kHex),
    R(70, msgrcv, kInt, I, kInt, kPtr, kULong, kLong, kHex),
    R(71, msgctl, kInt, I, kInt, kInt, kPtr),
    R(72, fcntl, kInt, D, kFd, kFcntlCmd, kFcntlArg),
    R(73, flock, kInt, D, kFd, kFlockOp),
    R(74, fsync, kInt, D, kFd),
    R(75, fdatasync, kInt, D, kFd),
    R(76, truncate, kInt, F, kPath, kLong),
    R(77, ftruncate, kInt, D, kFd, kLong),
    R(78, getdents, kInt, D, kFd, kDirents, kUInt),
    R(79, getcwd, kInt, F, kOutPath, kULong),
    R(80, chdir, kInt, F, kPath),
    R(81, fchdir, kInt, D, kFd),
    R(82, rename, kInt, F, kPath, kPath),
    R(83, mkdir, kInt, F, kPath, kMode),
    R(84, rmdir, kInt, F, kPath),
    R(85, creat, kFd, D | F, kPath, kMode),
    R(86, link, kInt, F, kPath, kPath),
    R(87, unlink, kInt, F, kPath),
    R(88, symlink, kInt, F, kPath, kPath),
    R(89, readlink, kInt, F, kPath, kOutLinkBuf, kULong),
    R(90, chmod, kInt, F, kPath, kMode),
    R(91, fchmod, kInt, D, kFd, kMode),
    R(92, chown, kInt, F, kPath, kInt, kInt),
    R(93, fchown, kInt, D, kFd, kInt, kInt),
    R(94, lchown, kInt, F, kPath, kInt, kInt),
    R(95, umask, kOctal, 0, kOctal),
    R(96, gettimeofday, kInt, K, kTimevalOut, kPtr),
    R(97, getrlimit, kInt, 0, kRlimitResource, kRlimitOut),
    R(98, getrusage, kInt, 0, kRusageWho, kRusageOut),
    R(99, sysinfo, kInt, 0, kSysinfoOut),
    R(100, times, kInt, 0, kTimesOut),
    R(101, ptrace, kInt, 0, kPtraceRequest, kInt, kPtr, kHex),
    R(102, getuid, kInt, C | PU),
    R(103, syslog, kInt, 0, kInt, kPtr, kInt),
    R(104, getgid, kInt, C | PU),
    R(105, setuid, kInt, C, kInt),
    R(106, setgid, kInt, C, kInt),
    R(107, geteuid, kInt, C | PU),
    R(108, getegid, kInt, C | PU),
    R(109, setpgid, kInt, 0, kInt, kInt),
    R(110, getppid, kInt, PU),
    R(111, getpgrp, kInt, PU),
    R(112, setsid, kInt, 0),
    R(113, setreuid, kInt, C, kInt, kInt),
    R(114, setregid, kInt, C, kInt, kInt),
    R(115, getgroups, kInt, C, kInt, kGidsOut),
    R(116, setgroups, kInt, C, kInt, kGidsIn),
    R(117, setresuid, kInt, C, kInt, kInt, kInt),
    R(118, getresuid, kInt, C, kIntPtrOut, kIntPtrOut, kIntPtrOut),
    R(119, setresgid, kInt, C, kInt, kInt, kInt),
    R(120, getresgid, kInt, C, kIntPtrOut, kIntPtrOut, kIntPtrOut),
    R(121, getpgid, kInt, 0, kInt),
    R(122, setfsuid, kInt, C, kInt),
    R(123, setfsgid, kInt, C, kInt),
    R(124, getsid, kInt, 0, kInt),
    R(125, capget, kInt, C, kPtr, kPtr),
    R(126, capset, kInt, C, kPtr, kPtr),
    R(127, rt_sigpending, kInt, S, kSigsetOut, kULong),
    R(128, rt_sigtimedwait, kInt, S, kSigsetIn, kSiginfoOut, kTimespecIn, kULong),
    R(129, rt_sigqueueinfo, kInt, S | P, kInt, kSignal, kSiginfoIn),
    R(130, rt_sigsuspend, kInt, S, kSigsetIn, kULong),
    R(131, sigaltstack, kInt, S, kStackIn, kStackOut),
    R(132, utime, kInt, F, kPath, kPtr),
    R(133, mknod, kInt, F, kPath, kMknodMode, kDev),
    R(134, uselib, kInt, F, kPath),
    R(135, personality, kInt, 0, kHex),
    R(136, ustat, kInt, SFA, kDev, kPtr),
    R(137, statfs, kInt, F | SF | SFA, kPath, kStatfsOut),
    R(138, fstatfs, kInt, D | FSF | SFA, kFd, kStatfsOut),
    R(139, sysfs, kInt, 0, kInt, kHex, kHex),
    R(140, getpriority, kInt, 0, kInt, kInt),
    R(141, setpriority, kInt, 0, kInt, kInt, kInt),
    R(142, sched_setparam, kInt, 0, kInt, kIntPtrIn),
    R(143, sched_getparam, kInt, 0, kInt, kIntPtrOut),
    R(144, sched_setscheduler, kInt, 0, kInt, kSchedPolicy, kIntPtrIn),
    R(145, sched_getscheduler, kInt, 0, kInt),
    R(146, sched_get_priority_max, kInt, 0, kSchedPolicy),
    R(147, sched_get_priority_min, kInt, 0, kSchedPolicy),
    R(148, sched_rr_get_interval, kInt, 0, kInt, kTimespecOut),
    R(149, mlock, kInt, M, kPtr, kULong),
    R(150, munlock, kInt, M, kPtr, kULong),
    R(151, mlockall, kInt, M, kHex),
    R(152, munlockall, kInt, M),
    R(153, vhangup, kInt, 0),
    R(154, modify_ldt, kInt, 0, kInt, kPtr, kULong),
    R(155, pivot_root, kInt, F, kPath, kPath),
    R(156, _sysctl, kInt, 0, kPtr),
    R(157, prctl, kInt, C, kPrctlOption, kULong, kULong, kULong, kULong),
    R(158, arch_prctl, kInt, 0, kArchPrctlCode, kHex),
    R(159, adjtimex, kInt, K, kPtr),
    R(160, setrlimit, kInt, 0, kRlimitResource, kRlimitIn),
    R(161, chroot, kInt, F, kPath),
    R(162, sync, kInt, 0),
    R(163, acct, kInt, F, kPath),
    R(164, settimeofday, kInt, K, kTimevalIn, kPtr),
    R(165, mount, kInt, F, kPath, kPath, kString, kHex, kPtr),
    R(166, umount2, kInt, F, kPath, kHex),
    R(167, swapon, kInt, F, kPath, kHex),
    R(168, swapoff, kInt, F, kPath),
    R(169, reboot, kInt, 0, kHex, kHex, kHex, kPtr),
    R(170, sethostname, kInt, 0, kInBuf, kULong),
    R(171, setdomainname, kInt, 0, kInBuf, kULong),
    R(172, iopl, kInt, 0, kInt),
    R(173, ioperm, kInt, 0, kULong, kULong, kInt),
    R(174, create_module, kInt, 0, kString, kULong),
    R(175, init_module, kInt, 0, kPtr, kULong, kString),
    R(176, delete_module, kInt, 0, kString, kHex),
    R(177, get_kernel_syms, kInt, 0, kPtr),
    R(178, query_module, kInt, 0, kString, kInt, kPtr, kULong, kPtr),
    R(179, quotactl, kInt, F, kHex, kPath, kInt, kPtr),
    R(180, nfsservctl, kInt, 0, kInt, kPtr, kPtr),
    R(181, getpmsg, kInt, N, kHex, kHex, kHex, kHex, kHex),
    R(182, putpmsg, kInt, N, kHex, kHex, kHex, kHex, kHex),
    R(183, afs_syscall, kInt, 0, kHex, kHex, kHex, kHex, kHex),
    R(184, tuxcall, kInt, 0, kHex, kHex, kHex),
    R(185, security, kInt, 0, kHex, kHex, kHex),
    R(186, gettid, kInt, PU),
    R(187, readahead, kInt, D, kFd, kLong, kULong),
    R(188, setxattr, kInt, F, kPath, kString, kInBuf, kULong, kXattrFlags),
    R(189, lsetxattr, kInt, F, kPath, kString, kInBuf, kULong, kXattrFlags),
    R(190, fsetxattr, kInt, D, kFd, kString, kInBuf, kULong, kXattrFlags),
    R(191, getxattr, kInt, F, kPath, kString, kOutBuf, kULong),
    R(192, lgetxattr, kInt, F, kPath, kString, kOutBuf, kULong),
    R(193, fgetxattr, kInt, D, kFd, kString, kOutBuf, kULong),
    R(194, listxattr, kInt, F, kPath, kOutBuf, kULong),
    R(195, llistxattr, kInt, F, kPath, kOutBuf, kULong),
    R(196, flistxattr, kInt, D, kFd, kOutBuf, kULong),
    R(197, removexattr, kInt, F, kPath, kString),
    R(198, lremovexattr, kInt, F, kPath, kString),
    R(199, fremovexattr, kInt, D, kFd, kString),
    R(200, tkill, kInt, S | P, kInt, kSignal),
    R(201, time, kInt, K, kPtr),
    R(202, futex, kInt, 0, kPtr, kFutexOp, kInt, kTimespecIn, kPtr, kHex),
    R(203, sched_setaffinity, kInt, 0, kInt, kUInt, kCpuSetIn),
    R(204, sched_getaffinity, kInt, 0, kInt, kUInt, kCpuSetOut),
    R(205, set_thread_area, kInt, 0, kPtr),
    R(206, io_setup, kInt, M, kUInt, kPtr),
    R(207, io_destroy, kInt, M, kHex),
    R(208, io_getevents, kInt, 0, kHex, kLong, kLong, kPtr, kTimespecIn),
    R(209, io_submit, kInt, 0, kHex, kLong, kPtr),
    R(210, io_cancel, kInt, 0, kHex, kPtr, kPtr),
    R(211, get_thread_area, kInt, 0, kPtr),
    R(212, lookup_dcookie, kInt, 0, kHex, kPtr, kULong),
    R(213, epoll_create, kFd, D, kInt),
    R(214, epoll_ctl_old, kInt, 0, kHex, kHex, kHex, kHex),
    R(215, epoll_wait_old, kInt, 0, kHex, kHex, kHex, kHex),
    R(216, remap_file_pages, kInt, M, kPtr, kULong, kMmapProt, kULong, kMmapFlags),
    R(217, getdents64, kInt, D, kFd, kDirents, kUInt),
    R(218, set_tid_address, kInt, 0, kPtr),
    R(219, restart_syscall, kInt, 0),
    R(220, semtimedop, kInt, I, kInt, kPtr, kUInt, kTimespecIn),
    R(221, fadvise64, kInt, D, kFd, kLong, kLong, kFadviseAdvice),
    R(222, timer_create, kInt, 0, kClockId, kPtr, kPtr),
    R(223, timer_settime, kInt, 0, kInt, kTimerFlags, kItimerspecIn, kItimerspecOut),
    R(224, timer_gettime, kInt, 0, kInt, kItimerspecOut),
    R(225, timer_getoverrun, kInt, 0, kInt),
    R(226, timer_delete, kInt, 0, kInt),
    R(227, clock_settime, kInt, K, kClockId, kTimespecIn),
    R(228, clock_gettime, kInt, K, kClockId, kTimespecOut),
    R(229, clock_getres, kInt, K, kClockId, kTimespecOut),
    R(230, clock_nanosleep, kInt, 0, kClockId, kTimerFlags, kTimespecIn, kPtr),
    R(231, exit_group, kNone, P, kInt),
    R(232, epoll_wait, kInt, D, kFd, kEpollEventsOut, kInt, kInt),
    R(233, epoll_ctl, kInt, D, kFd, kEpollCtlOp, kFd, kEpollEventIn),
    R(234, tgkill, kInt, S | P, kInt, kInt, kSignal),
    R(235, utimes, kInt, F, kPath, kPtr),
    R(236, vserver, kInt, 0, kHex, kHex, kHex, kHex, kHex),
    R(237, mbind, kInt, M, kPtr, kULong, kInt, kPtr, kULong, kHex),
    R(238, set_mempolicy, kInt, M, kInt, kPtr, kULong),
    R(239, get_mempolicy, kInt, M, kPtr, kPtr, kULong, kPtr, kHex),
    R(240, mq_open, kFd, D, kString, kOpenFlags, kMode, kPtr),
    R(241, mq_unlink, kInt, 0, kString),
    R(242, mq_timedsend, kInt, D, kFd, kInBuf, kULong, kUInt, kTimespecIn),
    R(243, mq_timedreceive, kInt, D, kFd, kOutBuf, kULong, kPtr, kTimespecIn),
    R(244, mq_notify, kInt, D, kFd, kPtr),
    R(245, mq_getsetattr, kInt, D, kFd, kPtr, kPtr),
    R(246, kexec_load, kInt, 0, kHex, kULong, kPtr, kHex),
    R(247, waitid, kInt, P, kIdType, kInt, kSiginfoOut, kWaitOptions, kRusageOut),
    R(248, add_key, kInt, 0, kString, kString, kInBuf, kULong, kInt),
    R(249, request_key, kInt, 0, kString, kString, kString, kInt),
    R(250, keyctl, kInt, 0, kInt, kHex, kHex, kHex, kHex),
    R(251, ioprio_set, kInt, 0, kInt, kInt, kInt),
    R(252, ioprio_get, kInt, 0, kInt, kInt),
    R(253, inotify_init, kFd, D),
    R(254, inotify_add_watch, kInt, D | F, kFd, kPath, kInotifyMask),
    R(255, inotify_rm_watch, kInt, D, kFd, kInt),
    R(256, migrate_pages, kInt, M, kInt, kULong, kPtr, kPtr),
    R(257, openat, kFd, D | F, kDirFd, kPath, kOpenFlags, kMode),
    R(258, mkdirat, kInt, D | F, kDirFd, kPath, kMode),
    R(259, mknodat, kInt, D | F, kDirFd, kPath, kMknodMode, kDev),
    R(260, fchownat, kInt, D | F, kDirFd, kPath, kInt, kInt, kAtFlags),
    R(261, futimesat, kInt, D | F, kDirFd, kPath, kPtr),
    R(262, newfstatat, kInt, D | F | FST | STA, kDirFd, kPath, kStatOut, kAtFlags),
    R(263, unlinkat, kInt, D | F, kDirFd, kPath, kUnlinkFlags),
    R(264, renameat, kInt, D | F, kDirFd, kPath, kDirFd, kPath),
    R(265, linkat, kInt, D | F, kDirFd, kPath, kDirFd, kPath, kAtFlags),
    R(266, symlinkat, kInt, D | F, kPath, kDirFd, kPath),
    R(267, readlinkat, kInt, D | F, kDirFd, kPath, kOutLinkBuf, kULong),
    R(268, fchmodat, kInt, D | F, kDirFd, kPath, kMode),
    R(269, faccessat, kInt, D | F, kDirFd, kPath, kAccessMode),
    R(270, pselect6, kInt, D, kInt, kFdSet, kFdSet, kFdSet, kTimespecIn, kPtr),
    R(271, ppoll, kInt, D, kPollFds, kUInt, kTimespecIn, kSigsetIn, kULong),
    R(272, unshare, kInt, 0, kCloneFlags),
    R(273, set_robust_list, kInt, 0, kPtr, kULong),
    R(274, get_robust_list, kInt, 0, kInt, kPtr, kPtr),
    R(275, splice, kInt, D, kFd, kOffPtrIn, kFd, kOffPtrIn, kULong, kSpliceFlags),
    R(276, tee, kInt, D, kFd, kFd, kULong, kSpliceFlags),
    R(277, sync_file_range, kInt, D, kFd, kLong, kLong, kHex),
    R(278, vmsplice, kInt, D, kFd, kIovecIn, kULong, kSpliceFlags),
    R(279, move_pages, kInt, M, kInt, kULong, kPtr, kPtr, kPtr, kHex),
    R(280, utimensat, kInt, D | F, kDirFd, kPath, kTimespecPair, kAtFlags),
    R(281, epoll_pwait, kInt, D, kFd, kEpollEventsOut, kInt, kInt, kSigsetIn, kULong),
    R(282, signalfd, kFd, D | S, kFd, kSigsetIn, kULong),
    R(283, timerfd_create, kFd, D, kClockId, kTimerfdFlags),
    R(284, eventfd, kFd, D, kUInt),
    R(285, fallocate, kInt, D, kFd, kHex, kLong, kLong),
    R(286, timerfd_settime, kInt, D, kFd, kHex, kItimerspecIn, kItimerspecOut),
    R(287, timerfd_gettime, kInt, D, kFd, kItimerspecOut),
    R(288, accept4, kFd, N, kFd, kSockaddrOut, kSockLenInOut, kSockFlags),
    R(289, signalfd4, kFd, D | S, kFd, kSigsetIn, kULong, kSignalfdFlags),
    R(290, eventfd2, kFd, D, kUInt, kEventfdFlags),
    R(291, epoll_create1, kFd, D, kEpollFlags),
    R(292, dup3, kFd, D, kFd, kFd, kOpenFlagBits),
    R(293, pipe2, kInt, D, kFdPairOut, kOpenFlagBits),
    R(294, inotify_init1, kFd, D, kInotifyFlags),
    R(295, preadv, kInt, D, kFd, kIovecOut, kInt, kLong),
    R(296, pwritev, kInt, D, kFd, kIovecIn, kInt, kLong),
    R(297, rt_tgsigqueueinfo, kInt, S | P, kInt, kInt, kSignal, kSiginfoIn),
    R(298, perf_event_open, kFd, D, kPtr, kInt, kInt, kFd, kHex),
    R(299, recvmmsg, kInt, N, kFd, kPtr, kUInt, kMsgFlags, kTimespecIn),
    R(300, fanotify_init, kFd, D, kHex, kOpenFlags),
    R(301, fanotify_mark, kInt, D | F, kFd, kHex, kHex, kDirFd, kPath),
    R(302, prlimit64, kInt, 0, kInt, kRlimitResource, kRlimitIn, kRlimitOut),
    R(303, name_to_handle_at, kInt, D | F, kDirFd, kPath, kPtr, kPtr, kAtFlags),
    R(304, open_by_handle_at, kFd, D, kFd, kPtr, kOpenFlags),
    R(305, clock_adjtime, kInt, K, kClockId, kPtr),
    R(306, syncfs, kInt, D, kFd),
    R(307, sendmmsg, kInt, N, kFd, kPtr, kUInt, kMsgFlags),
    R(308, setns, kInt, D, kFd, kCloneFlags),
    R(309, getcpu, kInt, 0, kIntPtrOut, kIntPtrOut, kPtr),
    R(310, process_vm_readv, kInt, 0, kInt, kPtr, kULong, kPtr, kULong, kHex),
    R(311, process_vm_writev, kInt, 0, kInt, kPtr, kULong, kPtr, kULong, kHex),
    R(312, kcmp, kInt, 0, kInt, kInt, kInt, kHex, kHex),
    R(313, finit_module, kInt, D, kFd, kString, kHex),
    R(314, sched_setattr, kInt, 0, kInt, kPtr, kHex),
    R(315, sched_getattr, kInt, 0, kInt, kPtr, kUInt, kHex),
    R(316, renameat2, kInt, D | F, kDirFd, kPath, kDirFd, kPath, kRenameFlags),
    R(317, seccomp, kInt, 0, kUInt, kHex, kPtr),
    R(318, getrandom, kInt, 0, kOutBufHex, kULong, kGetrandomFlags),
    R(319, memfd_create, kFd, D, kString, kMemfdFlags),
    R(320, kexec_file_load, kInt, D, kFd, kFd, kULong, kString, kHex),
    R(321, bpf, kInt, D, kInt, kPtr, kUInt),
    R(322, execveat, kInt, D | F | P, kDirFd, kPath, kArgv, kEnvp, kAtFlags),
    R(323, userfaultfd, kFd, D, kOpenFlagBits),
    R(324, membarrier, kInt, 0, kInt, kHex, kInt),
    R(325, mlock2, kInt, M, kPtr, kULong, kHex),
    R(326, copy_file_range, kInt, D, kFd, kOffPtrIn, kFd, kOffPtrIn, kULong, kHex),
    R(327, preadv2, kInt, D, kFd, kIovecOut, kInt, kLong, kIgnored, kHex),
    R(328, pwritev2, kInt, D, kFd, kIovecIn, kInt, kLong, kIgnored, kHex),
    R(329, pkey_mprotect, kInt, M, kPtr, kULong, kMmapProt, kInt),
    R(330, pkey_alloc, kInt, 0, kHex, kHex),
    R(331, pkey_free, kInt, 0, kInt),
    R(332, statx, kInt, D | F | FST | STA, kDirFd, kPath, kAtFlags, kStatxMask, kStatxOut),
    R(333, io_pgetevents, kInt, 0, kHex, kLong, kLong, kPtr, kTimespecIn, kPtr),
    R(334, rseq, kInt, 0, kPtr, kHex, kHex, kHex),
    R(335, uretprobe, kInt, 0),
    // 336..423 are unused on x86-64: numbers there were reserved so that the
    // calls added to every architecture at once share one number from 424 on.
    R(424, pidfd_send_signal, kInt, D | S | P, kFd, kSignal, kSiginfoIn, kHex),
    R(425, io_uring_setup, kFd, D, kUInt, kPtr),
    R(426, io_uring_enter, kInt, D | S, kFd, kUInt, kUInt, kHex, kPtr, kULong),
    R(427, io_uring_register, kInt, D | M, kFd, kUInt, kPtr, kUInt),
    R(428, open_tree, kFd, D | F, kDirFd, kPath, kHex),
    R(429, move_mount, kInt, D | F, kDirFd, kPath, kDirFd, kPath, kHex),
    R(430, fsopen, kFd, D, kString, kHex),
    R(431, fsconfig, kInt, D | F, kFd, kUInt, kString, kPtr, kInt),
    R(432, fsmount, kFd, D, kFd, kHex, kHex),
    R(433, fspick, kFd, D | F, kDirFd, kPath, kHex),
    R(434, pidfd_open, kFd, D, kInt, kPidfdFlags),
    R(435, clone3, kInt, P, kCloneArgs, kULong),
    R(436, close_range, kInt, 0, kUInt, kUInt, kCloseRangeFlags),
    R(437, openat2, kFd, D | F, kDirFd, kPath, kOpenHow, kULong),
    R(438, pidfd_getfd, kFd, D, kFd, kFd, kHex),
    R(439, faccessat2, kInt, D | F, kDirFd, kPath, kAccessMode, kFaccessFlags),
    R(440, process_madvise, kInt, D, kFd, kPtr, kULong, kMadvise, kHex),
    R(441, epoll_pwait2, kInt, D, kFd, kEpollEventsOut, kInt, kTimespecIn, kSigsetIn, kULong),
    R(442, mount_setattr, kInt, D | F, kDirFd, kPath, kAtFlags, kPtr, kULong),
    R(443, quotactl_fd, kInt, D, kFd, kHex, kInt, kPtr),
    R(444, landlock_create_ruleset, kFd, D, kPtr, kULong, kHex),
    R(445, landlock_add_rule, kInt, D, kFd, kInt, kPtr, kHex),
    R(446, landlock_restrict_self, kInt, D, kFd, kHex),
    R(447, memfd_secret, kFd, D, kOpenFlagBits),
    R(448, process_mrelease, kInt, D, kFd, kHex),
    R(449, futex_waitv, kInt, 0, kPtr, kUInt, kHex, kTimespecIn, kClockId),
    R(450, set_mempolicy_home_node, kInt, M, kPtr, kULong, kULong, kHex),
    R(451, cachestat, kInt, D, kFd, kPtr, kPtr, kHex),
    R(452, fchmodat2, kInt, D | F, kDirFd, kPath, kMode, kAtFlags),
    R(453, map_shadow_stack, kHex, M, kPtr, kULong, kHex),
    R(454, futex_wake, kInt, 0, kPtr, kHex, kInt, kHex),
    R(455, futex_wait, kInt, 0, kPtr, kHex, kHex, kHex, kTimespecIn, kClockId),
    R(456, futex_requeue, kInt, 0, kPtr, kHex, kInt, kInt),
    R(457, statmount, kInt, 0, kPtr, kPtr, kULong, kHex),
    R(458, listmount, kInt, 0, kPtr, kPtr, kULong, kHex),
    R(459, lsm_get_self_attr, kInt, 0, kUInt, kPtr, kPtr, kHex),
    R(460, lsm_set_self_attr, kInt, 0, kUInt, kPtr, kUInt, kHex),
    R(461, lsm_list_modules, kInt, 0, kPtr, kPtr, kHex),
    R(462, mseal, kInt, M, kPtr, kULong, kHex),
    R(463, setxattrat, kInt, D | F, kDirFd, kPath, kAtFlags, kString, kPtr, kULong),
    R(464, getxattrat, kInt, D | F, kDirFd, kPath, kAtFlags, kString, kPtr, kULong),
    R(465, listxattrat, kInt, D | F, kDirFd, kPath, kAtFlags, kOutBuf, kULong),
    R(466, removexattrat, kInt, D | F, kDirFd, kPath, kAtFlags, kString),
    R(467, open_tree_attr, kFd, D | F, kDirFd, kPath, kHex, kPtr, kULong),
    R(468, file_getattr, kInt, D | F, kDirFd, kPath, kPtr, kULong, kAtFlags),
    R(469, file_setattr, kInt, D | F, kDirFd, kPath, kPtr, kULong, kAtFlags),
    R(470, listns, kInt, 0, kPtr, kPtr, kULong, kHex),
    R(471, rseq_slice_yield, kInt, 0),
};

#undef R
#undef RAVEL_EXPAND_STRINGIFY_
#undef RAVEL_STRINGIFY_

constexpr size_t kCount = std::size(kRows);

constexpr bool IsSortedAndInRange() {
  for (size_t i = 0; i < kCount; ++i) {
    const SyscallInfo& s = kRows[i].info;
    if (s.nr < 0 || s.nr >= kSyscallLimit || s.nargs > 6) return false;
    if (i > 0 && kRows[i - 1].info.nr >= s.nr) return false;
  }
  return true;
}
static_assert(IsSortedAndInRange(),
              "syscall rows must be strictly increasing by number, below kSyscallLimit");

// The number of the first row whose number disagrees with <sys/syscall.h>, or
// -1.
constexpr int FirstHeaderMismatch() {
  for (const Row& row : kRows) {
    std::string_view h = row.header_nr;
    if (h.empty()) return row.info.nr;
    if (h[0] >= '0' && h[0] <= '9') {
      int value = 0;
      for (char c : h) {
        if (c < '0' || c > '9') return row.info.nr;
        value = value * 10 + (c - '0');
      }
      if (value != row.info.nr) return row.info.nr;
    } else if (h.substr(0, 4) != "SYS_" || h.substr(4) != row.info.name) {
      return row.info.nr;  // the macro expanded to something unexpected
    }
  }
  return -1;
}
// A template, so that a failure names the row: "[with int kBadNr = 257]".
template <int kBadNr>
constexpr bool HeaderAgrees() {
  static_assert(kBadNr == -1, "the row for syscall kBadNr disagrees with <sys/syscall.h>");
  return true;
}
static_assert(HeaderAgrees<FirstHeaderMismatch()>());

constexpr std::array<SyscallInfo, kCount> kTable = [] {
  std::array<SyscallInfo, kCount> table{};
  for (size_t i = 0; i < kCount; ++i) table[i] = kRows[i].info;
  return table;
}();

// Number -> index into kTable, -1 for gaps, so FindSyscall is one load.
constexpr std::array<int16_t, kSyscallLimit> kIndexByNr = [] {
  std::array<int16_t, kSyscallLimit> index{};
  for (auto& i : index) i = -1;
  for (size_t i = 0; i < kCount; ++i) index[kTable[i].nr] = static_cast<int16_t>(i);
  return index;
}();

struct ClassName {
  std::string_view name;
  uint32_t mask;
};

// Names after "%". The classic ones may also be written without it.
constexpr ClassName kClassNames[] = {
    {"desc", kClassDesc},         {"file", kClassFile},
    {"process", kClassProcess},   {"network", kClassNetwork},
    {"net", kClassNetwork},       {"signal", kClassSignal},
    {"ipc", kClassIpc},           {"memory", kClassMemory},
    {"creds", kClassCreds},       {"clock", kClassClock},
    {"stat", kClassStat},         {"lstat", kClassLstat},
    {"fstat", kClassFstat},       {"%stat", kClassStatLike},
    {"statfs", kClassStatfs},     {"fstatfs", kClassFstatfs},
    {"%statfs", kClassStatfsLike}, {"pure", kClassPure},
};
constexpr std::string_view kBareClassNames[] = {"desc",   "file", "process", "network",
                                                "signal", "ipc",  "memory"};

std::optional<uint32_t> ClassMask(std::string_view name) {
  for (const ClassName& c : kClassNames) {
    if (c.name == name) return c.mask;
  }
  return std::nullopt;
}

// Adds one comma-separated element of a set spec to `set`.
absl::Status AddElement(absl::string_view element, absl::string_view spec, SyscallSet& set) {
  bool optional = absl::ConsumePrefix(&element, "?");
  if (element.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("empty element in syscall set '", spec, "'"));
  }
  if (element == "all") {
    set.set();
    return absl::OkStatus();
  }
  if (element == "none") return absl::OkStatus();
  if (absl::ConsumePrefix(&element, "%")) {
    std::optional<uint32_t> mask = ClassMask(internal::ToStd(element));
    if (!mask.has_value()) {
      if (optional) return absl::OkStatus();
      return absl::InvalidArgumentError(
          absl::StrCat("unknown syscall class '%", element, "' in set '", spec, "'"));
    }
    for (const SyscallInfo& s : kTable) {
      if (s.classes & *mask) set.set(s.nr);
    }
    return absl::OkStatus();
  }
  if (std::optional<int> nr = SyscallNumber(internal::ToStd(element)); nr.has_value()) {
    set.set(*nr);
    return absl::OkStatus();
  }
  if (std::find(std::begin(kBareClassNames), std::end(kBareClassNames),
                internal::ToStd(element)) != std::end(kBareClassNames)) {
    return AddElement(absl::StrCat("%", element), spec, set);
  }
  if (int nr = 0; absl::ascii_isdigit(element[0]) && absl::SimpleAtoi(element, &nr) &&
                  nr >= 0 && nr < kSyscallLimit) {
    set.set(nr);
    return absl::OkStatus();
  }
  if (optional) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("unknown syscall '", element, "' in set '", spec, "'"));
}

}  // namespace

const SyscallInfo* FindSyscall(int64_t nr) {
  if (nr < 0 || nr >= kSyscallLimit) return nullptr;
  int16_t i = kIndexByNr[nr];
  return i < 0 ? nullptr : &kTable[i];
}

std::optional<int> SyscallNumber(std::string_view name) {
  // Built on first use; C++ guarantees the initialisation runs once.
  static const auto* const by_name = [] {
    auto* map = new absl::flat_hash_map<std::string_view, int>();
    map->reserve(kCount);
    for (const SyscallInfo& s : kTable) map->emplace(s.name, s.nr);
    return map;
  }();
  auto it = by_name->find(name);
  if (it == by_name->end()) return std::nullopt;
  return it->second;
}

std::span<const SyscallInfo> AllSyscalls() { return kTable; }

absl::StatusOr<SyscallSet> ParseSyscallSet(std::string_view spec_in) {
  const absl::string_view spec = internal::ToAbsl(spec_in);
  absl::string_view rest = absl::StripAsciiWhitespace(spec);
  bool negate = absl::ConsumePrefix(&rest, "!");
  if (rest.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("empty syscall set '", spec, "'"));
  }
  SyscallSet set;
  for (absl::string_view element : absl::StrSplit(rest, ',')) {
    absl::Status status = AddElement(absl::StripAsciiWhitespace(element), spec, set);
    if (!status.ok()) return status;
  }
  if (negate) set.flip();
  return set;
}

}  // namespace ravel
