#include "model/constraint.hpp"

#include <string_view>

namespace swarmplan::model {

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

}  // namespace swarmplan::model
