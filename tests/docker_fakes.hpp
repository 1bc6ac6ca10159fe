// Test support for the Engine API side: recorded answers of a real 3-node
// swarm (tests/data/engine-api/), an environment variable for one scope, and
// a fake daemon on a unix socket.
#pragma once

#include <catch2/catch.hpp>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <optional>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include "docker/import.hpp"
#include "docker/usage.hpp"
#include "executor/docker_executor.hpp"
#include "executor/interrupt.hpp"
#include "model/operator.hpp"
#include "model/swarm.hpp"
#include "planner/plan.hpp"
#include "planner/trial.hpp"
#include "model/scenario_json.hpp"

namespace swarmplan::testing {

using namespace swarmplan::docker;
using nlohmann::json;

inline json Load(const std::string& name) {
  std::ifstream f(std::string(SWARMPLAN_TESTDATA) + "/engine-api/" + name + ".json");
  REQUIRE(f.good());
  return json::parse(f);
}

// The answers recorded in tests/data/engine-api/ (`dir`: a subdirectory
// of it, e.g. "diagnose-full"; "": the 3-node swarm at its top).
inline ApiState Recorded(const std::string& dir = "") {
  const std::string at = dir.empty() ? "" : dir + "/";
  ApiState st;
  st.info = Load(at + "info");
  st.nodes = Load(at + "nodes");
  st.networks = Load(at + "networks");
  st.services = Load(at + "services");
  st.tasks = Load(at + "tasks");
  return st;
}

// A fake daemon's routes answering with those recorded answers, each
// overlay's inspect included.
inline std::map<std::string, std::pair<int, std::string>> RecordedRoutes(const std::string& version, const std::string& dir = "") {
  const std::string at = dir.empty() ? "" : dir + "/";
  std::map<std::string, std::pair<int, std::string>> routes = {{"/version", {200, version}}};
  for (const char* name : {"info", "nodes", "networks", "services", "tasks"}) {
    routes["/" + std::string(name)] = {200, Load(at + name).dump()};
  }
  for (const auto& n : Load(at + "networks")) routes["/networks/" + n.at("Id").get<std::string>()] = {200, n.dump()};
  return routes;
}

// Sets (or with nullptr unsets) an environment variable for one scope.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value, 1);
    else unsetenv(name);
  }
  ~EnvVar() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A fake daemon: answers GET paths (the query string ignored) with canned
// JSON, one request per connection; `silent` accepts and never answers.
class FakeDaemon {
 public:
  FakeDaemon(std::map<std::string, std::pair<int, std::string>> routes, bool silent = false, bool tcp = false)
      : routes_(std::move(routes)), silent_(silent) {
    if (tcp) {
      fd_ = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
      socklen_t len = sizeof a;
      getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
      host_ = "tcp://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    } else {
      path_ = "/tmp/swarmplan-fake-" + std::to_string(getpid()) + "-" + std::to_string(counter_++) + ".sock";
      unlink(path_.c_str());
      fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path_.c_str());
      REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
      host_ = "unix://" + path_;
    }
    REQUIRE(listen(fd_, 8) == 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeDaemon() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    if (!path_.empty()) unlink(path_.c_str());
  }
  const std::string& host() const { return host_; }
  // Changes what `path` answers from now on (the cluster moved on).
  void Set(const std::string& path, int status, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    routes_[path] = {status, std::move(body)};
  }

 private:
  void Serve() {
    while (!stop_) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[2048];
      while (req.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
      }
      if (silent_) {
        while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        close(c);
        return;
      }
      std::string path = req.substr(req.find(' ') + 1);
      path = path.substr(0, path.find(' '));
      path = path.substr(0, path.find('?'));
      if (path.rfind("/v1.", 0) == 0) path = path.substr(path.find('/', 1));
      int status = 404;
      std::string body = R"({"message":"page not found"})";
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (auto it = routes_.find(path); it != routes_.end()) {
          status = it->second.first;
          body = it->second.second;
        }
      }
      std::ostringstream out;
      out << "HTTP/1.1 " << status << " X\r\nContent-Type: application/json\r\nContent-Length: " << body.size()
          << "\r\nConnection: close\r\n\r\n" << body;
      const std::string text = out.str();
      (void)!write(c, text.data(), text.size());
      close(c);
    }
  }
  static inline std::atomic<int> counter_{0};
  std::mutex mu_;
  std::map<std::string, std::pair<int, std::string>> routes_;
  bool silent_;
  std::string path_, host_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

inline const std::string kVersion = R"({"Version":"20.10.24","ApiVersion":"1.41","MinAPIVersion":"1.12"})";

inline std::string ConnectError(const std::string& host, DockerApi::Options opt = {}) {
  auto ep = DockerEndpoint::Resolve(host);
  REQUIRE(ep);
  auto api = DockerApi::Connect(*ep, opt);
  if (!api) return api.error();
  auto m = api->RequireManager();
  return m ? std::string() : m.error();
}

}  // namespace swarmplan::testing
