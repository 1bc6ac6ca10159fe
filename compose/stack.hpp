// `docker stack deploy -c FILE NAME` as a change plan: a Compose file read
// the way docker's loader reads it for a swarm (docker/cli cli/compose), laid
// onto the cluster it lands on.
//
// What it gives: the cluster's scenario with the stack's networks and
// services added (stack-scoped names, NAME_key, as docker names them; a
// network's `name:` and external networks as given), and the deploy as plan
// words: a new service is created (create:S), one the cluster already runs
// is scaled (scale:S=N), moved between networks (network-add / network-rm)
// or rolled out again (update:S) where the file changes its replicas, its
// networks or what its containers run (model::ContainerSpec, compared with
// the cluster's); then one `wait`. Services are deployed in
// name order, all at once, as docker does.
//
// Read as docker reads it: ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?error}, ${VAR?error}, $VAR and $$ are interpolated from the
// environment in every value; extension fields (x-*) are ignored; YAML
// anchors, aliases and merge keys (<<) work; env_file is read relative to
// the file. Fields that change nothing swarmplan models (volumes, secrets,
// ...) are accepted; fields docker
// itself ignores for a stack are listed in the notes; a field docker's
// schema does not have, a wrong type, or something that matters to
// placement or addresses and that swarmplan does not model (placement
// preferences, jobs, a network with two subnets, ...) is an error naming
// the field.
#pragma once

#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/scenario.hpp"

namespace swarmplan::compose {

struct Stack {
  model::Scenario scenario;
  std::vector<std::string> order;  // plan words: the deploy, then "wait"
  std::vector<std::string> notes;  // accepted, not modelled (for a person)
};

using Environment = std::function<std::optional<std::string>(const std::string&)>;

// `file` names the text in errors ("stack.yml:3:5: ...").
std::expected<Stack, std::string> Deploy(const model::Scenario& cluster, const std::string& yaml,
                                         const std::string& file, const std::string& stack, const Environment& env);

// Reads `path`; the environment is the process's.
std::expected<Stack, std::string> DeployFile(const model::Scenario& cluster, const std::string& path,
                                             const std::string& stack);

}  // namespace swarmplan::compose
