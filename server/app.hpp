// App: the request pipeline, in the order of DESIGN.md section 4 —
//   validate (400 bad path, 400 malformed JSON) -> authenticate (401) ->
//   engine decision (404/405/403 with the bodies of API.md) -> the handler of the
//   endpoint the engine matched (which loads objects: 404, then checks state: 400).
// The engine is the router: App runs the handler of the endpoint the decision matched
// (Dispatch, bound to the policy that decided); a refusal becomes its response in
// decision_response.hpp. One policy snapshot serves the whole request. One log line per
// request. handle() is thread-safe; the table is immutable after create().
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "scopegate/result.hpp"
#include "server/authorizer.hpp"
#include "server/context.hpp"
#include "server/dispatch.hpp"
#include "server/metrics.hpp"

namespace scopegate::server {

class App {
 public:
  // Fails with one message per mismatch between the handlers and the engine's policy.
  static Result<std::unique_ptr<App>, std::vector<std::string>> create(Services& services);

  HttpResponse handle(const HttpRequest& request) const;

  // Checks a policy before it replaces the current one (the hot-reload seam).
  std::vector<std::string> check_policy(const Policy& policy) const;

  // A candidate policy to judge every request beside the live one (server/shadow.hpp);
  // set before the server serves.
  void set_shadow(const ShadowPolicy* shadow) { m_shadow = shadow; }

  // Who is calling and may they: shared with the gateway (server/gateway.hpp).
  const Authorizer& authorizer() const { return m_authorizer; }

 private:
  App(Services& services, HandlerTable table, Dispatch dispatch);
  HttpResponse run(const HttpRequest& request, std::string& principal, std::string& reason,
                   Metrics::Slot& counted) const;
  // The Dispatch for the engine's current policy, bound again after a reload; null (and
  // logged) if the policy has an endpoint without a handler, which a reload refuses.
  std::shared_ptr<const Dispatch> dispatch() const;
  // The one log line a request gets, with its status and the time since `started`; and
  // its count in the metrics.
  void log_request(std::string_view method, std::string_view path, int status,
                   std::chrono::steady_clock::time_point started, std::string_view principal,
                   std::string_view reason, const Metrics::Slot& counted) const;

  Services& m_services;
  HandlerTable m_table;
  mutable std::atomic<std::shared_ptr<const Dispatch>> m_dispatch;
  Authorizer m_authorizer{m_services};
  const ShadowPolicy* m_shadow = nullptr;
};

}  // namespace scopegate::server
