// A small Docker Engine API client: JSON over HTTP on a unix socket, or on
// TCP with optional TLS client certificates, through libcurl. It finds the
// daemon the way the docker CLI does:
//   --host H, else DOCKER_HOST, else unix:///var/run/docker.sock;
//   TLS when DOCKER_TLS_VERIFY is set (the server's certificate checked
//   against $DOCKER_CERT_PATH/ca.pem) or DOCKER_TLS is set (not checked);
//   client certificate $DOCKER_CERT_PATH/{cert,key}.pem, DOCKER_CERT_PATH
//   defaulting to ~/.docker.
// Every call has a time-out. Requests go to a fixed API version (kApiVersion,
// engine 17.06), so the answers have the shape this code reads whatever the
// daemon's own version; a daemon older than that is refused by Connect().
// Errors are one sentence naming the daemon and what went wrong.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace swarmplan::docker {

inline constexpr std::string_view kApiVersion = "1.30";
// The largest answer read: /tasks of a swarm with 100,000 tasks (history
// included) is about 300 MB; past this a daemon is taken to be streaming
// without end, and the call fails saying so.
inline constexpr std::size_t kMaxApiBytes = std::size_t{512} << 20;

struct DockerEndpoint {
  std::string host;       // as given: unix:///path or tcp://host:port
  std::string socket;     // unix socket path, or empty for TCP
  std::string base_url;   // http://localhost or https://host:port
  bool tls = false;
  bool verify = false;    // check the server's certificate against ca
  std::string ca, cert, key;

  // From --host (may be empty) and the environment, as the docker CLI does.
  static std::expected<DockerEndpoint, std::string> Resolve(const std::string& flag_host);
};

// What went wrong with one call, as a kind callers branch on (never by
// matching the message).
enum class ApiErrorKind {
  kNoAnswer,       // unreachable, time-out, TLS failure, connection closed
  kOutOfSequence,  // the object changed since it was read ("update out of sequence"): read again
  kServer,         // 5xx, including 503 "no leader"
  kRequest,        // 4xx, or a 2xx answer that is not JSON
};

// `s` percent-encoded for one path segment or query value of an Engine API
// URL: an ID from an answer ("../../containers/json") can never name
// another endpoint.
std::string UrlEncode(const std::string& s);

struct ApiError {
  int status = 0;       // HTTP status, 0 when no answer came
  std::string message;  // one sentence
  ApiErrorKind kind = ApiErrorKind::kNoAnswer;
};

class DockerApi {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds timeout{30000};
  };

  // Checks the daemon answers and speaks kApiVersion or newer.
  static std::expected<DockerApi, std::string> Connect(const DockerEndpoint& ep, Options opt);
  static std::expected<DockerApi, std::string> Connect(const DockerEndpoint& ep) { return Connect(ep, Options{}); }

  DockerApi(DockerApi&&) noexcept;
  DockerApi& operator=(DockerApi&&) noexcept;
  ~DockerApi();

  const DockerEndpoint& endpoint() const { return ep_; }
  // The time-out of each call from now on (an overall deadline shrinks it).
  void set_timeout(std::chrono::milliseconds t) { opt_.timeout = t; }
  const std::string& server_version() const { return server_version_; }
  const std::string& server_api() const { return server_api_; }

  // path starts with "/", e.g. "/nodes"; the version prefix is added.
  std::expected<nlohmann::json, ApiError> Get(const std::string& path);
  std::expected<nlohmann::json, ApiError> Post(const std::string& path, const nlohmann::json& body);
  std::expected<nlohmann::json, ApiError> Delete(const std::string& path);

  // Errors as text: "GET /nodes on unix:///...: <message>".
  std::expected<nlohmann::json, std::string> GetOr(const std::string& path);

  // Requires a swarm manager: a clear error otherwise.
  std::expected<void, std::string> RequireManager();

 private:
  explicit DockerApi(DockerEndpoint ep, Options opt);
  std::expected<nlohmann::json, ApiError> Call(const char* method, const std::string& path, const std::string* body,
                                               bool versioned);

  struct Handle;
  DockerEndpoint ep_;
  Options opt_;
  std::unique_ptr<Handle> h_;
  std::string server_version_, server_api_;
};

// Compares dotted API versions ("1.30" < "1.41").
int CompareApiVersions(std::string_view a, std::string_view b);

}  // namespace swarmplan::docker
