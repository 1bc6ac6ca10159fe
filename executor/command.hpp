// The commands `apply --executor docker` runs on a node's behalf (the
// upgrade, engine stop/start, join and stack commands): their templates
// expanded with shell-quoted values, and each run with /bin/sh in a
// process group of its own, bounded in time, and stopped with the signal
// apply itself received (then SIGKILL after the grace).
#pragma once

#include <chrono>
#include <expected>
#include <map>
#include <string>

namespace swarmplan::executor {

// Replaces {node} {addr} {id} {version} (and the `extra` words, e.g.
// {token} {manager} of a join) with shell-quoted values; an unknown {word}
// is an error (so a typo never runs).
std::expected<std::string, std::string> ExpandTemplate(const std::string& tmpl, const std::string& node,
                                                       const std::string& addr, const std::string& id,
                                                       const std::string& version,
                                                       const std::map<std::string, std::string>& extra = {});

// Replaces {file} {stack} {host} of --stack-command with shell-quoted
// values; any other {word} is an error.
std::expected<std::string, std::string> ExpandStackCommand(const std::string& tmpl, const std::string& file,
                                                           const std::string& stack, const std::string& host);

// Runs `command` with /bin/sh (its output to stderr) for `what` on `node`.
// Past `timeout` the command's group gets SIGTERM, then SIGKILL; when apply
// gets SIGINT/SIGTERM/SIGHUP, the group gets the same signal and
// `interrupt_grace` to end. The error says how the command ended.
std::expected<void, std::string> RunNodeCommand(const char* what, const std::string& node, const std::string& command,
                                                std::chrono::seconds timeout, std::chrono::seconds interrupt_grace);

}  // namespace swarmplan::executor
