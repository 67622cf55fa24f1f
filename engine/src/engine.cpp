#include "scopegate/engine.hpp"

namespace scopegate {

Engine::Engine(Policy policy) : m_policy(std::make_shared<const Policy>(std::move(policy))) {}

std::shared_ptr<const Policy> Engine::policy() const noexcept {
  return m_policy.load(std::memory_order_acquire);
}

void Engine::replace(Policy policy) {
  m_policy.store(std::make_shared<const Policy>(std::move(policy)), std::memory_order_release);
}

Decision Engine::decide(const Principal& principal, std::string_view method,
                        std::string_view path) const {
  return decide(principal, Request{method, path, std::nullopt, {}, std::nullopt});
}

Decision Engine::decide(const Principal& principal, const Request& request) const {
  std::shared_ptr<const Policy> snapshot = m_policy.load(std::memory_order_acquire);
  Decision decision =
      principal.kind() == PrincipalKind::anonymous || principal.policy_id() == snapshot->id()
          ? snapshot->decide(principal, request)
          : snapshot->decide(snapshot->rebind(principal), request);
  decision.m_keepalive = std::move(snapshot);
  return decision;
}

}  // namespace scopegate
