#include "cli/options.hpp"

#include <set>

#include "executor/executor.hpp"

#include <chrono>
#include <mutex>
#include <memory>
#include <charconv>
#include <cmath>
#include <iostream>

#include "compose/stack.hpp"
#include "docker/import.hpp"
#include "model/scenario_json.hpp"

namespace swarmplan::cli {

std::expected<std::uint64_t, std::string> ParseCount(const std::string& text, const std::string& what,
                                                     std::uint64_t lo, std::uint64_t hi) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v < lo || v > hi) {
    return std::unexpected(what + " must be a whole number from " + std::to_string(lo) + " to " +
                           std::to_string(hi) + ", not \"" + text + "\"");
  }
  return v;
}

std::expected<double, std::string> ParseProbability(const std::string& text, const std::string& what) {
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  // from_chars also reads "nan" and "inf": a gate compared with NaN is off.
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v) || v < 0 || v > 1) {
    return std::unexpected(what + " must be a probability from 0 to 1, not \"" + text + "\"");
  }
  return v;
}

std::vector<std::string> Hosts(const std::string& host) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= host.size()) {
    const std::size_t comma = std::min(host.find(',', start), host.size());
    out.push_back(host.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::expected<model::Scenario, std::string> LoadLive(const std::string& host) {
  // Several managers (M1,M2,...): the first that answers.
  std::expected<docker::ApiState, std::string> st = std::unexpected(std::string("no --host given"));
  std::string why;
  for (const std::string& h : Hosts(host)) {
    if (h.empty()) return std::unexpected("--host \"" + host + "\": an empty name between commas");
    st = docker::FetchLive(h);
    if (st) break;
    why += (why.empty() ? "" : "; ") + st.error();
  }
  if (!st) return std::unexpected(why);
  auto imp = docker::ImportScenario(*st);
  if (!imp) return std::unexpected(imp.error());
  for (const std::string& n : imp->notes) std::cerr << "swarmplan: note: " << n << "\n";
  return std::move(imp->scenario);
}

void ScenarioOptions::Register(CLI::App& app, bool trial_seed) {
  app.add_option("scenario", file, "scenario JSON file (default: the built-in seed scenario)");
  given_["--host"] = app.add_option("--host", host, "use the live swarm at this Docker host (unix:///path or tcp://host:port; TLS from DOCKER_TLS_VERIFY/DOCKER_CERT_PATH); several managers of one swarm as H1,H2,...: the first that answers (apply goes on through the next when one stops answering)");
  given_["--subnet"] = app.add_option("--subnet", subnet, "built-in scenario: the service's overlay subnet (default 10.0.0.0/27)");
  given_["--replicas"] = app.add_option("--replicas", replicas, "built-in scenario: replicas of the service (default 24)");
  given_["--managers"] = app.add_option("--managers", managers, "built-in scenario: managers (default 3)");
  given_["--workers"] = app.add_option("--workers", workers, "built-in scenario: workers (default 2)");
  given_["--from"] = app.add_option("--from", from, "built-in scenario: engine the nodes run now (default 17.06)");
  given_["--ingress"] = app.add_option("--ingress", ingress, "built-in scenario: ingress subnet (default: what swarm init picked on --from)");
  given_["--to"] = app.add_option("--to", to, "engine version to upgrade to (default 18.09, or the scenario's upgrade.to)");
  given_["--order"] = app.add_option("--order", order,
                 "upgrade order: node names (e.g. manager2,manager3,manager1,worker1,worker2) or steps (" +
                     planner::VerbSummary() + ")");
  given_["--compose"] = app.add_option("--compose", compose,
                 "a Compose file to deploy as `docker stack deploy -c FILE --stack NAME` onto the cluster (the scenario "
                 "file or --host): the plan is the deploy (services created, or scaled / moved between networks on a redeploy)");
  given_["--stack"] = app.add_option("--stack", stack, "with --compose: the stack's name (services and networks are NAME_key)");
  given_["--activate-managers"] = app.add_option("--activate-managers", activate, "after-all (default) or each");
  given_["--seed"] = app.add_option("--seed", seed_text,
                                     trial_seed ? "the trial's own seed, as a report's reproduce line gives it (default 1)"
                                                : "base seed (default 1); trial i uses a seed derived from it");
  app.add_flag("--json", json, "write one JSON document to stdout");
}

void ScenarioOptions::RegisterFaults(CLI::App& app) {
  given_["--faults"] = app.add_option("--faults", faults,
                                      "put N faults into every trial, each at a seeded moment and node (default 0; "
                                      "the report sets the risk with them beside the risk without)");
  given_["--fault-kinds"] = app.add_option("--fault-kinds", fault_kinds,
                                           "with --faults: the kinds drawn from (kill, kill-leader, host-down, partition, "
                                           "slow, install-fails, install-keeps-old; default all)");
}

bool ScenarioOptions::Given(const char* flag) const {
  auto it = given_.find(flag);
  return it != given_.end() && it->second != nullptr && it->second->count() > 0;
}

std::expected<model::Scenario, std::string> ScenarioOptions::Load() const {
  model::Scenario s;
  // A flag given with an empty value is a mistake (an unset variable in a
  // script), never "use the default".
  for (const auto& [flag, opt] : given_) {
    if (Given(flag.c_str()) && opt->as<std::string>().empty()) return std::unexpected(flag + " needs a value, not \"\"");
  }
  if (!file.empty() && Given("--host")) return std::unexpected("give a scenario file or --host, not both");
  if (!file.empty() || Given("--host")) {
    for (const char* flag : {"--subnet", "--replicas", "--managers", "--workers", "--from", "--ingress"}) {
      if (Given(flag)) {
        return std::unexpected(std::string(flag) + " shapes the built-in scenario; with " +
                               (host.empty() ? "a scenario file, edit the file instead" : "--host, the cluster is what it is"));
      }
    }
    auto loaded = host.empty() ? model::ScenarioFromFile(file) : LoadLive(host);
    if (!loaded) return std::unexpected(loaded.error());
    s = std::move(*loaded);
  } else {
    s = model::DefaultScenario();
    if (!managers.empty() || !workers.empty() || !from.empty()) {
      std::uint64_t m = 3, w = 2;
      if (!managers.empty()) {
        auto v = ParseCount(managers, "--managers", 1, 99);
        if (!v) return std::unexpected(v.error());
        m = *v;
      }
      if (!workers.empty()) {
        auto v = ParseCount(workers, "--workers", 0, 100000);
        if (!v) return std::unexpected(v.error());
        w = *v;
      }
      model::EngineVersion v{17, 6};
      if (!from.empty()) {
        auto pv = model::EngineVersion::Parse(from);
        if (!pv) return std::unexpected("--from: " + pv.error());
        v = *pv;
      }
      s.nodes.clear();
      for (std::uint64_t i = 0; i < m + w; ++i) {
        model::NodeSpec n;
        n.role = i < m ? model::Role::kManager : model::Role::kWorker;
        n.name = i < m ? "manager" + std::to_string(i + 1) : "worker" + std::to_string(i - m + 1);
        n.engine = v;
        s.nodes.push_back(n);
      }
      s.name = std::to_string(m) + " managers + " + std::to_string(w) + " workers";
    }
    if (!subnet.empty()) {
      auto c = model::Ipv4Cidr::Parse(subnet);
      if (!c) return std::unexpected("--subnet: " + c.error());
      s.networks[0].subnet = *c;
    }
    if (!ingress.empty()) {
      auto c = model::Ipv4Cidr::Parse(ingress);
      if (!c) return std::unexpected("--ingress: " + c.error());
      s.ingress = *c;
    }
    if (!replicas.empty()) {
      auto v = ParseCount(replicas, "--replicas", 1, 1000000);
      if (!v) return std::unexpected(v.error());
      s.services[0].replicas = static_cast<std::uint32_t>(*v);
    }
    s.name = s.name.rfind("seed", 0) == 0 && managers.empty() && workers.empty() && from.empty()
                 ? "built-in: 3 managers + 2 workers on 17.06"
                 : "built-in: " + s.name;
    s.name += ", " + std::to_string(s.services[0].replicas) + " replicas on " + s.networks[0].subnet.ToString();
    if (s.networks[0].subnet.Overlaps(s.EffectiveIngress())) {
      return std::unexpected("--subnet " + s.networks[0].subnet.ToString() +
                             ": Pool overlaps with other one on this address space (ingress holds " +
                             s.EffectiveIngress().ToString() + "); pick another --subnet or give --ingress");
    }
    if (auto ok = s.Validate(); !ok) return std::unexpected(ok.error());
  }
  if (Given("--stack") && !Given("--compose")) return std::unexpected("--stack names the stack of --compose: give --compose FILE too");
  if (Given("--compose")) {
    if (file.empty() && !Given("--host")) {
      return std::unexpected("--compose needs the cluster the stack lands on: a scenario file or --host");
    }
    if (!Given("--stack")) return std::unexpected("--compose needs --stack NAME, as docker stack deploy needs one");
    if (Given("--order")) return std::unexpected("--compose plans the stack's deploy: leave out --order");
    auto st = compose::DeployFile(s, compose, stack);
    if (!st) return std::unexpected("--compose: " + st.error());
    for (const std::string& n : st->notes) std::cerr << "swarmplan: note: " << n << "\n";
    s = std::move(st->scenario);
    s.upgrade.order = std::move(st->order);
  }
  if (auto ok = ApplyUpgradeFlags(s); !ok) return std::unexpected(ok.error());
  return s;
}

std::expected<void, std::string> ScenarioOptions::ApplyUpgradeFlags(model::Scenario& s) const {
  if (!to.empty()) {
    auto v = model::EngineVersion::Parse(to);
    if (!v) return std::unexpected("--to: " + v.error());
    s.upgrade.to = *v;
  }
  s.upgrade.to = s.DefaultTarget();
  if (!activate.empty()) {
    if (activate == "after-all") s.upgrade.activate_managers_last = true;
    else if (activate == "each") s.upgrade.activate_managers_last = false;
    else return std::unexpected("--activate-managers must be after-all or each, not \"" + activate + "\"");
  }
  if (!order.empty()) s.upgrade.order = {order};
  return {};
}

std::expected<planner::Plan, std::string> ScenarioOptions::MakePlan(const model::Scenario& s) const {
  planner::Plan p;
  if (s.upgrade.order.empty()) {
    p = planner::DefaultPlan(s, *s.upgrade.to);
  } else {
    auto parsed = planner::ParseOrder(s, s.upgrade.order, *s.upgrade.to, s.upgrade.activate_managers_last);
    if (!parsed) return std::unexpected("--order: " + parsed.error());
    p = std::move(*parsed);
  }
  auto ok = planner::CheckPlan(s, p);
  if (!ok) return std::unexpected("refusing the plan: " + ok.error());
  if (Given("--fault-kinds") && !Given("--faults")) return std::unexpected("--fault-kinds says which faults --faults N draws: give --faults too");
  if (!faults.empty()) {
    auto n = ParseCount(faults, "--faults", 0, 16);
    if (!n) return std::unexpected(n.error());
    p.faults.count = static_cast<std::uint32_t>(*n);
    auto kinds = planner::ParseFaultKinds(fault_kinds);
    if (!kinds) return std::unexpected(kinds.error());
    p.faults.kinds = std::move(*kinds);
    if (auto fits = planner::CheckFaults(p.faults, p); !fits) return std::unexpected(fits.error());
  }
  return p;
}

std::expected<ScenarioOptions::Prepared, std::string> ScenarioOptions::Prepare() const {
  auto s = Load();
  if (!s) return std::unexpected(s.error());
  auto plan = MakePlan(*s);
  if (!plan) return std::unexpected(plan.error());
  auto seed = Seed();
  if (!seed) return std::unexpected(seed.error());
  return Prepared{std::move(*s), std::move(*plan), *seed};
}

std::expected<std::uint64_t, std::string> ScenarioOptions::Seed() const {
  if (seed_text.empty()) return 1;
  return ParseCount(seed_text, "--seed", 0, UINT64_MAX);
}

std::string ScenarioOptions::Reproduce(const char* command, std::uint64_t seed) const {
  return ReproducePrefix(command) + " --seed " + std::to_string(seed);
}

std::vector<std::string> ScenarioOptions::ReproduceArgs() const {
  std::vector<std::string> words;
  if (!file.empty()) words.push_back(file);
  auto add = [&](const char* flag, const std::string& v) {
    if (v.empty()) return;
    words.emplace_back(flag);
    words.push_back(v);
  };
  add("--host", host);
  add("--subnet", subnet);
  add("--replicas", replicas);
  add("--managers", managers);
  add("--workers", workers);
  add("--from", from);
  add("--ingress", ingress);
  add("--to", to);
  add("--order", order);
  add("--compose", compose);
  add("--stack", stack);
  add("--activate-managers", activate);
  add("--faults", faults);
  add("--fault-kinds", fault_kinds);
  return words;
}

const std::set<std::string>& ScenarioOptions::ReproduceFlags() {
  static const std::set<std::string> flags = {"--host", "--subnet", "--replicas", "--managers", "--workers", "--from",
                                              "--ingress", "--to", "--order", "--compose", "--stack",
                                              "--activate-managers", "--faults", "--fault-kinds"};
  return flags;
}

std::string ScenarioOptions::ReproduceLine(const char* command, const std::vector<std::string>& args) {
  std::string c = std::string("swarmplan ") + command;
  // A scenario file named like a flag is passed after "--" so it is read as a file.
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i == 0 && !args[0].empty() && args[0][0] == '-' && !ReproduceFlags().contains(args[0])) {
      c += " ./" + executor::ShellWord(args[0]);
      continue;
    }
    c += " " + executor::ShellWord(args[i]);
  }
  return c;
}

std::string ScenarioOptions::ReproducePrefix(const char* command) const { return ReproduceLine(command, ReproduceArgs()); }

std::function<void(sim::Time, std::uint64_t)> LongTrialProgress() {
  using Clock = std::chrono::steady_clock;
  struct State {
    std::mutex mu;
    Clock::time_point start = Clock::now(), said = Clock::now();
  };
  auto st = std::make_shared<State>();
  return [st](sim::Time now, std::uint64_t events) {
    const auto t = Clock::now();
    std::lock_guard<std::mutex> lock(st->mu);
    if (t - st->start < std::chrono::seconds(10) || t - st->said < std::chrono::seconds(10)) return;
    st->said = t;
    std::cerr << "swarmplan: a trial is at " << static_cast<long>(sim::ToSeconds(now)) << " s of simulated time after "
              << events << " events (" << std::chrono::duration_cast<std::chrono::seconds>(t - st->start).count()
              << " s so far)\n";
  };
}

}  // namespace swarmplan::cli
