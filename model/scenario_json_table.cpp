#include "model/scenario_json_table.hpp"

#include "model/scenario_json.hpp"

namespace swarmplan::model {

namespace keys {

const std::vector<std::string_view> kTopKeys = {"schema_version", "name", "ingress", "networks", "nodes",
                                                "services", "tasks", "leader", "upgrade", "timings"};
const std::vector<std::string_view> kNetworkKeys = {"name", "subnet", "held"};
const std::vector<std::string_view> kNodeKeys = {"name", "role", "engine", "availability", "state",
                                                 "labels", "cpus", "memory_mb", "joined", "live_restore", "held", "lb_missing"};
const std::vector<std::string_view> kServiceKeys = {
    "name", "mode", "replicas", "networks", "endpoint_mode", "constraints", "max_replicas_per_node", "restart",
    "stop_grace_period_ms", "exits_on_sigterm", "publish_ingress", "reserve_cpus_milli", "reserve_memory_mb", "deployed",
    "update_config", "rollback_config", "previous_spec", "recent_failures", "container", "update_to", "vips"};
// What a service's `update_to` may say: the fields a rolling update rolls
// out beyond the networks (ServiceSpec::update_to).
const std::vector<std::string_view> kUpdateToKeys = {
    "restart", "stop_grace_period_ms", "exits_on_sigterm", "reserve_cpus_milli", "reserve_memory_mb",
    "constraints", "max_replicas_per_node", "container"};
const std::vector<std::string_view> kContainerKeys = {"image", "command", "args", "env", "labels",
                                                      "user", "dir", "hostname", "stop_signal"};
const std::vector<std::string_view> kUpdateConfigKeys = {"parallelism", "delay_ms", "order", "failure_action",
                                                         "monitor_ms", "max_failure_ratio"};
const std::vector<std::string_view> kRestartKeys = {"condition", "delay_ms", "max_attempts"};
const std::vector<std::string_view> kTaskKeys = {"service", "slot", "node", "state", "addresses"};
const std::vector<std::string_view> kUpgradeKeys = {"to", "order", "activate_managers"};

const std::vector<TimingField>& TimingTable() {
  static const std::vector<TimingField> table = {
      {"allocator_latency_ms", &Timings::allocator_latency},
      {"dispatch_latency_ms", &Timings::dispatch_latency},
      {"worker_accept_ms", &Timings::worker_accept},
      {"task_db_write_ms", &Timings::task_db_write},
      {"worker_update_ms", &Timings::worker_update},
      {"container_create_ms", &Timings::container_create},
      {"container_start_ms", &Timings::container_start},
      {"container_start_run_ms", &Timings::container_start_run},
      {"container_stop_ms", &Timings::container_stop},
      {"container_kill_ms", &Timings::container_kill},
      {"container_exit_ms", &Timings::container_exit},
      {"container_cleanup_ms", &Timings::container_cleanup},
      {"dispatcher_tick_late_ms", &Timings::dispatcher_tick_late},
      {"report_send_ms", &Timings::report_send},
      {"teardown_revoke_ms", &Timings::teardown_revoke},
      {"teardown_gateway_ms", &Timings::teardown_gateway},
      {"teardown_overlay_ms", &Timings::teardown_overlay},
      {"node_down_after_ms", &Timings::node_down_after},
      {"node_unknown_grace_ms", &Timings::node_unknown_grace},
      {"engine_stop_ms", &Timings::engine_stop},
      {"engine_start_ms", &Timings::engine_start},
      {"node_join_ms", &Timings::node_join},
      {"swarm_active_after_ready_ms", &Timings::swarm_active_after_ready},
      {"manager_active_after_ready_ms", &Timings::manager_active_after_ready},
      {"election_ms", &Timings::election},
      {"operator_step_ms", &Timings::operator_step},
      {"scheduler_batch_gap_ms", nullptr, &Timings::scheduler_batch_gap, nullptr, 0},
      {"scheduler_batch_max_ms", nullptr, &Timings::scheduler_batch_max, nullptr, 0},
      {"dispatcher_batch_ms", nullptr, &Timings::dispatcher_batch, nullptr, 1},
      {"assignment_quiet_ms", nullptr, &Timings::assignment_quiet, nullptr, 0},
      {"attachment_wait_ms", nullptr, &Timings::attachment_wait, nullptr, 1},
      {"service_unbind_ms", nullptr, &Timings::service_unbind, nullptr, 0},
      {"task_retry_backoff_ms", nullptr, &Timings::task_retry_backoff, nullptr, 0},
      {"attachment_poll_ms", nullptr, &Timings::attachment_poll, nullptr, 1},
      {"old_task_timeout_ms", nullptr, &Timings::old_task_timeout, nullptr, 0},
      {"unallocated_retry_ms", nullptr, &Timings::unallocated_retry, nullptr, 1},
      {"failure_window_ms", nullptr, &Timings::failure_window, nullptr, 0},
      {"failure_threshold", nullptr, nullptr, &Timings::failure_threshold, 1, 1000},
      {"settle_ms", nullptr, &Timings::settle, nullptr, 0},
      {"converge_timeout_ms", nullptr, &Timings::converge_timeout, nullptr, 1},
      {"task_history", nullptr, nullptr, &Timings::task_history, 1, 100},
  };
  return table;
}

}  // namespace keys

using namespace keys;

const std::vector<FieldList>& ScenarioFieldNames() {
  static const std::vector<FieldList> lists = [] {
    std::vector<FieldList> l = {{"", kTopKeys},          {"networks[]", kNetworkKeys}, {"nodes[]", kNodeKeys},
                                {"services[]", kServiceKeys}, {"services[].restart", kRestartKeys},
                                {"services[].update_config", kUpdateConfigKeys},
                                {"services[].container", kContainerKeys},
                                {"services[].update_to", kUpdateToKeys},
                                {"tasks[]", kTaskKeys},  {"upgrade", kUpgradeKeys}};
    FieldList t{"timings", {}};
    for (const TimingField& f : TimingTable()) t.keys.push_back(f.key);
    l.push_back(t);
    return l;
  }();
  return lists;
}

}  // namespace swarmplan::model
