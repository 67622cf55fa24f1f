#include "server/app.hpp"

#include <fmt/format.h>

#include <chrono>

#include "scopegate/path.hpp"
#include "server/audit_writer.hpp"
#include "server/auth.hpp"
#include "server/clock.hpp"
#include "server/decision_response.hpp"
#include "server/handler_table.hpp"
#include "server/json.hpp"

namespace scopegate::server {

App::App(Services& services, HandlerTable table, Dispatch dispatch)
    : m_services(services),
      m_table(std::move(table)),
      m_dispatch(std::make_shared<const Dispatch>(std::move(dispatch))) {
  for (const auto& proxy : services.config.trusted_proxies) {
    if (const auto range = parse_cidr(proxy)) m_trusted_proxies.push_back(*range);
  }
}

Result<std::unique_ptr<App>, std::vector<std::string>> App::create(Services& services) {
  auto table = make_handler_table();
  auto dispatch = Dispatch::bind(table, services.engine.policy());
  if (!dispatch) return unexpected(std::move(dispatch.error()));
  return std::unique_ptr<App>(new App(services, std::move(table), std::move(*dispatch)));
}

std::vector<std::string> App::check_policy(const Policy& policy) const {
  return m_table.check_against(policy);
}

HttpResponse App::handle(const HttpRequest& request) const {
  const auto started = std::chrono::steady_clock::now();
  std::string principal = "-";
  std::string reason = "-";
  HttpResponse response;
  try {
    response = run(request, principal, reason);
  } catch (const std::exception& failure) {
    m_services.logger->error("{} {}: handler failed: {}", request.method, request.path,
                             failure.what());
    response = error_response(500, "internal error", request.path);
  }
  if (!response.later) {
    log_request(request.method, request.path, response.status, started, principal, reason);
    return response;
  }
  // Answered later (a password sign-in): logged when the answer comes.
  response.later = [this, later = std::move(response.later), method = request.method,
                    path = request.path, started, principal, reason](HttpResponder respond) {
    later([this, respond = std::move(respond), method, path, started, principal,
           reason](HttpResponse answer) {
      log_request(method, path, answer.status, started, principal, reason);
      respond(std::move(answer));
    });
  };
  return response;
}

void App::log_request(std::string_view method, std::string_view path, int status,
                      std::chrono::steady_clock::time_point started, std::string_view principal,
                      std::string_view reason) const {
  const auto elapsed =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
  m_services.logger->info("{} {} {} {:.3f}ms principal={} reason={}", method, path, status,
                          elapsed.count(), principal, reason);
}

std::shared_ptr<const Dispatch> App::dispatch() const {
  auto policy = m_services.engine.policy();
  auto current = m_dispatch.load();
  if (current && &current->policy() == policy.get()) return current;
  // The engine holds a new policy (a reload checked it against the table first).
  auto bound = Dispatch::bind(m_table, std::move(policy));
  if (!bound) {
    for (const auto& problem : bound.error()) m_services.logger->error("{}", problem);
    return nullptr;
  }
  auto fresh = std::make_shared<const Dispatch>(std::move(*bound));
  m_dispatch.store(fresh);
  return fresh;
}

HttpResponse App::run(const HttpRequest& request, std::string& principal_label,
                      std::string& reason) const {
  const auto& path = request.path;
  PathSegments segments;
  if (const auto error = split_path(path, segments); error != PathError::none) {
    reason = std::string(to_string(Reason::invalid_path));
    return error_response(400, describe(error), path);
  }
  nlohmann::json body;
  const bool has_body = !request.body.empty();
  if (has_body) {
    body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded()) {
      reason = "malformed_json";
      return error_response(400, "malformed JSON request body", path);
    }
  }
  const auto client = client_ip(request.peer_ip, request.header("x-forwarded-for"),
                                request.header("x-real-ip"), m_trusted_proxies);

  // What conditions may read: the target with its query, the client address as detected
  // above (peer, or a trusted proxy's header), the headers and the time.
  std::vector<Header> headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) headers.push_back(Header{name, value});
  Request facts;
  facts.method = request.method;
  facts.target = request.target;
  facts.ip = ::scopegate::parse_ip(client);
  facts.headers = headers;
  const TimePoint at = now();  // the request's one reading of the clock
  facts.time = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();

  // One policy for the whole request: both decisions, the principal and the handler.
  const auto dispatch = this->dispatch();
  if (!dispatch) {
    reason = "no_handler";
    return error_response(500, "no handler for this endpoint", path);
  }
  const Policy& policy = dispatch->policy();
  std::shared_ptr<const Actor> actor;
  std::optional<ReadScope> reads;  // authentication and the handler: one read transaction
  Decision decision = policy.decide(Principal{}, facts);
  if (!decision.allowed()) {
    reads.emplace(m_services.store);
    auto authenticated = authenticate(request, m_services.store, policy);
    if (!authenticated) {
      reason = "unauthenticated";
      return authentication_refusal(authenticated.error(), path);
    }
    actor = authenticated->actor;
    principal_label = actor->label();
    if (actor->key) {
      m_services.audit.submit_key_use(actor->key->id, at, client);
      // The key's rate limit (API.md: 429 with Retry-After): after authentication, before
      // the decision with the principal; in memory only. Bearer tokens are not limited.
      const auto limit = m_rate_limiter.acquire(actor->key->id, std::chrono::steady_clock::now());
      if (!limit.allowed) {
        reason = "rate_limited";
        return with_retry_after(
            error_response(
                429,
                fmt::format("rate limit exceeded: this API key may make {} requests per minute, in "
                            "bursts of up to {}; retry in {} s",
                            m_rate_limiter.requests_per_minute(), m_rate_limiter.burst(),
                            limit.retry_after_seconds),
                path),
            limit.retry_after_seconds);
      }
    }
    decision = policy.decide(*authenticated->principal, facts);
  }
  reason = std::string(decision.reason_code());

  if (!decision.allowed()) {
    const Caller caller = !actor                              ? Caller::anonymous
                          : actor->kind == ActorKind::api_key ? Caller::api_key
                                                              : Caller::user;
    if (caller == Caller::api_key && decision.status() == 403) {
      audit_key_denial(request, decision, *actor, client, at);
    }
    return refusal_response(decision, caller, path);
  }
  const Handler* handler = dispatch->handler_for(decision.endpoint());
  if (handler == nullptr) {
    reason = "no_handler";
    return error_response(500, "no handler for this endpoint", path);
  }
  RequestContext context{request, decision,  actor.get(), has_body ? &body : nullptr,
                         client,  m_services};
  return (*handler)(context);
}

void App::audit_key_denial(const HttpRequest& request, const Decision& decision, const Actor& actor,
                           const std::string& client, TimePoint at) const {
  // Denials are audited in batches, identical ones once with a count: a repeat costs
  // only its identity (built in this thread's buffers) and one lookup.
  thread_local std::string details;
  thread_local std::string resource;
  thread_local std::string identity;
  details.clear();
  append_key_details(details, *actor.key);
  resource.clear();
  resource.append(request.method).append(" ").append(request.path);
  identity.clear();
  AuditWriter::append_identity(identity, "ACCESS_DENIED", actor.organization.id, client, details,
                               resource, decision.message());
  if (m_services.audit.count_repeat(identity, at)) return;
  const RequestContext context{request, decision, &actor, nullptr, client, m_services};
  auto denied = context.audit("ACCESS_DENIED", RequestContext::AuditId::when_written);
  denied.result = "FAILURE";
  denied.error_message = std::string(decision.message());
  denied.resource_type = "ENDPOINT";
  denied.resource_name = resource;
  m_services.audit.submit_audit(std::move(denied));
}

}  // namespace scopegate::server
