// cli/output_file: -o never replaces a device or a link.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "cli/output_file.hpp"
#include "helpers.hpp"

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
