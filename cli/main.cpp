// swarmplan: predicts whether a Docker Swarm's overlay subnets survive an
// engine upgrade, before anyone touches the cluster.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "revision.hpp"  // generated: cli/revision.cmake

namespace {

// Runs a subcommand, then makes sure what it printed reached stdout: a full
// disk or a closed pipe is an error (exit 1), never a silent success.
int Finish(int status) {
  std::cout.flush();
  const bool ok = static_cast<bool>(std::cout) && std::fflush(stdout) == 0;
  if (!ok) {
    std::fprintf(stderr, "swarmplan: error: cannot write the output to stdout: %s\n",
                 errno != 0 ? std::strerror(errno) : "write failed");
    return swarmplan::cli::kExitError;
  }
  return status;
}

// Refuses an empty value: an unset variable in a script must not mean
// "the default".
std::string NonEmpty(const std::string& v) { return v.empty() ? "needs a value, not \"\"" : std::string(); }

}  // namespace

int main(int argc, char** argv) {
  using namespace swarmplan::cli;
  // A closed pipe makes writes fail with EPIPE (reported by Finish) instead
  // of killing the process mid-report.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"swarmplan: plan Docker Swarm engine upgrades against overlay address exhaustion"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", std::string("swarmplan ") + SWARMPLAN_VERSION + " (source revision " + SWARMPLAN_REVISION + ")");

  PlanArgs plan;
  CLI::App* plan_cmd = app.add_subcommand("plan", "simulate an upgrade order over many seeded trials and judge its risk");
  plan.scenario.Register(*plan_cmd);
  plan.scenario.RegisterFaults(*plan_cmd);
  plan_cmd->add_option("--trials", plan.trials, "number of seeded trials, all run (default: up to 1000; a run of more than 50,000 events a trial stops once its verdict is decided)");
  plan_cmd->add_option("--threads", plan.threads, "worker threads (default: all cores)");
  plan_cmd->add_flag("--no-sensitivity", plan.no_sensitivity,
                     "judge the default timings only (skip re-running the plan over plausible timings)");
  plan_cmd->add_flag("--no-fixes", plan.no_fixes, "do not simulate the fixes of an at-risk plan (list them on paper)");
  plan_cmd->add_flag("--search", plan.search,
                     "find the upgrade order with the lowest simulated risk, then the shortest, and judge it");
  plan_cmd->add_option("--search-trials", plan.search_trials, "trials per candidate the search simulates (default 64)");
  plan_cmd->add_option("--at", plan.at,
                       "also report the state at these times after the first step, e.g. 15s,90s,2m (ms, s, m, h)")
      ->check(NonEmpty);
  plan_cmd->add_flag("--explain", plan.explain,
                     "after the report, the example trial step by step with why each task went where it went");
  plan_cmd->add_option("--svg", plan.svg, "write the example trial's timeline as an SVG picture to FILE")->check(NonEmpty);
  plan_cmd->add_option("--csv", plan.csv, "write the example trial's timeline as CSV to FILE")->check(NonEmpty);
  plan_cmd->add_option("--html", plan.html, "write a self-contained HTML report (verdict, budget, timeline, fixes) to FILE")
      ->check(NonEmpty);
  plan_cmd->add_option("--shard", plan.shard, "run share I of N of the trials (I from 0), for `merge`; needs --json");

  SimulateArgs sim;
  CLI::App* sim_cmd = app.add_subcommand("simulate", "run one trial and print its timeline");
  sim.scenario.Register(*sim_cmd, /*trial_seed=*/true);
  sim.scenario.RegisterFaults(*sim_cmd);
  sim_cmd->add_flag("--jsonl", sim.jsonl,
                    "write the timeline as JSON lines: one event a line, then one line with the result");
  sim_cmd->add_flag("--explain", sim.explain,
                    "say why: for each placement, every node filtered out (and why) and the candidates as ranked");
  sim_cmd->add_option("--svg", sim.svg, "also draw the trial's timeline as an SVG picture in FILE")->check(NonEmpty);
  sim_cmd->add_option("--csv", sim.csv, "also write the trial's timeline as CSV series to FILE")->check(NonEmpty);

  ApplyArgs apply;
  CLI::App* apply_cmd = app.add_subcommand("apply", "carry out the plan through an executor, checking it before every step");
  apply.scenario.Register(*apply_cmd);
  apply_cmd->add_option("--executor", apply.executor, "dry-run (default: print the commands), sim, docker");
  apply_cmd->add_option("--journal", apply.journal, "file recording finished steps; an interrupted run resumes from it");
  apply_cmd->add_option("--max-risk", apply.max_risk, "stop if the re-planned P(rejection) rises above this (default 0)");
  apply_cmd->add_option("--gate-trials", apply.gate_trials, "trials per prediction (default 200)");
  apply_cmd->add_flag("--force", apply.force, "start even if the plan is predicted at risk");
  apply_cmd->add_option("--upgrade-command", apply.upgrade_command,
                        "docker executor: shell command that upgrades a node's engine; {node} {addr} {id} {version} are substituted");
  apply_cmd->add_option("--stop-command", apply.stop_command, "docker executor: command that stops a node's engine (default: the upgrade command restarts it)");
  apply_cmd->add_option("--start-command", apply.start_command, "docker executor: command that starts a node's engine");
  apply_cmd->add_option("--join-command", apply.join_command,
                        "docker executor: command that joins a node to the swarm (join:NODE); {node} {token} {manager} are substituted");
  apply_cmd->add_option("--leave-command", apply.leave_command,
                        "docker executor: command that makes a node leave the swarm (leave:NODE); {node} {addr} {id}");
  apply_cmd->add_option("--stack-command", apply.stack_command,
                        "docker executor, with --compose: the command that deploys the stack; {file} {stack} {host} are "
                        "substituted (default: docker -H {host} stack deploy --compose-file {file} {stack})");
  apply_cmd->add_option("--step-timeout", apply.step_timeout, "docker executor: seconds a drain, start or convergence may take (default 600)");

  ImportArgs import;
  CLI::App* import_cmd = app.add_subcommand("import", "write the live swarm (nodes, services, overlays, tasks) as a scenario");
  import_cmd->add_option("--host", import.host, "Docker host of a swarm manager (default: DOCKER_HOST, else unix:///var/run/docker.sock)")->check(NonEmpty);
  import_cmd->add_option("-o,--output", import.output, "scenario file to write (default: stdout)")->check(NonEmpty);

  UsageArgs usage;
  CLI::App* usage_cmd = app.add_subcommand("usage", "count each overlay's addresses on the live swarm, and what the upgrade needs");
  usage_cmd->add_option("--host", usage.scenario.host, "Docker host of a swarm manager (default: DOCKER_HOST, else unix:///var/run/docker.sock)")->check(NonEmpty);
  usage_cmd->add_option("--to", usage.scenario.to, "engine version of the planned upgrade (default: 18.09 or the newest in the cluster)")->check(NonEmpty);
  usage_cmd->add_option("--order", usage.scenario.order, "upgrade order, as for `plan`")->check(NonEmpty);
  usage_cmd->add_option("--trials", usage.trials, "simulated trials of the plan (default 200)");
  usage_cmd->add_option("--seed", usage.scenario.seed_text, "base seed (default 1)");
  usage_cmd->add_flag("--json", usage.scenario.json, "write one JSON document to stdout");
  usage_cmd->add_option("--format", usage.format,
                        "text (default), json (as --json) or prometheus (the text format node_exporter's textfile "
                        "collector reads; docs/monitoring.md)")->check(NonEmpty);

  DiagnoseArgs diagnose;
  CLI::App* diagnose_cmd = app.add_subcommand(
      "diagnose", "what holds each overlay's addresses on the live swarm, which tasks wait or are rejected and why, "
                  "what happens if nothing is done, and the fixes proven from this state (exit 0 healthy, 2 trouble)");
  diagnose_cmd->add_option("--host", diagnose.host, "Docker host of a swarm manager (default: DOCKER_HOST, else unix:///var/run/docker.sock)")->check(NonEmpty);
  diagnose_cmd->add_option("--trials", diagnose.trials, "simulated trials of what happens next (default 200)");
  diagnose_cmd->add_option("--fix-trials", diagnose.fix_trials, "simulated trials to prove each fix (default 50)");
  diagnose_cmd->add_option("--seed", diagnose.seed, "base seed (default 1)");
  diagnose_cmd->add_flag("--json", diagnose.json, "write one JSON document to stdout");

  std::vector<std::string> parts;
  bool merge_json = false;
  CLI::App* merge_cmd = app.add_subcommand("merge", "combine shares written by `plan --shard I/N --json`");
  merge_cmd->add_option("shares", parts, "share files")->required();
  merge_cmd->add_flag("--json", merge_json, "write one JSON document to stdout");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return Fail(e.what());
  }
  try {
    if (*sim_cmd) return Finish(RunSimulate(sim));
    if (*merge_cmd) return Finish(RunMerge(parts, merge_json));
    if (*apply_cmd) return Finish(RunApply(apply));
    if (*import_cmd) return Finish(RunImport(import));
    if (*usage_cmd) return Finish(RunUsage(usage));
    if (*diagnose_cmd) return Finish(RunDiagnose(diagnose));
    // `swarmplan plan`, and `swarmplan` alone, run the plan.
    return Finish(RunPlan(plan));
  } catch (const std::exception& e) {
    return Fail(std::string("internal error: ") + e.what());
  }
}
