// The fields of a Compose service as docker's loader reads them for a
// stack: deploy (mode, replicas, placement, resources, restart policy,
// update and rollback config), ports, and the container spec a redeploy
// compares (image, command, environment, env files...). Internal to
// compose/.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compose/loader.hpp"
#include "model/scenario.hpp"

namespace swarmplan::compose::detail {

using model::ServiceSpec;

extern const std::set<std::string> kInert;
extern const std::set<std::string> kUncompared;
extern const std::set<std::string> kIgnoredByDocker;

std::expected<model::UpdateConfig, std::string> ReadUpdateConfig(Reader& r, const YAML::Node& n,
                                                                  const std::string& path, bool rollback);
std::expected<void, std::string> ReadDeploy(Reader& r, const YAML::Node& d, const std::string& path, ServiceSpec& svc,
                                            std::set<std::string>& given);
std::expected<bool, std::string> ReadPorts(Reader& r, const YAML::Node& ports, const std::string& path);
std::set<std::string> ConstraintTexts(const ServiceSpec& s);
std::expected<std::vector<std::string>, std::string> ShellWords(const std::string& text);
std::expected<std::vector<std::string>, std::string> ReadCommand(Reader& r, const YAML::Node& n, const std::string& path);
std::expected<std::map<std::string, std::optional<std::string>>, std::string> ReadPairs(Reader& r, const YAML::Node& n,
                                                                                        const std::string& path);
std::expected<void, std::string> ReadEnvFile(Reader& r, const YAML::Node& n, const std::string& path,
                                             const std::string& file, std::map<std::string, std::optional<std::string>>& env);
std::expected<model::ContainerSpec, std::string> ReadContainer(Reader& r, const YAML::Node& n, const std::string& path,
                                                               const std::string& file, const std::string& stack);
std::string ComparableImage(const std::string& running, const std::string& wanted);
std::vector<std::string> ContainerChanges(const model::ContainerSpec& running, const model::ContainerSpec& wanted);

}  // namespace swarmplan::compose::detail
