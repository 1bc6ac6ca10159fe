// The `swarmplan` program as a user meets it: exit codes and error lines.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "run_swarmplan.hpp"

namespace {

using swarmplan::testing::ExpectError;
using swarmplan::testing::Run;
using swarmplan::testing::Swarmplan;

int Lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("plan on the seed's numbers is at risk (exit 2) and says why", "[cli]") {
  const Run r = Swarmplan("plan --subnet 10.0.0.0/27 --replicas 24 --trials 50");
  CHECK(r.status == 2);
  CHECK(r.out.find("32 - 3 reserved - 1 VIP - 5 node LB = 23 for 24 tasks") != std::string::npos);
  CHECK(r.out.find("AT RISK") != std::string::npos);
  CHECK(r.out.find("/26") != std::string::npos);
  CHECK(r.out.find("swarmplan simulate") != std::string::npos);
  CHECK(r.err.find("seed 1") != std::string::npos);
}

TEST_CASE("plan on a /26 is safe (exit 0) - --json is one document", "[cli]") {
  const Run r = Swarmplan("plan --subnet 10.0.0.0/26 --replicas 24 --trials 30 --json");
  CHECK(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j.at("schema_version") == 1);
  CHECK(j.at("verdict") == "safe");
  CHECK(j.at("seed") == 1);
  CHECK(j.at("trials") == 30);
}

TEST_CASE("shards merge into the unsharded report", "[cli][shard]") {
  const swarmplan::testing::TempDir dir;
  REQUIRE(!dir.path.empty());
  const auto shard = [&](int i) { return dir.path + "/shard_" + std::to_string(i) + ".json"; };
  const Run whole = Swarmplan("plan --trials 40 --seed 9 --json");
  for (int i = 0; i < 2; ++i) {
    const Run part = Swarmplan("plan --trials 40 --seed 9 --json --shard " + std::to_string(i) + "/2");
    REQUIRE(part.status == 0);
    std::ofstream(shard(i)) << part.out;
  }
  const Run merged = Swarmplan("merge " + shard(0) + " " + shard(1) + " --json");
  CHECK(merged.status == whole.status);
  auto a = nlohmann::json::parse(whole.out), b = nlohmann::json::parse(merged.out);
  CHECK(a == b);
  ExpectError("merge " + shard(0) + " --json", "trials");
}

TEST_CASE("bad input gets one clear error line and exit 1", "[cli]") {
  ExpectError("plan --subnet 10.0.0.0/31", "too small");
  ExpectError("plan --subnet 10.0.0.5/27", "host bits");
  ExpectError("plan --subnet banana", "--subnet");
  ExpectError("plan --subnet fd00::/64", "IPv6");
  ExpectError("plan --replicas 0", "--replicas");
  ExpectError("plan --replicas -3", "--replicas");
  ExpectError("plan --managers 0", "--managers");
  ExpectError("plan --workers -1", "--workers");
  ExpectError("plan --trials 0", "--trials");
  ExpectError("plan --from 18.07", "unknown engine version");
  ExpectError("plan --to 99.99.99.99", "--to");
  ExpectError("plan --order manager1,nosuch", "no node is named \"nosuch\"");
  ExpectError("plan --managers 2 --order stop:manager1,stop:manager2,start:manager1,start:manager2", "quorum");
  ExpectError("plan --seed -5", "--seed");
  ExpectError("import --host unix:///tmp/swarmplan-no-daemon.sock", "cannot reach the Docker daemon at unix:///tmp/swarmplan-no-daemon.sock");
  ExpectError("usage --host tcp://host:0", "port");
  ExpectError("plan --host unix:///tmp/swarmplan-no-daemon.sock", "cannot reach");
  ExpectError("plan data.json --host unix:///x.sock", "not both");
  ExpectError("plan --host unix:///x.sock --replicas 3", "--replicas");
  ExpectError("apply --executor docker --host ssh://me@mgr", "only unix:// and tcp://");
  ExpectError("apply --executor docker --host unix:///tmp/swarmplan-no-daemon.sock --upgrade-command 'ssh {adress} up'", "{adress}");
  ExpectError("apply --executor docker", "live swarm");
  ExpectError("apply " + std::string(SWARMPLAN_DATA) + "/default.json --executor docker", "--upgrade-command");
  ExpectError("apply " + std::string(SWARMPLAN_DATA) + "/default.json --executor docker --order restart:worker1 "
              "--upgrade-command true", "--stop-command and --start-command");
  ExpectError("plan --from 18.09", "Pool overlaps");
  ExpectError("plan --bogus", "bogus");
  ExpectError("plan /nonexistent/scenario.json", "cannot open");
  {
    const swarmplan::testing::TempDir dir;
    REQUIRE(!dir.path.empty());
    const std::string bad = dir.path + "/bad.json", unknown = dir.path + "/unknown.json";
    std::ofstream(bad) << "{\"nodes\": [";
    ExpectError("plan " + bad, "malformed JSON");
    std::ofstream(unknown) << R"({"nodes":[{"name":"m","role":"manager","engine":"18.09"}],"colour":1})";
    ExpectError("plan " + unknown, "/colour: unknown field");
    ExpectError("plan " + unknown + " --replicas 3", "scenario file");
  }
}

TEST_CASE("simulate prints its seed and a timeline with the rejection reason", "[cli]") {
  const Run r = Swarmplan(std::string("simulate ") + SWARMPLAN_DATA + "/seed-exhaustion.json --seed 2");
  CHECK(r.status == 2);
  CHECK(r.out.find("seed 2") != std::string::npos);
  CHECK(r.out.find("REJECTED: \"node is missing network attachments, ip addresses may be exhausted\"") != std::string::npos);
  CHECK(r.out.find("taken on ex_net") != std::string::npos);
  CHECK(r.out.find("reproduce: swarmplan simulate") != std::string::npos);
}

TEST_CASE("every scenario in data/ loads and plans", "[cli][data]") {
  for (const char* f : {"seed-exhaustion.json", "seed-stack.json", "default.json"}) {
    INFO(f);
    const Run r = Swarmplan(std::string("plan ") + SWARMPLAN_DATA + "/" + f + " --trials 10");
    CHECK((r.status == 0 || r.status == 2));
    CHECK(r.err.find("error") == std::string::npos);
  }
}

TEST_CASE("apply --executor dry-run prints the seed procedure's commands in order", "[cli][apply]") {
  const swarmplan::testing::TempDir dir;
  REQUIRE(!dir.path.empty());
  const std::string journal = dir.path + "/dry.journal";
  const Run r = Swarmplan("apply --subnet 10.0.0.0/26 --executor dry-run --journal " + journal);
  CHECK(r.status == 0);
  const auto d2 = r.out.find("docker node update --availability drain manager2");
  const auto stop = r.out.find("sudo service docker stop");
  const auto inst = r.out.find("install Docker Engine 18.09");
  const auto act = r.out.find("docker node update --availability active manager2");
  const auto dw1 = r.out.find("docker node update --availability drain worker1");
  REQUIRE(d2 != std::string::npos);
  CHECK(d2 < stop);
  CHECK(stop < inst);
  CHECK(inst < act);
  CHECK(act < dw1);  // managers are activated before any worker is touched
  // Resuming a finished journal does nothing again.
  const Run again = Swarmplan("apply --subnet 10.0.0.0/26 --executor dry-run --journal " + journal);
  CHECK(again.status == 0);
  CHECK(again.out.empty());
  CHECK(again.err.find("resuming: 28 steps already done") != std::string::npos);
}

TEST_CASE("apply resumes from a journal cut short - a torn last line included", "[cli][apply]") {
  const swarmplan::testing::TempDir dir;
  REQUIRE(!dir.path.empty());
  const std::string journal = dir.path + "/cut.journal";
  REQUIRE(Swarmplan("apply --subnet 10.0.0.0/26 --journal " + journal).status == 0);
  std::ifstream in(journal);
  std::string header, line, kept;
  std::getline(in, header);
  kept = header + "\n";
  for (int i = 0; i < 4 && std::getline(in, line); ++i) kept += line + "\n";
  in.close();
  std::ofstream(journal) << kept << "do";  // killed while writing step 5's line
  const Run r = Swarmplan("apply --subnet 10.0.0.0/26 --journal " + journal);
  CHECK(r.status == 0);
  CHECK(r.out.find("drain manager2") == std::string::npos);                  // step 1: done before
  CHECK(r.out.find("docker node update --availability drain manager3") != std::string::npos);  // step 5: redone
  ExpectError("apply --subnet 10.0.0.0/25 --journal " + journal, "another plan");
}

TEST_CASE("apply --executor sim: a safe plan completes - an unsafe one is refused or stopped", "[cli][apply]") {
  const Run ok = Swarmplan("apply --subnet 10.0.0.0/26 --executor sim --gate-trials 20");
  CHECK(ok.status == 0);
  CHECK(ok.err.find("swarmplan apply: done") != std::string::npos);
  const Run refused = Swarmplan("apply --executor sim --gate-trials 20");
  CHECK(refused.status == 2);
  CHECK(refused.err.find("refusing") != std::string::npos);
  // A forced run of the at-risk plan: trial seed 2 is one of the ~99% that
  // reject (seed 1 is one of the rare ones that do not).
  const Run forced = Swarmplan("apply --executor sim --gate-trials 20 --force --max-risk 1 --seed 2");
  CHECK(forced.status == 2);
  CHECK(forced.err.find("task(s) rejected") != std::string::npos);
  const Run gated = Swarmplan("apply --executor sim --gate-trials 40 --force --max-risk 0.01");
  CHECK(gated.status == 2);
  CHECK(gated.err.find("stopped before step") != std::string::npos);
  ExpectError("apply --executor kubernetes", "--executor");
  ExpectError("apply --max-risk 2", "--max-risk");
}

TEST_CASE("apply --executor dry-run prints service commands" , "[cli][apply]") {
  const Run r = Swarmplan("apply --subnet 10.0.0.0/26 --order scale:ex_service=30,wait");
  CHECK(r.status == 0);
  CHECK(r.out.find("docker service scale --detach ex_service=30") != std::string::npos);
  const Run sim = Swarmplan("apply --subnet 10.0.0.0/26 --order scale:ex_service=30,wait,scale:ex_service=20,wait --executor sim --gate-trials 4");
  CHECK(sim.status == 0);
  CHECK(sim.err.find("swarmplan apply: done") != std::string::npos);
  ExpectError("plan --order scale:nothere=3", "no service is named \"nothere\"");
}

TEST_CASE("plan --json carries the distributions over trials", "[cli]") {
  // 2 nodes, /27, 28 replicas: one task (or two) cannot get an address.
  const Run r = Swarmplan("plan --managers 1 --workers 1 --from 20.10 --to 20.10 --subnet 10.10.0.0/27 "
                          "--replicas 28 --order wait --trials 40 --no-sensitivity --json");
  REQUIRE((r.status == 0 || r.status == 2));
  const auto j = nlohmann::json::parse(r.out);
  const auto& d = j.at("distributions");
  std::uint64_t trials = 0;
  for (const auto& [value, n] : d.at("rejected_per_trial").items()) trials += n.get<std::uint64_t>();
  CHECK(trials == 40);
  const auto& svc = d.at("services").at(0);
  CHECK(svc.at("service") == "ex_service");
  std::uint64_t with_new = 0, total = 0;
  for (const auto& [value, n] : svc.at("new_after").items()) {
    total += n.get<std::uint64_t>();
    if (value != "0") with_new += n.get<std::uint64_t>();
  }
  CHECK(total == 40);
  CHECK(with_new == 40);  // 28 tasks never fit 29 - 1 VIP - node LB addresses
  CHECK(d.at("networks").at(0).at("used_after").contains("32"));
  CHECK(d.contains("nodes_without_tasks_after"));
}

TEST_CASE("simulate --jsonl writes one event a line, then the result", "[cli]") {
  const Run r = Swarmplan("simulate --subnet 10.0.0.0/26 --seed 3 --jsonl");
  CHECK(r.status == 0);
  std::istringstream in(r.out);
  std::string line, last;
  int events = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);  // every line is a document
    if (j.at("kind") != "result") {
      ++events;
      CHECK(j.contains("t_ms"));
      CHECK(j.contains("text"));
    }
    last = line;
  }
  CHECK(events > 50);
  const auto result = nlohmann::json::parse(last);
  CHECK(result.at("kind") == "result");
  CHECK(result.at("seed") == 3);
  CHECK(result.at("at_risk") == false);
  ExpectError("simulate --json --jsonl", "not both");
}

TEST_CASE("a rolling update plans, and the dry run prints docker's commands", "[cli][updater]") {
  const Run r = Swarmplan("plan --managers 1 --workers 2 --from 20.10 --to 20.10 --subnet 10.10.0.0/24 "
                          "--replicas 6 --order update:ex_service,wait --trials 20 --no-sensitivity");
  CHECK(r.status == 0);
  CHECK(r.out.find("rolling update of ex_service") != std::string::npos);
  const Run d = Swarmplan("apply --managers 1 --workers 2 --from 20.10 --to 20.10 --subnet 10.10.0.0/24 "
                          "--replicas 6 --order update:ex_service,wait,rollback:ex_service --executor dry-run");
  CHECK(d.status == 0);
  CHECK(d.out.find("docker service update --detach --force ex_service") != std::string::npos);
  CHECK(d.out.find("docker service rollback --detach ex_service") != std::string::npos);
  ExpectError("plan --order rollback:ex_service --from 20.10 --to 20.10 --subnet 10.10.0.0/27", "no previous spec");
}
