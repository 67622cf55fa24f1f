#include "server/app.hpp"

#include <chrono>

#include "scopegate/path.hpp"
#include "server/clock.hpp"
#include "server/handler_table.hpp"
#include "server/json.hpp"
#include "server/shadow.hpp"
#include "server/store/store.hpp"
#include "server/text.hpp"

namespace scopegate::server {

namespace {

// What a response's log line and metrics give as its reason: the policy's or the
// authentication's, unless they allowed the request and the handler then refused it (a
// wrong password, a throttled sign-in, a body that fails validation): then its status's.
std::string_view outcome_reason(std::string_view reason, int status) {
  if (reason != "allowed" || status < 400) return reason;
  switch (status) {
    case 400:
    case 422:
      return "invalid_request";
    case 401:
      return "unauthenticated";
    case 403:
      return "refused";
    case 404:
      return "not_found";
    case 409:
      return "conflict";
    case 429:
      return "rate_limited";
    case 503:
      return "unavailable";
    default:
      return status >= 500 ? "error" : "refused";
  }
}

}  // namespace

App::App(Services& services, HandlerTable table, Dispatch dispatch)
    : m_services(services),
      m_table(std::move(table)),
      m_dispatch(std::make_shared<const Dispatch>(std::move(dispatch))) {}

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
  Metrics::Slot counted;
  HttpResponse response;
  try {
    response = run(request, principal, reason, counted);
  } catch (const std::exception& failure) {
    m_services.logger->error("{} {}: handler failed: {}", request.method, request.path,
                             failure.what());
    response = error_response(500, "internal error", request.path);
  }
  if (!response.later) {
    log_request(request.method, request.path, response.status, started, principal, reason, counted);
    return response;
  }
  // Answered later (a password sign-in): logged when the answer comes.
  response.later = [this, later = std::move(response.later), method = request.method,
                    path = request.path, started, principal, reason,
                    counted](HttpResponder respond) {
    later([this, respond = std::move(respond), method, path, started, principal, reason,
           counted](HttpResponse answer) {
      log_request(method, path, answer.status, started, principal,
                  answer.later_reason.empty() ? reason : answer.later_reason, counted);
      respond(std::move(answer));
    });
  };
  return response;
}

void App::log_request(std::string_view method, std::string_view path, int status,
                      std::chrono::steady_clock::time_point started, std::string_view principal,
                      std::string_view reason, const Metrics::Slot& counted) const {
  const auto taken = std::chrono::steady_clock::now() - started;
  const std::string_view outcome = outcome_reason(reason, status);
  if (m_services.metrics != nullptr) m_services.metrics->record_request(counted, outcome, taken);
  const auto elapsed = std::chrono::duration<double, std::milli>(taken);
  m_services.logger->info("{} {} {} {:.3f}ms principal={} reason={}", method, log_field(path),
                          status, elapsed.count(), principal, outcome);
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

HttpResponse App::run(const HttpRequest& request, std::string& principal_label, std::string& reason,
                      Metrics::Slot& counted) const {
  const auto& path = request.path;
  // One policy for the whole request: both decisions, the principal and the handler.
  const auto dispatch = this->dispatch();
  if (dispatch && m_services.metrics != nullptr) {
    counted.counters = m_services.metrics->counters_for(Surface::api, dispatch->policy());
  }
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
  const auto client = m_authorizer.client_ip(request);

  // What conditions may read: the target with its query, the client address as detected
  // above (peer, or a trusted proxy's header), the headers and the time.
  std::vector<Header> headers;
  const TimePoint at = now();  // the request's one reading of the clock
  const Request facts = request_facts(request.method, request.target, client, request, headers, at);

  if (!dispatch) {
    reason = "no_handler";
    return error_response(500, "no handler for this endpoint", path);
  }
  const Policy& policy = dispatch->policy();
  std::shared_ptr<const Actor> actor;
  std::optional<ReadScope> reads;  // authentication and the handler: one read transaction
  Decision decision = policy.decide(Principal{}, facts);
  counted.endpoint = decision.endpoint();
  if (!decision.allowed()) {
    reads.emplace(m_services.store);
    auto authorized = m_authorizer.authorize(request, facts, policy, client, path, at, m_shadow,
                                             principal_label, reason);
    if (!authorized) return std::move(authorized.error());
    actor = std::move(authorized->actor);
    decision = authorized->decision;
  } else {
    reason = std::string(decision.reason_code());
    if (m_shadow != nullptr) m_shadow->compare(decision, Principal{}, facts, principal_label);
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

}  // namespace scopegate::server
