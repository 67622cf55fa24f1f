#include "server/gateway.hpp"

#include "scopegate/path.hpp"
#include "server/clock.hpp"
#include "server/json.hpp"
#include "server/shadow.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

namespace {

// The original request a proxy asks about.
struct Original {
  std::string_view method;
  std::string_view target;  // path and query
};

std::string_view first_header(const HttpRequest& request, std::string_view nginx,
                              std::string_view forwarded) {
  const auto value = request.header(nginx);
  return value.empty() ? request.header(forwarded) : value;
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
    params.append(param.name).append("=").append(param.value);
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
                          request.path, response.status, elapsed.count(), original, principal,
                          reason);
  return response;
}

HttpResponse Gateway::run(const HttpRequest& request, std::string& original_label,
                          std::string& principal_label, std::string& reason,
                          Metrics::Slot& counted) const {
  Original original;
  if (request.path.size() == m_path.size()) {
    original.method = first_header(request, "x-original-method", "x-forwarded-method");
    original.target = first_header(request, "x-original-uri", "x-forwarded-uri");
    if (original.method.empty() || original.target.empty()) {
      reason = "no_original_request";
      return error_response(400,
                            "a forward-auth request must say which request it asks about: "
                            "X-Original-Method and X-Original-URI (nginx), or X-Forwarded-Method "
                            "and X-Forwarded-Uri (Traefik, Caddy)",
                            request.path);
    }
  } else {
    original.method = request.method;
    original.target = std::string_view(request.target).substr(m_path.size());
  }
  const auto path = original.target.substr(0, original.target.find('?'));
  original_label = std::string(original.method).append(" ").append(path);

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
