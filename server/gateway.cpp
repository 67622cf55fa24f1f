#include "server/gateway.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>

#include "scopegate/path.hpp"
#include "scopegate/result.hpp"
#include "server/clock.hpp"
#include "server/json.hpp"
#include "server/shadow.hpp"
#include "server/store/store.hpp"
#include "server/text.hpp"

namespace scopegate::server {

namespace {

// The original request a proxy asks about.
struct Original {
  std::string_view method;
  std::string_view target;  // path and query
};

// The headers a proxy names the original request with: nginx's pair and the pair of
// Traefik and Caddy.
constexpr std::array<std::string_view, 2> nginx_pair{"x-original-method", "x-original-uri"};
constexpr std::array<std::string_view, 2> forwarded_pair{"x-forwarded-method", "x-forwarded-uri"};

// How many of `request`'s headers are named `name` (HttpRequest::has_header() says if any).
std::size_t header_count(const HttpRequest& request, std::string_view name) {
  return static_cast<std::size_t>(
      std::count_if(request.headers.begin(), request.headers.end(),
                    [name](const auto& header) { return header.first == name; }));
}

// A method as the original request would have it: an RFC 9110 token without lowercase
// letters (methods are case-sensitive, and frameworks that upper-case `delete` would run
// what the policy judged as an unknown method).
bool is_method(std::string_view text) {
  static constexpr std::string_view others = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           others.find(c) != std::string_view::npos;
  });
}

// Headers with which frameworks let a request say it is another one: a method override
// (Symfony, Laravel, Rails' Rack::MethodOverride) or a URL rewrite (X-Original-URL and
// X-Rewrite-URL: older Symfony, Zend, IIS URL Rewrite). The proxy passes a client's on,
// and the policy would judge the request they hide.
constexpr std::array<std::string_view, 5> disguise_headers{"x-http-method-override",
                                                           "x-method-override", "x-http-method",
                                                           "x-original-url", "x-rewrite-url"};

// Why a forward-auth request is refused (400).
struct Refused {
  std::string reason;  // for the log and metrics
  std::string message;
};

// The original request at the gateway path itself, from one pair of headers, or why not.
// A proxy sets its own pair, but passes on the client's other headers (Caddy and Traefik
// all of them, nginx those it does not set): a client can add the other pair. So when
// both pairs are there, nobody can tell which one the proxy wrote, and none is used; nor
// is a pair whose header comes twice.
Result<Original, Refused> original_from_headers(const HttpRequest& request) {
  const auto present = [&request](const auto& pair) {
    return request.has_header(pair[0]) || request.has_header(pair[1]);
  };
  const bool nginx = present(nginx_pair);
  if (nginx && present(forwarded_pair)) {
    return unexpected(
        Refused{"ambiguous_original_request",
                "a forward-auth request must name the original request with one pair of headers, "
                "X-Original-Method and X-Original-URI (nginx) or X-Forwarded-Method and "
                "X-Forwarded-Uri (Traefik, Caddy), not both: the proxy must remove the client's "
                "copies of the other pair (docs/gateway.md)"});
  }
  const auto& pair = nginx ? nginx_pair : forwarded_pair;
  for (const auto name : pair) {
    if (header_count(request, name) > 1) {
      return unexpected(Refused{"ambiguous_original_request",
                                fmt::format("a forward-auth request has {} more than once", name)});
    }
  }
  Original original{request.header(pair[0]), request.header(pair[1])};
  if (original.method.empty() || original.target.empty()) {
    return unexpected(Refused{
        "no_original_request",
        "a forward-auth request must say which request it asks about: X-Original-Method and "
        "X-Original-URI (nginx), or X-Forwarded-Method and X-Forwarded-Uri (Traefik, Caddy)"});
  }
  if (!is_method(original.method)) {
    return unexpected(Refused{"ambiguous_original_request",
                              "the original request's method is not an HTTP method in capitals"});
  }
  return original;
}

// A request that says it is another one (disguise_headers): why it is refused, if it is.
std::optional<Refused> disguised(const HttpRequest& request) {
  for (const auto name : disguise_headers) {
    if (request.has_header(name)) {
      return Refused{"disguised_request",
                     fmt::format("the request carries {}, with which an API may run another "
                                 "request than the one judged: the proxy must remove it",
                                 name)};
    }
  }
  return std::nullopt;
}

// The scopes `principal` holds, as `policy` names them, space-separated.
std::string scope_list(const Policy& policy, const Principal& principal) {
  std::string out;
  const auto& scopes = policy.scopes();
  for (std::size_t id = 0; id < scopes.size(); ++id) {
    if (!principal.scopes().contains(static_cast<ScopeId>(id))) continue;
    if (!out.empty()) out += ' ';
    out += scopes[id].name;
  }
  return out;
}

HttpResponse allowed_response(const Policy& policy, const Decision& decision,
                              const Authorized* caller) {
  HttpResponse response;
  response.status = 200;
  std::string params;
  for (const auto& param : decision.params()) {
    if (!params.empty()) params += '&';
    params.append(percent_encoded(param.name)).append("=");
    params.append(percent_encoded(percent_decode(param.value)));
  }
  response.headers.emplace_back("X-Scopegate-Endpoint", endpoint_label(decision.endpoint()));
  response.headers.emplace_back("X-Scopegate-Params", std::move(params));
  // Every header is always there, empty when it does not apply: a proxy that copies
  // them (Caddy 2.6) then never passes on a client's own header of the same name.
  std::string key_id;
  std::string user_id;
  std::string scopes;
  if (caller != nullptr) {
    const Actor& actor = *caller->actor;
    (actor.key ? key_id : user_id) = actor.key ? actor.key->id : actor.user.id;
    scopes = scope_list(policy, *caller->principal);
  }
  response.headers.emplace_back("X-Scopegate-Key-Id", std::move(key_id));
  response.headers.emplace_back("X-Scopegate-User-Id", std::move(user_id));
  response.headers.emplace_back("X-Scopegate-Scopes", std::move(scopes));
  return response;
}

}  // namespace

Gateway::Gateway(Services& services, const Engine& policy, const Authorizer& authorizer,
                 std::string path, const ShadowPolicy* shadow)
    : m_services(services),
      m_engine(policy),
      m_authorizer(authorizer),
      m_path(std::move(path)),
      m_shadow(shadow) {}

bool Gateway::handles(std::string_view path) const noexcept {
  if (!path.starts_with(m_path)) return false;
  return path.size() == m_path.size() || path[m_path.size()] == '/';
}

HttpResponse Gateway::handle(const HttpRequest& request) const {
  const auto started = std::chrono::steady_clock::now();
  std::string original = "-";
  std::string principal = "-";
  std::string reason = "-";
  Metrics::Slot counted;
  HttpResponse response;
  try {
    response = run(request, original, principal, reason, counted);
  } catch (const std::exception& failure) {
    m_services.logger->error("{} {}: gateway failed: {}", request.method, request.path,
                             failure.what());
    response = error_response(500, "internal error", request.path);
  }
  // nginx's auth_request drops a refusal's body: the same JSON in a header lets its
  // error_page answer with it (docs/gateway.md).
  if (response.status != 200 && !response.body.empty()) {
    response.headers.emplace_back("X-Scopegate-Error", response.body);
  }
  const auto taken = std::chrono::steady_clock::now() - started;
  if (m_services.metrics != nullptr) m_services.metrics->record_request(counted, reason, taken);
  const auto elapsed = std::chrono::duration<double, std::milli>(taken);
  m_services.logger->info("{} {} {} {:.3f}ms gateway={} principal={} reason={}", request.method,
                          log_field(request.path), response.status, elapsed.count(), original,
                          principal, reason);
  return response;
}

HttpResponse Gateway::run(const HttpRequest& request, std::string& original_label,
                          std::string& principal_label, std::string& reason,
                          Metrics::Slot& counted) const {
  Original original;
  if (request.path.size() == m_path.size()) {
    auto named = original_from_headers(request);
    if (!named) {
      reason = named.error().reason;
      return error_response(400, named.error().message, request.path);
    }
    original = *named;
  } else {
    original.method = request.method;
    original.target = std::string_view(request.target).substr(m_path.size());
  }
  const auto path = original.target.substr(0, original.target.find('?'));
  original_label = std::string(original.method).append(" ").append(log_field(path));
  if (auto refused = disguised(request)) {
    reason = std::move(refused->reason);
    return error_response(400, refused->message, path);
  }

  PathSegments segments;
  if (const auto error = split_path(path, segments); error != PathError::none) {
    reason = std::string(to_string(Reason::invalid_path));
    return error_response(400, describe(error), path);
  }
  const auto client = m_authorizer.client_ip(request);
  std::vector<Header> headers;
  const TimePoint at = now();
  const Request facts =
      request_facts(original.method, original.target, client, request, headers, at);

  const auto policy = m_engine.policy();
  if (m_services.metrics != nullptr) {
    counted.counters = m_services.metrics->counters_for(Surface::gateway, *policy);
  }
  const Decision decision = policy->decide(Principal{}, facts);
  counted.endpoint = decision.endpoint();
  if (decision.allowed()) {
    reason = std::string(decision.reason_code());
    if (m_shadow != nullptr) m_shadow->compare(decision, Principal{}, facts, principal_label);
    return allowed_response(*policy, decision, nullptr);
  }
  const ReadScope reads(m_services.store);
  const auto authorized = m_authorizer.authorize(request, facts, *policy, client, path, at,
                                                 m_shadow, principal_label, reason);
  if (!authorized) return authorized.error();
  return allowed_response(*policy, authorized->decision, &*authorized);
}

}  // namespace scopegate::server
