// Regressions of issue 9: bad input never crashes, hangs, destroys a file
// or quietly does nothing. Unit tests of the defences; the CLI rows of the
// bad-input table (docs/bad-input.md) are in cli_safety_test.cpp.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "cli/output_file.hpp"
#include "executor/journal.hpp"
#include "model/strict_json.hpp"

using namespace swarmplan;

namespace {
std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
const executor::JournalKey kKey{"00112233aabbccdd", 6, "docker", "clusterA"};
}  // namespace

TEST_CASE("strict JSON: duplicate keys - deep nesting and huge numbers are errors", "[unit][safety]") {
  auto dup = model::ParseStrictJson(R"({"nodes":[{"name":"a","name":"b"}]})");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().find("/nodes/0: key \"name\" appears twice") != std::string::npos);
  auto top = model::ParseStrictJson(R"({"a":1,"a":2})");
  REQUIRE_FALSE(top);
  CHECK(top.error().find("the document: key \"a\"") != std::string::npos);
  // The same key in two objects is fine.
  CHECK(model::ParseStrictJson(R"({"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}]})"));
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto d = model::ParseStrictJson(deep);
  REQUIRE_FALSE(d);
  CHECK(d.error().find("nesting deeper than") != std::string::npos);
  CHECK(model::ParseStrictJson(std::string(60, '[') + std::string(60, ']')));
  auto big = model::ParseStrictJson(R"({"replicas": 1e400})");
  REQUIRE_FALSE(big);
  CHECK(big.error().find("malformed JSON") != std::string::npos);
  CHECK(big.error().find("1e400") != std::string::npos);
}

TEST_CASE("input files: directories and endless sources are refused", "[unit][safety]") {
  auto dir = model::ReadInputFile("/tmp", 1 << 20, "scenario file");
  REQUIRE_FALSE(dir);
  CHECK(dir.error() == "/tmp: is a directory, not a scenario file");
  auto zero = model::ReadInputFile("/dev/zero", 1 << 20, "scenario file");
  REQUIRE_FALSE(zero);
  CHECK(zero.error().find("larger than 1 MiB") != std::string::npos);
  auto missing = model::ReadInputFile("/nonexistent/x.json", 1 << 20, "scenario file");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("cannot open the scenario file") != std::string::npos);
}

TEST_CASE("journal: bound to its executor and cluster - a rehearsal never skips a real step", "[unit][safety][journal]") {
  const std::string path = "safety_bound.journal";
  std::remove(path.c_str());
  {
    auto sim = executor::Journal::Open(path, {kKey.plan_fingerprint, kKey.steps, "sim", "sim"});
    REQUIRE(sim);
    REQUIRE(sim->Record(0, "drain m2"));
    REQUIRE(sim->Record(1, "stop m2"));
  }
  auto real = executor::Journal::Open(path, kKey);
  REQUIRE_FALSE(real);
  CHECK(real.error().find("--executor sim, not docker") != std::string::npos);
  auto dry = executor::Journal::Open(path, {kKey.plan_fingerprint, kKey.steps, "dry-run", "dry-run"});
  REQUIRE_FALSE(dry);
  std::remove(path.c_str());
  {
    auto a = executor::Journal::Open(path, kKey);
    REQUIRE(a);
    REQUIRE(a->Record(0, "drain m2"));
  }
  auto other_swarm = executor::Journal::Open(path, {kKey.plan_fingerprint, kKey.steps, "docker", "clusterB"});
  REQUIRE_FALSE(other_swarm);
  CHECK(other_swarm.error().find("cluster clusterA, not clusterB") != std::string::npos);
  auto other_plan = executor::Journal::Open(path, {"ffffffffffffffff", kKey.steps, "docker", "clusterA"});
  REQUIRE_FALSE(other_plan);
  CHECK(other_plan.error().find("another plan") != std::string::npos);
  auto same = executor::Journal::Open(path, kKey);
  REQUIRE(same);
  CHECK(same->Done(0));
  CHECK(same->finished() == 1);
  std::remove(path.c_str());
}

TEST_CASE("journal: torn header - torn records - CRLF and out-of-range steps", "[unit][safety][journal]") {
  const std::string path = "safety_torn.journal";
  std::string header;
  {
    std::remove(path.c_str());
    REQUIRE(executor::Journal::Open(path, kKey));
    header = Slurp(path);
    REQUIRE(header.back() == '\n');
    header.pop_back();
  }
  // Killed while writing the header: the journal starts afresh, and the
  // first record is on a line of its own.
  std::ofstream(path) << header.substr(0, 20);
  {
    auto j = executor::Journal::Open(path, kKey);
    REQUIRE(j);
    CHECK(j->finished() == 0);
    REQUIRE(j->Record(2, "drain w1"));
  }
  CHECK(Slurp(path) == header + "\ndone 2 drain w1\n");
  // A torn record is not a record, and the next one does not glue onto it.
  std::ofstream(path, std::ios::app) << "done 3 sto";
  {
    auto j = executor::Journal::Open(path, kKey);
    REQUIRE(j);
    CHECK(j->Done(2));
    CHECK_FALSE(j->Done(3));
    REQUIRE(j->Record(3, "stop w1"));
  }
  {
    auto j = executor::Journal::Open(path, kKey);
    REQUIRE(j);
    CHECK(j->Done(3));
    CHECK(j->finished() == 2);
  }
  // CRLF line ends (edited on another system) are the same journal.
  std::ofstream(path) << header << "\r\ndone 0 drain m2\r\n";
  {
    auto j = executor::Journal::Open(path, kKey);
    REQUIRE(j);
    CHECK(j->Done(0));
  }
  for (const char* bad : {"done 999 x", "done -1 x", "done 6 x", "done x", "done 1x", "undone 1"}) {
    INFO(bad);
    std::ofstream(path) << header << "\n" << bad << "\n";
    auto j = executor::Journal::Open(path, kKey);
    REQUIRE_FALSE(j);
    CHECK(j.error().find(path + ": line 2") == 0);
  }
  std::remove(path.c_str());
}

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
