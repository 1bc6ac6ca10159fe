// docker/api_client: the daemon found as the docker CLI finds it, clear errors against a fake daemon, TLS, URLs.
#include <catch2/catch.hpp>

#include "docker_fakes.hpp"

using namespace swarmplan;
using namespace swarmplan::executor;
using namespace swarmplan::docker;
using namespace swarmplan::testing;
using nlohmann::json;

TEST_CASE("the daemon is found as the docker CLI finds it", "[live]") {
  EnvVar h("DOCKER_HOST", nullptr), v("DOCKER_TLS_VERIFY", nullptr), t("DOCKER_TLS", nullptr), c("DOCKER_CERT_PATH", nullptr);
  auto def = DockerEndpoint::Resolve("");
  REQUIRE(def);
  CHECK(def->socket == "/var/run/docker.sock");
  {
    EnvVar env_host("DOCKER_HOST", "tcp://10.1.2.3");
    auto e = DockerEndpoint::Resolve("");
    REQUIRE(e);
    CHECK(e->base_url == "http://10.1.2.3:2375");
    auto flag = DockerEndpoint::Resolve("unix:///run/x.sock");  // --host wins over DOCKER_HOST
    REQUIRE(flag);
    CHECK(flag->socket == "/run/x.sock");
  }
  {
    const std::string dir = "/tmp/swarmplan-certs-" + std::to_string(getpid());
    std::system(("mkdir -p " + dir).c_str());
    EnvVar tls("DOCKER_TLS_VERIFY", "1"), path("DOCKER_CERT_PATH", dir.c_str());
    auto missing = DockerEndpoint::Resolve("tcp://swarm.example:2376");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().find(dir + "/cert.pem") != std::string::npos);
    for (const char* f : {"ca.pem", "cert.pem", "key.pem"}) std::ofstream(dir + "/" + f) << "not a certificate\n";
    auto ok = DockerEndpoint::Resolve("tcp://swarm.example");
    REQUIRE(ok);
    CHECK(ok->base_url == "https://swarm.example:2376");
    CHECK(ok->verify);
    CHECK(ok->ca == dir + "/ca.pem");
    std::system(("rm -rf " + dir).c_str());
  }
  for (const char* bad : {"ssh://me@host", "unix://relative.sock", "tcp://host:99999", "tcp://host:x", "http://host"}) {
    INFO(bad);
    auto e = DockerEndpoint::Resolve(bad);
    REQUIRE_FALSE(e);
    CHECK(e.error().find(bad) != std::string::npos);  // the error names what was given
  }
}

TEST_CASE("the client says clearly why a daemon cannot be used", "[live]") {
  CHECK(ConnectError("unix:///tmp/swarmplan-no-such.sock").find("cannot reach the Docker daemon") != std::string::npos);
  {
    FakeDaemon old({{"/version", {200, R"({"Version":"1.13.1","ApiVersion":"1.26"})"}}});
    const std::string e = ConnectError(old.host());
    CHECK(e.find("speaks API 1.26") != std::string::npos);
    CHECK(e.find("needs API 1.30") != std::string::npos);
  }
  {
    FakeDaemon plain({{"/version", {200, kVersion}},
                      {"/info", {200, R"({"Swarm":{"LocalNodeState":"inactive","ControlAvailable":false}})"}}});
    CHECK(ConnectError(plain.host()).find("is not in a swarm") != std::string::npos);
  }
  {
    FakeDaemon worker({{"/version", {200, kVersion}},
                       {"/info", {200, R"({"Swarm":{"LocalNodeState":"active","ControlAvailable":false}})"}}});
    CHECK(ConnectError(worker.host()).find("is a swarm worker, not a manager") != std::string::npos);
  }
  {
    FakeDaemon manager({{"/version", {200, kVersion}},
                        {"/info", {200, R"({"Swarm":{"LocalNodeState":"active","ControlAvailable":true}})"}},
                        {"/nodes", {503, R"({"message":"rpc error: code = Unknown desc = The swarm does not have a leader."})"}}});
    CHECK(ConnectError(manager.host()).empty());
    auto ep = DockerEndpoint::Resolve(manager.host());
    auto api = DockerApi::Connect(*ep);
    REQUIRE(api);
    auto nodes = api->GetOr("/nodes");
    REQUIRE_FALSE(nodes);
    CHECK(nodes.error().find("does not have a leader") != std::string::npos);
  }
  {
    FakeDaemon junk({{"/version", {200, "<html>hello</html>"}}});
    CHECK(ConnectError(junk.host()).find("not JSON") != std::string::npos);
  }
  {
    FakeDaemon silent({}, true);
    DockerApi::Options quick;
    quick.timeout = std::chrono::milliseconds(300);
    CHECK(ConnectError(silent.host(), quick).find("did not answer in time") != std::string::npos);
  }
}

TEST_CASE("TLS failures are reported as such", "[live]") {
  // A plain-HTTP fake daemon on TCP, reached with TLS on and a bogus client
  // certificate: the handshake cannot succeed.
  FakeDaemon plain({{"/version", {200, kVersion}}}, false, true);
  const std::string dir = "/tmp/swarmplan-certs-tls-" + std::to_string(getpid());
  std::system(("mkdir -p " + dir).c_str());
  for (const char* f : {"ca.pem", "cert.pem", "key.pem"}) std::ofstream(dir + "/" + f) << "not a certificate\n";
  EnvVar tls("DOCKER_TLS_VERIFY", "1"), path("DOCKER_CERT_PATH", dir.c_str()), t("DOCKER_TLS", nullptr);
  const std::string e = ConnectError(plain.host());
  CHECK(e.find("TLS with the Docker daemon at " + plain.host() + " failed") != std::string::npos);
  {
    // Without TLS the same daemon answers.
    EnvVar off("DOCKER_TLS_VERIFY", nullptr);
    auto ep = DockerEndpoint::Resolve(plain.host());
    REQUIRE(ep);
    CHECK(DockerApi::Connect(*ep));
  }
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("IDs from answers are percent-encoded into URLs: an answer never names another endpoint", "[live][safety]") {
  CHECK(docker::UrlEncode("../../containers/json") == "..%2F..%2Fcontainers%2Fjson");
  CHECK(docker::UrlEncode("..") == "%2E%2E");
  CHECK(docker::UrlEncode(".") == "%2E");
  CHECK(docker::UrlEncode("abc123XYZ-_.~") == "abc123XYZ-_.~");
  CHECK(docker::UrlEncode("a b?c#d&e=f%") == "a%20b%3Fc%23d%26e%3Df%25");
  // A network ID that walks up the path reaches the fake daemon encoded, so
  // it is not found there: /containers/json, which would answer, is never asked.
  const std::string nets = R"([{"Id":"../../containers/json","Name":"n","Driver":"overlay","Scope":"swarm"}])";
  const std::string info = R"({"Swarm":{"LocalNodeState":"active","ControlAvailable":true,"Cluster":{"ID":"c1"}}})";
  FakeDaemon d({{"/version", {200, kVersion}}, {"/info", {200, info}}, {"/nodes", {200, "[]"}}, {"/networks", {200, nets}},
                {"/services", {200, "[]"}}, {"/tasks", {200, "[]"}}, {"/containers/json", {200, R"({"Peers":["leak"]})"}}});
  auto st = docker::FetchLive(d.host());
  REQUIRE_FALSE(st);  // the encoded path is not found: an error, never another endpoint's answer
  CHECK(st.error().find("leak") == std::string::npos);
}
