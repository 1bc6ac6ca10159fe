#include "model/scenario_json.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

#include "model/strict_json.hpp"
#include "model/scenario_json_table.hpp"
#include "model/try.hpp"

namespace swarmplan::model {

using nlohmann::json;

using namespace keys;

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



std::expected<Range, std::string> ReadRange(const json& v, const std::string& where) {
  if (v.is_array()) {
    if (v.size() != 2) return std::unexpected(where + " must be a number or [low, high]");
    auto lo = SWARMPLAN_TRY(Reader::IntValue(v[0], where + "/0", 0, kMaxMs));
    auto hi = SWARMPLAN_TRY(Reader::IntValue(v[1], where + "/1", 0, kMaxMs));
    if (hi < lo) return std::unexpected(where + ": high is below low");
    return Range{sim::Ms(lo), sim::Ms(hi)};
  }
  auto x = SWARMPLAN_TRY(Reader::IntValue(v, where, 0, kMaxMs));
  return Range{sim::Ms(x), sim::Ms(x)};
}


// The keys of each object, in README order: the reader refuses others and
// the writer writes these.


// An enumeration's value from its name (model/types.cpp tables).
template <typename E>
std::expected<E, std::string> ReadEnum(const Reader& r, const char* key) {
  auto text = SWARMPLAN_TRY(r.String(key));
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
      auto r = SWARMPLAN_TRY(ReadRange(it.value(), where));
      t.*(f->range) = r;
    } else {
      auto x = SWARMPLAN_TRY(Reader::IntValue(it.value(), where, f->min, f->max));
      if (f->time) t.*(f->time) = sim::Ms(x);
      else t.*(f->count) = static_cast<int>(x);
    }
  }
  if (t.scheduler_batch_max < t.scheduler_batch_gap) {
    return std::unexpected(ptr + ": scheduler_batch_max_ms is below scheduler_batch_gap_ms");
  }
  return t;
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
  SWARMPLAN_CHECK(r.Keys(kNodeKeys));
  NodeSpec n;
  if (!r.Has("name")) return std::unexpected(ptr + "/name is required");
  auto name = SWARMPLAN_TRY(r.String("name"));
  if (name.empty()) return std::unexpected(ptr + "/name must not be empty");
  n.name = name;
  if (r.Has("role")) {
    auto role = SWARMPLAN_TRY(ReadEnum<Role>(r, "role"));
    n.role = role;
  }
  if (r.Has("availability")) {
    auto av = SWARMPLAN_TRY(ReadEnum<Availability>(r, "availability"));
    n.availability = av;
  }
  if (r.Has("state")) {
    auto st = SWARMPLAN_TRY(ReadEnum<NodeState>(r, "state"));
    n.down = st == NodeState::kDown;
  }
  if (r.Has("live_restore")) n.live_restore = SWARMPLAN_TRY(r.Bool("live_restore"));
  if (r.Has("joined")) {
    auto b = SWARMPLAN_TRY(r.Bool("joined"));
    n.joined = b;
    if (!n.joined && n.down) return std::unexpected(r.Path("joined") + ": a node not in the swarm has no state; leave \"state\" out");
  }
  if (!r.Has("engine")) return std::unexpected(ptr + "/engine is required (e.g. \"17.06\")");
  auto ev = SWARMPLAN_TRY(r.String("engine"));
  auto v = EngineVersion::Parse(ev);
  if (!v) return std::unexpected(r.Path("engine") + ": " + v.error());
  n.engine = *v;
  if (r.Has("labels")) {
    auto l = SWARMPLAN_TRY(r.StringMap("labels"));
    n.labels = std::move(l);
  }
  if (r.Has("cpus")) {
    auto c = SWARMPLAN_TRY(r.Int("cpus", 1, 100000));
    n.nano_cpus = c * 1'000'000'000;
  }
  if (r.Has("memory_mb")) {
    auto m = SWARMPLAN_TRY(r.Int("memory_mb", 1, 1LL << 30));
    n.memory_bytes = m * 1024 * 1024;
  }
  if (r.Has("held")) {
    const json& h = r.At("held");
    const std::string where = r.Path("held");
    if (!h.is_object()) return std::unexpected(where + " must be an object of network name -> array of addresses");
    for (auto it = h.begin(); it != h.end(); ++it) {
      if (!it.value().is_array()) return std::unexpected(where + "/" + it.key() + " must be an array of addresses");
      auto& list = n.held[it.key()];
      for (std::size_t k = 0; k < it.value().size(); ++k) {
        auto ip = SWARMPLAN_TRY(ReadAddress(it.value()[k], where + "/" + it.key() + "/" + std::to_string(k)));
        list.push_back(ip);
      }
    }
  }
  if (r.Has("lb_missing")) {
    auto nets = SWARMPLAN_TRY(r.Strings("lb_missing"));
    n.lb_missing = nets;
  }
  return n;
}

std::expected<UpdateConfig, std::string> ReadUpdateConfig(const Reader& r, bool rollback) {
  SWARMPLAN_CHECK(r.Keys(kUpdateConfigKeys));
  UpdateConfig c;
  if (r.Has("parallelism")) {
    auto n = SWARMPLAN_TRY(r.Int("parallelism", 0, 1'000'000));
    c.parallelism = static_cast<std::uint32_t>(n);
  }
  if (r.Has("delay_ms")) {
    auto d = SWARMPLAN_TRY(r.Int("delay_ms", 0, kMaxMs));
    c.delay = sim::Ms(d);
  }
  if (r.Has("order")) {
    auto o = SWARMPLAN_TRY(ReadEnum<UpdateOrder>(r, "order"));
    c.order = o;
  }
  if (r.Has("failure_action")) {
    auto a = SWARMPLAN_TRY(ReadEnum<FailureAction>(r, "failure_action"));
    // docker: "--rollback-failure-action" takes pause or continue.
    if (rollback && a == FailureAction::kRollback) {
      return std::unexpected(r.Path("failure_action") + ": a rollback cannot itself roll back (pause or continue)");
    }
    c.failure_action = a;
  }
  if (r.Has("monitor_ms")) {
    auto m = SWARMPLAN_TRY(r.Int("monitor_ms", 0, kMaxMs));
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


std::expected<ContainerSpec, std::string> ReadContainer(const json& j, const std::string& ptr) {
  Reader r(j, ptr);
  SWARMPLAN_CHECK(r.Keys(kContainerKeys));
  ContainerSpec c;
  using Text = std::pair<const char*, std::string*>;
  for (auto [key, field] : {Text{"image", &c.image}, Text{"user", &c.user}, Text{"dir", &c.dir},
                            Text{"hostname", &c.hostname}, Text{"stop_signal", &c.stop_signal}}) {
    if (!r.Has(key)) continue;
    auto v = SWARMPLAN_TRY(r.String(key));
    *field = std::move(v);
  }
  using List = std::pair<const char*, std::vector<std::string>*>;
  for (auto [key, field] : {List{"command", &c.command}, List{"args", &c.args}, List{"env", &c.env}}) {
    if (!r.Has(key)) continue;
    auto v = SWARMPLAN_TRY(r.Strings(key));
    *field = std::move(v);
  }
  std::sort(c.env.begin(), c.env.end());
  if (r.Has("labels")) {
    auto l = SWARMPLAN_TRY(r.StringMap("labels"));
    c.labels = std::move(l);
  }
  return c;
}


std::expected<ServiceSpec, std::string> ReadService(const json& j, const std::string& ptr) {
  Reader r(j, ptr);
  SWARMPLAN_CHECK(r.Keys(kServiceKeys));
  ServiceSpec s;
  if (!r.Has("name")) return std::unexpected(ptr + "/name is required");
  auto name = SWARMPLAN_TRY(r.String("name"));
  if (name.empty()) return std::unexpected(ptr + "/name must not be empty");
  s.name = name;
  if (r.Has("mode")) {
    auto mode = SWARMPLAN_TRY(ReadEnum<ServiceMode>(r, "mode"));
    s.mode = mode;
  }
  if (r.Has("replicas")) {
    if (s.mode == ServiceMode::kGlobal) return std::unexpected(r.Path("replicas") + ": a global service has no replica count");
    auto n = SWARMPLAN_TRY(r.Int("replicas", 0, 1'000'000));
    s.replicas = static_cast<std::uint32_t>(n);
  }
  if (r.Has("networks")) {
    auto nets = SWARMPLAN_TRY(r.Strings("networks"));
    s.networks = nets;
  }
  if (r.Has("endpoint_mode")) {
    auto em = SWARMPLAN_TRY(ReadEnum<EndpointMode>(r, "endpoint_mode"));
    s.endpoint_mode = em;
  }
  if (r.Has("constraints")) {
    auto cs = SWARMPLAN_TRY(r.Strings("constraints"));
    for (std::size_t i = 0; i < cs.size(); ++i) {
      auto c = Constraint::Parse(cs[i]);
      if (!c) return std::unexpected(r.Path("constraints") + "/" + std::to_string(i) + ": " + c.error());
      s.constraints.push_back(*c);
    }
  }
  if (r.Has("max_replicas_per_node")) {
    auto m = SWARMPLAN_TRY(r.Int("max_replicas_per_node", 0, 1'000'000));
    s.max_replicas_per_node = static_cast<std::uint32_t>(m);
  }
  if (r.Has("restart")) {
    Reader rr(r.At("restart"), r.Path("restart"));
    SWARMPLAN_CHECK(rr.Keys(kRestartKeys));
    if (rr.Has("condition")) {
      auto c = SWARMPLAN_TRY(ReadEnum<RestartCondition>(rr, "condition"));
      s.restart_condition = c;
    }
    if (rr.Has("delay_ms")) {
      auto d = SWARMPLAN_TRY(rr.Int("delay_ms", 0, kMaxMs));
      s.restart_delay = sim::Ms(d);
    }
    if (rr.Has("max_attempts")) {
      auto m = SWARMPLAN_TRY(rr.Int("max_attempts", 0, 1'000'000));
      s.restart_max_attempts = static_cast<std::uint32_t>(m);
    }
  }
  if (r.Has("stop_grace_period_ms")) {
    auto g = SWARMPLAN_TRY(r.Int("stop_grace_period_ms", 0, kMaxMs));
    s.stop_grace_period = sim::Ms(g);
  }
  if (r.Has("exits_on_sigterm")) {
    auto b = SWARMPLAN_TRY(r.Bool("exits_on_sigterm"));
    s.exits_on_sigterm = b;
  }
  if (r.Has("publish_ingress")) {
    auto b = SWARMPLAN_TRY(r.Bool("publish_ingress"));
    s.publish_ingress = b;
  }
  if (r.Has("reserve_cpus_milli")) {
    auto c = SWARMPLAN_TRY(r.Int("reserve_cpus_milli", 0, 100'000'000));
    s.reserve_nano_cpus = c * 1'000'000;
  }
  if (r.Has("reserve_memory_mb")) {
    auto m = SWARMPLAN_TRY(r.Int("reserve_memory_mb", 0, 1LL << 30));
    s.reserve_memory_bytes = m * 1024 * 1024;
  }
  if (r.Has("deployed")) {
    auto b = SWARMPLAN_TRY(r.Bool("deployed"));
    s.deployed = b;
  }
  if (r.Has("recent_failures")) {
    const json& f = r.At("recent_failures");
    const std::string where = r.Path("recent_failures");
    if (!f.is_object()) return std::unexpected(where + " must be an object of node name -> failures");
    for (auto it = f.begin(); it != f.end(); ++it) {
      auto n = SWARMPLAN_TRY(Reader::IntValue(it.value(), where + "/" + it.key(), 0, 100'000));
      s.recent_failures[it.key()] = static_cast<std::uint32_t>(n);
    }
  }
  if (r.Has("vips")) {
    const json& v = r.At("vips");
    if (!v.is_object()) return std::unexpected(r.Path("vips") + " must be an object of network: address");
    for (auto it = v.begin(); it != v.end(); ++it) {
      auto ip = SWARMPLAN_TRY(ReadAddress(it.value(), r.Path("vips") + "/" + it.key()));
      s.vips[it.key()] = ip;
    }
  }
  if (r.Has("previous_spec")) {
    auto b = SWARMPLAN_TRY(r.Bool("previous_spec"));
    s.previous_spec = b;
  }
  if (r.Has("container")) {
    auto c = SWARMPLAN_TRY(ReadContainer(r.At("container"), r.Path("container")));
    s.container = std::move(c);
  }
  if (r.Has("update_to")) {
    // The service as written, with update_to's fields over it, read as a
    // service: the same checks and defaults, errors under /update_to.
    const std::string at = r.Path("update_to");
    Reader u(r.At("update_to"), at);
    SWARMPLAN_CHECK(u.Keys(kUpdateToKeys));
    json merged = j;
    merged.erase("update_to");
    for (auto it = r.At("update_to").begin(); it != r.At("update_to").end(); ++it) merged[it.key()] = it.value();
    auto to = SWARMPLAN_TRY(ReadService(merged, at));
    if (s.mode == ServiceMode::kGlobal && (u.Has("constraints") || u.Has("max_replicas_per_node"))) {
      return std::unexpected(at + ": a change of a global service's placement is not modelled");
    }
    s.update_to = std::make_shared<const ServiceSpec>(std::move(to));
  }
  if (r.Has("update_config")) {
    auto c = SWARMPLAN_TRY(ReadUpdateConfig(Reader(r.At("update_config"), r.Path("update_config")), false));
    s.update = c;
  }
  if (r.Has("rollback_config")) {
    auto c = SWARMPLAN_TRY(ReadUpdateConfig(Reader(r.At("rollback_config"), r.Path("rollback_config")), true));
    s.rollback = c;
  }
  return s;
}

std::expected<TaskSpec, std::string> ReadTask(const json& j, const std::string& ptr) {
  Reader r(j, ptr);
  SWARMPLAN_CHECK(r.Keys(kTaskKeys));
  TaskSpec t;
  if (!r.Has("service") || !r.Has("state")) return std::unexpected(ptr + " needs a service and a state");
  auto svc = SWARMPLAN_TRY(r.String("service"));
  t.service = svc;
  auto st = SWARMPLAN_TRY(r.String("state"));
  const auto state = ParseTaskState(st);
  if (!state || IsTerminal(*state)) {
    return std::unexpected(r.Path("state") + ": \"" + st + "\" is not a live task state (new, pending, assigned, accepted, preparing, ready, starting, running)");
  }
  t.state = *state;
  if (r.Has("slot")) {
    auto slot = SWARMPLAN_TRY(r.Int("slot", 1, 1'000'000));
    t.slot = static_cast<std::uint32_t>(slot);
  }
  if (r.Has("node")) {
    auto node = SWARMPLAN_TRY(r.String("node"));
    t.node = node;
  }
  if (r.Has("addresses")) {
    const json& a = r.At("addresses");
    if (!a.is_object()) return std::unexpected(r.Path("addresses") + " must be an object of network: address");
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto ip = SWARMPLAN_TRY(ReadAddress(it.value(), r.Path("addresses") + "/" + it.key()));
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
    auto v = SWARMPLAN_TRY(read_one(a[i], r.Path(key) + "/" + std::to_string(i)));
    out.push_back(std::move(v));
  }
  return {};
}

std::expected<NetworkSpec, std::string> ReadNetwork(const json& j, const std::string& ptr) {
  Reader nr(j, ptr);
  SWARMPLAN_CHECK(nr.Keys(kNetworkKeys));
  if (!nr.Has("name") || !nr.Has("subnet")) return std::unexpected(ptr + " needs a name and a subnet");
  auto name = SWARMPLAN_TRY(nr.String("name"));
  auto sub = SWARMPLAN_TRY(nr.String("subnet"));
  auto c = Ipv4Cidr::Parse(sub);
  if (!c) return std::unexpected(ptr + "/subnet: " + c.error());
  if (name.empty()) return std::unexpected(ptr + "/name must not be empty");
  NetworkSpec spec{name, *c, {}};
  if (nr.Has("held")) {
    const json& h = nr.At("held");
    if (!h.is_array()) return std::unexpected(nr.Path("held") + " must be an array of addresses");
    for (std::size_t k = 0; k < h.size(); ++k) {
      auto ip = SWARMPLAN_TRY(ReadAddress(h[k], nr.Path("held") + "/" + std::to_string(k)));
      spec.held.push_back(ip);
    }
  }
  return spec;
}

std::expected<Scenario, std::string> ReadScenario(const json& j) {
  Reader r(j, "");
  SWARMPLAN_CHECK(r.Keys(kTopKeys));
  Scenario s;
  if (r.Has("schema_version")) {
    auto v = SWARMPLAN_TRY(r.Int("schema_version", 0, 1000));
    if (v != 1) return std::unexpected("/schema_version: " + std::to_string(v) + " is not supported (this swarmplan reads 1)");
  }
  if (r.Has("name")) {
    auto name = SWARMPLAN_TRY(r.String("name"));
    s.name = name;
  }
  if (r.Has("ingress")) {
    auto ing = SWARMPLAN_TRY(r.String("ingress"));
    auto c = Ipv4Cidr::Parse(ing);
    if (!c) return std::unexpected("/ingress: " + c.error());
    s.ingress = *c;
  }
  if (!r.Has("nodes")) return std::unexpected("/nodes is required");
  SWARMPLAN_CHECK(ReadArray(r, "nodes", s.nodes, ReadNode));
  SWARMPLAN_CHECK(ReadArray(r, "networks", s.networks, ReadNetwork));
  SWARMPLAN_CHECK(ReadArray(r, "services", s.services, ReadService));
  SWARMPLAN_CHECK(ReadArray(r, "tasks", s.tasks, ReadTask));
  if (r.Has("leader")) {
    auto l = SWARMPLAN_TRY(r.String("leader"));
    if (l.empty()) return std::unexpected("/leader must name a manager (or be left out)");
    s.leader = l;
  }
  if (r.Has("upgrade")) {
    Reader ur(r.At("upgrade"), "/upgrade");
    SWARMPLAN_CHECK(ur.Keys(kUpgradeKeys));
    if (ur.Has("to")) {
      auto to = SWARMPLAN_TRY(ur.String("to"));
      auto v = EngineVersion::Parse(to);
      if (!v) return std::unexpected("/upgrade/to: " + v.error());
      s.upgrade.to = *v;
    }
    if (ur.Has("order")) {
      auto o = SWARMPLAN_TRY(ur.Strings("order"));
      s.upgrade.order = o;
    }
    if (ur.Has("activate_managers")) {
      auto a = SWARMPLAN_TRY(ur.String("activate_managers"));
      if (a == "after-all") s.upgrade.activate_managers_last = true;
      else if (a == "each") s.upgrade.activate_managers_last = false;
      else return std::unexpected("/upgrade/activate_managers: \"" + a + "\" is not after-all or each");
    }
  }
  if (r.Has("timings")) {
    auto t = SWARMPLAN_TRY(ReadTimings(r.At("timings"), "/timings"));
    s.timings = t;
  }
  SWARMPLAN_CHECK(s.Validate());
  return s;
}

}  // namespace


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
  auto text = SWARMPLAN_TRY(ReadInputFile(path, kMaxJsonBytes, "scenario file"));
  return ScenarioFromJson(text, path);
}


}  // namespace swarmplan::model
