// docker/usage: each overlay's addresses counted from the API.
#include <catch2/catch.hpp>

#include "docker_fakes.hpp"

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
