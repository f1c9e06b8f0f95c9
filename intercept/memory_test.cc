#include "intercept/memory.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "gtest/gtest.h"

namespace ravel {
namespace {

// A forked child has the same addresses as the test: what the test set up before the
// fork is where the child has it.
class MemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pages_ = static_cast<char*>(mmap(nullptr, 3 * 4096, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(pages_, MAP_FAILED);
    memset(pages_, 'x', 3 * 4096);
    // A string that ends exactly at the end of page 0, page 1 read-only, page 2 unmapped.
    strcpy(pages_ + 4096 - 6, "hello");
    strcpy(pages_ + 4096, "read-only");
    ASSERT_EQ(mprotect(pages_ + 4096, 4096, PROT_READ), 0);
    ASSERT_EQ(munmap(pages_ + 2 * 4096, 4096), 0);
    child_ = fork();
    if (child_ == 0) {
      for (;;) pause();
    }
  }
  void TearDown() override {
    kill(child_, SIGKILL);
    waitpid(child_, nullptr, 0);
    munmap(pages_, 2 * 4096);
  }
  uint64_t Addr(size_t offset) const { return reinterpret_cast<uint64_t>(pages_) + offset; }

  char* pages_ = nullptr;
  pid_t child_ = 0;
};

TEST_F(MemoryTest, ReadsAndWritesTheOtherProcess) {
  GuestMemory mem(child_);
  char buf[6];
  ASSERT_TRUE(mem.ReadArray(RemotePtr<char>(Addr(4096 - 6)), buf, 6).ok());
  EXPECT_STREQ(buf, "hello");
  ASSERT_TRUE(mem.WriteArray(RemotePtr<char>(Addr(10)), "abc", 3).ok());
  char back[3];
  ASSERT_TRUE(mem.ReadArray(RemotePtr<char>(Addr(10)), back, 3).ok());
  EXPECT_EQ(std::string(back, 3), "abc");
  EXPECT_EQ(pages_[10], 'x');  // the child's copy changed, not ours
}

TEST_F(MemoryTest, TypedReads) {
  GuestMemory mem(child_);
  struct Pair {
    char a, b;
  };
  absl::StatusOr<Pair> p = mem.Read(RemotePtr<Pair>(Addr(4096 - 6)));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->a, 'h');
  EXPECT_EQ(p->b, 'e');
  EXPECT_TRUE(mem.Write(RemotePtr<Pair>(Addr(0)), Pair{'q', 'r'}).ok());
  EXPECT_FALSE(mem.Read(RemotePtr<Pair>(Addr(3 * 4096 - 1))).ok());
}

TEST_F(MemoryTest, PartialReadsStopAtUnmappedPages) {
  GuestMemory mem(child_);
  char buf[64];
  EXPECT_EQ(mem.Read(Addr(2 * 4096 - 16), buf, sizeof(buf)), 16u);
  EXPECT_EQ(mem.Read(Addr(2 * 4096), buf, sizeof(buf)), 0u);
  EXPECT_FALSE(mem.ReadArray(RemotePtr<char>(Addr(2 * 4096 - 16)), buf, sizeof(buf)).ok());
}

TEST_F(MemoryTest, CStrings) {
  GuestMemory mem(child_);
  absl::StatusOr<std::string> s = mem.ReadCString(RemotePtr<char>(Addr(4096 - 6)), 100);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "hello");
  s = mem.ReadCString(RemotePtr<char>(Addr(4096 - 6)), 3);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "hel");
  // Unterminated up to the unmapped page: the readable prefix.
  s = mem.ReadCString(RemotePtr<char>(Addr(2 * 4096 - 4)), 100);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->size(), 4u);
  EXPECT_FALSE(mem.ReadCString(RemotePtr<char>(Addr(2 * 4096)), 100).ok());
}

TEST_F(MemoryTest, WritesThroughReadOnlyMappings) {
  GuestMemory mem(child_);
  ASSERT_TRUE(mem.WriteArray(RemotePtr<char>(Addr(4096)), "READ", 4).ok());
  absl::StatusOr<std::string> s = mem.ReadCString(RemotePtr<char>(Addr(4096)), 100);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "READ-only");
}

TEST_F(MemoryTest, VanishedProcessIsAnError) {
  GuestMemory mem(child_);
  kill(child_, SIGKILL);
  waitpid(child_, nullptr, 0);
  char buf[4];
  EXPECT_EQ(mem.Read(Addr(0), buf, 4), 0u);
  EXPECT_FALSE(mem.WriteArray(RemotePtr<char>(Addr(0)), "a", 1).ok());
}

}  // namespace
}  // namespace ravel
