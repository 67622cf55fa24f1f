#include "scopegate/engine.hpp"

namespace scopegate {

namespace {

constexpr std::string_view no_policy_message = "No policy is loaded";

}  // namespace

Engine::Engine(Policy policy) : m_policy(std::make_shared<const Policy>(std::move(policy))) {}

Engine::Engine(Engine&& other) noexcept
    : m_policy(other.m_policy.exchange(nullptr, std::memory_order_acq_rel)) {}

Engine& Engine::operator=(Engine&& other) noexcept {
  m_policy.store(other.m_policy.exchange(nullptr, std::memory_order_acq_rel),
                 std::memory_order_release);
  return *this;
}

std::shared_ptr<const Policy> Engine::policy() const noexcept {
  return m_policy.load(std::memory_order_acquire);
}

void Engine::replace(Policy policy) {
  m_policy.store(std::make_shared<const Policy>(std::move(policy)), std::memory_order_release);
}

// Built in place (a single named return), so that its raw parameter storage is never
// copied while uninitialized.
Decision Decision::no_policy(bool for_key) noexcept {
  Decision refused;
  refused.m_reason = Reason::no_policy;
  refused.m_message = no_policy_message;
  refused.m_for_key = for_key;
  return refused;
}

Decision Engine::decide(const Principal& principal, std::string_view method,
                        std::string_view path) const {
  return decide(principal, Request{method, path, std::nullopt, {}, std::nullopt});
}

Decision Engine::decide(const Principal& principal, const Request& request) const {
  std::shared_ptr<const Policy> snapshot = m_policy.load(std::memory_order_acquire);
  if (snapshot == nullptr) [[unlikely]] {
    return Decision::no_policy(principal.kind() == PrincipalKind::api_key);
  }
  Decision decision =
      principal.kind() == PrincipalKind::anonymous || principal.policy_id() == snapshot->id()
          ? snapshot->decide(principal, request)
          : snapshot->decide(snapshot->rebind(principal), request);
  decision.m_keepalive = std::move(snapshot);
  return decision;
}

}  // namespace scopegate
