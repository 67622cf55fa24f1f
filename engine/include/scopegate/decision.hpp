// Decision: the answer to "may this principal call METHOD PATH?", with its reason.
// It borrows from the Policy that made it (endpoint, messages, scope names) and from the
// path text passed to decide() (parameter values). A Decision from Engine::decide keeps
// its Policy alive itself; one from Policy::decide is valid while that Policy lives.
// Building a Decision never allocates.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "scopegate/export.hpp"
#include "scopegate/method.hpp"
#include "scopegate/path.hpp"
#include "scopegate/source_location.hpp"
#include "scopegate/template.hpp"

namespace scopegate {

class Policy;
struct Endpoint;
struct Grant;
struct ForbidRule;

// Stable reason codes: part of the public contract (logs, `explain`, JSON output).
enum class Reason : std::uint8_t {
  allowed,                // 200
  invalid_path,           // 400: the path failed validation (see PathError)
  unauthenticated,        // 401: nobody asked for an endpoint that is not public
  api_key_not_supported,  // 403: an API key on an endpoint only users may call
  missing_scope,          // 403: no granting scope is held
  condition_failed,       // 403: a granting scope is held, but its `when` fails
  forbidden,              // 403: a `forbid` rule matched
  no_route,               // 404: no endpoint matches the path
  method_not_allowed,     // 405: the path exists, but not for this method
  no_policy,              // 503: an Engine with no policy loaded (default-constructed)
};

// The message of a no_route decision: also what a server answers for a path below an
// endpoint's `**` that it serves nothing at.
inline constexpr std::string_view no_route_message = "No endpoint matches this path";

SCOPEGATE_EXPORT std::string_view to_string(Reason reason) noexcept;
SCOPEGATE_EXPORT int status_for(Reason reason) noexcept;

struct PathParam {
  std::string_view name;   // the template's parameter name, e.g. "id" (in the Policy's storage)
  std::string_view value;  // the request's segment, still percent-encoded
};
static_assert(std::is_trivially_copyable_v<PathParam> &&
              std::is_trivially_destructible_v<PathParam>);

class SCOPEGATE_EXPORT Decision {
 public:
  Decision() = default;

  bool allowed() const noexcept { return m_reason == Reason::allowed; }
  Reason reason() const noexcept { return m_reason; }
  std::string_view reason_code() const noexcept { return to_string(m_reason); }
  int status() const noexcept { return status_for(m_reason); }
  // For people and for the response body, e.g.
  // "API key does not have required scope: sessions:write". For missing_scope and
  // api_key_not_supported it is looked up here, in the endpoint's Granting, so that
  // decide() does not read the Endpoint.
  std::string_view message() const noexcept {
    return m_reason == Reason::missing_scope || m_reason == Reason::api_key_not_supported
               ? granting_message()
               : m_message;
  }
  // For invalid_path: which check failed.
  PathError path_error() const noexcept { return m_path_error; }

  // The matched endpoint; null for invalid_path, no_route and method_not_allowed.
  const Endpoint* endpoint() const noexcept { return m_endpoint; }
  // The rule that decided: the granting route line for an allow by scope, the endpoint's
  // own line otherwise; null when no endpoint matched.
  const SourceLocation* rule() const noexcept { return m_rule; }
  // The scope that granted access (allow by scope only).
  std::optional<std::string_view> granted_by() const noexcept;
  // condition_failed: the held grant whose condition failed (its text and location).
  const Grant* failed_grant() const noexcept { return m_failed_grant; }
  // forbidden: the rule that refused.
  const ForbidRule* forbid() const noexcept { return m_forbid; }
  // The scopes that would grant this endpoint to this kind of principal.
  std::span<const std::string_view> required_scopes() const noexcept;
  // For method_not_allowed: the `Allow` header value, e.g. "GET, POST".
  std::string_view allowed_methods() const noexcept { return m_allowed_methods; }

  std::span<const PathParam> params() const noexcept {
    return {std::launder(reinterpret_cast<const PathParam*>(m_params)), m_param_count};
  }
  std::optional<std::string_view> param(std::string_view name) const noexcept;

 private:
  friend class Policy;
  friend class Engine;

  std::string_view granting_message() const noexcept;
  // What an Engine with no policy answers (Reason::no_policy).
  static Decision no_policy(bool for_key) noexcept;

  Reason m_reason = Reason::no_route;
  PathError m_path_error = PathError::none;
  std::string_view m_message;  // unused for missing_scope and api_key_not_supported
  std::string_view m_allowed_methods;
  const Endpoint* m_endpoint = nullptr;
  const SourceLocation* m_rule = nullptr;
  const Grant* m_grant = nullptr;
  const Grant* m_failed_grant = nullptr;
  const ForbidRule* m_forbid = nullptr;
  const Policy* m_policy = nullptr;
  bool m_for_key = false;
  std::uint8_t m_param_count = 0;
  // Raw storage, so that a Decision is not zero-filled on every request; the first
  // m_param_count entries hold PathParam objects (trivially copyable).
  alignas(PathParam) unsigned char m_params[sizeof(PathParam) * max_path_params];
  std::shared_ptr<const Policy> m_keepalive;  // set by Engine::decide
};

}  // namespace scopegate
