// `swarmplan diagnose`: what is wrong with the live swarm's overlay
// addresses now, what happens if nothing is done, and the fixes proven
// from this very state, with the commands to type.
#include <cmath>
#include <ctime>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "docker/import.hpp"
#include "docker/trouble.hpp"
#include "planner/diagnose.hpp"

namespace swarmplan::cli {

namespace {

using nlohmann::json;

std::string Clock(double t) {
  const std::time_t s = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string Span(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  if (s < 120) return std::to_string(s) + " s";
  if (s < 2 * 3600) return std::to_string(s / 60) + " min";
  if (s < 2 * 86400) return std::to_string(s / 3600) + " h";
  return std::to_string(s / 86400) + " days";
}

std::string Since(double t, double now) { return "since " + Clock(t) + " (" + Span(now - t) + " ago)"; }

std::string Percent(std::uint64_t k, std::uint64_t n) {
  std::ostringstream o;
  o.precision(k == n || k == 0 ? 0 : 1);
  o << std::fixed << (n ? 100.0 * static_cast<double>(k) / static_cast<double>(n) : 0.0) << "%";
  return o.str();
}

std::string NextText(const planner::Outlook& o) {
  std::string v = o.verdict();
  if (v == "rejects again and again") {
    v += ", about " + std::to_string(std::lround(o.rejections_per_hour)) + " rejections an hour; does not converge";
  } else if (v == "varies") {
    v = "converges in " + Percent(o.converges, o.trials) + " of the trials, waits for good in " + Percent(o.waiting, o.trials) +
        ", rejects again and again in " + Percent(o.rejecting, o.trials);
  }
  return v;
}

json NetworkJson(const docker::NetworkTrouble& n) {
  json vips = json::object();
  for (const auto& [svc, a] : n.vips) vips[svc] = model::FormatIpv4(a);
  json left = json::array();
  for (const auto& h : n.leftovers) left.push_back({{"node", h.node}, {"state", h.state}, {"addresses", h.addresses}, {"since", h.since}});
  auto plights = [](const std::vector<docker::Plight>& ps) {
    json a = json::array();
    for (const auto& p : ps) {
      json o{{"service", p.service}, {"tasks", p.tasks}, {"first", p.first}, {"last", p.last}};
      if (!p.node.empty()) o["node"] = p.node;
      if (p.per_hour) o["per_hour"] = *p.per_hour;
      a.push_back(o);
    }
    return a;
  };
  return {{"network", n.name}, {"subnet", n.subnet}, {"capacity", n.capacity}, {"reserved", n.reserved},
          {"vips", vips}, {"task_addresses", n.task_addresses}, {"node_lb", n.lb_nodes},
          {"node_lb_rule", n.lb_rule}, {"lb_missing", n.lb_missing}, {"leftovers", left},
          {"other_held", n.other_held}, {"in_use", n.in_use()}, {"free", n.free()},
          {"waiting", plights(n.waiting)}, {"rejected", plights(n.rejected)}, {"troubled", n.troubled()}};
}

}  // namespace

int RunDiagnose(const DiagnoseArgs& args) {
  auto trials = ParseCount(args.trials, "--trials", 1, 100'000);
  if (!trials) return Fail(trials.error());
  auto fix_trials = ParseCount(args.fix_trials, "--fix-trials", 1, 100'000);
  if (!fix_trials) return Fail(fix_trials.error());
  auto seed = ParseCount(args.seed, "--seed", 0, UINT64_MAX);
  if (!seed) return Fail(seed.error());
  auto st = docker::FetchLive(args.host);
  if (!st) return Fail(st.error());
  auto trouble = docker::ReadTrouble(*st);
  if (!trouble) return Fail(trouble.error());
  auto imp = docker::ImportScenario(*st);
  if (!imp) return Fail(imp.error());
  for (const std::string& n : imp->notes) std::cerr << "swarmplan: note: " << n << "\n";

  std::vector<std::string> tight;
  for (const auto& n : trouble->networks) {
    if (n.troubled()) tight.push_back(n.name);
  }
  planner::DiagnoseOptions opt;
  opt.seed = *seed;
  opt.trials = *trials;
  opt.fix_trials = *fix_trials;
  opt.threads = std::max(1u, std::thread::hardware_concurrency());
  opt.trouble = !trouble->healthy();
  const planner::Diagnosis d = planner::Diagnose(imp->scenario, tight, opt);
  const bool healthy = trouble->healthy() && d.next.converges == d.next.trials;
  const double now = trouble->now;

  if (args.json) {
    json nets = json::array();
    for (const auto& n : trouble->networks) nets.push_back(NetworkJson(n));
    json svcs = json::array();
    for (const auto& s : trouble->services) {
      svcs.push_back({{"service", s.name}, {"desired", s.desired}, {"running", s.running},
                      {"waiting", s.waiting_new}, {"recent_errors", s.recent_errors}});
    }
    json ends = json::array();
    for (const auto& e : d.next.ends) {
      ends.push_back({{"service", e.service}, {"desired", e.desired}, {"running_min", e.running_min},
                      {"running_max", e.running_max}, {"new_min", e.new_min}, {"new_max", e.new_max}});
    }
    json net_ends = json::array();
    for (const auto& n : d.next.nets) {
      net_ends.push_back({{"network", n.network}, {"used_min", n.used_min}, {"used_max", n.used_max}});
    }
    json fixes = json::array();
    for (const auto& f : d.fixes) {
      fixes.push_back({{"kind", f.kind}, {"what", f.what}, {"cost", f.cost}, {"commands", f.commands},
                       {"order", f.order}, {"proven", f.proven}, {"trials", f.trials}, {"failing", f.failing},
                       {"p_hi", f.p_hi}, {"rejected_max", f.rejected_max}, {"seconds_mean", f.seconds_mean}});
    }
    json doc{{"host", args.host},
             {"cluster", trouble->cluster_id},
             {"now", now},
             {"seed", *seed},
             {"healthy", healthy},
             {"networks", nets},
             {"services", svcs},
             {"down_nodes", trouble->down_nodes},
             {"next", {{"verdict", d.next.verdict()}, {"trials", d.next.trials}, {"converges", d.next.converges},
                       {"waits", d.next.waiting}, {"rejects_forever", d.next.rejecting},
                       {"rejections_per_hour", d.next.rejections_per_hour}, {"services", ends},
                       {"networks", net_ends}}},
             {"fixes", fixes}};
    std::cout << doc.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return healthy ? kExitSafe : kExitAtRisk;
  }

  std::cout << "swarmplan diagnose: swarm " << trouble->cluster_id.substr(0, 12) << " at " << Clock(now)
            << " (leader engine " << trouble->leader_engine << "; seed " << *seed << ", " << *trials << " trials)\n";
  for (const auto& n : trouble->networks) {
    std::cout << "\n" << (n.troubled() ? "TROUBLE " : n.free() <= 0 ? "FULL " : "") << n.name << " " << n.subnet << ": " << n.capacity
              << " addresses, " << std::max<std::int64_t>(0, n.free()) << " free\n";
    std::cout << "  held by: " << n.reserved << " reserved";
    if (!n.vips.empty()) {
      std::cout << ", " << n.vips.size() << " VIP(s) (";
      bool first = true;
      for (const auto& [svc, a] : n.vips) std::cout << (first ? "" : ", ") << svc, first = false;
      std::cout << ")";
    }
    for (const auto& [svc, c] : n.task_addresses) std::cout << ", " << c << " task(s) of " << svc;
    std::cout << ", " << n.lb_nodes.size() << " node load balancer(s)";
    if (!n.lb_nodes.empty()) {
      std::cout << " (";
      for (std::size_t i = 0; i < n.lb_nodes.size(); ++i) std::cout << (i ? ", " : "") << n.lb_nodes[i];
      std::cout << ")";
    }
    for (const auto& h : n.leftovers) {
      std::cout << ", " << h.addresses << " of old tasks on " << h.node
                << (h.state == "ready" ? " (on their way out)" : " (node " + h.state + " " + Since(h.since, now) + ")");
    }
    if (n.other_held) std::cout << ", " << n.other_held << " of services swarmplan does not model";
    std::cout << "\n";
    if (n.free() < 0) {
      std::cout << "  note: these counts exceed the subnet by " << -n.free() << ": a node counted with a load-balancer "
                << "address may lack one\n";
    }
    for (const auto& p : n.waiting) {
      std::cout << "  waiting: " << p.tasks << " task(s) of " << p.service << " in NEW with no address on " << n.name
                << ", the oldest " << Since(p.first, now) << "\n";
    }
    for (const auto& p : n.rejected) {
      std::cout << "  rejected: " << p.tasks << " task(s) of " << p.service << " on " << p.node
                << " (\"node is missing network attachments, ip addresses may be exhausted\"): " << p.node
                << " has no load-balancer address on " << n.name << "; from " << Clock(p.first) << " to "
                << Clock(p.last) << " (" << Span(now - p.last) << " ago)";
      if (p.per_hour) std::cout << ", about " << std::lround(*p.per_hour) << " an hour";
      std::cout << "\n";
    }
    for (const auto& node : n.lb_missing) {
      bool said = false;
      for (const auto& p : n.rejected) said = said || p.node == node;
      if (!said) std::cout << "  " << node << " has no load-balancer address on " << n.name << "\n";
    }
  }
  bool any_below = false;
  for (const auto& s : trouble->services) {
    if (s.running >= s.desired && s.waiting_new == 0 && s.recent_errors.empty()) continue;
    if (!any_below) std::cout << "\nservices:\n";
    any_below = true;
    std::cout << "  " << s.name << ": " << s.running << " of " << s.desired << " running";
    if (s.waiting_new) std::cout << ", " << s.waiting_new << " waiting";
    for (const auto& [err, c] : s.recent_errors) std::cout << "; " << c << " failed in the last 5 min: \"" << err << "\"";
    std::cout << "\n";
  }
  if (!trouble->down_nodes.empty()) {
    std::cout << "\nnodes not ready:";
    for (const auto& n : trouble->down_nodes) std::cout << " " << n;
    std::cout << "\n";
  }

  std::cout << "\nif nothing is done (" << d.next.trials << " simulated trials from this state): " << NextText(d.next) << "\n";
  for (const auto& e : d.next.ends) {
    if (e.running_min >= e.desired && e.new_max == 0) continue;
    std::cout << "  " << e.service << ": " << e.running_min;
    if (e.running_max != e.running_min) std::cout << "-" << e.running_max;
    std::cout << " of " << e.desired << " running at the end";
    if (e.new_max) std::cout << ", up to " << e.new_max << " in NEW";
    std::cout << "\n";
  }
  if (healthy) {
    std::cout << "\nhealthy: nothing waits, nothing is being rejected\n";
    for (const auto& n : trouble->networks) {
      if (n.free() <= 0) std::cout << "but " << n.name << " is full: the next task or node on it will wait for an address\n";
    }
    return kExitSafe;
  }
  if (d.fixes.empty()) {
    std::cout << "\nno fix found from this state"
              << (d.next.converges == d.next.trials ? " (none needed: the simulation converges by itself)" : "") << "\n";
  }
  int i = 0;
  for (const auto& f : d.fixes) {
    if (i == 0) std::cout << "\nfixes, each simulated from this state (" << f.trials << " trials):\n";
    ++i;
    std::cout << "  " << i << ". " << f.what << (f.proven ? "" : "  [NOT PROVEN]") << "\n";
    if (f.proven) {
      std::cout << "     every trial converges (P(not) < " << Percent(static_cast<std::uint64_t>(std::ceil(f.p_hi * 1000)), 1000)
                << "), in " << std::lround(f.seconds_mean) << " s on average";
      if (f.rejected_max) std::cout << "; up to " << f.rejected_max << " task(s) rejected on the way";
      std::cout << "\n";
    } else if (f.trials > 0) {
      std::cout << "     " << f.failing << " of " << f.trials << " trials still do not converge\n";
    }
    std::cout << "     cost: " << f.cost << "\n";
    for (const auto& c : f.commands) std::cout << "     $ " << c << "\n";
  }
  return kExitAtRisk;
}

}  // namespace swarmplan::cli
