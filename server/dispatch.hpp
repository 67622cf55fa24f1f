// Dispatch: the handler for the endpoint a Decision matched, found by the endpoint's
// position in its Policy (no lookup by text per request). A Dispatch is bound to one
// Policy from the HandlerTable (handlers are registered by method and template, as the
// policy writes them) and holds that Policy alive; App binds a new one when the engine's
// policy changes (hot reload). Immutable once bound; safe to share between threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "scopegate/policy.hpp"
#include "scopegate/result.hpp"
#include "server/context.hpp"

namespace scopegate::server {

class Dispatch {
 public:
  // Fails with one message per mismatch (HandlerTable::check_against).
  static Result<Dispatch, std::vector<std::string>> bind(const HandlerTable& table,
                                                         std::shared_ptr<const Policy> policy);

  const Policy& policy() const noexcept { return *m_policy; }
  // The handler of `endpoint`, which must be one of policy()'s endpoints (as in a
  // Decision that policy made); null for any other endpoint.
  const Handler* handler_for(const Endpoint* endpoint) const noexcept;

 private:
  Dispatch(std::shared_ptr<const Policy> policy, std::vector<const Handler*> handlers)
      : m_policy(std::move(policy)), m_handlers(std::move(handlers)) {}

  std::shared_ptr<const Policy> m_policy;
  std::vector<const Handler*> m_handlers;  // by index in m_policy->endpoints()
};

}  // namespace scopegate::server
