// `swarmplan apply`: parses its flags, builds the executor, and prints what
// the apply loop (executor/apply.hpp) decides.
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "cli/commands.hpp"
#include "executor/apply.hpp"
#include "executor/docker_executor.hpp"
#include "executor/dry_run.hpp"
#include "executor/interrupt.hpp"
#include "executor/sim_executor.hpp"

namespace swarmplan::cli {

int RunApply(const ApplyArgs& args) {
  if (args.executor == "docker") {
    // Checked before anything is read or run.
    if (args.scenario.file.empty() && args.scenario.host.empty()) {
      return Fail("the docker executor works on a live swarm: give --host H (or a scenario file, with DOCKER_HOST naming the manager)");
    }
    for (const std::string* t : {&args.upgrade_command, &args.stop_command, &args.start_command, &args.leave_command}) {
      if (auto e = executor::ExpandTemplate(*t, "n", "a", "i", "v"); !e) return Fail(e.error());
    }
    if (auto e = executor::ExpandTemplate(args.join_command, "n", "", "", "", {{"token", "t"}, {"manager", "m"}}); !e) {
      return Fail(e.error());
    }
    if (auto e = executor::ExpandStackCommand(args.stack_command, "f", "s", "h"); !e) return Fail(e.error());
    if (args.stack_command.empty()) return Fail("--stack-command is empty: give the command that runs docker stack deploy");
  } else if (args.executor != "dry-run" && args.executor != "sim") {
    return Fail("--executor must be dry-run, sim or docker, not \"" + args.executor + "\"");
  }
  auto max_risk = ParseProbability(args.max_risk, "--max-risk");
  if (!max_risk) return Fail(max_risk.error());
  auto trials = ParseCount(args.gate_trials, "--gate-trials", 1, 1'000'000);
  if (!trials) return Fail(trials.error());
  auto timeout = ParseCount(args.step_timeout, "--step-timeout", 1, 7 * 24 * 3600);
  if (!timeout) return Fail(timeout.error());
  auto prepared = args.scenario.Prepare();
  if (!prepared) return Fail(prepared.error());
  const model::Scenario& scenario = prepared->scenario;
  const planner::Plan& plan = prepared->plan;
  const std::uint64_t seed = prepared->seed;
  // A fault in the order is a what-if: refused before any cluster is read.
  if (auto ok = planner::FaultFree(scenario, plan); !ok) return Fail(ok.error());

  std::unique_ptr<executor::Executor> ex;
  if (args.executor == "dry-run") {
    ex = std::make_unique<executor::DryRunExecutor>(scenario, std::cout);
  } else if (args.executor == "sim") {
    ex = std::make_unique<executor::SimExecutor>(scenario, seed);
  } else {
    const std::vector<std::string> hosts = Hosts(args.scenario.host);
    auto ep = docker::DockerEndpoint::Resolve(hosts[0]);
    if (!ep) return Fail(ep.error());
    executor::DockerExecutorOptions opt;
    for (std::size_t i = 1; i < hosts.size(); ++i) {
      auto other = docker::DockerEndpoint::Resolve(hosts[i]);
      if (!other) return Fail(other.error());
      opt.failover.push_back(*other);
    }
    opt.upgrade_command = args.upgrade_command;
    opt.stop_command = args.stop_command;
    opt.start_command = args.start_command;
    opt.join_command = args.join_command;
    opt.leave_command = args.leave_command;
    opt.stack_command = args.stack_command;
    opt.step_timeout = std::chrono::seconds(*timeout);
    bool installs = false;
    // A stop with no install before the node's start (restart:N) needs its
    // own commands: without them the upgrade command is what restarts engines.
    std::map<std::size_t, bool> stopped_bare;
    std::string bare_restart;
    for (const auto& st : plan.steps) {
      installs = installs || st.action == planner::Action::kInstall;
      if (st.action == planner::Action::kStop) stopped_bare[st.node] = true;
      if (st.action == planner::Action::kInstall) stopped_bare[st.node] = false;
      if (st.action == planner::Action::kStart && stopped_bare[st.node] && bare_restart.empty()) {
        bare_restart = scenario.nodes[st.node].name;
      }
    }
    if (!bare_restart.empty() && (opt.stop_command.empty() || opt.start_command.empty())) {
      return Fail("the plan restarts " + bare_restart + "'s engine without an upgrade: --executor docker needs "
                  "--stop-command and --start-command for that (e.g. \"ssh {addr} systemctl stop docker\")");
    }
    if (installs && opt.upgrade_command.empty()) {
      return Fail("the plan upgrades engines: --executor docker needs --upgrade-command (e.g. \"ssh {addr} apt-get install -y docker-ce\")");
    }
    auto dx = executor::DockerExecutor::Open(*ep, opt);
    if (!dx) return Fail(dx.error());
    ex = std::make_unique<executor::DockerExecutor>(std::move(*dx));
  }

  executor::ApplyOptions opt;
  opt.seed = seed;
  opt.gate_trials = *trials;
  opt.max_risk = *max_risk;
  opt.force = args.force;
  opt.journal = args.journal;
  opt.threads = std::max(1u, std::thread::hardware_concurrency());
  if (!args.scenario.compose.empty()) opt.stack = executor::StackDeploy{args.scenario.compose, args.scenario.stack};
  // From here on SIGINT, SIGTERM and SIGHUP stop the run between steps, or
  // the running command (which gets the signal too), never mid-record.
  executor::InstallStopHandlers();
  auto result = executor::Apply(*ex, scenario, plan, opt, std::cerr);
  if (!result) return Fail(result.error());
  std::cerr << "swarmplan apply: " << result->message << "\n";
  if (result->outcome == executor::ApplyOutcome::kInterrupted) return 128 + result->signal;
  return result->outcome == executor::ApplyOutcome::kDone ? kExitSafe : kExitAtRisk;
}

}  // namespace swarmplan::cli
