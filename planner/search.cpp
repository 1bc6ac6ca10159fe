#include "planner/search.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/property_map/property_map.hpp>

#include "planner/runner.hpp"

namespace swarmplan::planner {

namespace {

using model::Role;
using model::Scenario;

enum class Lever { kKit, kKitNoWait, kHold, kRestart, kActivateHeld };

struct EdgeInfo {
  Lever lever = Lever::kKit;
  std::size_t cls = 0;  // unused for kActivateHeld
  std::size_t id = 0;   // index into the per-edge caches
};

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property, EdgeInfo>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;
using Edge = boost::graph_traits<Graph>::edge_descriptor;

// Nodes that take each other's place in a plan: same role, engine,
// availability, labels, resources and imported tasks.
struct NodeClass {
  bool manager = false;
  std::vector<std::size_t> nodes;  // in the order they are upgraded
};

// How far the upgrade has come: per class, nodes upgraded and nodes
// upgraded but held drained (managers).
struct State {
  std::vector<std::uint16_t> done, held;
  auto operator<=>(const State&) const = default;
};

// Against the risk term -log(1 - q) (one trial in 64 is about 0.016): a
// rejected task on average, and a simulated second.
constexpr double kRejectedCost = 1e-3;
constexpr double kSecondCost = 1e-6;

std::vector<NodeClass> Classes(const Scenario& s, model::EngineVersion to, bool grouped) {
  const std::size_t leader = s.InitialLeader().value();
  std::map<std::size_t, std::size_t> pinned;  // node -> imported tasks on it
  for (const auto& t : s.tasks) {
    if (auto n = s.FindNode(t.node)) ++pinned[*n];
  }
  using Key = std::tuple<bool, model::EngineVersion, model::Availability, std::map<std::string, std::string>,
                         std::int64_t, std::int64_t, std::size_t>;
  std::map<Key, std::size_t> index;
  std::vector<NodeClass> out;
  for (std::size_t i = 0; i < s.nodes.size(); ++i) {
    const auto& n = s.nodes[i];
    if (n.out() || !(n.engine < to)) continue;
    const bool manager = n.role == Role::kManager;
    const Key key{manager, n.engine, n.availability, n.labels, n.nano_cpus, n.memory_bytes, pinned[i]};
    if (grouped && i != leader) {
      if (auto it = index.find(key); it != index.end()) {
        out[it->second].nodes.push_back(i);
        continue;
      }
      index[key] = out.size();
    }
    out.push_back({manager, {i}});
  }
  return out;
}

struct Verdict {
  std::uint64_t at_risk = 0, rejected = 0;
  double seconds = 0;
  auto Key() const { return std::tuple(at_risk, rejected, seconds); }
};

Verdict Verify(const Scenario& s, const Plan& p, const SearchOptions& opt) {
  const TrialsJudged j = JudgeTrials(s, p, opt.seed, {0, opt.verify_trials}, opt.threads);
  return {j.at_risk, j.rejected, j.mean_seconds};
}


class Searcher {
 public:
  Searcher(const Scenario& s, const SearchOptions& opt, bool grouped, bool restarts)
      : s_(s), opt_(opt), classes_(Classes(s, opt.to, grouped)), restarts_(restarts) {
    const auto leader = s.nodes[s.InitialLeader().value()].engine;
    crossing_ = leader.lb_policy() != opt.to.lb_policy();
  }

  std::expected<SearchResult, std::string> Run(bool grouped);

  double Weight(const Edge& e);

 private:
  bool ManagersDone(const State& st) const {
    for (std::size_t c = 0; c < classes_.size(); ++c) {
      if (classes_[c].manager && st.done[c] < classes_[c].nodes.size()) return false;
    }
    return true;
  }
  std::uint32_t Held(const State& st) const {
    std::uint32_t h = 0;
    for (auto x : st.held) h += x;
    return h;
  }
  // The levers the rules allow from `st`, with the state each leads to.
  std::vector<std::pair<EdgeInfo, State>> Moves(const State& st) const;
  Vertex Intern(const State& st);
  std::vector<Edge> PathTo(Vertex v) const;
  Plan PlanOf(const std::vector<Edge>& path) const;
  Plan PlanOf(const std::vector<EdgeInfo>& moves) const;
  std::vector<EdgeInfo> Polish(std::vector<EdgeInfo> moves);

  const Scenario& s_;
  const SearchOptions& opt_;
  std::vector<NodeClass> classes_;
  bool restarts_ = true;  // the fast levers are offered: restart without a drain, kit without the wait
  bool crossing_ = false;
  Graph g_;
  std::map<State, Vertex> vertex_of_;
  std::vector<State> state_of_;
  Vertex start_ = 0;
  std::vector<std::optional<Edge>> pred_;  // best incoming edge (set when relaxed)
  std::optional<Verdict> polished_;  // the polished path's judgement, when the polish changed it
  std::vector<std::optional<double>> weight_, total_s_, rejected_;  // per edge id: weight, path's seconds and rejections
  std::uint64_t evaluated_ = 0, trials_run_ = 0;
};

std::vector<std::pair<EdgeInfo, State>> Searcher::Moves(const State& st) const {
  std::vector<std::pair<EdgeInfo, State>> out;
  const bool held_any = Held(st) > 0;
  const bool managers_done = ManagersDone(st);
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    const NodeClass& k = classes_[c];
    if (st.done[c] >= k.nodes.size()) continue;
    // Across the 18.09 boundary, workers wait for every manager (the seed's
    // order); and no node is touched while upgraded managers wait drained
    // for their peers, except the next manager.
    if (!k.manager && crossing_ && (!managers_done || held_any)) continue;
    State next = st;
    ++next.done[c];
    // Across the boundary, an upgraded node back in service while a manager
    // still runs the old engine (and may lead) has its tasks rejected (the
    // seed's hazard): every manager but the last stays drained.
    bool last_manager = false;
    if (k.manager) {
      std::size_t left = 0;
      for (std::size_t d = 0; d < classes_.size(); ++d) {
        if (classes_[d].manager) left += classes_[d].nodes.size() - st.done[d];
      }
      last_manager = left == 1;
    }
    if (!k.manager || !crossing_ || last_manager) {
      out.push_back({{Lever::kKit, c, 0}, next});
      if (restarts_) {
        out.push_back({{Lever::kRestart, c, 0}, next});
        out.push_back({{Lever::kKitNoWait, c, 0}, next});
      }
    }
    if (k.manager && crossing_) {
      State h = next;
      ++h.held[c];
      out.push_back({{Lever::kHold, c, 0}, h});
    }
  }
  if (held_any && managers_done) {
    State next = st;
    std::fill(next.held.begin(), next.held.end(), 0);
    out.push_back({{Lever::kActivateHeld, 0, 0}, next});
  }
  return out;
}

Vertex Searcher::Intern(const State& st) {
  if (auto it = vertex_of_.find(st); it != vertex_of_.end()) return it->second;
  const Vertex v = boost::add_vertex(g_);
  vertex_of_[st] = v;
  state_of_.push_back(st);
  return v;
}

std::vector<Edge> Searcher::PathTo(Vertex v) const {
  std::vector<Edge> path;
  while (v != start_) {
    const Edge e = pred_[v].value();
    path.push_back(e);
    v = boost::source(e, g_);
  }
  std::reverse(path.begin(), path.end());
  return path;
}

Plan Searcher::PlanOf(const std::vector<Edge>& path) const {
  std::vector<EdgeInfo> moves;
  moves.reserve(path.size());
  for (const Edge& e : path) moves.push_back(g_[e]);
  return PlanOf(moves);
}

Plan Searcher::PlanOf(const std::vector<EdgeInfo>& moves) const {
  Plan p;
  std::vector<std::size_t> used(classes_.size(), 0), held;
  const auto kit = [&](std::size_t node, bool drain, bool activate, bool wait) {
    if (drain) p.steps.push_back({Action::kDrain, node, {}, 0});
    p.steps.push_back({Action::kStop, node, {}, 0});
    p.steps.push_back({Action::kInstall, node, opt_.to, 0});
    p.steps.push_back({Action::kStart, node, {}, 0});
    if (activate) p.steps.push_back({Action::kActivate, node, {}, 0});
    if (wait) p.steps.push_back({Action::kWait, 0, {}, 0});
  };
  for (const EdgeInfo& info : moves) {
    if (info.lever == Lever::kActivateHeld) {
      for (std::size_t n : held) p.steps.push_back({Action::kActivate, n, {}, 0});
      p.steps.push_back({Action::kWait, 0, {}, 0});
      held.clear();
      continue;
    }
    const std::size_t node = classes_[info.cls].nodes[used[info.cls]++];
    switch (info.lever) {
      case Lever::kKit: kit(node, true, true, true); break;
      case Lever::kKitNoWait: kit(node, true, true, false); break;
      case Lever::kRestart: kit(node, false, false, true); break;
      case Lever::kHold:
        kit(node, true, false, false);
        held.push_back(node);
        break;
      case Lever::kActivateHeld: break;
    }
  }
  p.faults = opt_.faults;
  return p;
}

double Searcher::Weight(const Edge& e) {
  const std::size_t id = g_[e].id;
  if (weight_[id]) return *weight_[id];
  const Vertex u = boost::source(e, g_);
  std::vector<Edge> path = PathTo(u);
  const std::size_t prefix_steps = PlanOf(path).steps.size();
  const double prefix_s = path.empty() ? 0.0 : total_s_[g_[path.back()].id].value();
  path.push_back(e);
  Plan plan = PlanOf(path);
  plan.origin = "search candidate";
  // The first quarter of the trials; the rest only if it is not clearly bad.
  const std::uint64_t first = std::max<std::uint64_t>(std::min<std::uint64_t>(opt_.trials, 8), opt_.trials / 4);
  std::vector<TrialResult> results = RunTrials(s_, plan, opt_.seed, {0, first}, opt_.threads);
  // A trial counts against this edge if its trouble began in the edge's own
  // steps, among the trials that had no trouble before them: the weights
  // along a path then add up to -log P(no trouble on the whole path).
  const auto before = [&](const TrialResult& r) {
    return r.first_risk_step >= 0 && r.first_risk_step < static_cast<int>(prefix_steps);
  };
  const auto bad = [&](const TrialResult& r) { return !before(r) && r.at_risk(); };
  const auto count = [&](const std::vector<TrialResult>& rs, auto pred) {
    return static_cast<std::uint64_t>(std::count_if(rs.begin(), rs.end(), pred));
  };
  std::uint64_t q = count(results, bad), clean = results.size() - count(results, before);
  if (2 * q < clean && first < opt_.trials) {
    auto rest = RunTrials(s_, plan, opt_.seed, {first, opt_.trials - first}, opt_.threads);
    q += count(rest, bad);
    clean += rest.size() - count(rest, before);
    results.insert(results.end(), rest.begin(), rest.end());
  }
  const double n = static_cast<double>(results.size());
  double seconds = 0, rejected = 0;
  for (const auto& r : results) {
    seconds += r.plan_s;
    rejected += static_cast<double>(r.metrics.rejected_total());
  }
  seconds /= n;
  rejected /= n;
  total_s_[id] = seconds;
  rejected_[id] = rejected;
  const double prefix_rejected = path.size() > 1 ? rejected_[g_[path[path.size() - 2]].id].value() : 0.0;
  // Once every trial is in trouble the risk term is spent; rejected tasks,
  // then time, still tell plans apart.
  double w = 0;
  if (clean > 0) {
    const double c = static_cast<double>(clean);
    w -= std::log1p(-std::min(static_cast<double>(q) / c, 1.0 - 0.5 / c));
  }
  w += kRejectedCost * std::max(0.0, rejected - prefix_rejected) + kSecondCost * std::max(0.0, seconds - prefix_s);
  weight_[id] = w;
  ++evaluated_;
  trials_run_ += results.size();
  if (opt_.progress) opt_.progress(evaluated_);
  return w;
}

// The graph's state counts the nodes upgraded per class, not how each was
// taken out: a drain and a restart lead to the same state although they
// leave the tasks placed differently, and an edge is weighed on the one path
// Dijkstra reached its state by. So a lever that looks as good as another
// on its own edge can set up trouble for the edges after it (a drain moves
// a node's tasks onto the next node to be restarted). The path found is
// therefore polished as a whole: each of its fast-lever moves in turn is
// tried with the other fast levers, the whole path judged on the same
// trial seeds as the search's candidates (common random numbers), and a
// change kept when the path gets better by (trials at risk, rejected tasks,
// duration). One pass, in path order.
std::vector<EdgeInfo> Searcher::Polish(std::vector<EdgeInfo> moves) {
  if (!restarts_) return moves;  // without the fast levers there is nothing to swap
  const auto judge = [&](const std::vector<EdgeInfo>& m) {
    Plan p = PlanOf(m);
    p.origin = "search candidate";
    const TrialsJudged j = JudgeTrials(s_, p, opt_.seed, {0, opt_.trials}, opt_.threads);
    ++evaluated_;
    trials_run_ += opt_.trials;
    if (opt_.progress) opt_.progress(evaluated_);
    return Verdict{j.at_risk, j.rejected, j.mean_seconds};
  };
  Verdict best = judge(moves);
  static constexpr Lever kFast[] = {Lever::kKit, Lever::kRestart, Lever::kKitNoWait};
  for (EdgeInfo& m : moves) {
    if (std::find(std::begin(kFast), std::end(kFast), m.lever) == std::end(kFast)) continue;
    const Lever was = m.lever;
    Lever keep = was;
    for (Lever alt : kFast) {
      if (alt == was) continue;
      m.lever = alt;
      const Verdict v = judge(moves);
      if (v.Key() < best.Key()) {
        best = v;
        keep = alt;
      }
    }
    m.lever = keep;
    if (keep != was) polished_ = best;
  }
  return moves;
}

// Dijkstra reads weights through this map: each is simulated on first use.
struct LazyWeight {
  Searcher* searcher;
};

}  // namespace
}  // namespace swarmplan::planner

namespace boost {
template <>
struct property_traits<swarmplan::planner::LazyWeight> {
  using key_type = swarmplan::planner::Edge;
  using value_type = double;
  using reference = double;
  using category = readable_property_map_tag;
};
}  // namespace boost

namespace swarmplan::planner {
namespace {

double get(const LazyWeight& w, const Edge& e) { return w.searcher->Weight(e); }

struct GoalReached {};

struct Visitor : boost::default_dijkstra_visitor {
  Vertex goal;
  std::vector<std::optional<Edge>>* pred;
  Visitor(Vertex g, std::vector<std::optional<Edge>>* p) : goal(g), pred(p) {}
  void examine_vertex(Vertex v, const Graph&) const {
    if (v == goal) throw GoalReached{};
  }
  void edge_relaxed(Edge e, const Graph& g) const { (*pred)[boost::target(e, g)] = e; }
};

std::expected<SearchResult, std::string> Searcher::Run(bool grouped) {
  if (classes_.empty()) {
    return std::unexpected("nothing to search: every node that is up already runs " + opt_.to.ToString() +
                           " or newer");
  }
  // The rule graph: every state reachable from the start by allowed moves.
  State st0{std::vector<std::uint16_t>(classes_.size(), 0), std::vector<std::uint16_t>(classes_.size(), 0)};
  start_ = Intern(st0);
  std::size_t edges = 0;
  for (std::size_t i = 0; i < state_of_.size(); ++i) {
    const State st = state_of_[i];
    for (auto& [info, next] : Moves(st)) {
      const Vertex to = Intern(next);
      info.id = edges++;
      boost::add_edge(static_cast<Vertex>(i), to, info, g_);
    }
  }
  State goal_state = st0;
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    goal_state.done[c] = static_cast<std::uint16_t>(classes_[c].nodes.size());
  }
  const auto goal_it = vertex_of_.find(goal_state);
  if (goal_it == vertex_of_.end()) return std::unexpected("no plan satisfies the rules (internal: goal unreachable)");
  const Vertex goal = goal_it->second;
  const std::size_t nv = boost::num_vertices(g_);
  pred_.assign(nv, std::nullopt);
  weight_.assign(edges, std::nullopt);
  total_s_.assign(edges, std::nullopt);
  rejected_.assign(edges, std::nullopt);
  std::vector<double> dist(nv, 0);
  try {
    boost::dijkstra_shortest_paths(
        g_, start_,
        boost::weight_map(LazyWeight{this})
            .distance_map(boost::make_iterator_property_map(dist.begin(), boost::get(boost::vertex_index, g_)))
            .visitor(Visitor(goal, &pred_)));
  } catch (const GoalReached&) {
  }
  if (!pred_[goal]) return std::unexpected("no plan satisfies the rules (internal: goal not reached)");
  SearchResult r;
  const auto path = PathTo(goal);
  std::vector<EdgeInfo> moves;
  for (const Edge& e : path) moves.push_back(g_[e]);
  const std::vector<EdgeInfo> polished = Polish(moves);
  r.plan = PlanOf(polished);
  r.grouped = grouped;
  r.classes = classes_.size();
  r.vertices = nv;
  r.edges = edges;
  r.evaluated = evaluated_;
  r.trials_run = trials_run_;
  for (const Edge& e : path) {
    const double w = weight_[g_[e].id].value();
    r.risk_cost += w;
  }
  r.est_seconds = total_s_[g_[path.back()].id].value();
  r.risk_cost = std::max(0.0, r.risk_cost - kSecondCost * r.est_seconds -
                                  kRejectedCost * rejected_[g_[path.back()].id].value());
  r.est_p_reject = -std::expm1(-r.risk_cost);
  if (polished_) {  // the polish changed the path: its own judgement stands for the path's
    const double n = static_cast<double>(opt_.trials);
    r.est_p_reject = static_cast<double>(polished_->at_risk) / n;
    r.risk_cost = -std::log1p(-std::min(r.est_p_reject, 1.0 - 0.5 / n));
    r.est_seconds = polished_->seconds;
  }
  r.plan.origin = std::string("search: lowest simulated risk, then shortest, ") +
                  (grouped ? "nodes grouped into " + std::to_string(classes_.size()) + " classes (heuristic)"
                           : "every order of " + std::to_string(classes_.size()) + " nodes (exhaustive)");
  return r;
}

}  // namespace

std::size_t NodesToUpgrade(const Scenario& s, model::EngineVersion to) {
  return static_cast<std::size_t>(
      std::count_if(s.nodes.begin(), s.nodes.end(), [&](const auto& n) { return !n.out() && n.engine < to; }));
}

std::expected<SearchResult, std::string> SearchPlan(const Scenario& s, const SearchOptions& opt) {
  const std::size_t to_upgrade = NodesToUpgrade(s, opt.to);
  const bool grouped = opt.force_grouped || to_upgrade > opt.exhaustive_limit;
  if (opt.trials == 0) return std::unexpected("the search needs at least one trial per candidate");
  // Two searches: with the drain before every stop, and with the restart
  // without a drain as a lever too (faster, with a small risk that a few
  // dozen trials per candidate cannot see). Each path found is then judged
  // over verify_trials seeds, with the seed procedure; the best of the three
  // by (trials at risk, rejected tasks, duration) is the answer.
  auto r = Searcher(s, opt, grouped, false).Run(grouped);
  if (!r || opt.verify_trials == 0) return r;
  Verdict best = Verify(s, r->plan, opt);
  auto fast = Searcher(s, opt, grouped, true).Run(grouped);
  const std::uint64_t evaluated = r->evaluated + (fast ? fast->evaluated : 0);
  const std::uint64_t trials_run = r->trials_run + (fast ? fast->trials_run : 0);
  if (fast) {
    const Verdict v = Verify(s, fast->plan, opt);
    if (v.Key() < best.Key()) {
      *r = std::move(*fast);
      r->plan.origin += ", with the fast levers (restart without a drain, no wait), no more trials at risk in the final check";
      best = v;
    }
  }
  r->evaluated = evaluated;
  r->trials_run = trials_run;
  r->verified_trials = opt.verify_trials;
  r->found_at_risk = best.at_risk;
  r->found_seconds = best.seconds;
  Plan seed_plan = DefaultPlan(s, opt.to);
  seed_plan.faults = opt.faults;
  const Verdict seed = Verify(s, seed_plan, opt);
  r->default_at_risk = seed.at_risk;
  r->default_seconds = seed.seconds;
  if (!(best.Key() < seed.Key())) {
    r->plan = seed_plan;
    r->default_kept = true;
    r->plan.origin = "search: the seed procedure (no path found, " + std::to_string(r->evaluated) +
                     " candidates simulated, beat it over " + std::to_string(opt.verify_trials) + " trials)";
  }
  return r;
}

}  // namespace swarmplan::planner
