// The scenario and plan a command works on, from a file or the flags of
// the built-in quick form (`--subnet 10.0.0.0/27 --replicas 24`).
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include <CLI/CLI.hpp>

#include "model/scenario.hpp"
#include "planner/plan.hpp"

namespace swarmplan::cli {

struct ScenarioOptions {
  std::string file;
  std::string host;  // --host: the live swarm at this Docker host
  std::string subnet, ingress, from, to, order, activate, seed_text;
  std::string replicas, managers, workers;  // decimal counts, checked in Load()
  std::string compose, stack;  // --compose FILE --stack NAME: docker stack deploy onto the cluster
  std::string faults, fault_kinds;  // --faults N --fault-kinds K,K (plan and simulate)
  bool json = false;

  // `trial_seed`: --seed names one trial's own seed (`simulate`, as the
  // reproduce line prints it) rather than the base seed of many trials.
  void Register(CLI::App& app, bool trial_seed = false);
  // --faults and --fault-kinds (a what-if: plan and simulate only).
  void RegisterFaults(CLI::App& app);
  // The scenario, with the flags applied; errors name the flag.
  std::expected<model::Scenario, std::string> Load() const;
  // The upgrade flags (--to, --activate-managers, --order) applied to s.
  std::expected<void, std::string> ApplyUpgradeFlags(model::Scenario& s) const;
  // The plan: the given order, or the seed procedure.
  std::expected<planner::Plan, std::string> MakePlan(const model::Scenario& s) const;
  std::expected<std::uint64_t, std::string> Seed() const;

  struct Prepared {
    model::Scenario scenario;
    planner::Plan plan;
    std::uint64_t seed;
  };
  // Load(), MakePlan() and Seed() together: the first error wins.
  std::expected<Prepared, std::string> Prepare() const;
  // The command line that repeats this run with another seed.
  std::string Reproduce(const char* command, std::uint64_t seed) const;
  // The same without " --seed N". Every word is shell-quoted as needed.
  std::string ReproducePrefix(const char* command) const;
  // The words after `swarmplan COMMAND` (scenario file, then flag and value
  // pairs of ReproduceFlags()), as a share carries them for merge.
  std::vector<std::string> ReproduceArgs() const;
  static const std::set<std::string>& ReproduceFlags();
  // `swarmplan COMMAND` and `args`, each word quoted for /bin/sh.
  static std::string ReproduceLine(const char* command, const std::vector<std::string>& args);

 private:
  // Which flags the user gave (an empty value given is an error, not the
  // default). Set by Register().
  std::map<std::string, CLI::Option*> given_;
  bool Given(const char* flag) const;
};

// `--host`'s managers: "H1,H2" -> {"H1", "H2"}.
std::vector<std::string> Hosts(const std::string& host);

// The live swarm at `host` (empty: DOCKER_HOST or the default socket; H1,H2:
// the first that answers) as a scenario; what the scenario cannot carry is
// printed on stderr.
std::expected<model::Scenario, std::string> LoadLive(const std::string& host);

// Parses a whole number in [lo, hi] from text; the error names `what`.
std::expected<std::uint64_t, std::string> ParseCount(const std::string& text, const std::string& what,
                                                     std::uint64_t lo, std::uint64_t hi);

// Parses a probability in [0, 1] ("0.05", "1e-3"); NaN, infinities, trailing
// text and numbers out of range are refused, the error naming `what`.
std::expected<double, std::string> ParseProbability(const std::string& text, const std::string& what);

// A TrialOptions::heartbeat for the command line: after 10 s, and then at
// most every 10 s, one stderr line saying how far a long trial has come.
// Thread-safe.
std::function<void(sim::Time, std::uint64_t)> LongTrialProgress();

}  // namespace swarmplan::cli
