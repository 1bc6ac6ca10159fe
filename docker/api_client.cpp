#include "docker/api_client.hpp"

#include "model/strict_json.hpp"
#include "model/try.hpp"

#include <curl/curl.h>

#include <charconv>
#include <cstdlib>
#include <mutex>
#include <sys/stat.h>
#include <vector>

namespace swarmplan::docker {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

bool FileExists(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Keeps the body, up to kMaxApiBytes: past that the transfer stops
// (returning less than given makes libcurl fail with CURLE_WRITE_ERROR), so
// a daemon streaming an endless answer cannot fill the memory.
std::size_t Collect(char* data, std::size_t size, std::size_t n, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() + size * n > kMaxApiBytes) return 0;
  body->append(data, size * n);
  return size * n;
}

}  // namespace

int CompareApiVersions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    unsigned x = 0, y = 0;
    auto take = [](std::string_view& s, unsigned& v) {
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      (void)ec;
      s.remove_prefix(static_cast<std::size_t>(p - s.data()));
      if (!s.empty() && s.front() == '.') s.remove_prefix(1);
      else if (!s.empty()) s = {};  // anything else ends the number
    };
    take(a, x);
    take(b, y);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

std::expected<DockerEndpoint, std::string> DockerEndpoint::Resolve(const std::string& flag_host) {
  DockerEndpoint ep;
  ep.host = !flag_host.empty() ? flag_host : Env("DOCKER_HOST");
  const char* from = !flag_host.empty() ? "--host" : "DOCKER_HOST";
  if (ep.host.empty()) {
    ep.host = "unix:///var/run/docker.sock";
    from = "the default host";
  }
  const bool verify = !Env("DOCKER_TLS_VERIFY").empty();
  const bool tls = verify || !Env("DOCKER_TLS").empty();
  std::string h = ep.host;
  if (h.starts_with("unix://")) {
    ep.socket = h.substr(7);
    if (ep.socket.empty() || ep.socket.front() != '/') {
      return std::unexpected(std::string(from) + " \"" + ep.host + "\": a unix socket needs an absolute path, as in unix:///var/run/docker.sock");
    }
    ep.base_url = "http://localhost";
    return ep;
  }
  if (h.starts_with("ssh://") || h.starts_with("npipe://") || h.starts_with("fd://")) {
    return std::unexpected(std::string(from) + " \"" + ep.host + "\": only unix:// and tcp:// hosts are supported; "
                           "for ssh, forward the socket (ssh -L /tmp/d.sock:/var/run/docker.sock HOST) and use unix:///tmp/d.sock");
  }
  if (h.starts_with("/")) {
    return std::unexpected(std::string(from) + " \"" + ep.host + "\": a socket path needs the unix:// scheme, as in unix://" + ep.host);
  }
  if (h.starts_with("tcp://")) h = h.substr(6);
  else if (h.find("://") != std::string::npos) {
    return std::unexpected(std::string(from) + " \"" + ep.host + "\": unknown scheme; use unix:///path or tcp://host:port");
  }
  while (!h.empty() && h.back() == '/') h.pop_back();
  if (h.empty()) return std::unexpected(std::string(from) + " \"" + ep.host + "\": no host name");
  // host, host:port, [v6]:port
  const auto colon = h.rfind(':');
  const bool has_port = colon != std::string::npos && h.find(']', colon) == std::string::npos &&
                        (h.front() != '[' || h.rfind(']') < colon);
  if (has_port) {
    unsigned port = 0;
    const std::string p = h.substr(colon + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || port == 0 || port > 65535) {
      return std::unexpected(std::string(from) + " \"" + ep.host + "\": the port must be a number from 1 to 65535");
    }
  } else {
    h += tls ? ":2376" : ":2375";
  }
  ep.tls = tls;
  ep.verify = verify;
  ep.base_url = (tls ? "https://" : "http://") + h;
  if (tls) {
    std::string dir = Env("DOCKER_CERT_PATH");
    if (dir.empty()) dir = Env("HOME") + "/.docker";
    ep.cert = dir + "/cert.pem";
    ep.key = dir + "/key.pem";
    ep.ca = dir + "/ca.pem";
    for (const std::string* f : {&ep.cert, &ep.key}) {
      if (!FileExists(*f)) {
        return std::unexpected("TLS is on (DOCKER_TLS" + std::string(verify ? "_VERIFY" : "") + ") but the client file " + *f +
                               " is missing; set DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem");
      }
    }
    if (verify && !FileExists(ep.ca)) {
      return std::unexpected("DOCKER_TLS_VERIFY is set but " + ep.ca + " is missing; set DOCKER_CERT_PATH");
    }
  }
  return ep;
}

struct DockerApi::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

DockerApi::DockerApi(DockerEndpoint ep, Options opt) : ep_(std::move(ep)), opt_(opt), h_(std::make_unique<Handle>()) {
  GlobalInit();
  h_->curl = curl_easy_init();
}
DockerApi::DockerApi(DockerApi&&) noexcept = default;
DockerApi& DockerApi::operator=(DockerApi&&) noexcept = default;
DockerApi::~DockerApi() = default;

std::expected<nlohmann::json, ApiError> DockerApi::Call(const char* method, const std::string& path,
                                                        const std::string* body, bool versioned) {
  CURL* c = h_->curl;
  if (c == nullptr) return std::unexpected(ApiError{0, "libcurl could not start a session", ApiErrorKind::kNoAnswer});
  curl_easy_reset(c);
  const std::string url = ep_.base_url + (versioned ? "/v" + std::string(kApiVersion) : std::string()) + path;
  std::string out;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opt_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(opt_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // never through a proxy: the daemon is local or named
  if (!ep_.socket.empty()) curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, ep_.socket.c_str());
  if (ep_.tls) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, ep_.cert.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, ep_.key.c_str());
    if (ep_.verify) curl_easy_setopt(c, CURLOPT_CAINFO, ep_.ca.c_str());
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, ep_.verify ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, ep_.verify ? 2L : 0L);
  }
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (body != nullptr) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  const CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    const std::string detail = errbuf[0] != 0 ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
    std::string msg;
    switch (rc) {
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
        msg = "cannot reach the Docker daemon at " + ep_.host + " (" + detail + "); is dockerd running there?";
        break;
      case CURLE_OPERATION_TIMEDOUT:
        msg = "the Docker daemon at " + ep_.host + " did not answer in time (" + detail + ")";
        break;
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CIPHER:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_ISSUER_ERROR:
      case CURLE_SSL_CRL_BADFILE:
        msg = "TLS with the Docker daemon at " + ep_.host + " failed (" + detail + "); check DOCKER_CERT_PATH and DOCKER_TLS_VERIFY";
        break;
      case CURLE_WRITE_ERROR:
        msg = "the Docker daemon at " + ep_.host + " sent an answer larger than " +
              std::to_string(kMaxApiBytes >> 20) + " MiB; refusing to read it";
        break;
      case CURLE_GOT_NOTHING:
      case CURLE_RECV_ERROR:
        msg = "the Docker daemon at " + ep_.host + " closed the connection (" + detail + ")" +
              (ep_.tls ? "" : "; does it expect TLS (DOCKER_TLS_VERIFY)?");
        break;
      default:
        msg = "talking to the Docker daemon at " + ep_.host + " failed (" + detail + ")";
    }
    return std::unexpected(ApiError{0, msg, ApiErrorKind::kNoAnswer});
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  nlohmann::json j;
  if (!out.empty()) {
    auto parsed = model::ParseStrictJson(out, kMaxApiBytes);
    if (parsed) {
      j = std::move(*parsed);
    } else {
      if (status >= 200 && status < 300) {
        return std::unexpected(ApiError{static_cast<int>(status),
                                        "the answer is not JSON (" + parsed.error() + "): " + out.substr(0, 120),
                                        ApiErrorKind::kRequest});
      }
      j = nlohmann::json{{"message", out.substr(0, 300)}};
    }
  }
  if (status < 200 || status >= 300) {
    std::string m = j.is_object() && j.contains("message") && j["message"].is_string() ? j["message"].get<std::string>()
                                                                                     : "HTTP status " + std::to_string(status);
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    if (status == 400 && ep_.tls == false && m.find("HTTPS") != std::string::npos) {
      m += " (the daemon expects TLS: set DOCKER_TLS_VERIFY and DOCKER_CERT_PATH)";
    }
    // swarmkit's store refuses an update whose version is stale with this
    // text (manager/state/store: ErrSequenceConflict); the daemon passes it
    // on as a 500. It is the one error a caller retries after a new read.
    const ApiErrorKind kind = m.find("out of sequence") != std::string::npos ? ApiErrorKind::kOutOfSequence
                              : status >= 500                               ? ApiErrorKind::kServer
                                                                            : ApiErrorKind::kRequest;
    return std::unexpected(ApiError{static_cast<int>(status), m, kind});
  }
  return j;
}

std::expected<nlohmann::json, ApiError> DockerApi::Get(const std::string& path) { return Call("GET", path, nullptr, true); }

std::expected<nlohmann::json, ApiError> DockerApi::Post(const std::string& path, const nlohmann::json& body) {
  const std::string text = body.is_null() ? std::string() : body.dump();
  return Call("POST", path, &text, true);
}

std::expected<nlohmann::json, ApiError> DockerApi::Delete(const std::string& path) {
  return Call("DELETE", path, nullptr, true);
}

std::expected<nlohmann::json, std::string> DockerApi::GetOr(const std::string& path) {
  auto r = Get(path);
  if (!r) {
    if (r.error().status == 0) return std::unexpected(r.error().message);
    return std::unexpected("GET " + path + " on " + ep_.host + ": " + r.error().message);
  }
  return std::move(*r);
}

std::expected<DockerApi, std::string> DockerApi::Connect(const DockerEndpoint& ep, Options opt) {
  DockerApi api(ep, opt);
  if (api.h_->curl == nullptr) return std::unexpected("libcurl could not start a session");
  // /version without a version prefix answers on every daemon.
  auto v = api.Call("GET", "/version", nullptr, false);
  if (!v) {
    if (v.error().status == 0) return std::unexpected(v.error().message);
    return std::unexpected("the Docker daemon at " + ep.host + " answered /version with: " + v.error().message);
  }
  if (!v->is_object() || !(*v)["ApiVersion"].is_string()) {
    return std::unexpected(ep.host + " does not look like a Docker daemon (its /version has no ApiVersion)");
  }
  api.server_api_ = (*v)["ApiVersion"].get<std::string>();
  api.server_version_ = (*v).value("Version", std::string("?"));
  if (CompareApiVersions(api.server_api_, kApiVersion) < 0) {
    return std::unexpected("the Docker daemon at " + ep.host + " (engine " + api.server_version_ + ") speaks API " +
                           api.server_api_ + "; swarmplan needs API " + std::string(kApiVersion) +
                           " (engine 17.06) or newer");
  }
  return api;
}

std::expected<void, std::string> DockerApi::RequireManager() {
  auto info = SWARMPLAN_TRY(GetOr("/info"));
  const auto& sw = (info)["Swarm"];
  const std::string state = sw.is_object() ? sw.value("LocalNodeState", std::string()) : std::string();
  if (state != "active") {
    return std::unexpected("the Docker daemon at " + ep_.host + " is not in a swarm (its swarm state is \"" +
                           (state.empty() ? std::string("unknown") : state) + "\"); point --host at a swarm manager");
  }
  if (!sw.value("ControlAvailable", false)) {
    return std::unexpected("the Docker daemon at " + ep_.host + " is a swarm worker, not a manager; point --host at a manager (`docker node ls` works there)");
  }
  return {};
}

std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  // "." and ".." are segments a URL resolver walks: encode their dots too.
  if (out == "." || out == "..") out = out == "." ? "%2E" : "%2E%2E";
  return out;
}

}  // namespace swarmplan::docker
