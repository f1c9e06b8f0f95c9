// Named constants (one value, not a set of bits): commands, address
// families, resource ids, si_code values. Values are the kernel's x86-64 ABI.

#include <string>

#include "absl/strings/str_cat.h"
#include "intercept/decode_internal.h"

namespace ravel::internal {
namespace {

constexpr FlagName kWhenceNames[] = {
    {0, "SEEK_SET"}, {1, "SEEK_CUR"}, {2, "SEEK_END"}, {3, "SEEK_DATA"}, {4, "SEEK_HOLE"}};
constexpr FlagName kSigprocmaskHowNames[] = {
    {0, "SIG_BLOCK"}, {1, "SIG_UNBLOCK"}, {2, "SIG_SETMASK"}};

constexpr FlagName kMadviseNames[] = {
    {0, "MADV_NORMAL"},        {1, "MADV_RANDOM"},          {2, "MADV_SEQUENTIAL"},
    {3, "MADV_WILLNEED"},      {4, "MADV_DONTNEED"},        {8, "MADV_FREE"},
    {9, "MADV_REMOVE"},        {10, "MADV_DONTFORK"},       {11, "MADV_DOFORK"},
    {12, "MADV_MERGEABLE"},    {13, "MADV_UNMERGEABLE"},    {14, "MADV_HUGEPAGE"},
    {15, "MADV_NOHUGEPAGE"},   {16, "MADV_DONTDUMP"},       {17, "MADV_DODUMP"},
    {18, "MADV_WIPEONFORK"},   {19, "MADV_KEEPONFORK"},     {20, "MADV_COLD"},
    {21, "MADV_PAGEOUT"},      {22, "MADV_POPULATE_READ"},  {23, "MADV_POPULATE_WRITE"},
    {24, "MADV_DONTNEED_LOCKED"}, {25, "MADV_COLLAPSE"},    {100, "MADV_HWPOISON"},
    {101, "MADV_SOFT_OFFLINE"}, {102, "MADV_GUARD_INSTALL"}, {103, "MADV_GUARD_REMOVE"},
};

constexpr FlagName kFadviseNames[] = {
    {0, "POSIX_FADV_NORMAL"},   {1, "POSIX_FADV_RANDOM"},   {2, "POSIX_FADV_SEQUENTIAL"},
    {3, "POSIX_FADV_WILLNEED"}, {4, "POSIX_FADV_DONTNEED"}, {5, "POSIX_FADV_NOREUSE"},
};

constexpr FlagName kIdTypeNames[] = {{0, "P_ALL"}, {1, "P_PID"}, {2, "P_PGID"}, {3, "P_PIDFD"}};

constexpr FlagName kFamilyNames[] = {
    {0, "AF_UNSPEC"},    {1, "AF_UNIX"},       {2, "AF_INET"},      {3, "AF_AX25"},
    {4, "AF_IPX"},       {5, "AF_APPLETALK"},  {6, "AF_NETROM"},    {7, "AF_BRIDGE"},
    {8, "AF_ATMPVC"},    {9, "AF_X25"},        {10, "AF_INET6"},    {11, "AF_ROSE"},
    {12, "AF_DECnet"},   {13, "AF_NETBEUI"},   {14, "AF_SECURITY"}, {15, "AF_KEY"},
    {16, "AF_NETLINK"},  {17, "AF_PACKET"},    {18, "AF_ASH"},      {19, "AF_ECONET"},
    {20, "AF_ATMSVC"},   {21, "AF_RDS"},       {22, "AF_SNA"},      {23, "AF_IRDA"},
    {24, "AF_PPPOX"},    {25, "AF_WANPIPE"},   {26, "AF_LLC"},      {27, "AF_IB"},
    {28, "AF_MPLS"},     {29, "AF_CAN"},       {30, "AF_TIPC"},     {31, "AF_BLUETOOTH"},
    {32, "AF_IUCV"},     {33, "AF_RXRPC"},     {34, "AF_ISDN"},     {35, "AF_PHONET"},
    {36, "AF_IEEE802154"}, {37, "AF_CAIF"},    {38, "AF_ALG"},      {39, "AF_NFC"},
    {40, "AF_VSOCK"},    {41, "AF_KCM"},       {42, "AF_QIPCRTR"},  {43, "AF_SMC"},
    {44, "AF_XDP"},      {45, "AF_MCTP"},
};
constexpr int kAfUnix = 1;
constexpr int kAfInet = 2;
constexpr int kAfInet6 = 10;
constexpr int kAfNetlink = 16;

constexpr FlagName kIpProtoNames[] = {
    {0, "IPPROTO_IP"},      {1, "IPPROTO_ICMP"},    {2, "IPPROTO_IGMP"},   {4, "IPPROTO_IPIP"},
    {6, "IPPROTO_TCP"},     {8, "IPPROTO_EGP"},     {12, "IPPROTO_PUP"},   {17, "IPPROTO_UDP"},
    {22, "IPPROTO_IDP"},    {29, "IPPROTO_TP"},     {33, "IPPROTO_DCCP"},  {41, "IPPROTO_IPV6"},
    {46, "IPPROTO_RSVP"},   {47, "IPPROTO_GRE"},    {50, "IPPROTO_ESP"},   {51, "IPPROTO_AH"},
    {58, "IPPROTO_ICMPV6"}, {92, "IPPROTO_MTP"},    {94, "IPPROTO_BEETPH"}, {98, "IPPROTO_ENCAP"},
    {103, "IPPROTO_PIM"},   {108, "IPPROTO_COMP"},  {115, "IPPROTO_L2TP"}, {132, "IPPROTO_SCTP"},
    {136, "IPPROTO_UDPLITE"}, {137, "IPPROTO_MPLS"}, {143, "IPPROTO_ETHERNET"},
    {255, "IPPROTO_RAW"},   {262, "IPPROTO_MPTCP"},
};
constexpr FlagName kNetlinkProtoNames[] = {
    {0, "NETLINK_ROUTE"},        {2, "NETLINK_USERSOCK"},     {3, "NETLINK_FIREWALL"},
    {4, "NETLINK_SOCK_DIAG"},    {5, "NETLINK_NFLOG"},        {6, "NETLINK_XFRM"},
    {7, "NETLINK_SELINUX"},      {8, "NETLINK_ISCSI"},        {9, "NETLINK_AUDIT"},
    {10, "NETLINK_FIB_LOOKUP"},  {11, "NETLINK_CONNECTOR"},   {12, "NETLINK_NETFILTER"},
    {13, "NETLINK_IP6_FW"},      {14, "NETLINK_DNRTMSG"},     {15, "NETLINK_KOBJECT_UEVENT"},
    {16, "NETLINK_GENERIC"},     {18, "NETLINK_SCSITRANSPORT"}, {19, "NETLINK_ECRYPTFS"},
    {20, "NETLINK_RDMA"},        {21, "NETLINK_CRYPTO"},      {22, "NETLINK_SMC"},
};

constexpr FlagName kShutdownNames[] = {{0, "SHUT_RD"}, {1, "SHUT_WR"}, {2, "SHUT_RDWR"}};

constexpr FlagName kSockLevelNames[] = {
    {0, "SOL_IP"},      {1, "SOL_SOCKET"},  {6, "SOL_TCP"},     {17, "SOL_UDP"},
    {41, "SOL_IPV6"},   {58, "SOL_ICMPV6"}, {132, "SOL_SCTP"},  {255, "SOL_RAW"},
    {263, "SOL_PACKET"}, {270, "SOL_NETLINK"}, {282, "SOL_TLS"}, {283, "SOL_XDP"},
    {284, "SOL_MPTCP"},
};
constexpr FlagName kSolSocketNames[] = {
    {1, "SO_DEBUG"},         {2, "SO_REUSEADDR"},      {3, "SO_TYPE"},
    {4, "SO_ERROR"},         {5, "SO_DONTROUTE"},      {6, "SO_BROADCAST"},
    {7, "SO_SNDBUF"},        {8, "SO_RCVBUF"},         {9, "SO_KEEPALIVE"},
    {10, "SO_OOBINLINE"},    {11, "SO_NO_CHECK"},      {12, "SO_PRIORITY"},
    {13, "SO_LINGER"},       {14, "SO_BSDCOMPAT"},     {15, "SO_REUSEPORT"},
    {16, "SO_PASSCRED"},     {17, "SO_PEERCRED"},      {18, "SO_RCVLOWAT"},
    {19, "SO_SNDLOWAT"},     {20, "SO_RCVTIMEO_OLD"},  {21, "SO_SNDTIMEO_OLD"},
    {25, "SO_BINDTODEVICE"}, {26, "SO_ATTACH_FILTER"}, {27, "SO_DETACH_FILTER"},
    {28, "SO_PEERNAME"},     {29, "SO_TIMESTAMP_OLD"}, {30, "SO_ACCEPTCONN"},
    {31, "SO_PEERSEC"},      {32, "SO_SNDBUFFORCE"},   {33, "SO_RCVBUFFORCE"},
    {34, "SO_PASSSEC"},      {35, "SO_TIMESTAMPNS_OLD"}, {36, "SO_MARK"},
    {37, "SO_TIMESTAMPING_OLD"}, {38, "SO_PROTOCOL"},  {39, "SO_DOMAIN"},
    {40, "SO_RXQ_OVFL"},     {41, "SO_WIFI_STATUS"},   {42, "SO_PEEK_OFF"},
    {43, "SO_NOFCS"},        {44, "SO_LOCK_FILTER"},   {45, "SO_SELECT_ERR_QUEUE"},
    {46, "SO_BUSY_POLL"},    {47, "SO_MAX_PACING_RATE"}, {48, "SO_BPF_EXTENSIONS"},
    {49, "SO_INCOMING_CPU"}, {50, "SO_ATTACH_BPF"},    {53, "SO_CNX_ADVICE"},
    {55, "SO_MEMINFO"},      {56, "SO_INCOMING_NAPI_ID"}, {57, "SO_COOKIE"},
    {59, "SO_PEERGROUPS"},   {60, "SO_ZEROCOPY"},      {61, "SO_TXTIME"},
    {62, "SO_BINDTOIFINDEX"}, {66, "SO_RCVTIMEO_NEW"}, {67, "SO_SNDTIMEO_NEW"},
    {77, "SO_PEERPIDFD"},
};
constexpr FlagName kSolTcpNames[] = {
    {1, "TCP_NODELAY"},      {2, "TCP_MAXSEG"},        {3, "TCP_CORK"},
    {4, "TCP_KEEPIDLE"},     {5, "TCP_KEEPINTVL"},     {6, "TCP_KEEPCNT"},
    {7, "TCP_SYNCNT"},       {8, "TCP_LINGER2"},       {9, "TCP_DEFER_ACCEPT"},
    {10, "TCP_WINDOW_CLAMP"}, {11, "TCP_INFO"},        {12, "TCP_QUICKACK"},
    {13, "TCP_CONGESTION"},  {14, "TCP_MD5SIG"},       {18, "TCP_USER_TIMEOUT"},
    {23, "TCP_FASTOPEN"},    {25, "TCP_NOTSENT_LOWAT"}, {31, "TCP_ULP"},
};
constexpr FlagName kSolIpNames[] = {
    {1, "IP_TOS"},            {2, "IP_TTL"},             {3, "IP_HDRINCL"},
    {4, "IP_OPTIONS"},        {6, "IP_RECVOPTS"},        {8, "IP_PKTINFO"},
    {10, "IP_MTU_DISCOVER"},  {11, "IP_RECVERR"},        {12, "IP_RECVTTL"},
    {14, "IP_MTU"},           {15, "IP_FREEBIND"},       {19, "IP_TRANSPARENT"},
    {24, "IP_BIND_ADDRESS_NO_PORT"}, {32, "IP_MULTICAST_IF"}, {33, "IP_MULTICAST_TTL"},
    {34, "IP_MULTICAST_LOOP"}, {35, "IP_ADD_MEMBERSHIP"}, {36, "IP_DROP_MEMBERSHIP"},
};
constexpr FlagName kSolIpv6Names[] = {
    {16, "IPV6_UNICAST_HOPS"},  {17, "IPV6_MULTICAST_IF"},  {18, "IPV6_MULTICAST_HOPS"},
    {19, "IPV6_MULTICAST_LOOP"}, {20, "IPV6_ADD_MEMBERSHIP"}, {21, "IPV6_DROP_MEMBERSHIP"},
    {23, "IPV6_MTU_DISCOVER"},  {24, "IPV6_MTU"},           {25, "IPV6_RECVERR"},
    {26, "IPV6_V6ONLY"},        {49, "IPV6_RECVPKTINFO"},   {50, "IPV6_PKTINFO"},
    {67, "IPV6_TCLASS"},
};

constexpr FlagName kFcntlCmdNames[] = {
    {0, "F_DUPFD"},          {1, "F_GETFD"},          {2, "F_SETFD"},
    {3, "F_GETFL"},          {4, "F_SETFL"},          {5, "F_GETLK"},
    {6, "F_SETLK"},          {7, "F_SETLKW"},         {8, "F_SETOWN"},
    {9, "F_GETOWN"},         {10, "F_SETSIG"},        {11, "F_GETSIG"},
    {15, "F_SETOWN_EX"},     {16, "F_GETOWN_EX"},     {17, "F_GETOWNER_UIDS"},
    {36, "F_OFD_GETLK"},     {37, "F_OFD_SETLK"},     {38, "F_OFD_SETLKW"},
    {1024, "F_SETLEASE"},    {1025, "F_GETLEASE"},    {1026, "F_NOTIFY"},
    {1027, "F_DUPFD_QUERY"}, {1028, "F_CREATED_QUERY"}, {1030, "F_DUPFD_CLOEXEC"},
    {1031, "F_SETPIPE_SZ"},  {1032, "F_GETPIPE_SZ"},  {1033, "F_ADD_SEALS"},
    {1034, "F_GET_SEALS"},   {1035, "F_GET_RW_HINT"}, {1036, "F_SET_RW_HINT"},
    {1037, "F_GET_FILE_RW_HINT"}, {1038, "F_SET_FILE_RW_HINT"},
};
constexpr FlagName kLeaseNames[] = {{0, "F_RDLCK"}, {1, "F_WRLCK"}, {2, "F_UNLCK"}};
constexpr FlagName kSealNames[] = {
    {1, "F_SEAL_SEAL"},  {2, "F_SEAL_SHRINK"},        {4, "F_SEAL_GROW"},
    {8, "F_SEAL_WRITE"}, {16, "F_SEAL_FUTURE_WRITE"}, {32, "F_SEAL_EXEC"},
};

// The requests programs issue most; others print in hex.
constexpr FlagName kIoctlNames[] = {
    {0x5401, "TCGETS"},      {0x5402, "TCSETS"},       {0x5403, "TCSETSW"},
    {0x5404, "TCSETSF"},     {0x540e, "TIOCSCTTY"},    {0x540f, "TIOCGPGRP"},
    {0x5410, "TIOCSPGRP"},   {0x5413, "TIOCGWINSZ"},   {0x5414, "TIOCSWINSZ"},
    {0x541b, "FIONREAD"},    {0x5421, "FIONBIO"},      {0x5422, "TIOCNOTTY"},
    {0x5450, "FIONCLEX"},    {0x5451, "FIOCLEX"},      {0x5452, "FIOASYNC"},
    {0x80045430, "TIOCGPTN"}, {0x40045431, "TIOCSPTLCK"}, {0x80086601, "FS_IOC_GETFLAGS"},
    {0x40086602, "FS_IOC_SETFLAGS"}, {0x40049409, "FICLONE"}, {0x8912, "SIOCGIFCONF"},
    {0x8913, "SIOCGIFFLAGS"}, {0x8933, "SIOCGIFINDEX"},
};

constexpr FlagName kPrctlNames[] = {
    {1, "PR_SET_PDEATHSIG"},   {2, "PR_GET_PDEATHSIG"},    {3, "PR_GET_DUMPABLE"},
    {4, "PR_SET_DUMPABLE"},    {7, "PR_GET_KEEPCAPS"},     {8, "PR_SET_KEEPCAPS"},
    {15, "PR_SET_NAME"},       {16, "PR_GET_NAME"},        {21, "PR_GET_SECCOMP"},
    {22, "PR_SET_SECCOMP"},    {23, "PR_CAPBSET_READ"},    {24, "PR_CAPBSET_DROP"},
    {25, "PR_GET_TSC"},        {26, "PR_SET_TSC"},         {27, "PR_GET_SECUREBITS"},
    {28, "PR_SET_SECUREBITS"}, {29, "PR_SET_TIMERSLACK"},  {30, "PR_GET_TIMERSLACK"},
    {33, "PR_MCE_KILL"},       {35, "PR_SET_MM"},          {36, "PR_SET_CHILD_SUBREAPER"},
    {37, "PR_GET_CHILD_SUBREAPER"}, {38, "PR_SET_NO_NEW_PRIVS"}, {39, "PR_GET_NO_NEW_PRIVS"},
    {40, "PR_GET_TID_ADDRESS"}, {41, "PR_SET_THP_DISABLE"}, {42, "PR_GET_THP_DISABLE"},
    {47, "PR_CAP_AMBIENT"},    {52, "PR_GET_SPECULATION_CTRL"}, {53, "PR_SET_SPECULATION_CTRL"},
    {57, "PR_SET_IO_FLUSHER"}, {58, "PR_GET_IO_FLUSHER"},  {59, "PR_SET_SYSCALL_USER_DISPATCH"},
    {62, "PR_SCHED_CORE"},     {65, "PR_SET_MDWE"},        {66, "PR_GET_MDWE"},
    {67, "PR_SET_MEMORY_MERGE"}, {68, "PR_GET_MEMORY_MERGE"}, {0x41555856, "PR_GET_AUXV"},
    {0x53564d41, "PR_SET_VMA"}, {0x59616d61, "PR_SET_PTRACER"},
};

constexpr FlagName kArchPrctlNames[] = {
    {0x1001, "ARCH_SET_GS"},          {0x1002, "ARCH_SET_FS"},
    {0x1003, "ARCH_GET_FS"},          {0x1004, "ARCH_GET_GS"},
    {0x1011, "ARCH_GET_CPUID"},       {0x1012, "ARCH_SET_CPUID"},
    {0x1021, "ARCH_GET_XCOMP_SUPP"},  {0x1022, "ARCH_GET_XCOMP_PERM"},
    {0x1023, "ARCH_REQ_XCOMP_PERM"},  {0x1024, "ARCH_GET_XCOMP_GUEST_PERM"},
    {0x1025, "ARCH_REQ_XCOMP_GUEST_PERM"}, {0x2001, "ARCH_MAP_VDSO_X32"},
    {0x2002, "ARCH_MAP_VDSO_32"},     {0x2003, "ARCH_MAP_VDSO_64"},
    {0x4001, "ARCH_GET_UNTAG_MASK"},  {0x4002, "ARCH_ENABLE_TAGGED_ADDR"},
    {0x4003, "ARCH_GET_MAX_TAG_BITS"}, {0x4004, "ARCH_FORCE_TAGGED_SVA"},
    {0x5001, "ARCH_SHSTK_ENABLE"},    {0x5002, "ARCH_SHSTK_DISABLE"},
    {0x5003, "ARCH_SHSTK_LOCK"},      {0x5004, "ARCH_SHSTK_UNLOCK"},
    {0x5005, "ARCH_SHSTK_STATUS"},
};

constexpr FlagName kRlimitNames[] = {
    {0, "RLIMIT_CPU"},     {1, "RLIMIT_FSIZE"},   {2, "RLIMIT_DATA"},
    {3, "RLIMIT_STACK"},   {4, "RLIMIT_CORE"},    {5, "RLIMIT_RSS"},
    {6, "RLIMIT_NPROC"},   {7, "RLIMIT_NOFILE"},  {8, "RLIMIT_MEMLOCK"},
    {9, "RLIMIT_AS"},      {10, "RLIMIT_LOCKS"},  {11, "RLIMIT_SIGPENDING"},
    {12, "RLIMIT_MSGQUEUE"}, {13, "RLIMIT_NICE"}, {14, "RLIMIT_RTPRIO"},
    {15, "RLIMIT_RTTIME"},
};

constexpr FlagName kClockNames[] = {
    {0, "CLOCK_REALTIME"},          {1, "CLOCK_MONOTONIC"},
    {2, "CLOCK_PROCESS_CPUTIME_ID"}, {3, "CLOCK_THREAD_CPUTIME_ID"},
    {4, "CLOCK_MONOTONIC_RAW"},     {5, "CLOCK_REALTIME_COARSE"},
    {6, "CLOCK_MONOTONIC_COARSE"},  {7, "CLOCK_BOOTTIME"},
    {8, "CLOCK_REALTIME_ALARM"},    {9, "CLOCK_BOOTTIME_ALARM"},
    {10, "CLOCK_SGI_CYCLE"},        {11, "CLOCK_TAI"},
};

constexpr FlagName kEpollCtlNames[] = {
    {1, "EPOLL_CTL_ADD"}, {2, "EPOLL_CTL_DEL"}, {3, "EPOLL_CTL_MOD"}};

constexpr FlagName kPtraceNames[] = {
    {0, "PTRACE_TRACEME"},      {1, "PTRACE_PEEKTEXT"},     {2, "PTRACE_PEEKDATA"},
    {3, "PTRACE_PEEKUSER"},     {4, "PTRACE_POKETEXT"},     {5, "PTRACE_POKEDATA"},
    {6, "PTRACE_POKEUSER"},     {7, "PTRACE_CONT"},         {8, "PTRACE_KILL"},
    {9, "PTRACE_SINGLESTEP"},   {12, "PTRACE_GETREGS"},     {13, "PTRACE_SETREGS"},
    {14, "PTRACE_GETFPREGS"},   {15, "PTRACE_SETFPREGS"},   {16, "PTRACE_ATTACH"},
    {17, "PTRACE_DETACH"},      {18, "PTRACE_GETFPXREGS"},  {19, "PTRACE_SETFPXREGS"},
    {24, "PTRACE_SYSCALL"},     {30, "PTRACE_ARCH_PRCTL"},  {31, "PTRACE_SYSEMU"},
    {32, "PTRACE_SYSEMU_SINGLESTEP"}, {33, "PTRACE_SINGLEBLOCK"},
    {0x4200, "PTRACE_SETOPTIONS"}, {0x4201, "PTRACE_GETEVENTMSG"},
    {0x4202, "PTRACE_GETSIGINFO"}, {0x4203, "PTRACE_SETSIGINFO"},
    {0x4204, "PTRACE_GETREGSET"},  {0x4205, "PTRACE_SETREGSET"},
    {0x4206, "PTRACE_SEIZE"},      {0x4207, "PTRACE_INTERRUPT"},
    {0x4208, "PTRACE_LISTEN"},     {0x4209, "PTRACE_PEEKSIGINFO"},
    {0x420a, "PTRACE_GETSIGMASK"}, {0x420b, "PTRACE_SETSIGMASK"},
    {0x420c, "PTRACE_SECCOMP_GET_FILTER"}, {0x420d, "PTRACE_SECCOMP_GET_METADATA"},
    {0x420e, "PTRACE_GET_SYSCALL_INFO"},   {0x420f, "PTRACE_GET_RSEQ_CONFIGURATION"},
    {0x4210, "PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG"},
    {0x4211, "PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG"},
    {0x4212, "PTRACE_SET_SYSCALL_INFO"},
};

constexpr FlagName kItimerNames[] = {{0, "ITIMER_REAL"}, {1, "ITIMER_VIRTUAL"}, {2, "ITIMER_PROF"}};
constexpr FlagName kRusageNames[] = {
    {0, "RUSAGE_SELF"}, {static_cast<uint64_t>(-1), "RUSAGE_CHILDREN"}, {1, "RUSAGE_THREAD"}};
constexpr FlagName kSchedPolicyNames[] = {
    {0, "SCHED_OTHER"}, {1, "SCHED_FIFO"},     {2, "SCHED_RR"}, {3, "SCHED_BATCH"},
    {5, "SCHED_IDLE"},  {6, "SCHED_DEADLINE"}, {7, "SCHED_EXT"},
};
constexpr uint32_t kSchedResetOnFork = 0x40000000;

// si_code values shared by all signals (<= 0, or SI_KERNEL).
constexpr FlagName kSiCodeNames[] = {
    {0, "SI_USER"},       {0x80, "SI_KERNEL"},  {static_cast<uint64_t>(-1), "SI_QUEUE"},
    {static_cast<uint64_t>(-2), "SI_TIMER"},    {static_cast<uint64_t>(-3), "SI_MESGQ"},
    {static_cast<uint64_t>(-4), "SI_ASYNCIO"},  {static_cast<uint64_t>(-5), "SI_SIGIO"},
    {static_cast<uint64_t>(-6), "SI_TKILL"},    {static_cast<uint64_t>(-7), "SI_DETHREAD"},
    {static_cast<uint64_t>(-60), "SI_ASYNCNL"},
};
constexpr FlagName kIllCodeNames[] = {
    {1, "ILL_ILLOPC"}, {2, "ILL_ILLOPN"}, {3, "ILL_ILLADR"}, {4, "ILL_ILLTRP"},
    {5, "ILL_PRVOPC"}, {6, "ILL_PRVREG"}, {7, "ILL_COPROC"}, {8, "ILL_BADSTK"},
    {9, "ILL_BADIADDR"},
};
constexpr FlagName kFpeCodeNames[] = {
    {1, "FPE_INTDIV"}, {2, "FPE_INTOVF"}, {3, "FPE_FLTDIV"}, {4, "FPE_FLTOVF"},
    {5, "FPE_FLTUND"}, {6, "FPE_FLTRES"}, {7, "FPE_FLTINV"}, {8, "FPE_FLTSUB"},
    {14, "FPE_FLTUNK"}, {15, "FPE_CONDTRAP"},
};
constexpr FlagName kSegvCodeNames[] = {
    {1, "SEGV_MAPERR"}, {2, "SEGV_ACCERR"},  {3, "SEGV_BNDERR"},  {4, "SEGV_PKUERR"},
    {5, "SEGV_ACCADI"}, {6, "SEGV_ADIDERR"}, {7, "SEGV_ADIPERR"}, {8, "SEGV_MTEAERR"},
    {9, "SEGV_MTESERR"}, {10, "SEGV_CPERR"},
};
constexpr FlagName kBusCodeNames[] = {
    {1, "BUS_ADRALN"}, {2, "BUS_ADRERR"}, {3, "BUS_OBJERR"},
    {4, "BUS_MCEERR_AR"}, {5, "BUS_MCEERR_AO"},
};
constexpr FlagName kTrapCodeNames[] = {
    {1, "TRAP_BRKPT"}, {2, "TRAP_TRACE"}, {3, "TRAP_BRANCH"},
    {4, "TRAP_HWBKPT"}, {5, "TRAP_UNK"},  {6, "TRAP_PERF"},
};
constexpr FlagName kChldCodeNames[] = {
    {1, "CLD_EXITED"}, {2, "CLD_KILLED"}, {3, "CLD_DUMPED"},
    {4, "CLD_TRAPPED"}, {5, "CLD_STOPPED"}, {6, "CLD_CONTINUED"},
};
constexpr FlagName kPollCodeNames[] = {
    {1, "POLL_IN"}, {2, "POLL_OUT"}, {3, "POLL_MSG"},
    {4, "POLL_ERR"}, {5, "POLL_PRI"}, {6, "POLL_HUP"},
};
constexpr FlagName kSysCodeNames[] = {{1, "SYS_SECCOMP"}, {2, "SYS_USER_DISPATCH"}};

std::string FormatSocketProtocol(int domain, uint64_t proto) {
  int32_t p = static_cast<int32_t>(proto);
  if (domain == kAfInet || domain == kAfInet6) return FormatEnum(p, kIpProtoNames);
  if (domain == kAfNetlink) return FormatEnum(p, kNetlinkProtoNames);
  return absl::StrCat(p);
}

std::string FormatSockOptName(int level, uint64_t name) {
  int32_t n = static_cast<int32_t>(name);
  switch (level) {
    case 1: return FormatEnum(n, kSolSocketNames);
    case 6: return FormatEnum(n, kSolTcpNames);
    case 0: return FormatEnum(n, kSolIpNames);
    case 41: return FormatEnum(n, kSolIpv6Names);
    default: return absl::StrCat(n);
  }
}

std::string FormatSchedPolicy(uint64_t v) {
  uint32_t policy = static_cast<uint32_t>(v);
  std::string out = FormatEnum(policy & ~kSchedResetOnFork, kSchedPolicyNames);
  if (policy & kSchedResetOnFork) out += "|SCHED_RESET_ON_FORK";
  return out;
}

}  // namespace

std::string FormatSockaddrFamily(int family) { return FormatEnum(family, kFamilyNames); }

std::string FormatClockId(int64_t id) {
  return FormatEnum(static_cast<uint64_t>(static_cast<int32_t>(id)), kClockNames);
}

std::string FormatSiCode(int signo, int code) {
  if (code > 0 && code != 0x80) {
    std::span<const FlagName> table;
    switch (signo) {
      case SIGILL: table = kIllCodeNames; break;
      case SIGFPE: table = kFpeCodeNames; break;
      case SIGSEGV: table = kSegvCodeNames; break;
      case SIGBUS: table = kBusCodeNames; break;
      case SIGTRAP: table = kTrapCodeNames; break;
      case SIGCHLD: table = kChldCodeNames; break;
      case SIGIO: table = kPollCodeNames; break;
      case SIGSYS: table = kSysCodeNames; break;
      default: break;
    }
    for (const FlagName& f : table) {
      if (f.value == static_cast<uint64_t>(code)) return std::string(f.name);
    }
    return absl::StrCat(code);
  }
  return FormatEnum(static_cast<uint64_t>(static_cast<int64_t>(code)), kSiCodeNames);
}

bool FcntlTakesNoArg(int cmd) {
  switch (cmd) {
    case 1: case 3: case 9: case 11: case 1025: case 1028: case 1032: case 1034:
      return true;
    default:
      return false;
  }
}

std::string FormatFcntlArg(int cmd, uint64_t arg) {
  int32_t v = static_cast<int32_t>(arg);
  switch (cmd) {
    case 0: case 1030: case 1031: case 1027: case 8:  // DUPFD*, SETPIPE_SZ, SETOWN
      return absl::StrCat(v);
    case 2: return FormatFdFlags(static_cast<uint32_t>(v));
    case 4: return FormatOpenFlags(static_cast<uint32_t>(v));
    case 10: return FormatSignalNumber(v);
    case 1024: return FormatEnum(v, kLeaseNames);
    case 1033: return FormatFlags(static_cast<uint32_t>(v), kSealNames);
    case 5: case 6: case 7: case 15: case 16: case 36: case 37: case 38:
      return FormatPtr(arg);  // struct flock / f_owner_ex
    default:
      return FormatHex(arg);
  }
}

std::optional<std::string> FormatConstantArg(ArgKind kind, int index,
                                             const std::array<uint64_t, 6>& args, int64_t nr) {
  const uint64_t v = args[index];
  const int32_t i32 = static_cast<int32_t>(v);
  switch (kind) {
    case ArgKind::kWhence: return FormatEnum(static_cast<uint32_t>(v), kWhenceNames);
    case ArgKind::kSignal: return FormatSignalNumber(i32);
    case ArgKind::kSigprocmaskHow: return FormatEnum(i32, kSigprocmaskHowNames);
    case ArgKind::kMadvise: return FormatEnum(i32, kMadviseNames);
    case ArgKind::kFadviseAdvice: return FormatEnum(i32, kFadviseNames);
    case ArgKind::kIdType: return FormatEnum(i32, kIdTypeNames);
    case ArgKind::kSocketDomain: return FormatSockaddrFamily(i32);
    case ArgKind::kSocketProtocol:
      return FormatSocketProtocol(static_cast<int32_t>(args[0]), v);
    case ArgKind::kShutdownHow: return FormatEnum(i32, kShutdownNames);
    case ArgKind::kSockLevel: return FormatEnum(i32, kSockLevelNames);
    case ArgKind::kSockOptName:
      return FormatSockOptName(index > 0 ? static_cast<int32_t>(args[index - 1]) : -1, v);
    case ArgKind::kFcntlCmd: return FormatEnum(i32, kFcntlCmdNames);
    case ArgKind::kFcntlArg:
      return FormatFcntlArg(index > 0 ? static_cast<int32_t>(args[index - 1]) : -1, v);
    case ArgKind::kIoctlRequest:
      return FormatEnum(static_cast<uint32_t>(v), kIoctlNames, /*hex=*/true);
    case ArgKind::kPrctlOption: return FormatEnum(i32, kPrctlNames);
    case ArgKind::kArchPrctlCode: return FormatEnum(i32, kArchPrctlNames, /*hex=*/true);
    case ArgKind::kRlimitResource: return FormatEnum(i32, kRlimitNames);
    case ArgKind::kClockId: return FormatClockId(i32);
    case ArgKind::kEpollCtlOp: return FormatEnum(i32, kEpollCtlNames);
    case ArgKind::kPtraceRequest: return FormatEnum(v, kPtraceNames);
    case ArgKind::kItimerWhich: return FormatEnum(i32, kItimerNames);
    case ArgKind::kRusageWho:
      return FormatEnum(static_cast<uint64_t>(static_cast<int64_t>(i32)), kRusageNames);
    case ArgKind::kSchedPolicy: return FormatSchedPolicy(v);
    default: return FormatFlagArg(kind, v, nr);
  }
}

}  // namespace ravel::internal
