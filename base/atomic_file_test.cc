#include "base/atomic_file.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace ravel {
namespace {

class AtomicFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/ravel-atomic-file-test-XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    dir_ = name;
  }
  void TearDown() override {
    for (const std::string& f : Entries()) unlink((dir_ + "/" + f).c_str());
    rmdir(dir_.c_str());
  }
  std::vector<std::string> Entries() const {
    std::vector<std::string> names;
    if (DIR* d = opendir(dir_.c_str())) {
      while (dirent* e = readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
      }
      closedir(d);
    }
    return names;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::string dir_;
};

TEST_F(AtomicFile, WritesTheWholeTextAndLeavesNoTemporaryFile) {
  const std::string path = dir_ + "/out.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "hello\n").ok());
  EXPECT_EQ(Read(path), "hello\n");
  EXPECT_EQ(Entries(), std::vector<std::string>{"out.txt"});
}

TEST_F(AtomicFile, AnAbandonedWriterLeavesTheOldFileAsItWas) {
  const std::string path = dir_ + "/out.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "old\n").ok());
  {
    absl::StatusOr<AtomicFileWriter> w = AtomicFileWriter::Create(path);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE(w->Write("new, but never committed").ok());
    EXPECT_EQ(Entries().size(), 2u);  // the target and the temporary file
  }
  EXPECT_EQ(Read(path), "old\n");
  EXPECT_EQ(Entries(), std::vector<std::string>{"out.txt"});
}

TEST_F(AtomicFile, AStreamedWriteIsVisibleOnlyAfterCommit) {
  const std::string path = dir_ + "/out.txt";
  absl::StatusOr<AtomicFileWriter> w = AtomicFileWriter::Create(path);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE(w->Write("a").ok());
  ASSERT_TRUE(w->Write("b").ok());
  EXPECT_NE(access(path.c_str(), F_OK), 0);
  ASSERT_TRUE(w->Commit().ok());
  EXPECT_EQ(Read(path), "ab");
  EXPECT_FALSE(w->Commit().ok()) << "a writer commits once";
}

TEST_F(AtomicFile, AFullDeviceIsAnErrorNamingTheFileAndTheReason) {
  absl::Status s = WriteFileAtomically("/dev/full", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "cannot write /dev/full: No space left on device");
  struct stat st;
  ASSERT_EQ(stat("/dev/full", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "the device node must never be replaced";
}

TEST_F(AtomicFile, ADeviceIsWrittenInPlace) {
  EXPECT_TRUE(WriteFileAtomically("/dev/null", "discarded").ok());
  struct stat st;
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST_F(AtomicFile, AMissingDirectoryIsAnErrorBeforeAnythingIsWritten) {
  absl::StatusOr<AtomicFileWriter> w = AtomicFileWriter::Create(dir_ + "/no/such/dir/out.txt");
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(absl::StartsWith(w.status().message(), "cannot write " + dir_ + "/no/such/dir/out.txt: "))
      << w.status();
  EXPECT_TRUE(absl::IsNotFound(w.status())) << w.status();
}

TEST_F(AtomicFile, ASymbolicLinkStaysAndTheFileItNamesIsReplaced) {
  const std::string file = dir_ + "/real.txt", link = dir_ + "/link.txt";
  ASSERT_TRUE(WriteFileAtomically(file, "old").ok());
  ASSERT_EQ(symlink(file.c_str(), link.c_str()), 0);
  ASSERT_TRUE(WriteFileAtomically(link, "new").ok());
  struct stat st;
  ASSERT_EQ(lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(Read(file), "new");
}

TEST_F(AtomicFile, ACopyHasTheSourcesBytesAndAMissingSourceIsAnError) {
  const std::string from = dir_ + "/from", to = dir_ + "/to";
  std::string big(200000, 'x');
  big[123456] = 'y';
  ASSERT_TRUE(WriteFileAtomically(from, big).ok());
  ASSERT_TRUE(CopyFileAtomically(from, to).ok());
  EXPECT_EQ(Read(to), big);
  absl::Status missing = CopyFileAtomically(dir_ + "/absent", dir_ + "/to2");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(access((dir_ + "/to2").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace ravel
