#include "cli/usage_metrics.hpp"

#include <sstream>

namespace swarmplan::cli {

std::string PrometheusLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

namespace {

struct Family {
  const char* name;
  const char* help;
  const char* key;      // in a network's usage object
  bool overlay_only;    // not for ingress (the upgrade's figures)
};

// Each count once, in the order `usage` prints them.
constexpr Family kFamilies[] = {
    {"swarmplan_overlay_capacity_addresses", "Addresses in the overlay's subnet.", "capacity", false},
    {"swarmplan_overlay_reserved_addresses", "Addresses reserved: network, gateway, broadcast.", "reserved", false},
    {"swarmplan_overlay_vip_addresses", "Virtual IPs of the services in vip mode on the overlay.", "vips", false},
    {"swarmplan_overlay_task_addresses", "Addresses held by tasks not yet ended (those of down or departed nodes included).",
     "task_addresses", false},
    {"swarmplan_overlay_node_lb_addresses", "Node load-balancer addresses, counted by the leader engine's rule.", "node_lb",
     false},
    {"swarmplan_overlay_used_addresses", "Addresses in use: reserved + VIPs + tasks + node load balancers.", "in_use", false},
    {"swarmplan_overlay_free_addresses", "Addresses free now.", "free", false},
    {"swarmplan_overlay_peer_nodes", "Nodes the manager sees on the overlay (a check on node_lb).", "peers", false},
    {"swarmplan_overlay_upgrade_needed_addresses",
     "Addresses the overlay needs after the planned upgrade, on paper (every node with a task holding a load balancer).",
     "upgrade_need", true},
    {"swarmplan_overlay_upgrade_fits", "1 if the overlay holds what the planned upgrade needs, on paper; 0 if not.",
     "upgrade_fits", true},
    {"swarmplan_overlay_upgrade_simulated_peak_addresses",
     "The most addresses in use at once during the planned upgrade, over its simulated trials.", "simulated_peak", true},
    {"swarmplan_overlay_upgrade_full_trials_ratio",
     "Share of the simulated trials of the planned upgrade in which the overlay ran out of addresses.",
     "trials_at_capacity", true},
};

}  // namespace

std::string UsagePrometheus(const nlohmann::json& networks, const std::string& upgrade_to, std::uint64_t trials) {
  std::ostringstream o;
  for (const Family& f : kFamilies) {
    o << "# HELP " << f.name << " " << f.help << "\n# TYPE " << f.name << " gauge\n";
    for (const auto& n : networks) {
      if (!n.contains(f.key)) continue;
      const bool ingress = n.value("ingress", false);
      if (f.overlay_only && ingress) continue;
      o << f.name << "{network=\"" << PrometheusLabel(n.value("network", "")) << "\",subnet=\""
        << PrometheusLabel(n.value("subnet", "")) << "\",ingress=\"" << (ingress ? "true" : "false") << "\"";
      if (f.overlay_only) o << ",upgrade_to=\"" << PrometheusLabel(upgrade_to) << "\"";
      o << "} ";
      const nlohmann::json& v = n.at(f.key);
      if (v.is_boolean()) {
        o << (v.get<bool>() ? 1 : 0);
      } else if (std::string(f.key) == "trials_at_capacity") {
        o << (trials > 0 ? static_cast<double>(v.get<std::uint64_t>()) / static_cast<double>(trials) : 0.0);
      } else {
        o << v.get<std::uint64_t>();
      }
      o << "\n";
    }
  }
  o << "# HELP swarmplan_usage_trials Simulated trials the upgrade figures rest on.\n"
    << "# TYPE swarmplan_usage_trials gauge\nswarmplan_usage_trials " << trials << "\n";
  return o.str();
}

}  // namespace swarmplan::cli
