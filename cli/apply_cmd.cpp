// `swarmplan apply`: carries out the plan `swarmplan plan` chose, through an
// executor, checking the prediction before every step.
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "cli/commands.hpp"
#include "executor/docker_executor.hpp"
#include "executor/dry_run.hpp"
#include "executor/journal.hpp"
#include "executor/sim_executor.hpp"
#include "planner/report.hpp"
#include "planner/runner.hpp"

namespace swarmplan::cli {

namespace {

std::expected<void, std::string> Perform(executor::Executor& ex, const model::Scenario& s, const planner::Step& st) {
  const std::string node = st.action == planner::Action::kWait || st.action == planner::Action::kSleep
                               ? std::string()
                               : s.nodes[st.node].name;
  switch (st.action) {
    case planner::Action::kDrain: return ex.Drain(node);
    case planner::Action::kActivate: return ex.SetAvailability(node, model::Availability::kActive);
    case planner::Action::kPause: return ex.SetAvailability(node, model::Availability::kPause);
    case planner::Action::kStop: return ex.StopEngine(node);
    case planner::Action::kInstall: return ex.InstallEngine(node, st.version);
    case planner::Action::kStart: return ex.StartEngine(node);
    case planner::Action::kSleep: return ex.Sleep(st.duration);
    case planner::Action::kWait: {
      auto ok = ex.WaitConverged();
      if (!ok) return std::unexpected(ok.error());
      if (!*ok) return std::unexpected("the services did not converge before the deadline");
      return {};
    }
  }
  return {};
}

// Predicted risk of the steps from `first` on, from the cluster as it is.
std::expected<double, std::string> Risk(executor::Executor& ex, const model::Scenario& scenario,
                                        const planner::Plan& plan, std::size_t first,
                                        std::uint64_t seed, std::uint64_t trials) {
  auto now = ex.Snapshot();
  if (!now) return std::unexpected("snapshot: " + now.error());
  planner::Plan rest;
  rest.origin = "remaining steps";
  rest.steps.assign(plan.steps.begin() + static_cast<std::ptrdiff_t>(first), plan.steps.end());
  // Steps name nodes by index: map them onto the snapshot by name.
  for (planner::Step& st : rest.steps) {
    if (st.action == planner::Action::kWait || st.action == planner::Action::kSleep) continue;
    const std::string& name = scenario.nodes[st.node].name;
    auto at = now->FindNode(name);
    if (!at) return std::unexpected("node " + name + " is no longer in the cluster");
    st.node = *at;
  }
  if (rest.steps.empty()) return 0.0;
  if (auto ok = planner::CheckPlan(*now, rest); !ok) {
    return std::unexpected("the remaining steps no longer fit the cluster as it is: " + ok.error());
  }
  const auto results = planner::RunTrials(*now, rest, seed, {0, trials}, std::max(1u, std::thread::hardware_concurrency()));
  return planner::Aggregate(*now, rest, seed, results).p_reject;
}

}  // namespace

int RunApply(const ApplyArgs& args) {
  if (args.executor == "docker") {
    // Checked before anything is read or run.
    if (args.scenario.file.empty() && args.scenario.host.empty()) {
      return Fail("the docker executor works on a live swarm: give --host H (or a scenario file, with DOCKER_HOST naming the manager)");
    }
    for (const std::string* t : {&args.upgrade_command, &args.stop_command, &args.start_command}) {
      if (auto e = executor::ExpandTemplate(*t, "n", "a", "i", "v"); !e) return Fail(e.error());
    }
  }
  auto prepared = args.scenario.Prepare();
  if (!prepared) return Fail(prepared.error());
  const model::Scenario& scenario = prepared->scenario;
  const planner::Plan& plan = prepared->plan;
  const std::uint64_t seed = prepared->seed;
  auto trials = ParseCount(args.gate_trials, "--gate-trials", 1, 1'000'000);
  if (!trials) return Fail(trials.error());
  double max_risk = 0;
  try {
    std::size_t used = 0;
    max_risk = std::stod(args.max_risk, &used);
    if (used != args.max_risk.size() || max_risk < 0 || max_risk > 1) throw std::invalid_argument("range");
  } catch (const std::exception&) {
    return Fail("--max-risk must be a probability from 0 to 1, not \"" + args.max_risk + "\"");
  }

  std::unique_ptr<executor::Executor> ex;
  if (args.executor == "dry-run") {
    ex = std::make_unique<executor::DryRunExecutor>(scenario, std::cout);
  } else if (args.executor == "sim") {
    ex = std::make_unique<executor::SimExecutor>(scenario, seed);
  } else if (args.executor == "docker") {
    auto ep = executor::DockerEndpoint::Resolve(args.scenario.host);
    if (!ep) return Fail(ep.error());
    auto timeout = ParseCount(args.step_timeout, "--step-timeout", 1, 7 * 24 * 3600);
    if (!timeout) return Fail(timeout.error());
    executor::DockerExecutorOptions opt;
    opt.upgrade_command = args.upgrade_command;
    opt.stop_command = args.stop_command;
    opt.start_command = args.start_command;
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
  } else {
    return Fail("--executor must be dry-run, sim or docker, not \"" + args.executor + "\"");
  }

  std::string plan_text = scenario.name;
  for (const auto& w : planner::PlanWords(scenario, plan)) plan_text += "\n" + w;
  std::optional<executor::Journal> journal;
  if (!args.journal.empty()) {
    auto j = executor::Journal::Open(args.journal, executor::Fingerprint(plan_text));
    if (!j) return Fail(j.error());
    journal = std::move(*j);
  }
  // Refuse to start a plan predicted unsafe, unless forced.
  const auto predicted = planner::Aggregate(scenario, plan, seed, planner::RunTrials(scenario, plan, seed, {0, *trials},
                                                                                 std::max(1u, std::thread::hardware_concurrency())));
  std::cerr << "swarmplan apply: seed " << seed << ", executor " << ex->name() << ", " << plan.steps.size()
            << " steps; predicted P(rejection) " << predicted.p_reject << "\n";
  if (!predicted.safe && !args.force) {
    std::cerr << "swarmplan apply: refusing: the plan is predicted at risk (run `swarmplan plan` for why); "
                 "--force runs it anyway\n";
    return kExitAtRisk;
  }

  if (journal && journal->finished() > 0) {
    std::cerr << "swarmplan apply: resuming: " << journal->finished() << " steps already done (" << args.journal << ")\n";
  }
  const std::uint64_t rejected_before = ex->Observe().rejected;
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const planner::Step& st = plan.steps[i];
    const std::string what = "step " + std::to_string(i + 1) + "/" + std::to_string(plan.steps.size()) + " (" +
                             st.Describe(scenario) + ")";
    if (journal && journal->Done(i)) continue;
    // Safety gate: before each step that starts something (a drain, an
    // engine stop, an availability change), re-read the cluster and re-plan
    // the rest. Not inside a node's stop-install-start, nor before waits.
    const bool gated = st.action == planner::Action::kDrain || st.action == planner::Action::kStop ||
                       st.action == planner::Action::kActivate || st.action == planner::Action::kPause;
    if (ex->live() && gated) {
      auto risk = Risk(*ex, scenario, plan, i, seed, std::max<std::uint64_t>(1, *trials / 4));
      if (!risk) return Fail(what + ": " + risk.error());
      if (*risk > max_risk) {
        std::cerr << "swarmplan apply: stopped before " << what << ": the predicted risk of the remaining steps is "
                  << *risk << ", above --max-risk " << max_risk << "\n";
        return kExitAtRisk;
      }
    }
    std::cerr << "swarmplan apply: " << what << "\n";
    auto done = Perform(*ex, scenario, st);
    if (!done) {
      std::cerr << "swarmplan apply: stopped at " << what << ": " << done.error() << "\n";
      return kExitAtRisk;
    }
    const auto seen = ex->Observe();
    if (!seen.error.empty()) {
      std::cerr << "swarmplan apply: stopped after " << what << ": cannot observe the cluster: " << seen.error << "\n";
      if (journal) {
        if (auto r = journal->Record(i, st.Describe(scenario)); !r) return Fail(r.error());
      }
      return kExitAtRisk;
    }
    if (seen.supported && seen.rejected > rejected_before) {
      std::cerr << "swarmplan apply: stopped after " << what << ": " << seen.rejected - rejected_before
                << " task(s) rejected: \"" << seen.last_error << "\"\n";
      if (journal) {
        if (auto r = journal->Record(i, st.Describe(scenario)); !r) return Fail(r.error());
      }
      return kExitAtRisk;
    }
    if (journal) {
      if (auto r = journal->Record(i, st.Describe(scenario)); !r) return Fail(r.error());
    }
  }
  std::cerr << "swarmplan apply: done\n";
  return kExitSafe;
}

}  // namespace swarmplan::cli
