// docker/usage: each overlay's addresses counted from the API.
#include <catch2/catch.hpp>

#include "cli/usage_metrics.hpp"
#include "docker_fakes.hpp"
#include "helpers.hpp"
#include "run_swarmplan.hpp"

using namespace swarmplan;
using namespace swarmplan::executor;
using namespace swarmplan::docker;
using namespace swarmplan::testing;
using nlohmann::json;

TEST_CASE("usage counts each overlay's addresses from the API", "[live][usage]") {
  auto usage = CountUsage(Recorded());
  REQUIRE(usage);
  std::map<std::string, NetworkUsage> by;
  for (const auto& u : *usage) by[u.name] = u;
  // What the three daemons held when the answers were recorded (each
  // daemon's `docker network inspect`): exnet 8 task endpoints + lb-exnet on
  // all 3 nodes; webnet 4 + 3; ingress 2 task endpoints + 3 ingress-sbox.
  CHECK(by["exnet"].capacity == 32);
  CHECK(by["exnet"].vips == 1);  // ex; dns is dnsrr
  CHECK(by["exnet"].task_addresses == 8);
  CHECK(by["exnet"].node_lb == 3);
  CHECK(by["exnet"].in_use() == 3 + 1 + 8 + 3);
  CHECK(by["exnet"].free() == 32 - 15);
  CHECK(by["webnet"].vips == 1);
  CHECK(by["webnet"].task_addresses == 4);
  CHECK(by["webnet"].node_lb == 3);
  CHECK(by["ingress"].ingress);
  CHECK(by["ingress"].vips == 1);
  CHECK(by["ingress"].task_addresses == 2);
  CHECK(by["ingress"].node_lb == 3);
}

TEST_CASE("usage --format prometheus: the counts as node_exporter's textfile collector reads them, checked by promtool",
          "[live][usage]") {
  FakeDaemon d(RecordedRoutes(kVersion));
  const Run r = Swarmplan("usage --host " + d.host() + " --format prometheus --trials 20 --to 24.0");
  INFO(r.err);
  REQUIRE((r.status == 0 || r.status == 2));
  // The same counts as the JSON's, line by line.
  CHECK(r.out.find("swarmplan_overlay_capacity_addresses{network=\"exnet\",subnet=\"10.10.0.0/27\",ingress=\"false\"} 32\n") !=
        std::string::npos);
  CHECK(r.out.find("swarmplan_overlay_used_addresses{network=\"exnet\",subnet=\"10.10.0.0/27\",ingress=\"false\"} 15\n") !=
        std::string::npos);
  CHECK(r.out.find("swarmplan_overlay_free_addresses{network=\"exnet\",subnet=\"10.10.0.0/27\",ingress=\"false\"} 17\n") !=
        std::string::npos);
  CHECK(r.out.find("swarmplan_overlay_upgrade_fits{network=\"exnet\"") != std::string::npos);
  CHECK(r.out.find("swarmplan_overlay_upgrade_fits{network=\"ingress\"") == std::string::npos);
  CHECK(r.out.find("# TYPE swarmplan_overlay_free_addresses gauge\n") != std::string::npos);
  // promtool (Debian's prometheus package) reads it without a complaint.
  TempDir dir;
  {
    std::ofstream f(dir.path + "/swarmplan.prom");
    f << r.out;
  }
  REQUIRE(std::system("command -v promtool >/dev/null") == 0);
  CHECK(std::system(("promtool check metrics < " + dir.path + "/swarmplan.prom").c_str()) == 0);
  // So do the example alerting rules of docs/monitoring.md.
  CHECK(std::system(("promtool check rules " + std::string(SWARMPLAN_SOURCE) + "/docs/prometheus/swarmplan-rules.yml >/dev/null")
                        .c_str()) == 0);
  // Label values are escaped as the text format says.
  CHECK(cli::PrometheusLabel("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  ExpectError("usage --host " + d.host() + " --format yaml", "--format must be text, json or prometheus");
  ExpectError("usage --host " + d.host() + " --json --format prometheus", "disagree");
}
