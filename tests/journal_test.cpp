// executor/journal: bound to plan, executor and cluster; torn lines; CRLF; step range.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "executor/journal.hpp"
#include "helpers.hpp"

using namespace swarmplan;

namespace {
using swarmplan::testing::Slurp;
const executor::JournalKey kKey{"00112233aabbccdd", 6, "docker", "clusterA"};
}  // namespace

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

TEST_CASE("journal: memos - kept in order, read back, never in an older run's journal", "[unit][safety][journal]") {
  const std::string path = "safety_memo.journal";
  std::remove(path.c_str());
  std::string header;
  {
    auto j = executor::Journal::Open(path, kKey);
    REQUIRE(j);
    header = Slurp(path);
    CHECK(header.rfind("swarmplan-journal 4 plan ", 0) == 0);
    header.pop_back();
    REQUIRE(j->Begin(1, "stop w1"));
    REQUIRE(j->Memo(1, "session 41 w1"));
    REQUIRE(j->Record(1, "stop w1"));
    REQUIRE(j->Memo(2, "installed 24.0 node with spaces"));
  }
  {
    auto j = executor::Journal::Open(path, kKey);
    REQUIRE(j);
    CHECK(j->memos() == std::vector<std::string>{"session 41 w1", "installed 24.0 node with spaces"});
    CHECK(j->Done(1));
    CHECK(j->finished() == 1);
  }
  for (const char* bad : {"memo 1", "memo 1 ", "memo 7 x", "memo x y"}) {
    INFO(bad);
    std::ofstream(path) << header << "\n" << bad << "\n";
    auto j = executor::Journal::Open(path, kKey);
    REQUIRE_FALSE(j);
    CHECK(j.error().find(path + ": line 2") == 0);
  }
  // A journal an older swarmplan started (version 3): resumed as it is;
  // a memo line would not be one of its records, so none is written.
  std::string v3 = header;
  v3.replace(v3.find(" 4 "), 3, " 3 ");
  std::ofstream(path) << v3 << "\ndone 0 drain w1\n";
  {
    auto j = executor::Journal::Open(path, kKey);
    REQUIRE(j);
    CHECK(j->Done(0));
    REQUIRE(j->Memo(1, "session 41 w1"));
    REQUIRE(j->Record(1, "stop w1"));
  }
  CHECK(Slurp(path) == v3 + "\ndone 0 drain w1\ndone 1 stop w1\n");
  std::ofstream(path) << v3 << "\nmemo 1 session 41 w1\n";
  CHECK_FALSE(executor::Journal::Open(path, kKey));
  std::remove(path.c_str());
}
