// Placement constraints of a service ("node.labels.zone==a"), as swarmkit's
// scheduler filters nodes with them (manager/constraint/constraint.go).
#pragma once

#include <expected>
#include <map>
#include <string>
#include <vector>

#include "model/types.hpp"

namespace swarmplan::model {

// One placement constraint, "node.<attr> ==|!= value".
struct Constraint {
  std::string key;  // "node.role", "node.hostname", "node.id", "node.labels.<k>", "node.platform.os"
  bool equal = true;
  std::string value;
  std::string text;  // as written
  // The constraint `text` says, or why it is not one swarmplan models.
  static std::expected<Constraint, std::string> Parse(const std::string& text);
};

// True if a node with these attributes meets every constraint. A label the
// node lacks fails "==" and passes "!=" (swarmkit constraint.go).
bool ConstraintsMatch(const std::vector<Constraint>& cs, const std::string& node_name, Role role,
                      const std::map<std::string, std::string>& labels);

}  // namespace swarmplan::model
