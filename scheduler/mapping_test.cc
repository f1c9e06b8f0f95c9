#include "scheduler/mapping.h"

#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "gtest/gtest.h"

namespace ravel {
namespace {

class MappingTest : public ::testing::TestWithParam<MapsSource> {
 protected:
  void SetUp() override {
    if (GetParam() == MapsSource::kQuery &&
        !MappingAt(getpid(), reinterpret_cast<uint64_t>(&errno), MapsSource::kQuery).has_value()) {
      GTEST_SKIP() << "this kernel has no PROCMAP_QUERY (Linux 6.11 and later)";
    }
  }
};

TEST_P(MappingTest, AFileMappedSharedIsKeyedByItsInodeAndOffset) {
  char path[] = "/tmp/ravel-mapping-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 3 * 4096), 0);
  struct stat st {};
  ASSERT_EQ(fstat(fd, &st), 0);
  // The file's second and third pages, shared.
  auto* p = static_cast<char*>(mmap(nullptr, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096));
  ASSERT_NE(p, MAP_FAILED);
  std::optional<Mapping> m = MappingAt(getpid(), reinterpret_cast<uint64_t>(p + 4096 + 12), GetParam());
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->shared);
  EXPECT_EQ(m->inode, st.st_ino);
  EXPECT_EQ(m->dev, (static_cast<uint64_t>(major(st.st_dev)) << 32) | minor(st.st_dev));
  EXPECT_EQ(m->offset, 2u * 4096 + 12);
  EXPECT_EQ(m->start, reinterpret_cast<uint64_t>(p));
  EXPECT_EQ(m->end, reinterpret_cast<uint64_t>(p) + 2 * 4096);
  munmap(p, 2 * 4096);
  close(fd);
  unlink(path);
}

TEST_P(MappingTest, PrivateMemoryIsNotShared) {
  auto* p = static_cast<char*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  std::optional<Mapping> m = MappingAt(getpid(), reinterpret_cast<uint64_t>(p), GetParam());
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->shared);
  munmap(p, 4096);
}

TEST_P(MappingTest, SharedAnonymousMemoryIsShared) {
  auto* p = static_cast<char*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  std::optional<Mapping> m = MappingAt(getpid(), reinterpret_cast<uint64_t>(p) + 8, GetParam());
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->shared);
  EXPECT_EQ(m->offset, 8u);
  munmap(p, 4096);
}

TEST_P(MappingTest, AnUnmappedAddressOrAGoneProcessHasNoMapping) {
  auto* p = static_cast<char*>(mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  munmap(p, 4096);
  EXPECT_FALSE(MappingAt(getpid(), reinterpret_cast<uint64_t>(p), GetParam()).has_value());
  EXPECT_FALSE(MappingAt(0x7fffffff, 0x1000, GetParam()).has_value());
}

TEST(Mapping, BothSourcesAgreeOnEveryMappingOfThisProcess) {
  if (!MappingAt(getpid(), reinterpret_cast<uint64_t>(&errno), MapsSource::kQuery).has_value()) {
    GTEST_SKIP() << "this kernel has no PROCMAP_QUERY (Linux 6.11 and later)";
  }
  FILE* maps = fopen("/proc/self/maps", "re");
  ASSERT_NE(maps, nullptr);
  char line[4096];
  int compared = 0;
  while (fgets(line, sizeof(line), maps) != nullptr) {
    const uint64_t start = strtoull(line, nullptr, 16);
    if (start >= 0xffffffffff600000ull) continue;  // vsyscall: not a VMA of the process
    std::optional<Mapping> q = MappingAt(getpid(), start, MapsSource::kQuery);
    std::optional<Mapping> t = MappingAt(getpid(), start, MapsSource::kText);
    ASSERT_TRUE(q.has_value() && t.has_value()) << line;
    EXPECT_EQ(q->start, t->start) << line;
    EXPECT_EQ(q->end, t->end) << line;
    EXPECT_EQ(q->shared, t->shared) << line;
    EXPECT_EQ(q->inode, t->inode) << line;
    EXPECT_EQ(q->dev, t->dev) << line;
    EXPECT_EQ(q->offset, t->offset) << line;
    ++compared;
  }
  fclose(maps);
  EXPECT_GT(compared, 10);
}

INSTANTIATE_TEST_SUITE_P(Sources, MappingTest,
                         ::testing::Values(MapsSource::kAny, MapsSource::kQuery, MapsSource::kText),
                         [](const ::testing::TestParamInfo<MapsSource>& info) {
                           switch (info.param) {
                             case MapsSource::kAny: return "Any";
                             case MapsSource::kQuery: return "Query";
                             case MapsSource::kText: return "Text";
                           }
                           return "Unknown";
                         });

}  // namespace
}  // namespace ravel
