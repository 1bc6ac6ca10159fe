#include "planner/faults.hpp"

#include <algorithm>
#include <cstdio>

#include "model/swarm.hpp"
#include "planner/plan.hpp"
#include "planner/trial.hpp"
#include "sim/random.hpp"

namespace swarmplan::planner {

namespace {

bool IsInstallFault(Action a) { return a == Action::kInstallFails || a == Action::kInstallKeepsOld; }

std::vector<Action> Applicable(const FaultSpec& f, const Plan& p) {
  const bool installs = std::any_of(p.steps.begin(), p.steps.end(), [](const Step& s) { return s.action == Action::kInstall; });
  std::vector<Action> out;
  for (Action a : f.kinds.empty() ? FaultKinds() : f.kinds) {
    if (!IsInstallFault(a) || installs) out.push_back(a);
  }
  return out;
}

// The fault stream of a trial: apart from the model's, so a trial runs as
// without faults until one strikes.
std::uint64_t FaultSeed(std::uint64_t trial_seed) {
  std::uint64_t state = trial_seed ^ 0x6661756c74730001ULL;  // "faults"
  return sim::SplitMix64(state);
}

}  // namespace

std::vector<Action> FaultKinds() {
  return {Action::kKill, Action::kKillLeader, Action::kHostDown, Action::kPartition,
          Action::kSlow, Action::kInstallFails, Action::kInstallKeepsOld};
}

std::optional<Action> FaultKindNamed(std::string_view word) {
  for (Action a : FaultKinds()) {
    if (ToString(a) == word) return a;
  }
  return std::nullopt;
}

std::expected<std::vector<Action>, std::string> ParseFaultKinds(const std::string& text) {
  std::vector<Action> out;
  if (text.empty() || text == "all") return out;
  for (const std::string& word : SplitEscaped(text, ',')) {
    const auto kind = FaultKindNamed(word);
    if (!kind) {
      std::string names;
      for (Action a : FaultKinds()) names += (names.empty() ? "" : ", ") + std::string(ToString(a));
      return std::unexpected("--fault-kinds: \"" + word + "\" is not a fault kind (" + names + ", or all)");
    }
    if (std::find(out.begin(), out.end(), *kind) == out.end()) out.push_back(*kind);
  }
  return out;
}

std::string FaultKindsText(const std::vector<Action>& kinds) {
  if (kinds.empty()) return "all";
  std::string out;
  for (Action a : kinds) out += (out.empty() ? "" : ",") + std::string(ToString(a));
  return out;
}

std::expected<void, std::string> CheckFaults(const FaultSpec& f, const Plan& p) {
  if (f.count == 0) return {};
  if (Applicable(f, p).empty()) {
    return std::unexpected("--fault-kinds " + FaultKindsText(f.kinds) +
                           ": the plan installs no engine, so no fault of these kinds can strike");
  }
  return {};
}

std::string Describe(const StruckFault& f, const std::string& node_name) {
  std::string what(ToString(f.kind));
  what += " " + (f.node >= 0 ? node_name : std::string("(nothing to hit)"));
  if (f.kind == Action::kHostDown || f.kind == Action::kPartition) what += " for " + std::to_string(f.duration / sim::kSecond) + " s";
  if (f.kind == Action::kSlow) what += " x" + FactorText(f.slow_pct);
  char at[32];
  std::snprintf(at, sizeof at, " (+%.1f s)", sim::ToSeconds(f.at));
  return what + at;
}

FaultInjector::FaultInjector(const FaultSpec& spec, const Plan& p, std::uint64_t trial_seed)
    : steps_(p.steps.size()), rng_(FaultSeed(trial_seed)) {
  const std::vector<Action> kinds = Applicable(spec, p);
  if (kinds.empty() || p.steps.empty()) return;
  std::vector<std::size_t> installs;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    if (p.steps[i].action == Action::kInstall) installs.push_back(i);
  }
  for (std::uint32_t j = 0; j < spec.count; ++j) {
    Drawn d{};
    d.kind = kinds[rng_.Below(kinds.size())];
    d.node = -1;
    if (IsInstallFault(d.kind)) {
      d.step = installs[rng_.Below(installs.size())];
      d.node = static_cast<int>(p.steps[d.step].node);
    } else {
      d.step = rng_.Below(p.steps.size());
      d.delay = rng_.Duration(0, sim::Sec(20));
      if (d.kind == Action::kHostDown) d.duration = rng_.Duration(sim::Sec(60), sim::Sec(300));
      if (d.kind == Action::kPartition) d.duration = rng_.Duration(sim::Sec(10), sim::Sec(120));
      if (d.kind == Action::kSlow) d.slow_pct = 200 + 50 * static_cast<std::uint32_t>(rng_.Below(7));
    }
    drawn_.push_back(d);
  }
}

void FaultInjector::StepStarts(model::Swarm& w, std::size_t step, sim::Time plan_start) {
  current_step_ = step;
  for (Drawn& d : drawn_) {
    if (d.armed || d.step != step) continue;
    d.armed = true;
    last_strike_ = std::max(last_strike_, w.Now() + d.delay);
    if (d.delay == 0) {
      Strike(w, d, plan_start);
    } else {
      w.engine().After(d.delay, [this, &w, &d, plan_start] { Strike(w, d, plan_start); });
    }
  }
}

void FaultInjector::Strike(model::Swarm& w, const Drawn& d, sim::Time plan_start) {
  StruckFault f;
  f.kind = d.kind;
  f.step = static_cast<int>(current_step_);
  f.at = w.Now() - plan_start;
  f.duration = d.duration;
  f.slow_pct = d.slow_pct;
  if (d.kind == Action::kKillLeader) {
    f.node = w.HasLeader() ? static_cast<int>(w.leader()) : -1;
  } else if (IsInstallFault(d.kind)) {
    f.node = d.node;
  } else {
    std::vector<int> can;
    for (const model::Node& n : w.nodes) {
      const bool up = n.member && !n.left && n.engine_running;
      if (d.kind == Action::kHostDown ? (n.member && !n.left && !n.fault.host_down)
                                      : up && !(d.kind == Action::kPartition && n.fault.partitioned)) {
        can.push_back(static_cast<int>(n.id));
      }
    }
    f.node = can.empty() ? -1 : can[rng_.Below(can.size())];
  }
  if (f.node >= 0) {
    Step st;
    st.action = d.kind;
    st.node = static_cast<std::size_t>(f.node);
    st.duration = d.duration;
    st.slow_pct = d.slow_pct;
    w.trace().Add(w.Now(), "fault", [&] { return "strikes: " + Describe(f, w.nodes[st.node].name); });
    if (!InjectFault(w, st)) f.node = -1;
  }
  struck_.push_back(f);
}

}  // namespace swarmplan::planner
