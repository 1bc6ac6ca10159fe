// Conformance: the simulator's prediction against a real multi-node swarm
// (dockerd 20.10 in namespaces on this machine, tests/realswarm/swarm.sh).
// For each scenario the real cluster runs once and the model runs 20 seeds;
// they agree when the real outcome lies within the model's range (running
// tasks, tasks stuck in NEW, addresses in use) and whether tasks were
// rejected is not something the model calls (nearly) impossible: rejections
// in reality while the model rejects in under 5% of seeds, or none while it
// rejects in over 95%, is a disagreement; so is another error text.
// Writes the comparison table to conformance-PREFIX.md in the working
// directory (PREFIX: the harness swarm's, see tests/realswarm/swarm.sh). The
// rows are tagged [rs1] or [rs2]: ctest runs the two groups on two swarms
// at once.
// This header: the measuring of both sides and the table of rows.
#pragma once

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <nlohmann/json.hpp>
#include "helpers.hpp"
#include "realswarm/harness.hpp"
#include "run_swarmplan.hpp"
#include "compose/stack.hpp"
#include "model/operator.hpp"

namespace swarmplan::testing {

using namespace swarmplan::model;

struct Outcome {
  int running = 0, stuck_new = 0, rejected = 0;
  std::uint64_t used = 0;
  std::string error;
};

// The real swarm's state of `services` (default "ex") on overlay `net`
// (their tasks, their VIPs and the nodes' load balancers there: the services
// are on it).
inline Outcome MeasureReal(int nodes, const std::string& net = "exnet", const std::vector<std::string>& services = {"ex"}) {
  Outcome o;
  std::string all;
  for (const std::string& svc : services) all += Dk(1, "service ps " + svc + " --no-trunc --format '{{.CurrentState}}|{{.Error}}'");
  std::istringstream ps(all);
  std::string line;
  int with_address = 0;
  while (std::getline(ps, line)) {
    const std::string state = line.substr(0, line.find(' '));
    if (state == "Running") ++o.running;
    if (state == "New") ++o.stuck_new;
    if (state == "Pending" || state == "Assigned" || state == "Accepted" || state == "Preparing" ||
        state == "Ready" || state == "Starting" || state == "Running") {
      ++with_address;
    }
    if (state == "Rejected") {
      ++o.rejected;
      o.error = line.substr(line.find('|') + 1);
      if (o.error.size() >= 2 && o.error.front() == '"' && o.error.back() == '"') {
        o.error = o.error.substr(1, o.error.size() - 2);  // `service ps` quotes errors
      }
    }
  }
  int lbs = 0;
  for (int i = 1; i <= nodes; ++i) {
    lbs += Dk(i, "network inspect " + net + " -f '{{json .Containers}}'").find("\"lb-" + net + "\"") != std::string::npos;
  }
  o.used = static_cast<std::uint64_t>(3 + services.size() + with_address + lbs);
  return o;
}

// Waits until the task states of "ex" stop changing for 40 s, longer than
// the 30 s attachment wait (at most 300 s).
inline void SettleReal(const std::string& services = "ex") {
  std::string last;
  int same = 0;
  for (int t = 0; t < 150 && same < 20; ++t) {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const std::string now = Dk(1, "service ps " + services + " --format '{{.Node}} {{.DesiredState}} {{.CurrentState}}' | awk '{print $1,$2,$3}' | sort | uniq -c");
    same = now == last ? same + 1 : 0;
    last = now;
  }
}

inline Outcome MeasureModel(const Swarm& w, NetworkId net = 1) {
  Outcome o;
  for (const auto& t : w.tasks) {
    o.running += t.state == TaskState::kRunning;
    o.stuck_new += t.state == TaskState::kNew;
    if (t.state == TaskState::kRejected) {
      ++o.rejected;
      o.error = t.err;
    }
  }
  o.used = w.networks[net].pool.used();
  return o;
}

struct Row {
  std::string scenario;
  bool report_only = false;  // reality itself varies beyond the model here: see the note
  Outcome real;
  int run_min = 1 << 30, run_max = 0, new_min = 1 << 30, new_max = 0;
  std::uint64_t used_min = UINT64_MAX, used_max = 0;
  int rejecting_seeds = 0, seeds = 0;
  std::string model_error;
  bool Agrees() const {
    const double p = static_cast<double>(rejecting_seeds) / seeds;
    const bool rej_ok = real.rejected > 0 ? p >= 0.05 : p <= 0.95;
    return real.running >= run_min && real.running <= run_max && real.stuck_new >= new_min &&
           real.stuck_new <= new_max && real.used >= used_min && real.used <= used_max && rej_ok &&
           (real.rejected == 0 || model_error.empty() || real.error == model_error);
  }
};

inline std::vector<Row>& Rows() {
  static std::vector<Row> rows;
  return rows;
}

inline void Record(Row row) {
  INFO(row.scenario << ": real running " << row.real.running << " new " << row.real.stuck_new << " rejected "
                    << row.real.rejected << " used " << row.real.used << "; model running " << row.run_min << "-"
                    << row.run_max << " new " << row.new_min << "-" << row.new_max << " used " << row.used_min
                    << "-" << row.used_max << " rejecting seeds " << row.rejecting_seeds << "/" << row.seeds);
  if (row.report_only) {
    WARN("report only: " << row.scenario << (row.Agrees() ? " agrees" : " disagrees"));
  } else {
    CHECK(row.Agrees());
  }
  Rows().push_back(row);
  std::ofstream md("conformance-" + RsPrefix() + ".md");
  md << "| scenario | real: running / NEW / rejected / addresses | model (20 seeds; diagnose: its trials): running / NEW / addresses | model: seeds rejecting | agree |\n";
  md << "| --- | --- | --- | --- | --- |\n";
  for (const Row& r : Rows()) {
    md << "| " << r.scenario << " | " << r.real.running << " / " << r.real.stuck_new << " / " << r.real.rejected
       << (r.real.rejected ? " (\"" + r.real.error.substr(0, 40) + "...\")" : "") << " / " << r.real.used << " | "
       << r.run_min << "-" << r.run_max << " / " << r.new_min << "-" << r.new_max << " / " << r.used_min << "-"
       << r.used_max << " | " << r.rejecting_seeds << "/" << r.seeds << " | " << (r.Agrees() ? "yes" : "NO")
       << (r.report_only ? " (reported, not asserted)" : "") << " |\n";
  }
}

// Runs the model for 20 seeds: build, deploy, settle, `actions`, settle
// (unless `settle_after` is false: the measure is taken as `actions` ends).
inline void Model(Row& row, const Scenario& s, const std::function<void(Swarm&, Operator&)>& actions, NetworkId net = 1,
                  bool settle_after = true) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Swarm w(s, seed);
    Operator op(w);
    w.Deploy();
    op.Sleep(sim::Minute(3));
    actions(w, op);
    if (settle_after) op.Sleep(sim::Minute(3));
    const Outcome o = MeasureModel(w, net);
    row.run_min = std::min(row.run_min, o.running);
    row.run_max = std::max(row.run_max, o.running);
    row.new_min = std::min(row.new_min, o.stuck_new);
    row.new_max = std::max(row.new_max, o.stuck_new);
    row.used_min = std::min(row.used_min, o.used);
    row.used_max = std::max(row.used_max, o.used);
    row.rejecting_seeds += o.rejected > 0;
    if (o.rejected > 0) row.model_error = o.error;
    ++row.seeds;
  }
}

// `swarmplan apply --compose FILE --stack st` with the docker executor on
// the harness's manager (the stack command without a registry).
inline Run ApplyStack(const std::string& file) {
  const std::string host = "unix:///run/" + RsPrefix() + "1/docker.sock";
  return RunSwarmplan("apply --host " + host + " --compose " + file + " --stack st --executor docker "
                      "--stack-command 'docker -H {host} stack deploy --resolve-image never -c {file} {stack}' "
                      "--gate-trials 40");
}

inline void CreateReal(const char* subnet, unsigned replicas) {
  Dk(1, std::string("network create -d overlay --subnet ") + subnet + " exnet");
  Dk(1, "service create -d --name ex --replicas " + std::to_string(replicas) +
            " --network exnet --no-resolve-image --stop-grace-period 2s local/bb:1 sleep 100000");
}

inline void Deployment(const char* name, int nodes, const char* subnet, unsigned replicas, bool report_only = false) {
  Row row;
  row.scenario = name;
  row.report_only = report_only;
  {
    Harness h(nodes, 1);
    CreateReal(subnet, replicas);
    SettleReal();
    row.real = MeasureReal(nodes);
  }
  Model(row, HarnessScenario(1, nodes - 1, subnet, replicas), [](Swarm&, Operator&) {});
  Record(row);
}

}  // namespace swarmplan::testing
