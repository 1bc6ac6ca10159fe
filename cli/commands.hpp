// The subcommands of `swarmplan`. Each returns the process exit status:
// 0 safe, 2 at risk, 1 bad input or error (one line on stderr).
#pragma once

#include <string>
#include <vector>

#include "cli/options.hpp"

namespace swarmplan::cli {

inline constexpr int kExitSafe = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitAtRisk = 2;

struct PlanArgs {
  ScenarioOptions scenario;
  std::string trials;  // empty: up to 1000, an expensive run stopped once decided
  std::string threads;
  std::string shard;  // "I/N"
  bool no_sensitivity = false;
  bool no_fixes = false;
  bool search = false;
  std::string search_trials = "64";
  std::string svg, csv, html;  // pictures of the example trial
  bool explain = false;        // the example trial's timeline, with why
  std::string at;              // "15s,90s": snapshot times after the first step
};

struct ApplyArgs {
  ScenarioOptions scenario;
  std::string executor = "dry-run";
  std::string journal;
  std::string max_risk = "0";
  std::string gate_trials = "200";
  bool force = false;
  std::string upgrade_command, stop_command, start_command, join_command, leave_command;
  std::string stack_command = "docker -H {host} stack deploy --compose-file {file} {stack}";
  std::string step_timeout = "600";
};

struct ImportArgs {
  std::string host;
  std::string output;
};

struct UsageArgs {
  ScenarioOptions scenario;  // --host, --to, --order, --seed, --json
  std::string trials = "200";
  std::string format;  // text (default), json (as --json), prometheus
};

struct DiagnoseArgs {
  std::string host;
  std::string trials = "200";
  std::string fix_trials = "50";
  std::string seed = "1";
  bool json = false;
};

int RunPlan(const PlanArgs& args);
int RunDiagnose(const DiagnoseArgs& args);
int RunImport(const ImportArgs& args);
int RunUsage(const UsageArgs& args);
int RunApply(const ApplyArgs& args);
struct SimulateArgs {
  ScenarioOptions scenario;
  bool jsonl = false;
  bool explain = false;  // say why each task went where it went
  std::string svg, csv;  // the trial's timeline as a picture / as series
};
int RunSimulate(const SimulateArgs& args);
int RunMerge(const std::vector<std::string>& files, bool json);

// Prints "swarmplan: error: <what>" on stderr and returns kExitError.
int Fail(const std::string& what);

}  // namespace swarmplan::cli
