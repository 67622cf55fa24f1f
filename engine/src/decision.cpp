#include "scopegate/decision.hpp"

#include "scopegate/policy.hpp"

namespace scopegate {

std::string_view to_string(Reason reason) noexcept {
  switch (reason) {
    case Reason::allowed:
      return "allowed";
    case Reason::invalid_path:
      return "invalid_path";
    case Reason::unauthenticated:
      return "unauthenticated";
    case Reason::api_key_not_supported:
      return "api_key_not_supported";
    case Reason::missing_scope:
      return "missing_scope";
    case Reason::condition_failed:
      return "condition_failed";
    case Reason::forbidden:
      return "forbidden";
    case Reason::no_route:
      return "no_route";
    case Reason::method_not_allowed:
      return "method_not_allowed";
    case Reason::no_policy:
      return "no_policy";
  }
  return "unknown";
}

int status_for(Reason reason) noexcept {
  switch (reason) {
    case Reason::allowed:
      return 200;
    case Reason::invalid_path:
      return 400;
    case Reason::unauthenticated:
      return 401;
    case Reason::api_key_not_supported:
    case Reason::missing_scope:
    case Reason::condition_failed:
    case Reason::forbidden:
      return 403;
    case Reason::no_route:
      return 404;
    case Reason::method_not_allowed:
      return 405;
    case Reason::no_policy:
      return 503;
  }
  return 403;
}

std::optional<std::string_view> Decision::granted_by() const noexcept {
  if (m_grant == nullptr || m_policy == nullptr) return std::nullopt;
  return m_policy->scopes()[m_grant->scope].name;
}

std::span<const std::string_view> Decision::required_scopes() const noexcept {
  if (m_endpoint == nullptr || m_endpoint->access != Access::scoped) return {};
  return m_for_key ? m_endpoint->key_scopes() : m_endpoint->user_scopes();
}

std::string_view Decision::granting_message() const noexcept {
  if (m_endpoint == nullptr) return {};
  return m_for_key ? m_endpoint->key_message() : m_endpoint->user_message();
}

std::optional<std::string_view> Decision::param(std::string_view name) const noexcept {
  for (const PathParam& p : params()) {
    if (p.name == name) return p.value;
  }
  return std::nullopt;
}

}  // namespace scopegate
