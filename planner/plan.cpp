#include "planner/plan.hpp"

#include "planner/paper.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>
#include <sstream>

#include "model/try.hpp"

namespace swarmplan::planner {

using model::Role;
using model::Scenario;

bool Plan::Upgrades() const {
  return std::any_of(steps.begin(), steps.end(), [](const Step& st) { return st.action == Action::kInstall; });
}

namespace {

void NodeKit(std::vector<Step>& out, std::size_t node, model::EngineVersion to, bool activate) {
  out.push_back({Action::kDrain, node, {}, 0});
  out.push_back({Action::kStop, node, {}, 0});
  out.push_back({Action::kInstall, node, to, 0});
  out.push_back({Action::kStart, node, {}, 0});
  if (activate) {
    out.push_back({Action::kActivate, node, {}, 0});
    out.push_back({Action::kWait, 0, {}, 0});
  }
}

// Builds a plan from a node order, activating managers per policy.
Plan FromNodeOrder(const Scenario& s, const std::vector<std::size_t>& order, model::EngineVersion to,
                   bool managers_last) {
  Plan p;
  std::size_t managers_total = 0, managers_seen = 0;
  for (std::size_t n : order) managers_total += s.nodes[n].role == Role::kManager;
  std::vector<std::size_t> deferred;
  for (std::size_t n : order) {
    const bool manager = s.nodes[n].role == Role::kManager;
    if (manager && managers_last) {
      NodeKit(p.steps, n, to, false);
      deferred.push_back(n);
      if (++managers_seen == managers_total) {
        for (std::size_t m : deferred) p.steps.push_back({Action::kActivate, m, {}, 0});
        p.steps.push_back({Action::kWait, 0, {}, 0});
      }
    } else {
      NodeKit(p.steps, n, to, true);
    }
  }
  return p;
}

}  // namespace

namespace {

// A reservation the model cannot check: nodes that declare no memory (or no
// CPUs) take any reservation (swarmkit's resource filter checks what a node
// reports; a scenario node without "memory" reports nothing). Said, never
// silently skipped: for a service's spec and the spec its update rolls out.
void NoteUncheckedReservations(const Scenario& s, Plan& p) {
  std::string no_mem, no_cpu;
  for (const auto& n : s.nodes) {
    if (n.memory_bytes == 0) no_mem += (no_mem.empty() ? "" : ", ") + n.name;
    if (n.nano_cpus == 0) no_cpu += (no_cpu.empty() ? "" : ", ") + n.name;
  }
  for (const auto& v : s.services) {
    const std::vector<std::pair<const model::ServiceSpec*, std::string>> specs = {
        {&v, "service " + v.name}, {v.update_to.get(), "the update of service " + v.name}};
    for (const auto& [spec, what] : specs) {
      if (spec == nullptr) continue;
      if (spec->reserve_memory_bytes > 0 && !no_mem.empty()) {
        p.notes.push_back(what + " reserves " + std::to_string(spec->reserve_memory_bytes >> 20) +
                          " MiB of memory, but nodes " + no_mem +
                          " declare no memory: the reservation is not checked there (give them \"memory_mb\")");
      }
      if (spec->reserve_nano_cpus > 0 && !no_cpu.empty()) {
        p.notes.push_back(what + " reserves CPUs, but nodes " + no_cpu +
                          " declare no CPUs: the reservation is not checked there (give them \"cpus\")");
      }
    }
  }
}

}  // namespace

Plan DefaultPlan(const Scenario& s, model::EngineVersion to) {
  const std::size_t leader = s.InitialLeader().value();
  std::vector<std::size_t> order;
  // A node that is down cannot be drained or restarted: it is left out
  // (the report lists the plan's steps, so the user sees it is missing).
  for (std::size_t i = 0; i < s.nodes.size(); ++i) {
    if (s.nodes[i].role == Role::kManager && i != leader && !s.nodes[i].out()) order.push_back(i);
  }
  order.push_back(leader);
  for (std::size_t i = 0; i < s.nodes.size(); ++i) {
    if (s.nodes[i].role == Role::kWorker && !s.nodes[i].out()) order.push_back(i);
  }
  Plan p = FromNodeOrder(s, order, to, true);
  p.origin = "default: the seed procedure (managers one at a time, leader last, activated together; then each worker)";
  NoteUncheckedReservations(s, p);
  return p;
}

namespace {

std::expected<Plan, std::string> ParseOrderWords(const Scenario& s, const std::vector<std::string>& raw_words,
                                                 model::EngineVersion to, bool activate_managers_last);

// Nodes a plan leaves below the target engine (down nodes excepted: the
// plan cannot reach them), as one note: such a plan may be safe and still
// not be the upgrade the user asked for.
void NoteIncomplete(const Scenario& s, Plan& p, model::EngineVersion to) {
  // A change plan (service steps, no install) is not an upgrade left half done.
  const bool service_steps = std::any_of(p.steps.begin(), p.steps.end(), [](const Step& st) { return st.OnService(); });
  if (service_steps && !p.Upgrades()) return;
  // The engines as the plan leaves them (a plan the checks refuse gets no
  // report, so where its replay stops does not matter).
  Paper paper(s);
  for (const Step& st : p.steps) {
    if (!paper.Apply(st)) break;
  }
  std::string left;
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.nodes.size(); ++i) {
    const model::EngineVersion& engine = paper.nodes()[i].engine;
    if (s.nodes[i].out() || engine >= to) continue;
    ++count;
    if (count <= 5) left += (left.empty() ? "" : ", ") + s.nodes[i].name + " (" + engine.ToString() + ")";
  }
  if (count == 0) return;
  if (count > 5) left += " and " + std::to_string(count - 5) + " more";
  p.notes.push_back("the upgrade is incomplete: the plan leaves " + left + " below " + to.ToString());
}

}  // namespace

std::expected<Plan, std::string> ParseOrder(const Scenario& s, const std::vector<std::string>& raw_words,
                                            model::EngineVersion to, bool activate_managers_last) {
  auto p = ParseOrderWords(s, raw_words, to, activate_managers_last);
  if (p) NoteIncomplete(s, *p, to);
  if (p) NoteUncheckedReservations(s, *p);
  return p;
}

namespace {

std::expected<Plan, std::string> ParseOrderWords(const Scenario& s, const std::vector<std::string>& raw_words,
                                                 model::EngineVersion to, bool activate_managers_last) {
  // Split on commas too, so "--order a,b,c" and JSON arrays both work. A
  // name holding , : = or \ has them escaped with \ (EscapeOrderName).
  std::vector<std::string> words;
  for (const std::string& w : raw_words) {
    for (const std::string& part : SplitEscaped(w, ',')) {
      const auto b = part.find_first_not_of(" \t");
      const auto e = part.find_last_not_of(" \t");
      if (b != std::string::npos) words.push_back(part.substr(b, e - b + 1));
    }
  }
  if (words.empty()) return std::unexpected("the order is empty");
  // Node-name-only orders get the standard kit per node.
  bool names_only = true;
  for (const std::string& w : words) names_only = names_only && SplitEscaped(w, ':').size() == 1 && w != "wait";
  auto node_of = [&](const std::string& name, const std::string& word) -> std::expected<std::size_t, std::string> {
    auto n = s.FindNode(name);
    if (!n) {
      std::string known;
      for (const auto& nd : s.nodes) known += (known.empty() ? "" : ", ") + nd.name;
      return std::unexpected("order word \"" + word + "\": no node is named \"" + name + "\" (nodes: " + known + ")");
    }
    return *n;
  };
  if (names_only) {
    std::vector<std::size_t> order;
    for (const std::string& w : words) {
      auto n = SWARMPLAN_TRY(node_of(Unescape(w), w));
      for (std::size_t o : order) {
        if (o == n) return std::unexpected("order word \"" + w + "\": node listed twice");
      }
      order.push_back(n);
    }
    Plan p = FromNodeOrder(s, order, to, activate_managers_last);
    p.origin = "given node order";
    return p;
  }
  auto steps = SWARMPLAN_TRY(ParseStepWords(s, words, to));
  Plan p;
  p.origin = "given steps";
  p.steps = std::move(steps);
  return p;
}

}  // namespace

std::vector<std::string> PlanWords(const Scenario& s, const Plan& p) { return StepWords(s, p.steps); }

}  // namespace swarmplan::planner
