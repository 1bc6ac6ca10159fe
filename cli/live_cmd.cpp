// `swarmplan import` and `swarmplan usage`: a live swarm read through the
// Engine API.
#include <fstream>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/output_file.hpp"
#include "cli/usage_metrics.hpp"
#include "docker/import.hpp"
#include "docker/usage.hpp"
#include "planner/capacity.hpp"
#include "planner/runner.hpp"
#include "model/scenario_json.hpp"

namespace swarmplan::cli {

int RunImport(const ImportArgs& args) {
  if (!args.output.empty() && args.output != "-") {
    if (auto ok = CheckOutputPath(args.output); !ok) return Fail(ok.error());
  }
  auto st = docker::FetchLive(args.host);
  if (!st) return Fail(st.error());
  auto imp = docker::ImportScenario(*st);
  if (!imp) return Fail(imp.error());
  for (const std::string& n : imp->notes) std::cerr << "swarmplan: note: " << n << "\n";
  const std::string text = model::ScenarioToJson(imp->scenario).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (args.output.empty() || args.output == "-") {
    std::cout << text;
    return kExitSafe;
  }
  if (auto ok = WriteOutputFile(args.output, text); !ok) return Fail(ok.error());
  std::cerr << "swarmplan import: " << imp->scenario.nodes.size() << " nodes, " << imp->scenario.services.size()
            << " services, " << imp->scenario.networks.size() << " overlay networks, " << imp->scenario.tasks.size()
            << " live tasks -> " << args.output << "\n";
  return kExitSafe;
}

int RunUsage(const UsageArgs& args) {
  const std::string format = args.format.empty() ? (args.scenario.json ? "json" : "text") : args.format;
  if (format != "text" && format != "json" && format != "prometheus") {
    return Fail("--format must be text, json or prometheus, not \"" + args.format + "\"");
  }
  if (args.scenario.json && format != "json") return Fail("--json and --format " + format + " disagree: give one");
  auto trials = ParseCount(args.trials, "--trials", 1, 1'000'000);
  if (!trials) return Fail(trials.error());
  auto seed = args.scenario.Seed();
  if (!seed) return Fail(seed.error());
  auto st = docker::FetchLive(args.scenario.host);
  if (!st) return Fail(st.error());
  auto usage = docker::CountUsage(*st);
  if (!usage) return Fail(usage.error());
  auto imp = docker::ImportScenario(*st);
  if (!imp) return Fail(imp.error());
  for (const std::string& n : imp->notes) std::cerr << "swarmplan: note: " << n << "\n";
  model::Scenario& s = imp->scenario;
  if (auto ok = args.scenario.ApplyUpgradeFlags(s); !ok) return Fail(ok.error());
  auto plan = args.scenario.MakePlan(s);
  if (!plan) return Fail(plan.error());

  // What the planned upgrade needs: on paper (every node holding a
  // load-balancer address under the target engine) and in the simulation.
  const auto budgets = planner::Budget(s, s.nodes[s.InitialLeader().value()].engine, s.DefaultTarget());
  const auto results = planner::RunTrials(s, *plan, *seed, {0, *trials}, std::max(1u, std::thread::hardware_concurrency()));
  bool short_any = false;

  nlohmann::json j = nlohmann::json::array();
  for (const auto& u : *usage) {
    nlohmann::json o{{"network", u.name},       {"subnet", u.subnet},         {"ingress", u.ingress},
                     {"capacity", u.capacity},  {"reserved", u.reserved},     {"vips", u.vips},
                     {"task_addresses", u.task_addresses}, {"node_lb", u.node_lb}, {"node_lb_rule", u.lb_rule},
                     {"peers", u.peers},        {"in_use", u.in_use()},       {"free", u.free()}};
    for (const auto& b : budgets) {
      if (b.name != u.name) continue;
      o["upgrade_need"] = b.reserved + b.held + b.vips_after + b.lb_after + b.tasks_after;
      o["upgrade_sum"] = b.Sum(true);
      o["upgrade_fits"] = b.free_after() >= 0;
      o["suggested_prefix"] = b.SuggestedPrefix();
    }
    std::uint64_t peak = 0, full_trials = 0;
    for (const auto& r : results) {
      for (const auto& n : r.networks) {
        if (n.name != u.name) continue;
        peak = std::max(peak, n.peak_used);
        full_trials += n.peak_used >= n.capacity;
      }
    }
    if (!u.ingress) {
      o["simulated_peak"] = peak;
      o["trials_at_capacity"] = full_trials;
      short_any = short_any || (o.contains("upgrade_fits") && !o["upgrade_fits"].get<bool>()) || peak >= u.capacity;
    }
    j.push_back(o);
  }
  if (format == "prometheus") {
    std::cout << UsagePrometheus(j, s.upgrade.to->ToString(), *trials);
  } else if (format == "json") {
    nlohmann::json doc{{"host", args.scenario.host}, {"seed", *seed}, {"trials", *trials},
                       {"upgrade_to", s.upgrade.to->ToString()}, {"networks", j}};
    std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << "overlay address usage (seed " << *seed << ", " << *trials << " trials of the plan to "
              << s.upgrade.to->ToString() << ")\n";
    for (const auto& o : j) {
      std::cout << "\n" << o["network"].get<std::string>() << " " << o["subnet"].get<std::string>()
                << (o["ingress"].get<bool>() ? " (ingress)" : "") << "\n";
      std::cout << "  capacity " << o["capacity"] << " = reserved " << o["reserved"] << " + VIPs " << o["vips"]
                << " + task addresses " << o["task_addresses"] << " + node LB " << o["node_lb"] << " + free "
                << o["free"] << "\n";
      std::cout << "  node LB counted as " << o["node_lb_rule"].get<std::string>() << "; peers on the network: "
                << o["peers"] << "\n";
      if (!o["ingress"].get<bool>() && o["peers"] != o["node_lb"]) {
        std::cout << "  note: the manager sees " << o["peers"] << " node(s) on this network but the rule counts "
                  << o["node_lb"] << " load-balancer address(es): a node may be joining or leaving it, or hold an "
                  << "address its tasks no longer need; check each node with `docker network inspect " << o["network"].get<std::string>()
                  << "` (lb-" << o["network"].get<std::string>() << ")\n";
      }
      if (o.contains("upgrade_sum")) {
        std::cout << "  after the upgrade, on paper: " << o["upgrade_sum"].get<std::string>()
                  << (o["upgrade_fits"].get<bool>() ? " (fits)" : " (SHORT)") << "\n";
        const int prefix = o["suggested_prefix"].get<int>();
        const std::string sub = o["subnet"].get<std::string>();
        if (prefix < std::stoi(sub.substr(sub.find('/') + 1))) {
          std::cout << "  a /" << prefix << " would hold the steady state plus one drained node's replacements\n";
        }
      }
      if (o.contains("simulated_peak")) {
        std::cout << "  during the upgrade, simulated: peak " << o["simulated_peak"] << " of " << o["capacity"]
                  << " addresses; the subnet was full in " << o["trials_at_capacity"] << " of " << *trials
                  << " trials\n";
      }
    }
  }
  return short_any ? kExitAtRisk : kExitSafe;
}

}  // namespace swarmplan::cli
