#include "server/authorizer.hpp"

#include <fmt/format.h>

#include <chrono>

#include "server/audit_writer.hpp"
#include "server/auth.hpp"
#include "server/clock.hpp"
#include "server/decision_response.hpp"
#include "server/json.hpp"
#include "server/metrics.hpp"
#include "server/shadow.hpp"

namespace scopegate::server {

Request request_facts(std::string_view method, std::string_view target, const std::string& client,
                      const HttpRequest& request, std::vector<Header>& headers, TimePoint at) {
  headers.clear();
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) headers.push_back(Header{name, value});
  Request facts;
  facts.method = method;
  facts.target = target;
  facts.ip = ::scopegate::parse_ip(client);
  facts.headers = headers;
  facts.time = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  return facts;
}

namespace {

// A refused authentication's log reason: no valid credentials, or a store that could not
// answer (busy or unreachable: `unavailable`; otherwise `error`).
std::string refusal_reason(const AuthFailure& failure) {
  return failure.status == 401   ? "unauthenticated"
         : failure.status == 503 ? "unavailable"
                                 : "error";
}

}  // namespace

Authorizer::Authorizer(Services& services)
    : m_services(services),
      m_rate_limiter(services.config.rate_limit_requests_per_minute,
                     services.config.rate_limit_burst) {
  for (const auto& proxy : services.config.trusted_proxies) {
    if (const auto range = parse_cidr(proxy)) m_trusted_proxies.push_back(*range);
  }
}

std::string Authorizer::client_ip(const HttpRequest& request) const {
  return server::client_ip(request.peer_ip, request.header("x-forwarded-for"),
                           request.header("x-real-ip"), m_trusted_proxies);
}

Result<Authorized, HttpResponse> Authorizer::authorize(
    const HttpRequest& request, const Request& facts, const Policy& policy,
    const std::string& client, std::string_view path, TimePoint at, const ShadowPolicy* shadow,
    std::string& principal_label, std::string& reason) const {
  auto authenticated = authenticate(request, m_services.store, policy);
  if (auto* metrics = m_services.metrics) {
    const auto kind = credential_kind(request);
    const auto outcome = authenticated                         ? AuthOutcome::success
                         : authenticated.error().status == 401 ? AuthOutcome::refused
                                                               : AuthOutcome::error;
    metrics->record_authentication(kind == CredentialKind::api_key  ? "api_key"
                                   : kind == CredentialKind::bearer ? "bearer"
                                                                    : "none",
                                   outcome);
    if (outcome == AuthOutcome::error) metrics->record_database_error();
  }
  if (!authenticated) {
    if (shadow != nullptr && authenticated.error().status == 401) {
      shadow->compare_unauthenticated(policy.decide(Principal{}, facts), facts);
    }
    reason = refusal_reason(authenticated.error());
    return unexpected(authentication_refusal(authenticated.error(), path));
  }
  const auto& actor = authenticated->actor;
  principal_label = actor->label();
  if (actor->key) {
    m_services.audit.submit_key_use(actor->key->id, at, client);
    // The key's rate limit (API.md: 429 with Retry-After): after authentication, before
    // the decision with the principal; in memory only. Bearer tokens are not limited.
    const auto limit = m_rate_limiter.acquire(actor->key->id, std::chrono::steady_clock::now());
    if (!limit.allowed) {
      reason = "rate_limited";
      return unexpected(with_retry_after(
          error_response(
              429,
              fmt::format("rate limit exceeded: this API key may make {} requests per minute, in "
                          "bursts of up to {}; retry in {} s",
                          m_rate_limiter.requests_per_minute(), m_rate_limiter.burst(),
                          limit.retry_after_seconds),
              path),
          limit.retry_after_seconds));
    }
  }
  Authorized authorized{policy.decide(*authenticated->principal, facts), actor,
                        authenticated->principal};
  const auto& decision = authorized.decision;
  reason = std::string(decision.reason_code());
  if (shadow != nullptr) shadow->compare(decision, *authorized.principal, facts, principal_label);
  if (decision.allowed()) return authorized;
  return unexpected(caller_refusal(m_services, request, facts, decision, *actor, client, at, path));
}

namespace {

// ACCESS_DENIED for an API key's 403: batched, an identical denial counted once.
void audit_key_denial(Services& services, const HttpRequest& request, const Request& facts,
                      const Decision& decision, const Actor& actor, const std::string& client,
                      TimePoint at) {
  // Denials are audited in batches, identical ones once with a count: a repeat costs
  // only its identity (built in this thread's buffers) and one lookup.
  thread_local std::string details;
  thread_local std::string resource;
  thread_local std::string identity;
  details.clear();
  append_key_details(details, *actor.key);
  resource.clear();
  resource.append(facts.method).append(" ").append(facts.target.substr(0, facts.target.find('?')));
  identity.clear();
  AuditWriter::append_identity(identity, "ACCESS_DENIED", actor.organization.id, client, details,
                               resource, decision.message());
  if (services.audit.count_repeat(identity, at)) return;
  const RequestContext context{request, decision, &actor, nullptr, client, services};
  auto denied = context.audit("ACCESS_DENIED", RequestContext::AuditId::when_written);
  denied.result = "FAILURE";
  denied.error_message = std::string(decision.message());
  denied.resource_type = "ENDPOINT";
  denied.resource_name = resource;
  services.audit.submit_audit(std::move(denied));
}

}  // namespace

HttpResponse caller_refusal(Services& services, const HttpRequest& request, const Request& facts,
                            const Decision& decision, const Actor& actor, const std::string& client,
                            TimePoint at, std::string_view path) {
  if (decision.status() == 403 && mfa_setup_pending(actor)) {
    // What the user must do, rather than the scope the stand-in role lacks.
    return error_response(
        403, "the organization requires MFA: set it up first (POST /api/v1/mfa/setup)", path);
  }
  const bool key = actor.kind == ActorKind::api_key;
  if (key && decision.status() == 403) {
    audit_key_denial(services, request, facts, decision, actor, client, at);
  }
  return refusal_response(decision, key ? Caller::api_key : Caller::user, path);
}

Result<Authorized, HttpResponse> authorize_again(Services& services, const HttpRequest& request,
                                                 const Policy& policy, const std::string& client,
                                                 std::string& reason) {
  auto authenticated = authenticate(request, services.store, policy);
  if (!authenticated) {
    reason = refusal_reason(authenticated.error());
    return unexpected(authentication_refusal(authenticated.error(), request.path));
  }
  std::vector<Header> headers;
  const TimePoint at = now();
  const Request facts = request_facts(request.method, request.target, client, request, headers, at);
  Authorized authorized{policy.decide(*authenticated->principal, facts), authenticated->actor,
                        authenticated->principal};
  reason = std::string(authorized.decision.reason_code());
  if (authorized.decision.allowed()) return authorized;
  return unexpected(caller_refusal(services, request, facts, authorized.decision, *authorized.actor,
                                   client, at, request.path));
}

}  // namespace scopegate::server
