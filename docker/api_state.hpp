// The answers of a swarm manager's Engine API that swarmplan reads, and how
// they are fetched. ImportScenario (docker/import.hpp) and CountUsage
// (docker/usage.hpp) are pure functions of them, so both are tested on
// answers recorded from a real swarm.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "docker/api_client.hpp"
#include "model/scenario.hpp"
#include "model/strict_json.hpp"

namespace swarmplan::docker {

// The answers of one manager: GET /info, /nodes, /networks (with each
// overlay's inspect), /services, /tasks, at API kApiVersion.
struct ApiState {
  nlohmann::json info, nodes, networks, services, tasks;
};

// Reads the answers with `get` (a GET of one path, with whatever retries
// the caller wants), each overlay's inspect included.
using ApiGetter = std::function<std::expected<nlohmann::json, std::string>(const std::string& path)>;
std::expected<ApiState, std::string> FetchState(const ApiGetter& get);
// The same from a manager, after checking it is one, within `deadline` in
// all (each call's own time-out shrinks to what is left); after a few
// seconds, progress lines on stderr say what has been read.
inline constexpr std::chrono::seconds kFetchDeadline{120};
std::expected<ApiState, std::string> FetchState(DockerApi& api, std::chrono::seconds deadline = kFetchDeadline);
// Resolve(host), Connect and FetchState: the live swarm at `host`.
std::expected<ApiState, std::string> FetchLive(const std::string& host);

// Reading the answers, shared by the importer and the usage count. The
// readers of one member throw nlohmann::json::type_error when the member
// has another type; ImportScenario and CountUsage turn that into an error
// naming the answer.
namespace answers {

using nlohmann::json;

// Which object of an answer is being read ("service 3f2a..."), so that an
// error names it. Set by a Reading for the time one object is read; left
// as it was when an exception leaves the object, for the catch to report.
inline std::string& CurrentObject() {
  thread_local std::string what;
  return what;
}
class Reading {
 public:
  explicit Reading(std::string what) : saved_(std::move(CurrentObject())) { CurrentObject() = std::move(what); }
  ~Reading() {
    if (std::uncaught_exceptions() == 0) CurrentObject() = std::move(saved_);
  }
  Reading(const Reading&) = delete;
  Reading& operator=(const Reading&) = delete;

 private:
  std::string saved_;
};

inline const char* TypeName(const json& v) {
  return v.is_string() ? "a string" : v.is_boolean() ? "a boolean" : v.is_number_float() ? "a fraction"
       : v.is_number_unsigned() || v.is_number_integer() ? "a number" : v.is_array() ? "a list"
       : v.is_object() ? "an object" : "null";
}
// Throws json::type_error naming the object being read, the member and
// what it should have been (so every catch of json::exception sees it).
[[noreturn]] inline void WrongType(const json& v, const char* key, const char* want) {
  throw json::type_error::create(
      302, (CurrentObject().empty() ? std::string() : CurrentObject() + ": ") + "member \"" + key + "\" is " +
               TypeName(v) + ", not " + want,
      nullptr);
}
// An error of an answer for a person: "[json.exception.type_error.302] "
// dropped, the object being read named if the message does not yet.
inline std::string AnswerError(const json::exception& e) {
  std::string m = model::JsonErrorText(e);
  if (!CurrentObject().empty() && m.rfind(CurrentObject(), 0) != 0) m = CurrentObject() + ": " + m;
  return m;
}
// The one error a reader of the answers returns for `e`, the object being
// read forgotten for the next reader.
inline std::string UnexpectedAnswer(const json::exception& e) {
  std::string m = "unexpected answer from the Engine API: " + AnswerError(e);
  CurrentObject().clear();
  return m;
}

// Reads a possibly missing member; a member of another type is an error
// (thrown as json::type_error naming the object and the member).
inline std::string Str(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return {};
  if (!j[key].is_string()) WrongType(j[key], key, "a string");
  return j[key].get<std::string>();
}
// An element of a list that must be a string.
inline std::string StrAt(const json& v, const char* list) {
  if (!v.is_string()) WrongType(v, list, "a list of strings");
  return v.get<std::string>();
}
// Never throws: "" when the member is missing or not a string.
inline std::string SafeStr(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return {};
  return j[key].get<std::string>();
}
inline const json& Obj(const json& j, const char* key) {
  static const json kEmpty = json::object();
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return kEmpty;
  return j[key];
}
inline std::int64_t Num(const json& j, const char* key, std::int64_t dflt) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return dflt;
  const json& v = j[key];
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
    WrongType(v, key, "a number below 2^63");
  }
  if (!v.is_number_integer()) WrongType(v, key, "a whole number");
  return v.get<std::int64_t>();
}
// A count or duration that must not be negative (durations in ns, CPUs,
// bytes), at most `hi`.
inline std::int64_t NonNegative(const json& j, const char* key, std::int64_t dflt, std::int64_t hi = INT64_MAX) {
  const std::int64_t v = Num(j, key, dflt);
  if (v < 0 || v > hi) {
    throw json::type_error::create(
        302, (CurrentObject().empty() ? std::string() : CurrentObject() + ": ") + "member \"" + key + "\" is " +
                 std::to_string(v) + ", outside 0 to " + std::to_string(hi),
        nullptr);
  }
  return v;
}
inline std::string StripPrefix(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

// Seconds since 1970 of an Engine API timestamp (RFC 3339 in UTC with up to
// nanoseconds, "2026-11-28T12:02:27.539123Z"); nullopt if it is not one.
std::optional<double> ApiSeconds(const std::string& timestamp);

inline bool LiveState(const std::string& api_state) {
  const auto s = model::ParseTaskState(api_state);
  return s && !model::IsTerminal(*s);
}

// Overlay networks of the swarm: id -> (name, subnet, ingress).
struct Overlay {
  std::string id, name, subnet;
  bool ingress = false;
  std::uint64_t peers = 0;
};

inline std::expected<std::vector<Overlay>, std::string> Overlays(const json& networks) {
  std::vector<Overlay> out;
  if (!networks.is_array()) return std::unexpected("the network list is not an array");
  for (const json& n : networks) {
    Reading reading("network " + SafeStr(n, "Id"));
    if (Str(n, "Driver") != "overlay" || Str(n, "Scope") != "swarm") continue;
    Overlay o;
    o.id = Str(n, "Id");
    o.name = Str(n, "Name");
    o.ingress = n.contains("Ingress") && n["Ingress"].is_boolean() ? n["Ingress"].get<bool>() : o.name == "ingress";
    const json& cfg = Obj(Obj(n, "IPAM"), "Config");
    std::vector<std::string> v4;
    if (cfg.is_array()) {
      for (const json& c : cfg) {
        const std::string sub = Str(c, "Subnet");
        if (!sub.empty() && sub.find(':') == std::string::npos) v4.push_back(sub);
      }
    }
    if (v4.empty()) return std::unexpected("overlay network \"" + o.name + "\" has no IPv4 subnet in its IPAM config");
    if (v4.size() > 1) {
      return std::unexpected("overlay network \"" + o.name + "\" has " + std::to_string(v4.size()) +
                             " IPv4 subnets; swarmplan models one subnet per network");
    }
    o.subnet = v4[0];
    if (n.contains("Peers") && n["Peers"].is_array()) o.peers = n["Peers"].size();
    out.push_back(o);
  }
  return out;
}

struct Facts {
  std::vector<Overlay> overlays;
  std::map<std::string, std::string> net_name;   // id or name -> name
  std::map<std::string, std::string> node_name;  // id -> scenario name
  std::map<std::string, std::string> service_name;
  std::set<std::string> skipped_services;        // ids of services not modelled
  std::string leader_engine;
};

// The facts every reader needs: overlays, names by id, the leader's engine;
// the nodes as the scenario names them (if `nodes_out`), notes on what
// could not be carried (if `notes`).
std::expected<Facts, std::string> Gather(const ApiState& st, std::vector<model::NodeSpec>* nodes_out,
                                         std::string* leader_out, std::vector<std::string>* notes);

}  // namespace answers
}  // namespace swarmplan::docker
