#include "intercept/trampoline.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/logging.h"
#include "intercept/status.h"

namespace ravel {
namespace {

using namespace trampoline;

void PutDisp32(uint8_t* at, uint64_t target, uint64_t next_ip) {
  int64_t disp = static_cast<int64_t>(target) - static_cast<int64_t>(next_ip);
  CHECK(disp >= INT32_MIN && disp <= INT32_MAX);
  int32_t d = static_cast<int32_t>(disp);
  memcpy(at, &d, 4);
}

uint64_t SlotAddr(int i) { return kBase + kCodeSize + kSlotSize * static_cast<uint64_t>(i); }

}  // namespace

void BuildTrampolineCode(uint8_t* code) {
  // Only the first bytes: stubs are written when first handed out (WriteStub), so that a
  // new trampoline touches one page of the tracer's memory, not all of them (each page
  // fault costs a lot on a VM, and there is a trampoline per exec).
  memset(code, 0xcc, kStubsOffset);  // int3 everywhere a jump should never land
  code[0] = 0x0f;                    // syscall
  code[1] = 0x05;
  code[2] = 0xcc;                    // int3: the tracer regains control after an injection
  memset(code + (kZeroTimeout - kBase), 0, 16);  // a zero timespec/timeval for tools
}

void WriteStub(uint8_t* code, int i) {
  uint64_t stub = StubSyscall(i);
  uint8_t* c = code + (stub - kBase);
  memset(c, 0xcc, kStubSize);
  uint64_t slot = SlotAddr(i);
  c[0] = 0x0f; c[1] = 0x05;                              // syscall (restart path only)
  c[2] = 0x48; c[3] = 0x89; c[4] = 0x05;                 // mov %rax, result(%rip)
  PutDisp32(c + 5, slot + offsetof(TrampolineMapping::Slot, result), stub + 9);
  c[9] = 0xc6; c[10] = 0x05;                             // movb $1, done(%rip)
  PutDisp32(c + 11, slot + offsetof(TrampolineMapping::Slot, done), stub + 16);
  c[15] = 0x01;
  c[16] = 0xff; c[17] = 0x25;                            // jmp *resume(%rip)
  PutDisp32(c + 18, slot + offsetof(TrampolineMapping::Slot, resume), stub + 22);
}

absl::StatusOr<std::shared_ptr<TrampolineMapping>> TrampolineMapping::Create(int local_fd) {
  static_assert(sizeof(Slot) <= kSlotSize);
  static_assert(kMaxStubs * kSlotSize <= kDataSize);
  if (ftruncate(local_fd, kCodeSize + kDataSize) != 0) {
    int err = errno;
    close(local_fd);
    return ErrnoStatus("ftruncate(trampoline memfd)", 0, err);
  }
  void* p = mmap(nullptr, kCodeSize + kDataSize, PROT_READ | PROT_WRITE, MAP_SHARED, local_fd, 0);
  if (p == MAP_FAILED) {
    int err = errno;
    close(local_fd);
    return ErrnoStatus("mmap(trampoline memfd)", 0, err);
  }
  auto* local = static_cast<uint8_t*>(p);
  BuildTrampolineCode(local);  // the data region of a new memfd reads as zeros already
  return std::shared_ptr<TrampolineMapping>(new TrampolineMapping(local_fd, local));
}

TrampolineMapping::TrampolineMapping(int fd, uint8_t* local)
    : fd_(fd), local_(local), written_(static_cast<size_t>(kMaxStubs), false) {
  free_stubs_.reserve(kMaxStubs);
  FreeAllStubs();
}

TrampolineMapping::~TrampolineMapping() {
  munmap(local_, kCodeSize + kDataSize);
  close(fd_);
}

int TrampolineMapping::AllocateStub() {
  if (free_stubs_.empty()) return -1;
  int i = free_stubs_.back();
  free_stubs_.pop_back();
  if (!written_[static_cast<size_t>(i)]) {
    WriteStub(local_, i);
    written_[static_cast<size_t>(i)] = true;
  }
  return i;
}

void TrampolineMapping::FreeStub(int i) { free_stubs_.push_back(i); }

void TrampolineMapping::FreeAllStubs() {
  free_stubs_.clear();
  for (int i = kMaxStubs - 1; i >= 0; --i) free_stubs_.push_back(i);
}

uint8_t* TrampolineMapping::scratch() { return local_ + kCodeSize + kScratchOffset; }

TrampolineMapping::Slot& TrampolineMapping::slot(int i) {
  CHECK(i >= 0 && i < kMaxStubs) << "stub index " << i;
  return *reinterpret_cast<Slot*>(local_ + kCodeSize + kSlotSize * static_cast<uint64_t>(i));
}

}  // namespace ravel
