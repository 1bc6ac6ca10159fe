#include "model/scenario_json.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

#include "model/strict_json.hpp"

namespace swarmplan::model {

using nlohmann::json;

namespace {

// Strict reading of one JSON object: every key must be known, every value of
// the right type; errors carry the JSON pointer of the field.
class Reader {
 public:
  Reader(const json& j, std::string ptr) : j_(j), ptr_(std::move(ptr)) {}

  std::string Path(const std::string& key) const { return ptr_ + "/" + key; }

  // Fails if `j_` is not an object or has a key outside `known`.
  std::expected<void, std::string> Keys(const std::vector<std::string_view>& known) const {
    if (!j_.is_object()) return std::unexpected(Where() + " must be an object");
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      bool ok = false;
      for (std::string_view k : known) ok = ok || it.key() == k;
      if (!ok) {
        std::string list;
        for (std::string_view k : known) list += std::string(list.empty() ? "" : ", ") + std::string(k);
        return std::unexpected(Path(it.key()) + ": unknown field (known: " + list + ")");
      }
    }
    return {};
  }
  bool Has(const char* key) const { return j_.contains(key); }
  const json& At(const char* key) const { return j_.at(key); }

  std::expected<std::string, std::string> String(const char* key) const {
    const json& v = j_.at(key);
    if (!v.is_string()) return std::unexpected(Path(key) + " must be a string");
    return v.get<std::string>();
  }
  // A whole number in [lo, hi]; rejects 3.7, -1 and strings.
  std::expected<std::int64_t, std::string> Int(const char* key, std::int64_t lo, std::int64_t hi) const {
    return IntValue(j_.at(key), Path(key), lo, hi);
  }
  static std::expected<std::int64_t, std::string> IntValue(const json& v, const std::string& where,
                                                           std::int64_t lo, std::int64_t hi) {
    std::int64_t x = 0;
    if (v.is_number_unsigned()) {
      if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
        return std::unexpected(where + " must be at most " + std::to_string(hi));
      }
      x = static_cast<std::int64_t>(v.get<std::uint64_t>());
    } else if (v.is_number_integer()) {
      x = v.get<std::int64_t>();
    } else if (v.is_number_float()) {
      return std::unexpected(where + " must be a whole number, not " + v.dump());
    } else {
      return std::unexpected(where + " must be a number");
    }
    if (x < lo || x > hi) {
      return std::unexpected(where + " must be between " + std::to_string(lo) + " and " +
                             std::to_string(hi) + ", not " + std::to_string(x));
    }
    return x;
  }
  std::expected<bool, std::string> Bool(const char* key) const {
    const json& v = j_.at(key);
    if (!v.is_boolean()) return std::unexpected(Path(key) + " must be true or false");
    return v.get<bool>();
  }
  std::expected<std::vector<std::string>, std::string> Strings(const char* key) const {
    const json& v = j_.at(key);
    if (!v.is_array()) return std::unexpected(Path(key) + " must be an array of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) return std::unexpected(Path(key) + "/" + std::to_string(i) + " must be a string");
      out.push_back(v[i].get<std::string>());
    }
    return out;
  }
  std::expected<std::map<std::string, std::string>, std::string> StringMap(const char* key) const {
    const json& v = j_.at(key);
    if (!v.is_object()) return std::unexpected(Path(key) + " must be an object of strings");
    std::map<std::string, std::string> out;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!it.value().is_string()) return std::unexpected(Path(key) + "/" + it.key() + " must be a string");
      out[it.key()] = it.value().get<std::string>();
    }
    return out;
  }
  std::string Where() const { return ptr_.empty() ? "the document" : ptr_; }

 private:
  const json& j_;
  std::string ptr_;
};

#define SP_TRY(var, expr)                                   \
  auto var##_r = (expr);                                    \
  if (!var##_r) return std::unexpected(var##_r.error());    \
  auto var = std::move(*var##_r)

#define SP_CHECK(expr)                                      \
  do {                                                      \
    auto _r = (expr);                                       \
    if (!_r) return std::unexpected(_r.error());            \
  } while (0)

constexpr std::int64_t kMaxMs = 7LL * 24 * 3600 * 1000;  // a week

std::expected<Range, std::string> ReadRange(const json& v, const std::string& where) {
  if (v.is_array()) {
    if (v.size() != 2) return std::unexpected(where + " must be a number or [low, high]");
    SP_TRY(lo, Reader::IntValue(v[0], where + "/0", 0, kMaxMs));
    SP_TRY(hi, Reader::IntValue(v[1], where + "/1", 0, kMaxMs));
    if (hi < lo) return std::unexpected(where + ": high is below low");
    return Range{sim::Ms(lo), sim::Ms(hi)};
  }
  SP_TRY(x, Reader::IntValue(v, where, 0, kMaxMs));
  return Range{sim::Ms(x), sim::Ms(x)};
}


// The keys of each object, in README order: the reader refuses others and
// the writer writes these.
const std::vector<std::string_view> kTopKeys = {"schema_version", "name", "ingress", "networks", "nodes",
                                                "services", "tasks", "leader", "upgrade", "timings"};
const std::vector<std::string_view> kNetworkKeys = {"name", "subnet", "held"};
const std::vector<std::string_view> kNodeKeys = {"name", "role", "engine", "availability", "state",
                                                 "labels", "cpus", "memory_mb", "joined"};
const std::vector<std::string_view> kServiceKeys = {
    "name", "mode", "replicas", "networks", "endpoint_mode", "constraints", "max_replicas_per_node", "restart",
    "stop_grace_period_ms", "exits_on_sigterm", "publish_ingress", "reserve_cpus_milli", "reserve_memory_mb", "deployed",
    "update_config", "rollback_config", "previous_spec", "recent_failures", "container", "update_to"};
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

// The timings, one row each: the reader and the writer walk this table.
struct TimingField {
  std::string_view key;
  Range Timings::*range = nullptr;      // a number or [low, high]
  sim::Time Timings::*time = nullptr;   // a number of milliseconds
  int Timings::*count = nullptr;        // a plain count
  std::int64_t min = 0, max = kMaxMs;
};
const std::vector<TimingField>& TimingTable() {
  static const std::vector<TimingField> table = {
      {"allocator_latency_ms", &Timings::allocator_latency},
      {"dispatch_latency_ms", &Timings::dispatch_latency},
      {"worker_accept_ms", &Timings::worker_accept},
      {"worker_update_ms", &Timings::worker_update},
      {"container_create_ms", &Timings::container_create},
      {"container_start_ms", &Timings::container_start},
      {"container_stop_ms", &Timings::container_stop},
      {"container_kill_ms", &Timings::container_kill},
      {"dispatcher_tick_late_ms", &Timings::dispatcher_tick_late},
      {"report_send_ms", &Timings::report_send},
      {"teardown_revoke_ms", &Timings::teardown_revoke},
      {"teardown_gateway_ms", &Timings::teardown_gateway},
      {"teardown_overlay_ms", &Timings::teardown_overlay},
      {"node_down_after_ms", &Timings::node_down_after},
      {"engine_stop_ms", &Timings::engine_stop},
      {"engine_start_ms", &Timings::engine_start},
      {"node_join_ms", &Timings::node_join},
      {"swarm_active_after_ready_ms", &Timings::swarm_active_after_ready},
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

// An enumeration's value from its name (model/types.cpp tables).
template <typename E>
std::expected<E, std::string> ReadEnum(const Reader& r, const char* key) {
  SP_TRY(text, r.String(key));
  const auto v = ParseName<E>(text);
  if (!v) return std::unexpected(r.Path(key) + ": \"" + text + "\" is not " + NameChoices<E>());
  return *v;
}

std::expected<Timings, std::string> ReadTimings(const json& j, const std::string& ptr) {
  Timings t;
  if (!j.is_object()) return std::unexpected(ptr + " must be an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string where = ptr + "/" + it.key();
    const auto& table = TimingTable();
    const auto f = std::find_if(table.begin(), table.end(), [&](const TimingField& x) { return x.key == it.key(); });
    if (f == table.end()) return std::unexpected(where + ": unknown timing");
    if (f->range) {
      SP_TRY(r, ReadRange(it.value(), where));
      t.*(f->range) = r;
    } else {
      SP_TRY(x, Reader::IntValue(it.value(), where, f->min, f->max));
      if (f->time) t.*(f->time) = sim::Ms(x);
      else t.*(f->count) = static_cast<int>(x);
    }
  }
  if (t.scheduler_batch_max < t.scheduler_batch_gap) {
    return std::unexpected(ptr + ": scheduler_batch_max_ms is below scheduler_batch_gap_ms");
  }
  return t;
}

json RangeJson(const Range& r) {
  if (r.lo == r.hi) return r.lo / sim::kMillisecond;
  return json::array({r.lo / sim::kMillisecond, r.hi / sim::kMillisecond});
}

json TimingsToJson(const Timings& t) {
  json j = json::object();
  for (const TimingField& f : TimingTable()) {
    const std::string key(f.key);
    if (f.range) j[key] = RangeJson(t.*(f.range));
    else if (f.time) j[key] = t.*(f.time) / sim::kMillisecond;
    else j[key] = t.*(f.count);
  }
  return j;
}

// An IPv4 address of a string field.
std::expected<std::uint32_t, std::string> ReadAddress(const json& v, const std::string& where) {
  if (!v.is_string()) return std::unexpected(where + " must be a string");
  auto ip = ParseIpv4(v.get<std::string>());
  if (!ip) return std::unexpected(where + ": " + ip.error());
  return *ip;
}

std::expected<NodeSpec, std::string> ReadNode(const json& j, const std::string& ptr) {
  Reader r(j, ptr);
  SP_CHECK(r.Keys(kNodeKeys));
  NodeSpec n;
  if (!r.Has("name")) return std::unexpected(ptr + "/name is required");
  SP_TRY(name, r.String("name"));
  if (name.empty()) return std::unexpected(ptr + "/name must not be empty");
  n.name = name;
  if (r.Has("role")) {
    SP_TRY(role, ReadEnum<Role>(r, "role"));
    n.role = role;
  }
  if (r.Has("availability")) {
    SP_TRY(av, ReadEnum<Availability>(r, "availability"));
    n.availability = av;
  }
  if (r.Has("state")) {
    SP_TRY(st, ReadEnum<NodeState>(r, "state"));
    n.down = st == NodeState::kDown;
  }
  if (r.Has("joined")) {
    SP_TRY(b, r.Bool("joined"));
    n.joined = b;
    if (!n.joined && n.down) return std::unexpected(r.Path("joined") + ": a node not in the swarm has no state; leave \"state\" out");
  }
  if (!r.Has("engine")) return std::unexpected(ptr + "/engine is required (e.g. \"17.06\")");
  SP_TRY(ev, r.String("engine"));
  auto v = EngineVersion::Parse(ev);
  if (!v) return std::unexpected(r.Path("engine") + ": " + v.error());
  n.engine = *v;
  if (r.Has("labels")) {
    SP_TRY(l, r.StringMap("labels"));
    n.labels = std::move(l);
  }
  if (r.Has("cpus")) {
    SP_TRY(c, r.Int("cpus", 1, 100000));
    n.nano_cpus = c * 1'000'000'000;
  }
  if (r.Has("memory_mb")) {
    SP_TRY(m, r.Int("memory_mb", 1, 1LL << 30));
    n.memory_bytes = m * 1024 * 1024;
  }
  return n;
}

std::expected<UpdateConfig, std::string> ReadUpdateConfig(const Reader& r, bool rollback) {
  SP_CHECK(r.Keys(kUpdateConfigKeys));
  UpdateConfig c;
  if (r.Has("parallelism")) {
    SP_TRY(n, r.Int("parallelism", 0, 1'000'000));
    c.parallelism = static_cast<std::uint32_t>(n);
  }
  if (r.Has("delay_ms")) {
    SP_TRY(d, r.Int("delay_ms", 0, kMaxMs));
    c.delay = sim::Ms(d);
  }
  if (r.Has("order")) {
    SP_TRY(o, ReadEnum<UpdateOrder>(r, "order"));
    c.order = o;
  }
  if (r.Has("failure_action")) {
    SP_TRY(a, ReadEnum<FailureAction>(r, "failure_action"));
    // docker: "--rollback-failure-action" takes pause or continue.
    if (rollback && a == FailureAction::kRollback) {
      return std::unexpected(r.Path("failure_action") + ": a rollback cannot itself roll back (pause or continue)");
    }
    c.failure_action = a;
  }
  if (r.Has("monitor_ms")) {
    SP_TRY(m, r.Int("monitor_ms", 0, kMaxMs));
    c.monitor = sim::Ms(m);
  }
  if (r.Has("max_failure_ratio")) {
    const json& v = r.At("max_failure_ratio");
    if (!v.is_number()) return std::unexpected(r.Path("max_failure_ratio") + " must be a number between 0 and 1");
    const double x = v.get<double>();
    if (!(x >= 0 && x <= 1)) {
      return std::unexpected(r.Path("max_failure_ratio") + " must be between 0 and 1, not " + v.dump());
    }
    c.max_failure_ratio = x;
  }
  return c;
}

json UpdateConfigToJson(const UpdateConfig& c) {
  return {{"parallelism", c.parallelism},
          {"delay_ms", c.delay / sim::kMillisecond},
          {"order", ToString(c.order)},
          {"failure_action", ToString(c.failure_action)},
          {"monitor_ms", c.monitor / sim::kMillisecond},
          {"max_failure_ratio", c.max_failure_ratio}};
}

std::expected<ContainerSpec, std::string> ReadContainer(const json& j, const std::string& ptr) {
  Reader r(j, ptr);
  SP_CHECK(r.Keys(kContainerKeys));
  ContainerSpec c;
  using Text = std::pair<const char*, std::string*>;
  for (auto [key, field] : {Text{"image", &c.image}, Text{"user", &c.user}, Text{"dir", &c.dir},
                            Text{"hostname", &c.hostname}, Text{"stop_signal", &c.stop_signal}}) {
    if (!r.Has(key)) continue;
    SP_TRY(v, r.String(key));
    *field = std::move(v);
  }
  using List = std::pair<const char*, std::vector<std::string>*>;
  for (auto [key, field] : {List{"command", &c.command}, List{"args", &c.args}, List{"env", &c.env}}) {
    if (!r.Has(key)) continue;
    SP_TRY(v, r.Strings(key));
    *field = std::move(v);
  }
  std::sort(c.env.begin(), c.env.end());
  if (r.Has("labels")) {
    SP_TRY(l, r.StringMap("labels"));
    c.labels = std::move(l);
  }
  return c;
}

json ContainerToJson(const ContainerSpec& c) {
  json o = json::object();
  using Text = std::pair<const char*, const std::string*>;
  for (auto [key, field] : {Text{"image", &c.image}, Text{"user", &c.user}, Text{"dir", &c.dir},
                            Text{"hostname", &c.hostname}, Text{"stop_signal", &c.stop_signal}}) {
    if (!field->empty()) o[key] = *field;
  }
  using List = std::pair<const char*, const std::vector<std::string>*>;
  for (auto [key, field] : {List{"command", &c.command}, List{"args", &c.args}, List{"env", &c.env}}) {
    if (!field->empty()) o[key] = *field;
  }
  if (!c.labels.empty()) o["labels"] = c.labels;
  return o;
}

std::expected<ServiceSpec, std::string> ReadService(const json& j, const std::string& ptr) {
  Reader r(j, ptr);
  SP_CHECK(r.Keys(kServiceKeys));
  ServiceSpec s;
  if (!r.Has("name")) return std::unexpected(ptr + "/name is required");
  SP_TRY(name, r.String("name"));
  if (name.empty()) return std::unexpected(ptr + "/name must not be empty");
  s.name = name;
  if (r.Has("mode")) {
    SP_TRY(mode, ReadEnum<ServiceMode>(r, "mode"));
    s.mode = mode;
  }
  if (r.Has("replicas")) {
    if (s.mode == ServiceMode::kGlobal) return std::unexpected(r.Path("replicas") + ": a global service has no replica count");
    SP_TRY(n, r.Int("replicas", 0, 1'000'000));
    s.replicas = static_cast<std::uint32_t>(n);
  }
  if (r.Has("networks")) {
    SP_TRY(nets, r.Strings("networks"));
    s.networks = nets;
  }
  if (r.Has("endpoint_mode")) {
    SP_TRY(em, ReadEnum<EndpointMode>(r, "endpoint_mode"));
    s.endpoint_mode = em;
  }
  if (r.Has("constraints")) {
    SP_TRY(cs, r.Strings("constraints"));
    for (std::size_t i = 0; i < cs.size(); ++i) {
      auto c = Constraint::Parse(cs[i]);
      if (!c) return std::unexpected(r.Path("constraints") + "/" + std::to_string(i) + ": " + c.error());
      s.constraints.push_back(*c);
    }
  }
  if (r.Has("max_replicas_per_node")) {
    SP_TRY(m, r.Int("max_replicas_per_node", 0, 1'000'000));
    s.max_replicas_per_node = static_cast<std::uint32_t>(m);
  }
  if (r.Has("restart")) {
    Reader rr(r.At("restart"), r.Path("restart"));
    SP_CHECK(rr.Keys(kRestartKeys));
    if (rr.Has("condition")) {
      SP_TRY(c, ReadEnum<RestartCondition>(rr, "condition"));
      s.restart_condition = c;
    }
    if (rr.Has("delay_ms")) {
      SP_TRY(d, rr.Int("delay_ms", 0, kMaxMs));
      s.restart_delay = sim::Ms(d);
    }
    if (rr.Has("max_attempts")) {
      SP_TRY(m, rr.Int("max_attempts", 0, 1'000'000));
      s.restart_max_attempts = static_cast<std::uint32_t>(m);
    }
  }
  if (r.Has("stop_grace_period_ms")) {
    SP_TRY(g, r.Int("stop_grace_period_ms", 0, kMaxMs));
    s.stop_grace_period = sim::Ms(g);
  }
  if (r.Has("exits_on_sigterm")) {
    SP_TRY(b, r.Bool("exits_on_sigterm"));
    s.exits_on_sigterm = b;
  }
  if (r.Has("publish_ingress")) {
    SP_TRY(b, r.Bool("publish_ingress"));
    s.publish_ingress = b;
  }
  if (r.Has("reserve_cpus_milli")) {
    SP_TRY(c, r.Int("reserve_cpus_milli", 0, 100'000'000));
    s.reserve_nano_cpus = c * 1'000'000;
  }
  if (r.Has("reserve_memory_mb")) {
    SP_TRY(m, r.Int("reserve_memory_mb", 0, 1LL << 30));
    s.reserve_memory_bytes = m * 1024 * 1024;
  }
  if (r.Has("deployed")) {
    SP_TRY(b, r.Bool("deployed"));
    s.deployed = b;
  }
  if (r.Has("recent_failures")) {
    const json& f = r.At("recent_failures");
    const std::string where = r.Path("recent_failures");
    if (!f.is_object()) return std::unexpected(where + " must be an object of node name -> failures");
    for (auto it = f.begin(); it != f.end(); ++it) {
      SP_TRY(n, Reader::IntValue(it.value(), where + "/" + it.key(), 0, 100'000));
      s.recent_failures[it.key()] = static_cast<std::uint32_t>(n);
    }
  }
  if (r.Has("previous_spec")) {
    SP_TRY(b, r.Bool("previous_spec"));
    s.previous_spec = b;
  }
  if (r.Has("container")) {
    SP_TRY(c, ReadContainer(r.At("container"), r.Path("container")));
    s.container = std::move(c);
  }
  if (r.Has("update_to")) {
    // The service as written, with update_to's fields over it, read as a
    // service: the same checks and defaults, errors under /update_to.
    const std::string at = r.Path("update_to");
    Reader u(r.At("update_to"), at);
    SP_CHECK(u.Keys(kUpdateToKeys));
    json merged = j;
    merged.erase("update_to");
    for (auto it = r.At("update_to").begin(); it != r.At("update_to").end(); ++it) merged[it.key()] = it.value();
    SP_TRY(to, ReadService(merged, at));
    if (s.mode == ServiceMode::kGlobal && (u.Has("constraints") || u.Has("max_replicas_per_node"))) {
      return std::unexpected(at + ": a change of a global service's placement is not modelled");
    }
    s.update_to = std::make_shared<const ServiceSpec>(std::move(to));
  }
  if (r.Has("update_config")) {
    SP_TRY(c, ReadUpdateConfig(Reader(r.At("update_config"), r.Path("update_config")), false));
    s.update = c;
  }
  if (r.Has("rollback_config")) {
    SP_TRY(c, ReadUpdateConfig(Reader(r.At("rollback_config"), r.Path("rollback_config")), true));
    s.rollback = c;
  }
  return s;
}

std::expected<TaskSpec, std::string> ReadTask(const json& j, const std::string& ptr) {
  Reader r(j, ptr);
  SP_CHECK(r.Keys(kTaskKeys));
  TaskSpec t;
  if (!r.Has("service") || !r.Has("state")) return std::unexpected(ptr + " needs a service and a state");
  SP_TRY(svc, r.String("service"));
  t.service = svc;
  SP_TRY(st, r.String("state"));
  const auto state = ParseTaskState(st);
  if (!state || IsTerminal(*state)) {
    return std::unexpected(r.Path("state") + ": \"" + st + "\" is not a live task state (new, pending, assigned, accepted, preparing, ready, starting, running)");
  }
  t.state = *state;
  if (r.Has("slot")) {
    SP_TRY(slot, r.Int("slot", 1, 1'000'000));
    t.slot = static_cast<std::uint32_t>(slot);
  }
  if (r.Has("node")) {
    SP_TRY(node, r.String("node"));
    t.node = node;
  }
  if (r.Has("addresses")) {
    const json& a = r.At("addresses");
    if (!a.is_object()) return std::unexpected(r.Path("addresses") + " must be an object of network: address");
    for (auto it = a.begin(); it != a.end(); ++it) {
      SP_TRY(ip, ReadAddress(it.value(), r.Path("addresses") + "/" + it.key()));
      t.addresses[it.key()] = ip;
    }
  }
  return t;
}

// Reads the array at `key` (if present) element by element.
template <typename T, typename F>
std::expected<void, std::string> ReadArray(const Reader& r, const char* key, std::vector<T>& out, F read_one) {
  if (!r.Has(key)) return {};
  const json& a = r.At(key);
  if (!a.is_array()) return std::unexpected(r.Path(key) + " must be an array");
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto v = read_one(a[i], r.Path(key) + "/" + std::to_string(i));
    if (!v) return std::unexpected(v.error());
    out.push_back(std::move(*v));
  }
  return {};
}

std::expected<NetworkSpec, std::string> ReadNetwork(const json& j, const std::string& ptr) {
  Reader nr(j, ptr);
  SP_CHECK(nr.Keys(kNetworkKeys));
  if (!nr.Has("name") || !nr.Has("subnet")) return std::unexpected(ptr + " needs a name and a subnet");
  SP_TRY(name, nr.String("name"));
  SP_TRY(sub, nr.String("subnet"));
  auto c = Ipv4Cidr::Parse(sub);
  if (!c) return std::unexpected(ptr + "/subnet: " + c.error());
  if (name.empty()) return std::unexpected(ptr + "/name must not be empty");
  NetworkSpec spec{name, *c, {}};
  if (nr.Has("held")) {
    const json& h = nr.At("held");
    if (!h.is_array()) return std::unexpected(nr.Path("held") + " must be an array of addresses");
    for (std::size_t k = 0; k < h.size(); ++k) {
      SP_TRY(ip, ReadAddress(h[k], nr.Path("held") + "/" + std::to_string(k)));
      spec.held.push_back(ip);
    }
  }
  return spec;
}

std::expected<Scenario, std::string> ReadScenario(const json& j) {
  Reader r(j, "");
  SP_CHECK(r.Keys(kTopKeys));
  Scenario s;
  if (r.Has("schema_version")) {
    SP_TRY(v, r.Int("schema_version", 0, 1000));
    if (v != 1) return std::unexpected("/schema_version: " + std::to_string(v) + " is not supported (this swarmplan reads 1)");
  }
  if (r.Has("name")) {
    SP_TRY(name, r.String("name"));
    s.name = name;
  }
  if (r.Has("ingress")) {
    SP_TRY(ing, r.String("ingress"));
    auto c = Ipv4Cidr::Parse(ing);
    if (!c) return std::unexpected("/ingress: " + c.error());
    s.ingress = *c;
  }
  if (!r.Has("nodes")) return std::unexpected("/nodes is required");
  SP_CHECK(ReadArray(r, "nodes", s.nodes, ReadNode));
  SP_CHECK(ReadArray(r, "networks", s.networks, ReadNetwork));
  SP_CHECK(ReadArray(r, "services", s.services, ReadService));
  SP_CHECK(ReadArray(r, "tasks", s.tasks, ReadTask));
  if (r.Has("leader")) {
    SP_TRY(l, r.String("leader"));
    if (l.empty()) return std::unexpected("/leader must name a manager (or be left out)");
    s.leader = l;
  }
  if (r.Has("upgrade")) {
    Reader ur(r.At("upgrade"), "/upgrade");
    SP_CHECK(ur.Keys(kUpgradeKeys));
    if (ur.Has("to")) {
      SP_TRY(to, ur.String("to"));
      auto v = EngineVersion::Parse(to);
      if (!v) return std::unexpected("/upgrade/to: " + v.error());
      s.upgrade.to = *v;
    }
    if (ur.Has("order")) {
      SP_TRY(o, ur.Strings("order"));
      s.upgrade.order = o;
    }
    if (ur.Has("activate_managers")) {
      SP_TRY(a, ur.String("activate_managers"));
      if (a == "after-all") s.upgrade.activate_managers_last = true;
      else if (a == "each") s.upgrade.activate_managers_last = false;
      else return std::unexpected("/upgrade/activate_managers: \"" + a + "\" is not after-all or each");
    }
  }
  if (r.Has("timings")) {
    SP_TRY(t, ReadTimings(r.At("timings"), "/timings"));
    s.timings = t;
  }
  SP_CHECK(s.Validate());
  return s;
}

}  // namespace

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

std::expected<Scenario, std::string> ScenarioFromJson(std::string_view text, const std::string& origin) {
  auto j = ParseStrictJson(text);
  if (!j) return std::unexpected(origin + ": " + j.error());
  try {
    auto s = ReadScenario(*j);
    if (!s) return std::unexpected(origin + ": " + s.error());
    return s;
  } catch (const json::exception& e) {
    return std::unexpected(origin + ": " + e.what());
  }
}

std::expected<Scenario, std::string> ScenarioFromFile(const std::string& path) {
  auto text = ReadInputFile(path, kMaxJsonBytes, "scenario file");
  if (!text) return std::unexpected(text.error());
  return ScenarioFromJson(*text, path);
}

json ScenarioToJson(const Scenario& s) {
  json j;
  j["schema_version"] = 1;
  j["name"] = s.name;
  if (s.ingress) j["ingress"] = s.ingress->ToString();
  j["networks"] = json::array();
  for (const auto& n : s.networks) {
    json o{{"name", n.name}, {"subnet", n.subnet.ToString()}};
    if (!n.held.empty()) {
      o["held"] = json::array();
      for (std::uint32_t a : n.held) o["held"].push_back(FormatIpv4(a));
    }
    j["networks"].push_back(o);
  }
  j["nodes"] = json::array();
  for (const auto& n : s.nodes) {
    json o{{"name", n.name}, {"role", ToString(n.role)}, {"availability", ToString(n.availability)},
           {"engine", n.engine.ToString()}};
    if (n.down) o["state"] = ToString(NodeState::kDown);
    if (!n.joined) o["joined"] = false;
    if (!n.labels.empty()) o["labels"] = n.labels;
    if (n.nano_cpus) o["cpus"] = n.nano_cpus / 1'000'000'000;
    if (n.memory_bytes) o["memory_mb"] = n.memory_bytes / (1024 * 1024);
    j["nodes"].push_back(o);
  }
  j["services"] = json::array();
  for (const auto& v : s.services) {
    json o{{"name", v.name}, {"mode", ToString(v.mode)}, {"networks", v.networks},
           {"endpoint_mode", ToString(v.endpoint_mode)}};
    if (v.mode == ServiceMode::kReplicated) o["replicas"] = v.replicas;
    json cs = json::array();
    for (const auto& c : v.constraints) cs.push_back(c.text);
    o["constraints"] = cs;
    o["max_replicas_per_node"] = v.max_replicas_per_node;
    o["restart"] = {{"condition", ToString(v.restart_condition)},
                    {"delay_ms", v.restart_delay / sim::kMillisecond},
                    {"max_attempts", v.restart_max_attempts}};
    o["stop_grace_period_ms"] = v.stop_grace_period / sim::kMillisecond;
    o["exits_on_sigterm"] = v.exits_on_sigterm;
    o["publish_ingress"] = v.publish_ingress;
    if (v.reserve_nano_cpus) o["reserve_cpus_milli"] = v.reserve_nano_cpus / 1'000'000;
    if (v.reserve_memory_bytes) o["reserve_memory_mb"] = v.reserve_memory_bytes / (1024 * 1024);
    if (!v.deployed) o["deployed"] = false;
    if (v.previous_spec) o["previous_spec"] = true;
    if (!v.recent_failures.empty()) o["recent_failures"] = v.recent_failures;
    if (v.container) o["container"] = ContainerToJson(*v.container);
    if (v.update_to) {
      const ServiceSpec& u = *v.update_to;
      json to_constraints = json::array();
      for (const auto& c : u.constraints) to_constraints.push_back(c.text);
      json to{{"restart", {{"condition", ToString(u.restart_condition)},
                           {"delay_ms", u.restart_delay / sim::kMillisecond},
                           {"max_attempts", u.restart_max_attempts}}},
              {"stop_grace_period_ms", u.stop_grace_period / sim::kMillisecond},
              {"exits_on_sigterm", u.exits_on_sigterm},
              {"reserve_cpus_milli", u.reserve_nano_cpus / 1'000'000},
              {"reserve_memory_mb", u.reserve_memory_bytes / (1024 * 1024)},
              {"constraints", to_constraints},
              {"max_replicas_per_node", u.max_replicas_per_node}};
      if (u.container) to["container"] = ContainerToJson(*u.container);
      o["update_to"] = to;
    }
    if (v.update != UpdateConfig{}) o["update_config"] = UpdateConfigToJson(v.update);
    if (v.rollback != UpdateConfig{}) o["rollback_config"] = UpdateConfigToJson(v.rollback);
    j["services"].push_back(o);
  }
  if (!s.tasks.empty()) {
    j["tasks"] = json::array();
    for (const auto& t : s.tasks) {
      json o{{"service", t.service}, {"state", ApiName(t.state)}};
      if (t.slot != 0) o["slot"] = t.slot;
      if (!t.node.empty()) o["node"] = t.node;
      if (!t.addresses.empty()) {
        o["addresses"] = json::object();
        for (const auto& [net, a] : t.addresses) o["addresses"][net] = FormatIpv4(a);
      }
      j["tasks"].push_back(o);
    }
  }
  if (!s.leader.empty()) j["leader"] = s.leader;
  json up = json::object();
  if (s.upgrade.to) up["to"] = s.upgrade.to->ToString();
  if (!s.upgrade.order.empty()) up["order"] = s.upgrade.order;
  up["activate_managers"] = s.upgrade.activate_managers_last ? "after-all" : "each";
  j["upgrade"] = up;
  j["timings"] = TimingsToJson(s.timings);
  return j;
}

}  // namespace swarmplan::model
