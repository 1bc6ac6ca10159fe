// `plan --compose`: Compose files read as docker stack deploy reads them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>

#include "compose/stack.hpp"
#include "helpers.hpp"
#include "model/scenario_json.hpp"
#include "planner/plan.hpp"
#include "planner/trial.hpp"
#include "run_swarmplan.hpp"

using namespace swarmplan;
using namespace swarmplan::testing;

namespace {

// The seed's cluster (5 nodes, zones a, b, c, a, b) on `engine`, no services.
model::Scenario SeedCluster(const char* engine = "20.10") {
  auto s = model::ScenarioFromFile(std::string(SWARMPLAN_DATA) + "/seed-cluster.json");
  REQUIRE(s);
  for (auto& n : s->nodes) n.engine = *model::EngineVersion::Parse(engine);
  return *s;
}

compose::Environment Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string Error(const model::Scenario& c, const std::string& yaml, std::map<std::string, std::string> env = {}) {
  auto st = compose::Deploy(c, yaml, "stack.yml", "st", Env(std::move(env)));
  return st ? std::string() : st.error();
}

bool Contains(const std::vector<std::string>& notes, const std::string& note) {
  if (std::find(notes.begin(), notes.end(), note) != notes.end()) return true;
  UNSCOPED_INFO("notes:");
  for (const auto& n : notes) UNSCOPED_INFO("  " + n);
  return false;
}

const model::ServiceSpec* Service(const model::Scenario& s, const std::string& name) {
  for (const auto& v : s.services) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("compose: the seed's exhaust stack", "[unit][compose]") {
  const model::Scenario c = SeedCluster();
  const std::string yaml = Slurp(std::string(SWARMPLAN_DATA) + "/compose/exhaust.yml");
  auto st = compose::Deploy(c, yaml, "exhaust.yml", "ex", Env({}));
  REQUIRE(st);
  CHECK(st->order == std::vector<std::string>{"create:ex_service", "wait"});
  REQUIRE(st->scenario.networks.size() == 1);
  CHECK(st->scenario.networks[0].name == "ex_net");
  CHECK(st->scenario.networks[0].subnet.ToString() == "10.0.0.0/27");
  const auto* svc = Service(st->scenario, "ex_service");
  REQUIRE(svc);
  CHECK(svc->replicas == 24);  // ${EX_REPLICAS:-24}
  CHECK_FALSE(svc->deployed);
  CHECK(svc->networks == std::vector<std::string>{"ex_net"});
  // The variable, and the merge key (<<: *sleeper) that brought image and
  // command (accepted, not modelled).
  auto twenty = compose::Deploy(c, yaml, "exhaust.yml", "ex", Env({{"EX_REPLICAS", "20"}}));
  REQUIRE(twenty);
  CHECK(Service(twenty->scenario, "ex_service")->replicas == 20);
  // The deploy as a plan: 24 tasks, a VIP and 5 load balancers do not fit
  // 29 addresses on 20.10; the trial says so.
  auto p = planner::ParseOrder(st->scenario, st->order, {20, 10}, true);
  REQUIRE(p);
  REQUIRE(planner::CheckPlan(st->scenario, *p));
  CHECK_FALSE(p->Upgrades());
  const auto r = planner::RunTrial(st->scenario, *p, 1, {});
  CHECK(r.networks.at(0).peak_used == 32);
}

TEST_CASE("compose: the seed's test stack: global, published, constraints, restart policy", "[unit][compose]") {
  const model::Scenario c = SeedCluster();
  auto st = compose::Deploy(c, Slurp(std::string(SWARMPLAN_DATA) + "/compose/test.yml"), "test.yml", "test", Env({}));
  REQUIRE(st);
  CHECK(st->order == std::vector<std::string>{"create:test_client", "create:test_service", "wait"});
  const auto* web = Service(st->scenario, "test_service");
  const auto* client = Service(st->scenario, "test_client");
  REQUIRE(web);
  REQUIRE(client);
  CHECK(web->mode == model::ServiceMode::kGlobal);
  CHECK(web->publish_ingress);
  REQUIRE(web->constraints.size() == 1);
  CHECK(web->constraints[0].key == "node.platform.os");
  CHECK(client->replicas == 2);
  CHECK(client->restart_delay == sim::Sec(5));
  CHECK_FALSE(client->publish_ingress);
  REQUIRE(client->constraints.size() == 1);
  CHECK_FALSE(client->constraints[0].equal);
}

TEST_CASE("compose: external networks, the default network, durations, sizes, update_config", "[unit][compose]") {
  model::Scenario c = SeedCluster();
  c.networks.push_back({"shared", *model::Ipv4Cidr::Parse("10.0.0.0/24"), {}});
  const std::string yaml = R"(
services:
  api:
    image: example/api
    stop_grace_period: 1m30s
    networks:
      shared: {}
      back:
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
      resources:
        reservations: {cpus: '0.5', memory: 512M}
      update_config: {parallelism: 2, delay: 10s, order: start-first, failure_action: rollback, monitor: 500ms}
  worker:
    image: example/worker
    ports:
      - target: 80
        mode: host
networks:
  shared:
    external: true
  back:
    name: backend
)";
  auto st = compose::Deploy(c, yaml, "stack.yml", "st", Env({}));
  REQUIRE(st);
  const auto* api = Service(st->scenario, "st_api");
  const auto* worker = Service(st->scenario, "st_worker");
  REQUIRE(api);
  REQUIRE(worker);
  CHECK(api->networks == std::vector<std::string>{"shared", "backend"});
  CHECK(api->stop_grace_period == sim::Sec(90));
  CHECK(api->endpoint_mode == model::EndpointMode::kDnsrr);
  CHECK(api->reserve_nano_cpus == 500'000'000);
  CHECK(api->reserve_memory_bytes == 512LL * 1024 * 1024);
  CHECK(api->update.parallelism == 2);
  CHECK(api->update.delay == sim::Sec(10));
  CHECK(api->update.order == model::UpdateOrder::kStartFirst);
  CHECK(api->update.failure_action == model::FailureAction::kRollback);
  CHECK(api->update.monitor == sim::Ms(500));
  // No networks: the stack's default network, on the first free /24 of
  // swarm's pool (10.0.0.0/24 is taken by "shared", backend took 10.0.1.0/24).
  CHECK(worker->networks == std::vector<std::string>{"st_default"});
  CHECK_FALSE(worker->publish_ingress);  // host mode
  std::map<std::string, std::string> subnets;
  for (const auto& n : st->scenario.networks) subnets[n.name] = n.subnet.ToString();
  CHECK(subnets.at("backend") == "10.0.1.0/24");
  CHECK(subnets.at("st_default") == "10.0.2.0/24");
  CHECK(subnets.size() == 3);
  // An external network the cluster does not have.
  model::Scenario bare = SeedCluster();
  CHECK(Error(bare, yaml).find("networks.shared: external network shared is not in the cluster") != std::string::npos);
}

TEST_CASE("compose: a redeploy scales and moves networks, and refuses what it does not model", "[unit][compose]") {
  model::Scenario c = SeedCluster();
  c.networks.push_back({"ex_net", *model::Ipv4Cidr::Parse("10.0.0.0/27"), {}});
  model::ServiceSpec running;
  running.name = "ex_service";
  running.replicas = 24;
  running.networks = {"ex_net"};
  running.container = model::ContainerSpec{.image = "busybox", .args = {"sleep", "100000"},
                                           .labels = {{"com.docker.stack.namespace", "ex"}}};
  c.services.push_back(running);
  const std::string base = Slurp(std::string(SWARMPLAN_DATA) + "/compose/exhaust.yml");
  auto same = compose::Deploy(c, base, "exhaust.yml", "ex", Env({}));
  REQUIRE(same);
  CHECK(same->order == std::vector<std::string>{"wait"});
  auto fewer = compose::Deploy(c, base, "exhaust.yml", "ex", Env({{"EX_REPLICAS", "20"}}));
  REQUIRE(fewer);
  CHECK(fewer->order == std::vector<std::string>{"scale:ex_service=20", "wait"});
  const std::string moved = R"(
services:
  service:
    image: busybox
    deploy: {replicas: 24}
    networks: [wide]
networks:
  wide:
    ipam: {config: [{subnet: 10.0.4.0/24}]}
)";
  auto mv = compose::Deploy(c, moved, "stack.yml", "ex", Env({}));
  REQUIRE(mv);
  // The command changed too (it is left out): the network change rolls the
  // tasks with it, no update of its own.
  CHECK(mv->order == std::vector<std::string>{"network-add:ex_service:ex_wide", "network-rm:ex_service:ex_net", "wait"});
  CHECK(Contains(mv->notes, "services.service: its command changes: a rolling update (with the network change)"));
  auto p = planner::ParseOrder(mv->scenario, mv->order, {20, 10}, true);
  REQUIRE(p);
  CHECK(planner::CheckPlan(mv->scenario, *p));
  const std::string dnsrr = R"(
services:
  service:
    image: busybox
    deploy: {replicas: 24, endpoint_mode: dnsrr}
    networks: [net]
networks:
  net: {ipam: {config: [{subnet: 10.0.0.0/27}]}}
)";
  auto refused = compose::Deploy(c, dnsrr, "stack.yml", "ex", Env({}));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("services.service: endpoint_mode differs from the running service") != std::string::npos);
}

TEST_CASE("compose: a redeploy that changes what the containers run is a rolling update", "[unit][compose]") {
  model::Scenario c = SeedCluster();
  c.networks.push_back({"ex_net", *model::Ipv4Cidr::Parse("10.0.0.0/27"), {}});
  model::ServiceSpec running;
  running.name = "ex_service";
  running.replicas = 20;
  running.networks = {"ex_net"};
  running.update.order = model::UpdateOrder::kStopFirst;
  running.container = model::ContainerSpec{.image = "app:1", .command = {"/bin/app", "--fast mode"}, .args = {"serve"},
                                           .env = {"A=1", "B=two words", "HOME"},
                                           .labels = {{"com.docker.stack.namespace", "ex"}, {"tier", "web"}},
                                           .user = "app", .dir = "/srv"};
  c.services.push_back(running);
  // The same containers written the other ways docker's loader accepts:
  // entrypoint as one string, environment as a mapping with a value from the
  // shell and one left unset, labels as a list.
  const std::string same = R"(
services:
  service:
    image: app:1
    entrypoint: /bin/app "--fast mode"
    command: serve
    environment: {B: two words, A: 1, HOME: null}
    labels: [tier=web]
    user: app
    working_dir: /srv
    volumes: [data:/data]
    deploy: {replicas: 20, update_config: {order: start-first, parallelism: 2}}
    networks: [net]
networks:
  net: {name: ex_net, external: true}
)";
  auto st = compose::Deploy(c, same, "stack.yml", "ex", Env({}));
  REQUIRE(st);
  CHECK(st->order == std::vector<std::string>{"wait"});
  CHECK(Contains(st->notes, "services.service: volumes not compared with the running service; if changed, docker rolls "
                            "the service out, which this plan does not include"));
  // A variable the shell sets is taken for a KEY without a value: HOME=/root
  // is not the bare HOME the service runs with.
  auto home = compose::Deploy(c, same, "stack.yml", "ex", Env({{"HOME", "/root"}}));
  REQUIRE(home);
  CHECK(home->order == std::vector<std::string>{"update:ex_service", "wait"});
  CHECK(Contains(home->notes, "services.service: its environment changes: a rolling update"));

  std::string bumped = same;
  bumped.replace(bumped.find("app:1"), 5, "app:2");
  bumped.replace(bumped.find("replicas: 20"), 12, "replicas: 24");
  auto up = compose::Deploy(c, bumped, "stack.yml", "ex", Env({}));
  REQUIRE(up);
  CHECK(up->order == std::vector<std::string>{"scale:ex_service=24", "update:ex_service", "wait"});
  CHECK(Contains(up->notes, "services.service: its image app:1 -> app:2 changes: a rolling update"));
  const auto* svc = Service(up->scenario, "ex_service");
  REQUIRE(svc);
  CHECK(svc->update.order == model::UpdateOrder::kStartFirst);  // the file's update_config drives the update
  CHECK(svc->container->image == "app:1");  // what runs now; the update rolls out the rest
  REQUIRE(svc->update_to);
  CHECK(svc->update_to->container->image == "app:2");
  auto p = planner::ParseOrder(up->scenario, up->order, {20, 10}, true);
  REQUIRE(p);
  CHECK(planner::CheckPlan(up->scenario, *p));

  // A running image pinned to its digest: the same tag is not a change (an
  // assumption, said so).
  c.services.back().container->image = "app:1@sha256:0123abcd";
  auto pinned = compose::Deploy(c, same, "stack.yml", "ex", Env({}));
  REQUIRE(pinned);
  CHECK(pinned->order == std::vector<std::string>{"wait"});
  CHECK(Contains(pinned->notes, "services.service: the running image is pinned to a digest (app:1@sha256:0123abcd); "
                                "docker pins app:1 again from the registry, and rolls the service out if the tag has "
                                "moved: assumed not"));
  // Not known (a scenario written by hand): planned as an update, said why.
  c.services.back().container.reset();
  auto unknown = compose::Deploy(c, same, "stack.yml", "ex", Env({}));
  REQUIRE(unknown);
  CHECK(unknown->order == std::vector<std::string>{"update:ex_service", "wait"});
  CHECK(unknown->notes.end() != std::find_if(unknown->notes.begin(), unknown->notes.end(), [](const std::string& n) {
          return n.find("services.service: the cluster's description does not say what its containers run") == 0;
        }));
}

TEST_CASE("compose: a redeploy that changes the restart policy or the placement is a rolling update", "[unit][compose]") {
  model::Scenario c = SeedCluster();
  c.networks.push_back({"ex_net", *model::Ipv4Cidr::Parse("10.0.0.0/24"), {}});
  model::ServiceSpec running;
  running.name = "ex_service";
  running.replicas = 10;
  running.networks = {"ex_net"};
  running.container = model::ContainerSpec{.image = "app:1", .labels = {{"com.docker.stack.namespace", "ex"}}};
  c.services.push_back(running);
  const auto deploy = [&](const std::string& extra) {
    return compose::Deploy(c,
                           "services:\n  service:\n    image: app:1\n    networks: [net]\n"
                           "    deploy:\n      replicas: 10\n" + extra +
                           "networks:\n  net: {name: ex_net, external: true}\n",
                           "stack.yml", "ex", Env({}));
  };
  auto same = deploy("");
  REQUIRE(same);
  CHECK(same->order == std::vector<std::string>{"wait"});
  auto grace = deploy("      restart_policy: {delay: 1s}\n      resources: {reservations: {memory: 64M}}\n");
  REQUIRE(grace);
  CHECK(grace->order == std::vector<std::string>{"update:ex_service", "wait"});
  CHECK(Contains(grace->notes, "services.service: its restart_policy, resources change: a rolling update"));
  const auto* svc = Service(grace->scenario, "ex_service");
  REQUIRE(svc);
  REQUIRE(svc->update_to);
  CHECK(svc->restart_delay == sim::Sec(5));  // what runs now
  CHECK(svc->update_to->restart_delay == sim::Sec(1));
  CHECK(svc->update_to->reserve_memory_bytes == 64LL << 20);
  auto zone = deploy("      placement: {constraints: [node.labels.zone != c]}\n");
  REQUIRE(zone);
  CHECK(zone->order == std::vector<std::string>{"update:ex_service", "wait"});
  CHECK(Contains(zone->notes, "services.service: its constraints changes: a rolling update of the tasks on nodes "
                              "that no longer meet its placement"));
  // Planned and simulated: only the tasks on the zone-c node move.
  auto p = planner::ParseOrder(zone->scenario, zone->order, {20, 10}, true);
  REQUIRE(p);
  REQUIRE(planner::CheckPlan(zone->scenario, *p));
  const auto r = planner::RunTrial(zone->scenario, *p, 1, {});
  CHECK_FALSE(r.at_risk());
  REQUIRE(r.services.size() == 1);
  // Endpoint mode and ports still refused by name.
  auto dnsrr = deploy("      endpoint_mode: dnsrr\n");
  REQUIRE_FALSE(dnsrr);
  CHECK(dnsrr.error().find("endpoint_mode differs from the running service") != std::string::npos);
}

TEST_CASE("compose: env_file and quoted commands are read as docker reads them", "[unit][compose]") {
  TempDir dir;
  {
    std::ofstream f(dir.path + "/app.env");
    f << "\xEF\xBB\xBF# settings\n\n  A=from file\nB= spaced \nSHELLVAR\nUNSET\r\n";
  }
  const std::string yaml = R"(
services:
  web:
    image: app
    env_file: app.env
    environment: [A=override]
    command: sh -c 'echo "a b"' x\ y
)";
  auto st = compose::Deploy(SeedCluster(), yaml, dir.path + "/stack.yml", "st", Env({{"SHELLVAR", "v"}}));
  REQUIRE(st);
  const auto* svc = Service(st->scenario, "st_web");
  REQUIRE(svc);
  REQUIRE(svc->container);
  CHECK(svc->container->env == std::vector<std::string>{"A=override", "B= spaced ", "SHELLVAR=v"});
  CHECK(svc->container->args == std::vector<std::string>{"sh", "-c", "echo \"a b\"", "x y"});
  CHECK(svc->container->labels == std::map<std::string, std::string>{{"com.docker.stack.namespace", "st"}});

  auto missing = compose::Deploy(SeedCluster(), "services:\n  web:\n    image: app\n    env_file: [none.env]\n",
                                 dir.path + "/stack.yml", "st", Env({}));
  REQUIRE_FALSE(missing);
  INFO(missing.error());
  CHECK(missing.error().find("stack.yml:4:16: services.web.env_file[0]: ") != std::string::npos);
  CHECK(missing.error().find("none.env") != std::string::npos);
  CHECK(Error(SeedCluster(), "services:\n  web:\n    image: app\n    command: echo 'unclosed\n") ==
        "stack.yml:4:14: services.web.command: an unclosed ' quote");
  CHECK(Error(SeedCluster(), "services:\n  web:\n    image: app\n    environment: [=x]\n") ==
        "stack.yml:4:19: services.web.environment[0]: \"=x\" has no name before =");
}

TEST_CASE("compose: bad files get one error naming the field", "[unit][compose]") {
  const model::Scenario c = SeedCluster();
  const auto has = [&](const std::string& yaml, const std::string& what, std::map<std::string, std::string> env = {}) {
    const std::string e = Error(c, yaml, std::move(env));
    INFO("yaml:\n" << yaml << "\nerror: " << e);
    CHECK(e.find(what) != std::string::npos);
  };
  has("services: [", "stack.yml:1:");  // not YAML, with its place
  has("version: '3'\n", "the stack has no services");
  has("services:\n  a:\n    image: x\n    replcas: 2\n", "stack.yml:4:5: services.a.replcas: unknown field");
  has("services:\n  a:\n    deploy: {replicas: many}\n", "services.a.deploy.replicas: expected a whole number");
  has("services:\n  a:\n    stop_grace_period: 10 seconds\n", "services.a.stop_grace_period: \"10 seconds\" is not a duration");
  has("services:\n  a:\n    networks: [nope]\n", "services.a.networks: refers to undefined network nope");
  has("services:\n  a:\n    deploy: {placement: {preferences: [{spread: node.labels.zone}]}}\n",
      "placement preferences (spread) are not modelled");
  has("services:\n  a:\n    deploy: {mode: replicated-job}\n", "jobs are not modelled");
  has("services:\n  a: {networks: [n]}\nnetworks:\n  n: {ipam: {config: [{subnet: 10.9.0.0/24}, {subnet: 10.9.1.0/24}]}}\n",
      "more than one subnet on a network is not modelled");
  has("services:\n  a: {networks: [n]}\nnetworks:\n  n: {driver: bridge}\n", "networks.n.driver");
  has("services:\n  a: {networks: [n]}\nnetworks:\n  n: {ipam: {config: [{subnet: 10.0.0.0/33}]}}\n",
      "networks.n.ipam.config[0].subnet");
  has("services:\n  a:\n    deploy: {replicas: \"${N:?say how many}\"}\n", "required variable N is missing a value: say how many");
  has("services:\n  a:\n    image: \"cost $ 5\"\n", "invalid interpolation format");
  has("services:\n  a:\n    deploy: {resources: {reservations: {memory: lots}}}\n", "\"lots\" is not a size");
  has("services:\n  a:\n    deploy: {update_config: {order: sideways}}\n", "expected stop-first or start-first");
  has("services:\n  a:\n    deploy: {mode: global, replicas: 2}\n", "a global service has no replica count");
  has(std::string(5000, '[') + std::string(5000, ']'), "nested over 200 deep");
  // Aliases of aliases (a "billion laughs"): refused, not expanded.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) bomb += std::string(k ? ", " : "") + "*a" + std::to_string(i - 1);
    bomb += "]\n";
  }
  has(bomb + "services: {a: {image: x}}\n", "expands (through aliases) to over a million values");
  // The same network twice: the range overlaps one of the cluster's.
  model::Scenario taken = c;
  taken.networks.push_back({"other", *model::Ipv4Cidr::Parse("10.9.0.0/24"), {}});
  CHECK(Error(taken, "services:\n  a: {networks: [n]}\nnetworks:\n  n: {ipam: {config: [{subnet: 10.9.0.0/25}]}}\n")
            .find("overlaps") != std::string::npos);
  CHECK(compose::Deploy(c, "services: {a: {image: x}}", "f.yml", "bad name!", Env({})).error().find("stack name") !=
        std::string::npos);
  // $$ is a dollar; an unset variable is blank, and said.
  auto ok = compose::Deploy(c, "services:\n  a:\n    command: echo $$HOME ${UNSET}\n", "f.yml", "st", Env({}));
  REQUIRE(ok);
  REQUIRE(ok->notes.size() >= 1);
  CHECK(ok->notes[0].find("UNSET variable is not set") != std::string::npos);
  // Ignored as docker ignores them, and said.
  auto ign = compose::Deploy(c, "services:\n  a: {image: x, build: ., container_name: y}\n", "f.yml", "st", Env({}));
  REQUIRE(ign);
  CHECK(std::any_of(ign->notes.begin(), ign->notes.end(),
                    [](const std::string& n) { return n.find("build, container_name") != std::string::npos; }));
}

TEST_CASE("compose: plan --compose on the command line", "[unit][compose][cli]") {
  const std::string cluster = std::string(SWARMPLAN_DATA) + "/seed-cluster.json";
  const std::string stack = std::string(SWARMPLAN_DATA) + "/compose/exhaust.yml";
  auto r = RunSwarmplan("plan " + cluster + " --compose " + stack + " --stack ex --to 17.06 --trials 50 "
                        "--no-sensitivity --no-fixes");
  CHECK(r.status == 0);
  CHECK(r.out.find("change (no engine upgrade") != std::string::npos);
  CHECK(r.out.find("create service ex_service") != std::string::npos);
  CHECK(r.out.find("--compose") != std::string::npos);  // the reproduce line repeats it
  const auto fails = [](const std::string& args, const std::string& what) {
    auto f = RunSwarmplan(args);
    INFO(f.err);
    CHECK(f.status == 1);
    CHECK(f.err.find(what) != std::string::npos);
  };
  fails("plan " + cluster + " --compose " + stack, "--compose needs --stack NAME");
  fails("plan --compose " + stack + " --stack ex", "--compose needs the cluster the stack lands on");
  fails("plan " + cluster + " --compose " + stack + " --stack ex --order wait", "leave out --order");
  fails("plan " + cluster + " --stack ex", "give --compose FILE too");
  fails("plan " + cluster + " --compose /nonexistent.yml --stack ex", "cannot open the Compose file");
}

TEST_CASE("compose: apply --compose deploys the stack with one docker stack deploy", "[unit][compose][cli]") {
  // The dry run prints docker's own command for all the deploy's steps (not
  // one docker service create per service), then the plan's wait.
  const std::string cluster = std::string(SWARMPLAN_DATA) + "/seed-cluster.json";
  const std::string stack = std::string(SWARMPLAN_DATA) + "/compose/test.yml";
  auto r = RunSwarmplan("apply " + cluster + " --compose " + stack + " --stack test --to 17.06 --gate-trials 20");
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("docker stack deploy --compose-file " + stack + " test\n") != std::string::npos);
  CHECK(r.out.find("docker service create") == std::string::npos);
  CHECK(r.err.find("(the stack's deploy): docker stack deploy test") != std::string::npos);
  // The simulator performs the steps one by one instead.
  auto sim = RunSwarmplan("apply " + cluster + " --compose " + stack + " --stack test --to 17.06 --gate-trials 20 "
                          "--executor sim");
  INFO(sim.err);
  CHECK(sim.status == 0);
  CHECK(sim.err.find("docker stack deploy") == std::string::npos);
  CHECK(sim.err.find("create service test_client") != std::string::npos);
  // The docker executor's stack command is checked before anything runs.
  auto bad = RunSwarmplan("apply " + cluster + " --compose " + stack + " --stack test --executor docker "
                          "--stack-command 'docker stack deploy -c {file} {stak}'");
  CHECK(bad.status == 1);
  CHECK(bad.err.find("unknown placeholder {stak}") != std::string::npos);
  CHECK(bad.err.find("{file} {stack} {host}") != std::string::npos);
}

