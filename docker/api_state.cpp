#include "docker/api_state.hpp"

#include <iostream>

#include <cstdio>

#include "model/try.hpp"

namespace swarmplan::docker {

using nlohmann::json;

std::expected<ApiState, std::string> FetchState(const ApiGetter& get) {
  ApiState st;
  for (auto [path, out] : {std::pair{"/info", &st.info}, {"/nodes", &st.nodes}, {"/networks", &st.networks},
                           {"/services", &st.services}, {"/tasks", &st.tasks}}) {
    auto r = SWARMPLAN_TRY(get(path));
    *out = std::move(r);
  }
  // The list has no Peers; each overlay's inspect does.
  if (st.networks.is_array()) {
    for (json& n : st.networks) {
      if (!n.is_object() || n.value("Driver", std::string()) != "overlay") continue;
      std::string path = "/networks/";
      path += UrlEncode(answers::SafeStr(n, "Id"));
      auto one = SWARMPLAN_TRY(get(path));
      if (one.is_object() && one.contains("Peers")) n["Peers"] = (one)["Peers"];
    }
  }
  return st;
}

std::expected<ApiState, std::string> FetchState(DockerApi& api, std::chrono::seconds deadline) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto end = start + deadline;
  auto last_said = start;
  int answers = 0;
  SWARMPLAN_CHECK(api.RequireManager());
  return FetchState([&](const std::string& path) -> std::expected<nlohmann::json, std::string> {
    const auto now = Clock::now();
    if (now >= end) {
      std::string why = "the manager at ";
      why += api.endpoint().host;
      why += " answers too slowly: ";
      why += std::to_string(answers);
      why += " answers took over ";
      why += std::to_string(deadline.count());
      why += " s in all (stopped before GET ";
      why += path;
      why += "); try again, or ask a less loaded manager";
      return std::unexpected(why);
    }
    if (now - start > std::chrono::seconds(5) && now - last_said > std::chrono::seconds(5)) {
      std::cerr << "swarmplan: reading the swarm from " << api.endpoint().host << ": " << answers << " answers in "
                << std::chrono::duration_cast<std::chrono::seconds>(now - start).count() << " s, now GET " << path
                << " (at most " << deadline.count() << " s in all)\n";
      last_said = now;
    }
    api.set_timeout(std::min<std::chrono::milliseconds>(
        std::chrono::seconds(30), std::chrono::duration_cast<std::chrono::milliseconds>(end - now)));
    auto r = api.GetOr(path);
    ++answers;
    return r;
  });
}

std::expected<ApiState, std::string> FetchLive(const std::string& host) {
  auto ep = SWARMPLAN_TRY(DockerEndpoint::Resolve(host));
  auto api = SWARMPLAN_TRY(DockerApi::Connect(ep));
  return FetchState(api);
}

namespace answers {

std::expected<Facts, std::string> Gather(const ApiState& st, std::vector<model::NodeSpec>* nodes_out,
                                         std::string* leader_out, std::vector<std::string>* notes) {
  Facts f;
  auto ov = SWARMPLAN_TRY(Overlays(st.networks));
  f.overlays = std::move(ov);
  for (const Overlay& o : f.overlays) {
    f.net_name[o.id] = o.name;
    f.net_name[o.name] = o.name;
  }
  if (!st.nodes.is_array()) return std::unexpected("the node list is not an array");
  std::map<std::string, int> hostnames;
  for (const json& n : st.nodes) {
    Reading reading("node " + SafeStr(n, "ID"));
    ++hostnames[Str(Obj(n, "Description"), "Hostname")];
  }
  for (const json& n : st.nodes) {
    Reading reading("node " + SafeStr(n, "ID"));
    const std::string id = Str(n, "ID");
    const json& desc = Obj(n, "Description");
    const json& spec = Obj(n, "Spec");
    model::NodeSpec ns;
    ns.name = Str(desc, "Hostname");
    if (ns.name.empty()) ns.name = id;
    if (hostnames[ns.name] > 1) {
      if (notes) notes->push_back("nodes share the hostname \"" + ns.name + "\"; node " + id + " is named \"" + ns.name + "." + id.substr(0, 12) + "\"");
      ns.name += '.';
      ns.name.append(id, 0, std::min<std::size_t>(12, id.size()));
    }
    const std::string role = Str(spec, "Role");
    ns.role = role == "manager" ? model::Role::kManager : model::Role::kWorker;
    const std::string av = Str(spec, "Availability");
    ns.availability = av == "drain" ? model::Availability::kDrain
                      : av == "pause" ? model::Availability::kPause
                                      : model::Availability::kActive;
    const std::string ev = Str(Obj(desc, "Engine"), "EngineVersion");
    auto v = model::EngineVersion::Parse(ev);
    if (!v) return std::unexpected("node " + ns.name + ": " + v.error());
    ns.engine = *v;
    const json& labels = Obj(spec, "Labels");
    for (auto it = labels.begin(); it != labels.end(); ++it) ns.labels[it.key()] = StrAt(it.value(), "Labels");
    const json& res = Obj(desc, "Resources");
    ns.nano_cpus = NonNegative(res, "NanoCPUs", 0) / 1'000'000'000 * 1'000'000'000;
    ns.memory_bytes = NonNegative(res, "MemoryBytes", 0) / (1024 * 1024) * (1024 * 1024);
    const std::string state = Str(Obj(n, "Status"), "State");
    ns.down = state != "ready";
    if (ns.down && notes) notes->push_back("node " + ns.name + " is " + state + ": the plan leaves it out");
    const json& ms = Obj(n, "ManagerStatus");
    if (ms.contains("Leader") && !ms["Leader"].is_boolean()) WrongType(ms["Leader"], "Leader", "a boolean");
    if (ms.value("Leader", false)) {
      *leader_out = ns.name;
      f.leader_engine = ev;
    }
    f.node_name[id] = ns.name;
    if (nodes_out) nodes_out->push_back(std::move(ns));
  }
  if (!st.services.is_array()) return std::unexpected("the service list is not an array");
  for (const json& s : st.services) {
    Reading reading("service " + SafeStr(s, "ID"));
    f.service_name[Str(s, "ID")] = Str(Obj(s, "Spec"), "Name");
  }
  return f;
}

}  // namespace answers
namespace answers {

std::optional<double> ApiSeconds(const std::string& ts) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, used = 0;
  double sec = 0;
  if (std::sscanf(ts.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6) return std::nullopt;
  if (static_cast<std::size_t>(used) + 1 != ts.size() || ts.back() != 'Z') return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec < 0 || sec >= 61) return std::nullopt;
  // Days from the civil date (H. Hinnant's days_from_civil).
  y -= mo <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const double days = era * 146097.0 + doe - 719468;
  return days * 86400 + h * 3600 + mi * 60 + sec;
}

}  // namespace answers

}  // namespace swarmplan::docker
