#include "planner/step.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace swarmplan::planner {

using model::Scenario;

namespace {

const std::vector<Verb>& Table() {
  static const std::vector<Verb> verbs = {
      {"drain", Operand::kNode, {Action::kDrain}, "docker node update --availability drain, then its tasks stop"},
      {"stop", Operand::kNode, {Action::kStop}, "stop the node's engine"},
      {"install", Operand::kNodeVersion, {Action::kInstall}, "install an engine (the target by default) on a stopped node"},
      {"start", Operand::kNode, {Action::kStart}, "start the node's engine and wait until it is back"},
      {"upgrade", Operand::kNodeVersion, {Action::kStop, Action::kInstall, Action::kStart}, "stop, install, start"},
      {"restart", Operand::kNode, {Action::kStop, Action::kStart}, "stop, start"},
      {"activate", Operand::kNode, {Action::kActivate}, "docker node update --availability active"},
      {"pause", Operand::kNode, {Action::kPause}, "docker node update --availability pause"},
      {"promote", Operand::kNode, {Action::kPromote}, "docker node promote"},
      {"demote", Operand::kNode, {Action::kDemote}, "docker node demote"},
      {"join", Operand::kNodeRole, {Action::kJoin}, "docker swarm join on a node not yet in the swarm"},
      {"leave", Operand::kNode, {Action::kLeave}, "docker swarm leave on a worker"},
      {"node-rm", Operand::kNode, {Action::kNodeRm}, "docker node rm, once the managers see the node down"},
      {"wait", Operand::kNone, {Action::kWait}, "wait until every service runs as desired"},
      {"sleep", Operand::kSeconds, {Action::kSleep}, "wait this many seconds"},
      {"create", Operand::kService, {Action::kCreate}, "docker service create"},
      {"rm", Operand::kService, {Action::kRemove}, "docker service rm (or docker node rm when no service has the name)"},
      {"scale", Operand::kServiceCount, {Action::kScale}, "docker service scale"},
      {"update", Operand::kService, {Action::kUpdate}, "docker service update --force (a rolling update)"},
      {"rollback", Operand::kService, {Action::kRollback}, "docker service rollback"},
      {"network-add", Operand::kServiceNetwork, {Action::kNetworkAdd}, "docker service update --network-add"},
      {"network-rm", Operand::kServiceNetwork, {Action::kNetworkRm}, "docker service update --network-rm"},
      {"kill", Operand::kNode, {Action::kKill}, "fault: the node's dockerd dies (SIGKILL); systemd starts it 2 s later"},
      {"kill-leader", Operand::kNone, {Action::kKillLeader}, "fault: kill the dockerd of the manager leading then"},
      {"host-down", Operand::kNodeSeconds, {Action::kHostDown}, "fault: the whole host off for SECONDS, then it boots"},
      {"partition", Operand::kNodeSeconds, {Action::kPartition}, "fault: the node cut off from the managers for SECONDS"},
      {"slow", Operand::kNodeFactor, {Action::kSlow}, "fault: the node's own work takes FACTOR times as long from then on"},
      {"install-fails", Operand::kNode, {Action::kInstallFails}, "fault: the node's next install leaves an engine that does not start"},
      {"install-keeps-old", Operand::kNode, {Action::kInstallKeepsOld}, "fault: the node's next install fails and its old engine stays"},
  };
  return verbs;
}

const Verb* FindVerb(std::string_view word) {
  for (const Verb& v : Table()) {
    if (v.word == word) return &v;
  }
  return nullptr;
}

std::string Shape(const Verb& v, bool short_names) {
  const std::string node = short_names ? "N" : "NODE", svc = short_names ? "SVC" : "SERVICE";
  std::string w(v.word);
  switch (v.operand) {
    case Operand::kNone: return w;
    case Operand::kSeconds: return w + (short_names ? ":S" : ":SECONDS");
    case Operand::kNode: return w + ":" + node;
    case Operand::kNodeVersion: return w + ":" + node + (short_names ? "[:V]" : "[:VERSION]");
    case Operand::kNodeRole: return w + ":" + node + "[:ROLE]";
    case Operand::kService: return w + ":" + svc;
    case Operand::kServiceCount: return w + ":" + svc + "=N";
    case Operand::kServiceNetwork: return w + ":" + svc + ":NETWORK";
    case Operand::kNodeSeconds: return w + ":" + node + (short_names ? ":S" : ":SECONDS");
    case Operand::kNodeFactor: return w + ":" + node + (short_names ? ":F" : ":FACTOR");
  }
  return w;
}

std::string WordList() {
  std::string out;
  for (const Verb& v : Table()) out += (out.empty() ? "" : ", ") + std::string(v.word);
  return out;
}

// A whole number of at most 9 digits, or -1.
int WholeNumber(const std::string& text) {
  int v = -1;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || text.size() > 9 || ec != std::errc() || ptr != text.data() + text.size()) return -1;
  return v;
}

// "3" or "2.5" (at most two decimals), 1 to 100, as a percentage.
std::optional<std::uint32_t> FactorPercent(const std::string& text) {
  const std::size_t dot = text.find('.');
  const std::string whole = text.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (frac.size() > 2 || (dot != std::string::npos && frac.empty())) return std::nullopt;
  const int w = WholeNumber(whole);
  frac.resize(2, '0');
  const int f = WholeNumber(frac);
  if (w < 0 || f < 0) return std::nullopt;
  const std::uint32_t pct = static_cast<std::uint32_t>(w) * 100 + static_cast<std::uint32_t>(f);
  if (pct < 100 || pct > 10'000) return std::nullopt;
  return pct;
}

}  // namespace

std::string FactorText(std::uint32_t pct) {
  std::string out = std::to_string(pct / 100);
  if (pct % 100 != 0) {
    out += "." + std::to_string(pct % 100 / 10);
    if (pct % 10 != 0) out += std::to_string(pct % 10);
  }
  return out;
}

namespace {

std::string Names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace

std::span<const Verb> Verbs() { return Table(); }

std::string VerbSummary() {
  std::string out;
  for (const Verb& v : Table()) out += (out.empty() ? "" : ", ") + Shape(v, true);
  return out;
}

std::string_view ToString(Action a) {
  for (const Verb& v : Table()) {
    if (v.actions.size() == 1 && v.actions[0] == a) return v.word;
  }
  return "?";
}

std::string Step::Describe(const Scenario& s) const {
  switch (action) {
    case Action::kWait: return "wait for convergence";
    case Action::kSleep: return "sleep " + std::to_string(duration / sim::kSecond) + " s";
    case Action::kInstall: return "install " + version.ToString() + " on " + s.nodes[node].name;
    case Action::kCreate: return "create service " + s.services[service].name;
    case Action::kRemove: return "remove service " + s.services[service].name;
    case Action::kScale: return "scale " + s.services[service].name + " to " + std::to_string(replicas);
    case Action::kUpdate: return "rolling update of " + s.services[service].name;
    case Action::kRollback: return "roll back " + s.services[service].name;
    case Action::kNetworkAdd: return "add " + s.services[service].name + " to network " + s.networks[network].name;
    case Action::kNetworkRm: return "take " + s.services[service].name + " off network " + s.networks[network].name;
    case Action::kJoin: return s.nodes[node].name + " joins as " + std::string(model::ToString(role));
    case Action::kNodeRm: return "remove node " + s.nodes[node].name;
    case Action::kKill: return "fault: " + s.nodes[node].name + "'s engine killed";
    case Action::kKillLeader: return "fault: the leader's engine killed";
    case Action::kHostDown: return "fault: " + s.nodes[node].name + "'s host down for " + std::to_string(duration / sim::kSecond) + " s";
    case Action::kPartition: return "fault: " + s.nodes[node].name + " cut off for " + std::to_string(duration / sim::kSecond) + " s";
    case Action::kSlow: return "fault: " + s.nodes[node].name + " slow (x" + FactorText(slow_pct) + ")";
    case Action::kInstallFails: return "fault: " + s.nodes[node].name + "'s next install does not start";
    case Action::kInstallKeepsOld: return "fault: " + s.nodes[node].name + "'s next install keeps the old engine";
    default: return std::string(ToString(action)) + " " + s.nodes[node].name;
  }
}

std::string EscapeOrderName(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '\\' || c == ',' || c == ':' || c == '=') out += '\\';
    out += c;
  }
  return out;
}

std::vector<std::string> SplitEscaped(const std::string& text, char sep) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      out.back() += text[i];
      out.back() += text[++i];
    } else if (text[i] == sep) {
      out.emplace_back();
    } else {
      out.back() += text[i];
    }
  }
  return out;
}

std::string Unescape(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    out += text[i];
  }
  return out;
}

std::expected<std::vector<Step>, std::string> ParseStepWords(const Scenario& s, const std::vector<std::string>& words,
                                                             model::EngineVersion to) {
  std::vector<Step> steps;
  for (const std::string& w : words) {
    std::vector<std::string> f = SplitEscaped(w, ':');
    // The scale count is split off before names are unescaped ("a\=b=3").
    std::optional<std::string> count;
    if (f.size() == 2 && f[0] == "scale") {
      const std::vector<std::string> eq = SplitEscaped(f[1], '=');
      if (eq.size() == 2) {
        f[1] = eq[0];
        count = eq[1];
      }
    }
    for (std::string& x : f) x = Unescape(x);
    const Verb* verb = FindVerb(f[0]);
    const auto bad = [&](const std::string& why) { return std::unexpected("order word \"" + w + "\": " + why); };
    if (verb == nullptr) {
      if (f.size() == 1) {
        return bad("expected NODE, ACTION:NODE (" + WordList() + "), create:SERVICE, scale:SERVICE=N, wait or "
                   "sleep:SECONDS");
      }
      return bad("unknown action \"" + f[0] + "\" (" + WordList() + ")");
    }
    const auto shape = [&] { return bad("write " + Shape(*verb, false)); };
    Step st;
    st.action = verb->actions[0];
    switch (verb->operand) {
      case Operand::kNone:
        if (f.size() != 1) return shape();
        break;
      case Operand::kSeconds: {
        const int secs = f.size() == 2 ? WholeNumber(f[1]) : -1;
        if (secs < 0 || secs > 86400) return bad("write sleep:SECONDS (0 to 86400)");
        st.duration = sim::Sec(secs);
        break;
      }
      case Operand::kService:
      case Operand::kServiceCount:
      case Operand::kServiceNetwork: {
        const std::size_t want = verb->operand == Operand::kServiceNetwork ? 3 : 2;
        if (f.size() != want || std::any_of(f.begin() + 1, f.end(), [](const std::string& x) { return x.empty(); })) {
          return shape();
        }
        if (verb->operand == Operand::kServiceCount) {
          if (!count) return shape();
          std::int64_t replicas = -1;
          auto [ptr, ec] = std::from_chars(count->data(), count->data() + count->size(), replicas);
          if (count->empty() || ec != std::errc() || ptr != count->data() + count->size() || replicas < 0 ||
              replicas > 1'000'000) {
            return bad("the replica count must be a whole number from 0 to 1000000");
          }
          st.replicas = static_cast<std::uint32_t>(replicas);
        }
        std::optional<std::size_t> svc;
        std::vector<std::string> known;
        for (std::size_t i = 0; i < s.services.size(); ++i) {
          if (s.services[i].name == f[1]) svc = i;
          known.push_back(s.services[i].name);
        }
        // rm:NAME is `docker node rm` when NAME is a node and no service.
        if (!svc && st.action == Action::kRemove && s.FindNode(f[1])) {
          st.action = Action::kNodeRm;
          st.node = *s.FindNode(f[1]);
          break;
        }
        if (!svc) return bad("no service is named \"" + f[1] + "\" (services: " + Names(known) + ")");
        st.service = *svc;
        if (verb->operand == Operand::kServiceNetwork) {
          std::vector<std::string> nets;
          std::optional<std::size_t> net;
          for (std::size_t i = 0; i < s.networks.size(); ++i) {
            if (s.networks[i].name == f[2]) net = i;
            nets.push_back(s.networks[i].name);
          }
          if (!net) {
            return bad("no overlay network is named \"" + f[2] + "\" in the scenario (networks: " + Names(nets) + ")");
          }
          st.network = *net;
        }
        break;
      }
      case Operand::kNode:
      case Operand::kNodeVersion:
      case Operand::kNodeRole:
      case Operand::kNodeSeconds:
      case Operand::kNodeFactor: {
        const bool needs_third = verb->operand == Operand::kNodeSeconds || verb->operand == Operand::kNodeFactor;
        const std::size_t most = verb->operand == Operand::kNode ? 2 : 3;
        if (f.size() < (needs_third ? 3u : 2u) || f.size() > most || f[1].empty()) {
          if (f.size() == 3 && verb->operand == Operand::kNode) {
            return bad("only install and upgrade take a version (join a role, host-down and partition seconds, slow a factor)");
          }
          return shape();
        }
        auto n = s.FindNode(f[1]);
        if (!n) {
          std::vector<std::string> known;
          for (const auto& nd : s.nodes) known.push_back(nd.name);
          return bad("no node is named \"" + f[1] + "\" (nodes: " + Names(known) + ")");
        }
        st.node = *n;
        if (verb->operand == Operand::kNodeRole) {
          st.role = s.nodes[*n].role;
          if (f.size() == 3) {
            auto r = model::ParseName<model::Role>(f[2]);
            if (!r) return bad("the role is manager or worker, not \"" + f[2] + "\"");
            st.role = *r;
          }
        }
        if (verb->operand == Operand::kNodeSeconds) {
          const int secs = WholeNumber(f[2]);
          if (secs < 1 || secs > 86400) return bad("write " + Shape(*verb, false) + " (1 to 86400 seconds)");
          st.duration = sim::Sec(secs);
        }
        if (verb->operand == Operand::kNodeFactor) {
          const auto pct = FactorPercent(f[2]);
          if (!pct) return bad("write " + Shape(*verb, false) + " (a factor from 1 to 100, such as 3 or 2.5)");
          st.slow_pct = *pct;
        }
        if (verb->operand == Operand::kNodeVersion) {
          st.version = to;
          if (f.size() == 3) {
            auto pv = model::EngineVersion::Parse(f[2]);
            if (!pv) return bad(pv.error());
            st.version = *pv;
          }
        }
        break;
      }
    }
    // Shorthand words are their actions in turn, on the same operands.
    for (Action a : verb->actions) {
      Step one = st;
      if (verb->actions.size() > 1) one.action = a;
      if (one.action != Action::kInstall) one.version = {};
      steps.push_back(one);
    }
  }
  return steps;
}

std::vector<std::string> StepWords(const Scenario& s, std::span<const Step> steps) {
  std::vector<std::string> out;
  const auto node = [&](std::size_t i) { return EscapeOrderName(s.nodes[i].name); };
  const auto svc = [&](std::size_t i) { return EscapeOrderName(s.services[i].name); };
  for (const Step& st : steps) {
    const std::string verb(ToString(st.action));
    switch (st.action) {
      case Action::kWait: out.push_back(verb); break;
      case Action::kSleep: out.push_back(verb + ":" + std::to_string(st.duration / sim::kSecond)); break;
      case Action::kInstall: out.push_back(verb + ":" + node(st.node) + ":" + st.version.ToString()); break;
      case Action::kScale: out.push_back(verb + ":" + svc(st.service) + "=" + std::to_string(st.replicas)); break;
      case Action::kNetworkAdd:
      case Action::kNetworkRm:
        out.push_back(verb + ":" + svc(st.service) + ":" + EscapeOrderName(s.networks[st.network].name));
        break;
      case Action::kJoin: out.push_back(verb + ":" + node(st.node) + ":" + std::string(model::ToString(st.role))); break;
      case Action::kKillLeader: out.push_back(verb); break;
      case Action::kHostDown:
      case Action::kPartition:
        out.push_back(verb + ":" + node(st.node) + ":" + std::to_string(st.duration / sim::kSecond));
        break;
      case Action::kSlow: out.push_back(verb + ":" + node(st.node) + ":" + FactorText(st.slow_pct)); break;
      default: out.push_back(verb + ":" + (st.OnService() ? svc(st.service) : node(st.node))); break;
    }
  }
  return out;
}

}  // namespace swarmplan::planner
