// swarmplan against a real 3-node swarm (tests/realswarm/swarm.sh: dockerd
// 20.10 in namespaces, one manager, two workers): `import` matches what the
// docker CLI reports, `usage` matches the addresses the daemons hold, and the
// docker executor drains, "upgrades" (restarts) and reactivates real nodes,
// resumes from its journal after kill -9, and stops at its safety gate.
// Everything goes through the swarmplan program, as a user runs it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <csignal>
#include <sys/wait.h>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "realswarm/harness.hpp"
#include "run_swarmplan.hpp"

using namespace swarmplan::testing;
using nlohmann::json;

namespace {

const std::string kBin = SWARMPLAN_BIN;  // also started directly, in the background
const std::string kHost = "unix:///run/sprs1/docker.sock";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

// Polls until every service runs its replicas (docker service ls), at most 180 s.
bool Converged() {
  for (int t = 0; t < 90; ++t) {
    bool all = true;
    for (const auto& l : Lines(Dk(1, "service ls --format '{{.Replicas}}'"))) {
      const auto slash = l.find('/');
      all = all && slash != std::string::npos && l.substr(0, slash) == l.substr(slash + 1, l.find(' ') - slash - 1);
    }
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  return false;
}

std::string NodeField(const std::string& node, const std::string& fmt) {
  std::string s = Dk(1, "node inspect " + node + " --format '" + fmt + "'");
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// A journal's lines: its header and step records, and apart its memos.
struct JournalLines {
  std::vector<std::string> records, memos;
};
JournalLines ReadJournal(const std::string& path) {
  JournalLines j;
  for (const std::string& l : Lines(ReadFile(path))) (l.rfind("memo ", 0) == 0 ? j.memos : j.records).push_back(l);
  return j;
}

}  // namespace

TEST_CASE("import, usage and the docker executor on a real swarm", "[realswarm][live][rs1]") {
  Harness h(3, 1);
  Dk(1, "network create -d overlay --subnet 10.10.0.0/27 exnet");
  Dk(1, "network create -d overlay --subnet 10.20.0.0/24 webnet");
  Dk(1, "node update --label-add zone=a node3");
  Dk(1, "service create -d --name ex --replicas 12 --network exnet --stop-grace-period 1s --no-resolve-image local/bb:1 sleep 100000");
  Dk(1, "service create -d --name web --mode global --network webnet --publish 8080:80 --constraint node.role==worker "
        "--no-resolve-image local/bb:1 httpd -f -p 80");
  Dk(1, "service create -d --name dns --endpoint-mode dnsrr --replicas 2 --network webnet --network exnet "
        "--stop-grace-period 1s --no-resolve-image local/bb:1 sleep 100000");
  REQUIRE(Converged());

  {  // import writes what docker reports, and plan accepts it unchanged
    const Run imp = Swarmplan("import --host " + kHost + " -o live_import.json");
    REQUIRE(imp.status == 0);
    const json j = json::parse(ReadFile("live_import.json"));
    // Nodes: name, role, availability, engine.
    std::set<std::string> real_nodes, got_nodes;
    for (const auto& l : Lines(Dk(1, "node ls --format '{{.Hostname}} {{.Availability}} {{if .ManagerStatus}}manager{{else}}worker{{end}}'"))) {
      real_nodes.insert(l);
    }
    for (const auto& n : j["nodes"]) {
      std::string av = n["availability"];
      av[0] = static_cast<char>(std::toupper(av[0]));
      got_nodes.insert(n["name"].get<std::string>() + " " + av + " " + n["role"].get<std::string>());
      CHECK(Dk(1, "node inspect " + n["name"].get<std::string>() + " --format '{{.Description.Engine.EngineVersion}}'")
                .rfind(n["engine"].get<std::string>(), 0) == 0);
    }
    CHECK(got_nodes == real_nodes);
    CHECK(j["leader"] == "node1");
    // Services: mode and replicas.
    std::set<std::string> real_svcs, got_svcs;
    for (const auto& l : Lines(Dk(1, "service ls --format '{{.Name}} {{.Mode}}'"))) real_svcs.insert(l);
    for (const auto& s : j["services"]) got_svcs.insert(s["name"].get<std::string>() + " " + s["mode"].get<std::string>());
    CHECK(got_svcs == real_svcs);
    // Overlays and their subnets.
    std::set<std::string> real_nets, got_nets;
    for (const auto& l : Lines(Dk(1, "network ls --filter driver=overlay --format '{{.Name}}'"))) {
      const std::string sub = Lines(Dk(1, "network inspect " + l + " --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}'")).at(0);
      real_nets.insert(l + " " + sub);
    }
    for (const auto& n : j["networks"]) got_nets.insert(n["name"].get<std::string>() + " " + n["subnet"].get<std::string>());
    got_nets.insert("ingress " + j["ingress"].get<std::string>());
    CHECK(got_nets == real_nets);
    // Tasks: service, slot, node, state and every address, as docker inspect shows them.
    std::set<std::string> real_tasks, got_tasks;
    for (const auto& id : Lines(Dk(1, "service ps ex web dns -q --filter desired-state=running"))) {
      const std::string row = Lines(Dk(1, "inspect " + id + " --format '{{.ServiceID}} {{.Slot}} {{.NodeID}} {{.Status.State}}"
                                              "{{range .NetworksAttachments}} {{.Network.Spec.Name}}={{index .Addresses 0}}{{end}}'")).at(0);
      std::istringstream in(row);
      std::string sid, slot, nid, state;
      in >> sid >> slot >> nid >> state;
      const std::string svc = Lines(Dk(1, "service inspect " + sid + " --format '{{.Spec.Name}}'")).at(0);
      const std::string node = Lines(Dk(1, "node inspect " + nid + " --format '{{.Description.Hostname}}'")).at(0);
      const bool global = svc == "web";
      std::string text = svc + " " + (global ? "0" : slot) + " " + node + " " + state;
      std::vector<std::string> addrs;
      for (std::string a; in >> a;) {
        a = a.substr(0, a.find('/'));
        addrs.push_back(a);
      }
      std::sort(addrs.begin(), addrs.end());
      for (const auto& a : addrs) text += " " + a;
      real_tasks.insert(text);
    }
    for (const auto& t : j["tasks"]) {
      std::string text = t["service"].get<std::string>() + " " + std::to_string(t.value("slot", 0)) + " " +
                         t["node"].get<std::string>() + " " + t["state"].get<std::string>();
      std::vector<std::string> addrs;
      for (auto it = t["addresses"].begin(); it != t["addresses"].end(); ++it) addrs.push_back(it.key() + "=" + it.value().get<std::string>());
      std::sort(addrs.begin(), addrs.end());
      for (const auto& a : addrs) text += " " + a;
      got_tasks.insert(text);
    }
    CHECK(got_tasks.size() == 12 + 2 + 2);
    CHECK(got_tasks == real_tasks);

    const Run plan = Swarmplan("plan live_import.json --trials 50");
    CHECK((plan.status == 0 || plan.status == 2));
    CHECK(plan.err.find("error") == std::string::npos);
    const Run direct = Swarmplan("plan --host " + kHost + " --trials 50 --json");
    REQUIRE((direct.status == 0 || direct.status == 2));
    CHECK(json::parse(direct.out).contains("verdict"));
  }

  {  // TCP with TLS client certificates, as the docker CLI is configured:
     // node1 also listens on tcp://192.168.77.11:2376 (tests/realswarm/swarm.sh)
    const std::string tcp = "tcp://192.168.77.11:2376";
    const std::string tls = "/run/sprs-state/tls";
    const Run ok = Swarmplan("import --host " + tcp, "ip netns exec sprs1 env DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=" + tls + " ");
    INFO(ok.err);
    REQUIRE(ok.status == 0);
    const json over_tls = json::parse(ok.out);
    const json over_unix = json::parse(ReadFile("live_import.json"));
    CHECK(over_tls["nodes"] == over_unix["nodes"]);
    CHECK(over_tls["services"] == over_unix["services"]);
    CHECK(over_tls["tasks"] == over_unix["tasks"]);
    // A CA that did not sign the daemon's certificate: refused, and said so.
    Sh("rm -rf live_badca && mkdir live_badca && cp " + tls + "/cert.pem " + tls + "/key.pem live_badca/ && "
       "openssl req -x509 -newkey rsa:2048 -nodes -keyout live_badca/ca-key.pem -out live_badca/ca.pem -days 1 -subj /CN=other-ca");
    const Run bad_ca = Swarmplan("import --host " + tcp, "ip netns exec sprs1 env DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=live_badca ");
    CHECK(bad_ca.status == 1);
    CHECK(bad_ca.err.find("TLS with the Docker daemon at " + tcp + " failed") != std::string::npos);
    // No TLS at all against a TLS daemon.
    const Run plain = Swarmplan("import --host " + tcp, "ip netns exec sprs1 env -u DOCKER_TLS_VERIFY -u DOCKER_TLS ");
    CHECK(plain.status == 1);
    CHECK(plain.err.find("the daemon expects TLS") != std::string::npos);
    // A worker is not a manager.
    const Run worker = Swarmplan("import --host unix:///run/sprs2/docker.sock");
    CHECK(worker.status == 1);
    CHECK(worker.err.find("is a swarm worker, not a manager") != std::string::npos);
  }

  {  // usage counts the addresses the daemons hold
    const Run u = Swarmplan("usage --host " + kHost + " --json --trials 20");
    REQUIRE((u.status == 0 || u.status == 2));
    const json j = json::parse(u.out);
    for (const auto& n : j["networks"]) {
      const std::string net = n["network"];
      INFO(net);
      // Each daemon's own view: its task endpoints and its load-balancer
      // endpoint (lb-<net>, or ingress-sbox) on that network.
      std::uint64_t tasks = 0, lbs = 0;
      for (int i = 1; i <= 3; ++i) {
        const std::string out = Dk(i, "network inspect " + net + " --format '{{range $k, $v := .Containers}}{{$k}} {{end}}'");
        if (out.find("No such network") != std::string::npos || out.find("Error") != std::string::npos) continue;
        std::istringstream in(out);
        for (std::string k; in >> k;) {
          if (k == "lb-" + net || k == "ingress-sbox") ++lbs;
          else ++tasks;
        }
      }
      CHECK(n["task_addresses"].get<std::uint64_t>() == tasks);
      CHECK(n["node_lb"].get<std::uint64_t>() == lbs);
      std::uint64_t vips = 0;
      for (const auto& svc : {"ex", "web", "dns"}) {
        const std::string netid = Lines(Dk(1, "network inspect " + net + " --format '{{.Id}}'")).at(0);
        for (const auto& l : Lines(Dk(1, std::string("service inspect ") + svc +
                                             " --format '{{range .Endpoint.VirtualIPs}}{{.NetworkID}}{{\"\\n\"}}{{end}}'"))) {
          vips += l == netid;
        }
      }
      CHECK(n["vips"].get<std::uint64_t>() == vips);
      CHECK(n["in_use"].get<std::uint64_t>() == 3 + vips + tasks + lbs);
      CHECK(n["free"].get<std::uint64_t>() == n["capacity"].get<std::uint64_t>() - (3 + vips + tasks + lbs));
    }
  }

  {  // the docker executor drains, upgrades and reactivates a node; one run per journal; a signal mid-upgrade
     // leaves the step in doubt and the resume reads the node; stops at its gate
    const std::string restart2 = "bash " + kSwarmSh + " stop 2 && bash " + kSwarmSh + " start 2";
    const std::string pid_before = ReadFile("/run/sprs2/docker.pid");
    std::remove("live_apply.journal");
    const Run a = Swarmplan("apply --host " + kHost + " --executor docker --order node2 --journal live_apply.journal "
                            "--upgrade-command '" + restart2 + "'");
    INFO(a.err);
    REQUIRE(a.status == 0);
    CHECK(a.err.find("step 1/6 (drain node2)") != std::string::npos);
    CHECK(a.err.find("done") != std::string::npos);
    CHECK(ReadFile("/run/sprs2/docker.pid") != pid_before);  // its engine really restarted
    CHECK(NodeField("node2", "{{.Spec.Availability}}") == "active");
    CHECK(NodeField("node2", "{{.Status.State}}") == "ready");
    const JournalLines applied = ReadJournal("live_apply.journal");
    CHECK(applied.records.size() == 1 + 2 * 6);  // begin and done of each step
    CHECK(applied.memos.size() == 3);            // node2's session before the stop, the engine installed, back
    REQUIRE(Converged());

    // A second apply on the journal while the first runs is refused, naming
    // it; SIGINT in the middle of node3's upgrade reaches the upgrade
    // command and leaves the step in doubt; the resume reads node3 first.
    std::remove("live_resume.journal");
    std::remove("live_upgrade.pid");
    std::remove("live_resume_1.txt");
    const std::string slow = "echo $$ > live_upgrade.pid; exec sleep 600";
    const std::string cmd = kBin + " apply --host " + kHost + " --executor docker --order node3 --journal live_resume.journal "
                            "--upgrade-command '" + slow + "' > /dev/null 2>live_resume_1.txt & echo $!";
    const int pid = std::stoi(Sh(cmd));
    for (int t = 0; t < 300 && ReadFile("live_upgrade.pid").empty(); ++t) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    REQUIRE_FALSE(ReadFile("live_upgrade.pid").empty());
    const int upgrade_pid = std::stoi(ReadFile("live_upgrade.pid"));
    CHECK(NodeField("node3", "{{.Spec.Availability}}") == "drain");  // drained before the upgrade began
    const Run second = Swarmplan("apply --host " + kHost + " --executor docker --order node3 --journal live_resume.journal "
                                 "--upgrade-command 'true'");
    INFO(second.err);
    CHECK(second.status == 1);
    CHECK(second.err.find("another apply is running on this journal: pid " + std::to_string(pid)) != std::string::npos);
    kill(pid, SIGINT);
    bool ended = false;
    for (int t = 0; t < 200 && !ended; ++t) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ended = kill(pid, 0) != 0 && kill(upgrade_pid, 0) != 0;
    }
    CHECK(ended);  // apply and the upgrade command it started both ended
    if (!ended) {
      kill(pid, SIGKILL);
      kill(upgrade_pid, SIGKILL);
    }
    const std::string first_err = ReadFile("live_resume_1.txt");
    INFO(first_err);
    CHECK(first_err.find("interrupted by SIGINT during step 3/6 (install") != std::string::npos);
    CHECK(first_err.find("the command was given SIGINT") != std::string::npos);
    const std::vector<std::string> records = ReadJournal("live_resume.journal").records;
    CHECK(records.size() == 1 + 2 + 2 + 1);  // the plan's line; drain and stop begun and done; install begun
    CHECK(records.back().rfind("begin 2 ", 0) == 0);

    const std::string restart3 = "bash " + kSwarmSh + " stop 3 && bash " + kSwarmSh + " start 3";
    const Run resumed = Swarmplan("apply --host " + kHost + " --executor docker --order node3 --journal live_resume.journal "
                                  "--upgrade-command '" + restart3 + "'");
    INFO(resumed.err);
    REQUIRE(resumed.status == 0);
    CHECK(resumed.err.find("resuming: 2 steps already done, 1 in doubt") != std::string::npos);
    CHECK(resumed.err.find("apply: step 1/6 (drain node3)") == std::string::npos);  // never drained twice
    // node3 reports the plan's engine (the harness reinstalls the same
    // one): the upgrade is taken as done, said, and not run again.
    CHECK(resumed.err.find("step 3/6 (install") != std::string::npos);
    CHECK(resumed.err.find("skipping it") != std::string::npos);
    CHECK(NodeField("node3", "{{.Spec.Availability}}") == "active");
    REQUIRE(Converged());

    // A node that does not come back (issue 28: an upgrade that fails):
    // the upgrade command stops node2's engine and nothing starts it.
    // apply stops at the start step once --step-timeout passes, leaving
    // node2 drained as it was and the step in doubt; once the engine is
    // started by hand, the resume reads node2 and finishes the plan.
    std::remove("live_down.journal");
    const Run down = Swarmplan("apply --host " + kHost + " --executor docker --order node2 --journal live_down.journal "
                               "--step-timeout 30 --upgrade-command 'bash " + kSwarmSh + " stop 2'");
    INFO(down.err);
    CHECK(down.status == 2);
    CHECK(down.err.find("stopped at step 4/6 (start node2)") != std::string::npos);
    CHECK(down.err.find("not ready, 30 s after its engine start") != std::string::npos);
    CHECK(NodeField("node2", "{{.Spec.Availability}}") == "drain");
    const auto [down_records, memos] = ReadJournal("live_down.journal");
    CHECK(down_records.size() == 1 + 2 * 3 + 1);  // the plan; drain, stop, install begun and done; start begun
    CHECK(down_records.back().rfind("begin 3 ", 0) == 0);
    // What the resume needs to judge the start: node2's store version read
    // before its stop, and the engine its upgrade installed.
    REQUIRE(memos.size() == 2);
    CHECK(memos[0].rfind("memo 1 session ", 0) == 0);
    CHECK(memos[0].substr(memos[0].size() - 6) == " node2");
    CHECK(memos[1] == "memo 2 installed 20.10 node2");
    Sh("bash " + kSwarmSh + " start 2");
    const Run back = Swarmplan("apply --host " + kHost + " --executor docker --order node2 --journal live_down.journal "
                               "--step-timeout 120 --upgrade-command 'true'");
    INFO(back.err);
    REQUIRE(back.status == 0);
    CHECK(back.err.find("resuming: 3 steps already done, 1 in doubt") != std::string::npos);
    CHECK(back.err.find("step 3/6 (install") == std::string::npos);  // not installed again
    CHECK(NodeField("node2", "{{.Spec.Availability}}") == "active");
    CHECK(NodeField("node2", "{{.Status.State}}") == "ready");
    REQUIRE(Converged());

    // The gate, on the seed's trap: exnet filled to its last address while
    // node2 is drained, then node2 activated with no task and so no
    // load-balancer address. Draining node3 now sends its tasks to node2,
    // which finds no address for its load balancer (reality rejects them:
    // see docs/conformance.md). Forced past the start, apply must
    // stop at the gate before the drain and leave node3 active.
    Dk(1, "node update --availability drain node2");
    REQUIRE(Converged());
    const Run before = Swarmplan("usage --host " + kHost + " --json --trials 5");
    REQUIRE((before.status == 0 || before.status == 2));
    std::uint64_t free = 0;
    const json usage_doc = json::parse(before.out);
    for (const auto& n : usage_doc["networks"]) {
      if (n["network"] == "exnet") free = n["free"];
    }
    const int ex_now = std::stoi(Lines(Dk(1, "service inspect ex --format '{{.Spec.Mode.Replicated.Replicas}}'")).at(0));
    INFO("exnet free " << free << ", ex replicas " << ex_now);
    REQUIRE(free > 0);
    Dk(1, "service scale -d ex=" + std::to_string(ex_now + static_cast<int>(free)));
    REQUIRE(Converged());
    REQUIRE(Lines(Dk(1, "service inspect ex --format '{{.Spec.Mode.Replicated.Replicas}}'")).at(0) ==
            std::to_string(ex_now + static_cast<int>(free)));
    Dk(1, "node update --availability active node2");
    const Run risky = Swarmplan("plan --host " + kHost + " --order drain:node3,activate:node3 --trials 200");
    INFO(risky.out);
    REQUIRE(risky.status == 2);  // the model calls it at risk
    const Run gated = Swarmplan("apply --host " + kHost + " --executor docker --order drain:node3,activate:node3 "
                                "--force --max-risk 0.05 --gate-trials 400");
    INFO(gated.err);
    CHECK(gated.status == 2);
    CHECK(gated.err.find("stopped before step 1/2 (drain node3)") != std::string::npos);
    CHECK(gated.err.find("above --max-risk 0.05") != std::string::npos);
    CHECK(NodeField("node3", "{{.Spec.Availability}}") == "active");
  }
}
