#include "model/scenario.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

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
  std::expected<void, std::string> Keys(std::initializer_list<const char*> known) const {
    if (!j_.is_object()) return std::unexpected(Where() + " must be an object");
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      bool ok = false;
      for (const char* k : known) ok = ok || it.key() == k;
      if (!ok) {
        std::string list;
        for (const char* k : known) list += std::string(list.empty() ? "" : ", ") + k;
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

std::expected<Timings, std::string> ReadTimings(const json& j, const std::string& ptr) {
  Timings t;
  if (!j.is_object()) return std::unexpected(ptr + " must be an object");
  struct RangeField { const char* key; Range* field; };
  struct TimeField { const char* key; sim::Time* field; std::int64_t min_ms; };
  const RangeField ranges[] = {
      {"allocator_latency_ms", &t.allocator_latency}, {"dispatch_latency_ms", &t.dispatch_latency},
      {"worker_accept_ms", &t.worker_accept},
      {"container_create_ms", &t.container_create},   {"container_start_ms", &t.container_start},
      {"container_stop_ms", &t.container_stop},       {"node_down_after_ms", &t.node_down_after},
      {"engine_stop_ms", &t.engine_stop},             {"engine_start_ms", &t.engine_start},
      {"swarm_active_after_ready_ms", &t.swarm_active_after_ready},
      {"election_ms", &t.election},                   {"operator_step_ms", &t.operator_step},
  };
  const TimeField times[] = {
      {"scheduler_batch_gap_ms", &t.scheduler_batch_gap, 0}, {"scheduler_batch_max_ms", &t.scheduler_batch_max, 0},
      {"dispatcher_batch_ms", &t.dispatcher_batch, 1},
      {"attachment_wait_ms", &t.attachment_wait, 1},         {"attachment_poll_ms", &t.attachment_poll, 1},
      {"old_task_timeout_ms", &t.old_task_timeout, 0},       {"unallocated_retry_ms", &t.unallocated_retry, 1},
      {"failure_window_ms", &t.failure_window, 0},           {"settle_ms", &t.settle, 0},
      {"converge_timeout_ms", &t.converge_timeout, 1},
  };
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string where = ptr + "/" + it.key();
    bool known = false;
    for (const auto& f : ranges) {
      if (it.key() == f.key) {
        SP_TRY(r, ReadRange(it.value(), where));
        *f.field = r;
        known = true;
      }
    }
    for (const auto& f : times) {
      if (it.key() == f.key) {
        SP_TRY(x, Reader::IntValue(it.value(), where, f.min_ms, kMaxMs));
        *f.field = sim::Ms(x);
        known = true;
      }
    }
    if (it.key() == "failure_threshold") {
      SP_TRY(x, Reader::IntValue(it.value(), where, 1, 1000));
      t.failure_threshold = static_cast<int>(x);
      known = true;
    } else if (it.key() == "task_history") {
      SP_TRY(x, Reader::IntValue(it.value(), where, 1, 100));
      t.task_history = static_cast<int>(x);
      known = true;
    }
    if (!known) return std::unexpected(where + ": unknown timing");
  }
  if (t.scheduler_batch_max < t.scheduler_batch_gap) {
    return std::unexpected(ptr + ": scheduler_batch_max_ms is below scheduler_batch_gap_ms");
  }
  return t;
}

std::expected<NodeSpec, std::string> ReadNode(const json& j, const std::string& ptr) {
  Reader r(j, ptr);
  SP_CHECK(r.Keys({"name", "role", "availability", "state", "engine", "labels", "cpus", "memory_mb"}));
  NodeSpec n;
  if (!r.Has("name")) return std::unexpected(ptr + "/name is required");
  SP_TRY(name, r.String("name"));
  if (name.empty()) return std::unexpected(ptr + "/name must not be empty");
  n.name = name;
  if (r.Has("role")) {
    SP_TRY(role, r.String("role"));
    if (role == "manager") n.role = Role::kManager;
    else if (role == "worker") n.role = Role::kWorker;
    else return std::unexpected(r.Path("role") + ": \"" + role + "\" is not manager or worker");
  }
  if (r.Has("availability")) {
    SP_TRY(av, r.String("availability"));
    if (av == "active") n.availability = Availability::kActive;
    else if (av == "pause") n.availability = Availability::kPause;
    else if (av == "drain") n.availability = Availability::kDrain;
    else return std::unexpected(r.Path("availability") + ": \"" + av + "\" is not active, pause or drain");
  }
  if (r.Has("state")) {
    SP_TRY(st, r.String("state"));
    if (st == "ready") n.down = false;
    else if (st == "down") n.down = true;
    else return std::unexpected(r.Path("state") + ": \"" + st + "\" is not ready or down");
  }
  if (!r.Has("engine")) return std::unexpected(ptr + "/engine is required (e.g. \"17.06\")");
  SP_TRY(ev, r.String("engine"));
  auto v = EngineVersion::Parse(ev);
  if (!v) return std::unexpected(r.Path("engine") + ": " + v.error());
  n.engine = *v;
  if (r.Has("labels")) {
    const json& l = r.At("labels");
    if (!l.is_object()) return std::unexpected(r.Path("labels") + " must be an object of strings");
    for (auto it = l.begin(); it != l.end(); ++it) {
      if (!it.value().is_string()) return std::unexpected(r.Path("labels") + "/" + it.key() + " must be a string");
      n.labels[it.key()] = it.value().get<std::string>();
    }
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

std::expected<ServiceSpec, std::string> ReadService(const json& j, const std::string& ptr) {
  Reader r(j, ptr);
  SP_CHECK(r.Keys({"name", "mode", "replicas", "networks", "endpoint_mode", "constraints",
                   "max_replicas_per_node", "restart", "stop_grace_period_ms", "exits_on_sigterm",
                   "publish_ingress", "reserve_cpus_milli", "reserve_memory_mb"}));
  ServiceSpec s;
  if (!r.Has("name")) return std::unexpected(ptr + "/name is required");
  SP_TRY(name, r.String("name"));
  if (name.empty()) return std::unexpected(ptr + "/name must not be empty");
  s.name = name;
  if (r.Has("mode")) {
    SP_TRY(mode, r.String("mode"));
    if (mode == "replicated") s.mode = ServiceMode::kReplicated;
    else if (mode == "global") s.mode = ServiceMode::kGlobal;
    else return std::unexpected(r.Path("mode") + ": \"" + mode + "\" is not replicated or global");
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
    SP_TRY(em, r.String("endpoint_mode"));
    if (em == "vip") s.endpoint_mode = EndpointMode::kVip;
    else if (em == "dnsrr") s.endpoint_mode = EndpointMode::kDnsrr;
    else return std::unexpected(r.Path("endpoint_mode") + ": \"" + em + "\" is not vip or dnsrr");
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
    SP_CHECK(rr.Keys({"condition", "delay_ms", "max_attempts"}));
    if (rr.Has("condition")) {
      SP_TRY(c, rr.String("condition"));
      if (c == "any") s.restart_condition = RestartCondition::kAny;
      else if (c == "on-failure") s.restart_condition = RestartCondition::kOnFailure;
      else if (c == "none") s.restart_condition = RestartCondition::kNone;
      else return std::unexpected(rr.Path("condition") + ": \"" + c + "\" is not any, on-failure or none");
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
  return s;
}

std::expected<TaskSpec, std::string> ReadTask(const json& j, const std::string& ptr) {
  Reader r(j, ptr);
  SP_CHECK(r.Keys({"service", "slot", "node", "state", "addresses"}));
  TaskSpec t;
  if (!r.Has("service") || !r.Has("state")) return std::unexpected(ptr + " needs a service and a state");
  SP_TRY(svc, r.String("service"));
  t.service = svc;
  SP_TRY(st, r.String("state"));
  const auto state = ParseTaskState(st);
  if (!state || IsTerminal(*state)) {
    return std::unexpected(r.Path("state") + ": \"" + st + "\" is not a live task state (new, pending, assigned, accepted, preparing, ready, starting, running)");
  }
  t.state = st;
  for (char& ch : t.state) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
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
      if (!it.value().is_string()) return std::unexpected(r.Path("addresses") + "/" + it.key() + " must be a string");
      t.addresses[it.key()] = it.value().get<std::string>();
    }
  }
  return t;
}

std::expected<Scenario, std::string> ReadScenario(const json& j) {
  Reader r(j, "");
  SP_CHECK(r.Keys({"schema_version", "name", "ingress", "networks", "nodes", "services", "tasks", "leader",
                   "upgrade", "timings"}));
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
  const json& nodes = r.At("nodes");
  if (!nodes.is_array()) return std::unexpected("/nodes must be an array");
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    SP_TRY(n, ReadNode(nodes[i], "/nodes/" + std::to_string(i)));
    s.nodes.push_back(std::move(n));
  }
  if (r.Has("networks")) {
    const json& nets = r.At("networks");
    if (!nets.is_array()) return std::unexpected("/networks must be an array");
    for (std::size_t i = 0; i < nets.size(); ++i) {
      const std::string ptr = "/networks/" + std::to_string(i);
      Reader nr(nets[i], ptr);
      SP_CHECK(nr.Keys({"name", "subnet", "held"}));
      if (!nr.Has("name") || !nr.Has("subnet")) return std::unexpected(ptr + " needs a name and a subnet");
      SP_TRY(name, nr.String("name"));
      SP_TRY(sub, nr.String("subnet"));
      auto c = Ipv4Cidr::Parse(sub);
      if (!c) return std::unexpected(ptr + "/subnet: " + c.error());
      if (name.empty()) return std::unexpected(ptr + "/name must not be empty");
      NetworkSpec spec{name, *c, {}};
      if (nr.Has("held")) {
        SP_TRY(held, nr.Strings("held"));
        spec.held = held;
      }
      s.networks.push_back(std::move(spec));
    }
  }
  if (r.Has("services")) {
    const json& svcs = r.At("services");
    if (!svcs.is_array()) return std::unexpected("/services must be an array");
    for (std::size_t i = 0; i < svcs.size(); ++i) {
      SP_TRY(sv, ReadService(svcs[i], "/services/" + std::to_string(i)));
      s.services.push_back(std::move(sv));
    }
  }
  if (r.Has("tasks")) {
    const json& ts = r.At("tasks");
    if (!ts.is_array()) return std::unexpected("/tasks must be an array");
    for (std::size_t i = 0; i < ts.size(); ++i) {
      SP_TRY(t, ReadTask(ts[i], "/tasks/" + std::to_string(i)));
      s.tasks.push_back(std::move(t));
    }
  }
  if (r.Has("leader")) {
    SP_TRY(l, r.String("leader"));
    s.leader = l;
  }
  if (r.Has("upgrade")) {
    Reader ur(r.At("upgrade"), "/upgrade");
    SP_CHECK(ur.Keys({"to", "order", "activate_managers"}));
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

std::expected<Constraint, std::string> Constraint::Parse(const std::string& text) {
  Constraint c;
  c.text = text;
  std::size_t op = text.find("==");
  c.equal = true;
  if (op == std::string::npos) {
    op = text.find("!=");
    c.equal = false;
  }
  if (op == std::string::npos) return std::unexpected("constraint \"" + text + "\" has no == or !=");
  auto trim = [](std::string s) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
  };
  c.key = trim(text.substr(0, op));
  c.value = trim(text.substr(op + 2));
  const bool known = c.key == "node.role" || c.key == "node.hostname" || c.key == "node.id" ||
                     c.key == "node.platform.os" || c.key.rfind("node.labels.", 0) == 0;
  if (!known || c.key == "node.labels.") {
    return std::unexpected("constraint \"" + text +
                           "\": unknown attribute (node.role, node.hostname, node.id, node.platform.os, node.labels.<key>)");
  }
  if (c.key == "node.role" && c.value != "manager" && c.value != "worker") {
    return std::unexpected("constraint \"" + text + "\": node.role is manager or worker");
  }
  return c;
}

bool ConstraintsMatch(const std::vector<Constraint>& cs, const std::string& node_name, Role role,
                      const std::map<std::string, std::string>& labels) {
  for (const Constraint& c : cs) {
    std::string actual;
    if (c.key == "node.role") {
      actual = std::string(ToString(role));
    } else if (c.key == "node.hostname" || c.key == "node.id") {
      actual = node_name;
    } else if (c.key == "node.platform.os") {
      actual = "linux";
    } else {
      auto it = labels.find(c.key.substr(std::string_view("node.labels.").size()));
      if (it == labels.end()) {
        if (c.equal) return false;
        continue;
      }
      actual = it->second;
    }
    if ((actual == c.value) != c.equal) return false;
  }
  return true;
}

Ipv4Cidr Scenario::EffectiveIngress() const {
  if (ingress) return *ingress;
  for (const auto& n : nodes) {
    if (n.role == Role::kManager) {
      if (n.engine < EngineVersion{18, 9}) return *Ipv4Cidr::Parse("10.255.0.0/16");
      break;
    }
  }
  return *Ipv4Cidr::Parse("10.0.0.0/24");
}

std::optional<std::size_t> Scenario::FindNode(const std::string& node_name) const {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].name == node_name) return i;
  }
  return std::nullopt;
}

std::expected<void, std::string> Scenario::Validate() const {
  if (nodes.empty()) return std::unexpected("/nodes: a swarm needs at least one node");
  if (nodes.size() > 100'000) return std::unexpected("/nodes: more than 100000 nodes");
  std::set<std::string> names;
  int managers = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!names.insert(nodes[i].name).second) {
      return std::unexpected("/nodes/" + std::to_string(i) + "/name: \"" + nodes[i].name + "\" appears twice");
    }
    managers += nodes[i].role == Role::kManager;
  }
  if (managers == 0) return std::unexpected("/nodes: a swarm needs at least one manager");
  if (!leader.empty()) {
    auto l = FindNode(leader);
    if (!l) return std::unexpected("/leader: no node is named \"" + leader + "\"");
    if (nodes[*l].role != Role::kManager) return std::unexpected("/leader: \"" + leader + "\" is not a manager");
  }
  const Ipv4Cidr ing = EffectiveIngress();
  std::set<std::string> nets;
  for (std::size_t i = 0; i < networks.size(); ++i) {
    const std::string ptr = "/networks/" + std::to_string(i);
    if (networks[i].name == "ingress") return std::unexpected(ptr + "/name: \"ingress\" is the swarm's own network");
    if (!nets.insert(networks[i].name).second) return std::unexpected(ptr + "/name: \"" + networks[i].name + "\" appears twice");
    if (networks[i].subnet.Overlaps(ing)) {
      return std::unexpected(ptr + "/subnet: " + networks[i].subnet.ToString() +
                             ": Pool overlaps with other one on this address space (ingress holds " +
                             ing.ToString() + ")");
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (networks[i].subnet.Overlaps(networks[k].subnet)) {
        return std::unexpected(ptr + "/subnet: " + networks[i].subnet.ToString() +
                               ": Pool overlaps with other one on this address space (network \"" +
                               networks[k].name + "\" holds " + networks[k].subnet.ToString() + ")");
      }
    }
  }
  std::set<std::string> svcs;
  std::uint64_t task_count = 0;
  for (std::size_t i = 0; i < services.size(); ++i) {
    const std::string ptr = "/services/" + std::to_string(i);
    if (!svcs.insert(services[i].name).second) return std::unexpected(ptr + "/name: \"" + services[i].name + "\" appears twice");
    std::set<std::string> seen;
    for (std::size_t k = 0; k < services[i].networks.size(); ++k) {
      const std::string& n = services[i].networks[k];
      if (!nets.contains(n)) {
        return std::unexpected(ptr + "/networks/" + std::to_string(k) + ": no overlay network is named \"" + n + "\"");
      }
      if (!seen.insert(n).second) return std::unexpected(ptr + "/networks/" + std::to_string(k) + ": \"" + n + "\" is listed twice");
    }
    task_count += services[i].mode == ServiceMode::kGlobal ? nodes.size() : services[i].replicas;
  }
  if (task_count > 5'000'000) return std::unexpected("/services: more than 5000000 tasks in all");
  // Down nodes: the swarm must still have a leader and quorum at the start.
  int managers_down = 0;
  for (const auto& n : nodes) managers_down += n.role == Role::kManager && n.down;
  if (managers_down * 2 >= managers) {
    return std::unexpected("/nodes: " + std::to_string(managers_down) + " of " + std::to_string(managers) +
                           " managers are down: the swarm has no quorum, so nothing can be planned on it");
  }
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].down && nodes[i].role == Role::kManager && (leader.empty() ? i == 0 : nodes[i].name == leader)) {
      return std::unexpected("/nodes/" + std::to_string(i) + "/state: the leader (" + nodes[i].name +
                             ") cannot be down; name an up manager in /leader");
    }
  }
  // An address of a network's subnet that is not the network, gateway or
  // broadcast address.
  auto check_address = [](const std::string& where, const std::string& text, const Ipv4Cidr& net) -> std::expected<std::uint32_t, std::string> {
    auto ip = ParseIpv4(text);
    if (!ip) return std::unexpected(where + ": " + ip.error());
    if (*ip < net.base || *ip > net.last()) return std::unexpected(where + ": " + text + " is outside " + net.ToString());
    const std::uint32_t off = *ip - net.base;
    if (off <= 1 || off == net.size() - 1) {
      return std::unexpected(where + ": " + text + " is one of the reserved network, gateway and broadcast addresses of " + net.ToString());
    }
    return off;
  };
  for (std::size_t i = 0; i < networks.size(); ++i) {
    std::set<std::uint32_t> seen;
    for (std::size_t k = 0; k < networks[i].held.size(); ++k) {
      const std::string where = "/networks/" + std::to_string(i) + "/held/" + std::to_string(k);
      auto off = check_address(where, networks[i].held[k], networks[i].subnet);
      if (!off) return std::unexpected(off.error());
      if (!seen.insert(*off).second) return std::unexpected(where + ": " + networks[i].held[k] + " is listed twice");
    }
  }
  std::set<std::pair<std::string, std::uint32_t>> slots;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const TaskSpec& t = tasks[i];
    const std::string ptr = "/tasks/" + std::to_string(i);
    const ServiceSpec* svc = nullptr;
    for (const auto& v : services) svc = v.name == t.service ? &v : svc;
    if (svc == nullptr) return std::unexpected(ptr + "/service: no service is named \"" + t.service + "\"");
    if (svc->mode == ServiceMode::kReplicated && t.slot == 0) return std::unexpected(ptr + "/slot: a replicated service's task needs its slot (from 1)");
    if (svc->mode == ServiceMode::kGlobal && t.slot != 0) return std::unexpected(ptr + "/slot: a global service's tasks have no slot");
    if (!t.node.empty() && !FindNode(t.node)) return std::unexpected(ptr + "/node: no node is named \"" + t.node + "\"");
    const auto state = ParseTaskState(t.state);
    if (!state || IsTerminal(*state)) return std::unexpected(ptr + "/state: \"" + t.state + "\" is not a live task state");
    if (*state >= TaskState::kAssigned && t.node.empty()) return std::unexpected(ptr + "/node: a task " + t.state + " must name its node");
    if (svc->mode == ServiceMode::kReplicated && *state >= TaskState::kAssigned && !slots.insert({t.service, t.slot}).second) {
      return std::unexpected(ptr + ": slot " + std::to_string(t.slot) + " of \"" + t.service + "\" already has a live task on a node");
    }
    for (const auto& [net, addr] : t.addresses) {
      const std::string where = ptr + "/addresses/" + net;
      if (net == "ingress") {
        if (!svc->publish_ingress) return std::unexpected(where + ": \"" + t.service + "\" publishes no ingress port");
        auto off = check_address(where, addr, ing);
        if (!off) return std::unexpected(off.error());
        continue;
      }
      if (std::find(svc->networks.begin(), svc->networks.end(), net) == svc->networks.end()) {
        return std::unexpected(where + ": \"" + t.service + "\" is not on a network named \"" + net + "\"");
      }
      for (const auto& n : networks) {
        if (n.name != net) continue;
        auto off = check_address(where, addr, n.subnet);
        if (!off) return std::unexpected(off.error());
      }
    }
  }
  return {};
}

std::expected<Scenario, std::string> ScenarioFromJson(const std::string& text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    if (auto p = what.find("parse error"); p != std::string::npos) what = what.substr(p);
    return std::unexpected(origin + ": malformed JSON: " + what);
  }
  try {
    auto s = ReadScenario(j);
    if (!s) return std::unexpected(origin + ": " + s.error());
    return s;
  } catch (const json::exception& e) {
    return std::unexpected(origin + ": " + e.what());
  }
}

std::expected<Scenario, std::string> ScenarioFromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(path + ": cannot open the scenario file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::unexpected(path + ": cannot read the scenario file");
  return ScenarioFromJson(ss.str(), path);
}

namespace {
json RangeJson(const Range& r) {
  if (r.lo == r.hi) return r.lo / sim::kMillisecond;
  return json::array({r.lo / sim::kMillisecond, r.hi / sim::kMillisecond});
}
}  // namespace

json ScenarioToJson(const Scenario& s) {
  json j;
  j["schema_version"] = 1;
  j["name"] = s.name;
  if (s.ingress) j["ingress"] = s.ingress->ToString();
  j["networks"] = json::array();
  for (const auto& n : s.networks) {
    json o{{"name", n.name}, {"subnet", n.subnet.ToString()}};
    if (!n.held.empty()) o["held"] = n.held;
    j["networks"].push_back(o);
  }
  j["nodes"] = json::array();
  for (const auto& n : s.nodes) {
    json o{{"name", n.name}, {"role", ToString(n.role)}, {"availability", ToString(n.availability)},
           {"engine", n.engine.ToString()}};
    if (n.down) o["state"] = "down";
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
    j["services"].push_back(o);
  }
  if (!s.tasks.empty()) {
    j["tasks"] = json::array();
    for (const auto& t : s.tasks) {
      json o{{"service", t.service}, {"state", t.state}};
      if (t.slot != 0) o["slot"] = t.slot;
      if (!t.node.empty()) o["node"] = t.node;
      if (!t.addresses.empty()) o["addresses"] = t.addresses;
      j["tasks"].push_back(o);
    }
  }
  if (!s.leader.empty()) j["leader"] = s.leader;
  json up = json::object();
  if (s.upgrade.to) up["to"] = s.upgrade.to->ToString();
  if (!s.upgrade.order.empty()) up["order"] = s.upgrade.order;
  up["activate_managers"] = s.upgrade.activate_managers_last ? "after-all" : "each";
  j["upgrade"] = up;
  const Timings& t = s.timings;
  j["timings"] = {
      {"allocator_latency_ms", RangeJson(t.allocator_latency)},
      {"dispatch_latency_ms", RangeJson(t.dispatch_latency)},
      {"worker_accept_ms", RangeJson(t.worker_accept)},
      {"container_create_ms", RangeJson(t.container_create)},
      {"container_start_ms", RangeJson(t.container_start)},
      {"container_stop_ms", RangeJson(t.container_stop)},
      {"node_down_after_ms", RangeJson(t.node_down_after)},
      {"engine_stop_ms", RangeJson(t.engine_stop)},
      {"engine_start_ms", RangeJson(t.engine_start)},
      {"swarm_active_after_ready_ms", RangeJson(t.swarm_active_after_ready)},
      {"election_ms", RangeJson(t.election)},
      {"operator_step_ms", RangeJson(t.operator_step)},
      {"scheduler_batch_gap_ms", t.scheduler_batch_gap / sim::kMillisecond},
      {"scheduler_batch_max_ms", t.scheduler_batch_max / sim::kMillisecond},
      {"dispatcher_batch_ms", t.dispatcher_batch / sim::kMillisecond},
      {"attachment_wait_ms", t.attachment_wait / sim::kMillisecond},
      {"attachment_poll_ms", t.attachment_poll / sim::kMillisecond},
      {"old_task_timeout_ms", t.old_task_timeout / sim::kMillisecond},
      {"unallocated_retry_ms", t.unallocated_retry / sim::kMillisecond},
      {"failure_window_ms", t.failure_window / sim::kMillisecond},
      {"failure_threshold", t.failure_threshold},
      {"settle_ms", t.settle / sim::kMillisecond},
      {"converge_timeout_ms", t.converge_timeout / sim::kMillisecond},
      {"task_history", t.task_history},
  };
  return j;
}

Scenario DefaultScenario() {
  Scenario s;
  s.name = "seed: 3 managers + 2 workers, 24 replicas on a /27, 17.06 -> 18.09";
  const EngineVersion from{17, 6};
  for (int i = 0; i < 5; ++i) {
    NodeSpec n;
    n.name = i < 3 ? "manager" + std::to_string(i + 1) : "worker" + std::to_string(i - 2);
    n.role = i < 3 ? Role::kManager : Role::kWorker;
    n.engine = from;
    s.nodes.push_back(n);
  }
  s.networks.push_back({"ex_net", *Ipv4Cidr::Parse("10.0.0.0/27"), {}});
  ServiceSpec svc;
  svc.name = "ex_service";
  svc.replicas = 24;
  svc.networks = {"ex_net"};
  s.services.push_back(svc);
  s.upgrade.to = EngineVersion{18, 9};
  return s;
}

}  // namespace swarmplan::model
