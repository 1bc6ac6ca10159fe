// `swarmplan usage --format prometheus`: the counts of `usage` in the
// Prometheus text exposition format (version 0.0.4), for node_exporter's
// textfile collector (docs/monitoring.md). One gauge family per count,
// labelled by network, subnet and whether it is ingress.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace swarmplan::cli {

// `networks`: the array `usage --json` writes under "networks"; `upgrade_to`
// the planned engine; `trials` how many trials the simulated figures rest on.
std::string UsagePrometheus(const nlohmann::json& networks, const std::string& upgrade_to, std::uint64_t trials);

// A label value as the text format writes it: backslash, double quote and
// line feed escaped.
std::string PrometheusLabel(const std::string& value);

}  // namespace swarmplan::cli
