// cli/output_file: -o never replaces a device or a link.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/output_file.hpp"
#include "helpers.hpp"
#include "run_swarmplan.hpp"

using namespace swarmplan;

namespace {
using swarmplan::testing::Slurp;
}  // namespace

TEST_CASE("output files: -o writes through devices and links and never replaces them", "[unit][safety][output]") {
  // A device: written through, still a device.
  REQUIRE(cli::WriteOutputFile("/dev/null", "x\n"));
  struct stat st {};
  REQUIRE(::stat("/dev/null", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  auto full = cli::WriteOutputFile("/dev/full", "x\n");
  REQUIRE_FALSE(full);
  CHECK(full.error().find("/dev/full: cannot write") == 0);
  REQUIRE(::stat("/dev/full", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  // A link to a regular file: the target is replaced, the link stays.
  std::remove("out_target.json");
  std::remove("out_link.json");
  std::ofstream("out_target.json") << "old";
  REQUIRE(::symlink("out_target.json", "out_link.json") == 0);
  REQUIRE(cli::WriteOutputFile("out_link.json", "new"));
  struct stat lst {};
  REQUIRE(::lstat("out_link.json", &lst) == 0);
  CHECK(S_ISLNK(lst.st_mode));
  CHECK(Slurp("out_target.json") == "new");
  // A dangling link: the file is created through it.
  std::remove("out_target.json");
  REQUIRE(cli::WriteOutputFile("out_link.json", "made"));
  CHECK(Slurp("out_target.json") == "made");
  REQUIRE(::lstat("out_link.json", &lst) == 0);
  CHECK(S_ISLNK(lst.st_mode));
  // A directory is refused.
  auto dir = cli::WriteOutputFile("/tmp", "x");
  REQUIRE_FALSE(dir);
  CHECK(dir.error() == "/tmp: is a directory");
  std::remove("out_target.json");
  std::remove("out_link.json");
}

TEST_CASE("output files: written as a shell redirection would - owner, mode and links kept, no one else's file replaced",
          "[unit][safety][output]") {
  swarmplan::testing::TempDir dir;
  const std::string f = dir.path + "/report.html", link = dir.path + "/hard.html";
  std::ofstream(f) << "old";
  REQUIRE(::chmod(f.c_str(), 0600) == 0);
  REQUIRE(::link(f.c_str(), link.c_str()) == 0);
  struct stat before {};
  REQUIRE(::stat(f.c_str(), &before) == 0);
  // A file with a second hard link: written in place, the link still shares it.
  REQUIRE(cli::WriteOutputFile(f, "new"));
  struct stat after {};
  REQUIRE(::stat(f.c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);
  CHECK(Slurp(link) == "new");
  CHECK((after.st_mode & 07777) == 0600);
  REQUIRE(::unlink(link.c_str()) == 0);
  if (::geteuid() == 0) {
    // Root writing a user's file keeps it the user's (a rename would make it root's).
    REQUIRE(::chown(f.c_str(), 65534, 65534) == 0);
    REQUIRE(cli::WriteOutputFile(f, "root wrote"));
    REQUIRE(::stat(f.c_str(), &after) == 0);
    CHECK(after.st_uid == 65534u);
    CHECK(after.st_gid == 65534u);
    CHECK((after.st_mode & 07777) == 0600);
    CHECK(Slurp(f) == "root wrote");
    // A user may not replace root's 0644 file in a directory they may write.
    const std::string root_file = dir.path + "/root.html";
    std::ofstream(root_file) << "root's";
    REQUIRE(::chmod(root_file.c_str(), 0644) == 0);
    REQUIRE(::chmod(dir.path.c_str(), 01777) == 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
      auto w = cli::WriteOutputFile(root_file, "user's");
      auto c = cli::CheckOutputPath(root_file);
      ::_exit(!w && !c && w.error().find("Permission denied") != std::string::npos ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(Slurp(root_file) == "root's");
    REQUIRE(::stat(root_file.c_str(), &after) == 0);
    CHECK(after.st_uid == 0u);
  }
}

TEST_CASE("output files: a FIFO nobody reads and a missing directory are refused at once", "[unit][safety][output]") {
  swarmplan::testing::TempDir dir;
  const std::string fifo = dir.path + "/out.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  auto w = cli::WriteOutputFile(fifo, "x");  // returns: does not wait for a reader
  REQUIRE_FALSE(w);
  CHECK(w.error().find("no process reads") != std::string::npos);
  auto missing = cli::CheckOutputPath(dir.path + "/no/such/dir/report.html");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("report.html") != std::string::npos);
  CHECK(cli::CheckOutputPath(dir.path + "/new.html"));
  auto d = cli::CheckOutputPath(dir.path);
  REQUIRE_FALSE(d);
  CHECK(d.error().find("is a directory") != std::string::npos);
  // The program checks its output paths before the trials start.
  const auto r = swarmplan::testing::RunSwarmplan("plan --trials 1000000 --html " + dir.path + "/no/such/report.html");
  CHECK(r.status == 1);
  CHECK(r.err.find("report.html") != std::string::npos);
  CHECK(r.err.find("trials") == std::string::npos);
}
