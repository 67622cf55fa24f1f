#include "server/metrics_endpoint.hpp"

#include "server/json.hpp"
#include "server/net.hpp"

namespace scopegate::server {

namespace {

bool same_secret(std::string_view a, std::string_view b) {
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return difference == 0;
}

bool is_loopback(std::string_view peer_ip) {
  static const auto v4 = parse_cidr("127.0.0.0/8");
  static const auto v6 = parse_cidr("::1/128");
  const auto address = parse_ip(peer_ip);
  return address && (contains(*v4, *address) || contains(*v6, *address));
}

}  // namespace

bool metrics_allowed(std::string_view peer_ip, std::string_view authorization,
                     std::string_view token) {
  if (token.empty()) return is_loopback(peer_ip);
  constexpr std::string_view scheme = "Bearer ";
  return authorization.starts_with(scheme) &&
         same_secret(authorization.substr(scheme.size()), token);
}

HttpResponse metrics_response(const HttpRequest& request, std::string_view token,
                              const Metrics& metrics,
                              const std::function<Metrics::Snapshot()>& snapshot) {
  if (request.method != "GET" && request.method != "HEAD") {
    auto response =
        error_response(405, "method not allowed: /metrics is read with GET", request.path);
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  if (!metrics_allowed(request.peer_ip, request.header("authorization"), token)) {
    return error_response(403,
                          token.empty() ? "metrics are served to loopback addresses only"
                                        : "metrics need the configured bearer token",
                          request.path);
  }
  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = metrics.render(snapshot());
  return response;
}

}  // namespace scopegate::server
