// What each endpoint accepts from a client, checked: one parse_* function per JSON body
// (and one for the audit-log query), taking what the client sent and returning either
// the typed input its handler acts on or every problem found, keyed by field, for the
// `validationErrors` of a 400. Every string goes through check_text() (server/text.hpp)
// with its field's rule, written next to the field in the .cpp of its handler.
// The functions are pure (no store, no clock, no I/O; what they need from the policy or
// the configuration is a parameter) and never throw, whatever JSON they get: a fuzzer
// calls them directly. The checks that need the store, the clock or the policy (a scope
// the creator holds, an expiry in the future, a resource of this organization) stay in
// the handlers and run only on a well-formed body. Thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scopegate/result.hpp"
#include "server/keys.hpp"
#include "server/store/records.hpp"

namespace scopegate::server {

using ValidationErrors = std::map<std::string, std::string>;

// POST /api/v1/auth/login.
struct LoginBody {
  std::optional<std::string> organization_slug;  // absent or empty: the bootstrap organization
  std::string email;
  std::string password;
};
Result<LoginBody, ValidationErrors> parse_login_body(const nlohmann::json& body);

// POST /api/v1/api-keys. The policy's checks of the scopes and the clock's of expiresAt
// are issue_key()'s.
Result<KeyRequest, ValidationErrors> parse_api_key_body(const nlohmann::json& body);

// POST /api/v1/sessions; the limits come from the configuration and the caller's role.
struct SessionLimits {
  long long default_hours = 1;
  long long max_hours = 1;
};
struct SessionStart {
  long long duration_hours = 1;
  std::optional<std::string> ipv4_address;  // as sent; inet_pton accepts all of it
  std::optional<std::string> ipv6_address;
};
Result<SessionStart, ValidationErrors> parse_session_start_body(const nlohmann::json& body,
                                                                const SessionLimits& limits);

// POST /api/v1/sessions/{id}/extend.
struct SessionExtension {
  long long additional_hours = 1;
};
Result<SessionExtension, ValidationErrors> parse_session_extend_body(const nlohmann::json& body);

// POST /api/v1/resources and PUT /api/v1/resources/{id}: the writable fields.
struct ResourceFields {
  std::string name;
  std::string provider;
  std::string resource_type;
  std::string resource_identifier;
  std::optional<std::string> region;
  std::optional<std::string> credential_id;
  std::optional<std::string> config_json;  // the `config` object, serialized
  std::optional<bool> active;              // absent: unchanged
};
Result<ResourceFields, ValidationErrors> parse_resource_body(const nlohmann::json& body);

// POST /api/v1/users; `roles` are the policy's role names.
struct NewUser {
  std::string email;
  std::optional<std::string> name;
  std::string role;
  std::string password;
  std::vector<std::string> resource_ids;  // not yet looked up
};
Result<NewUser, ValidationErrors> parse_user_body(const nlohmann::json& body,
                                                  const std::vector<std::string>& roles);

// GET /api/v1/audit-logs: the query parameters as decoded, absent ones nullopt. The
// filter comes back without its organization; `size` is capped at `max_size`.
struct AuditQuery {
  std::optional<std::string> event_type;
  std::optional<std::string> actor_email;
  std::optional<std::string> from;
  std::optional<std::string> to;
  std::optional<std::string> page;
  std::optional<std::string> size;
};
Result<AuditFilter, ValidationErrors> parse_audit_query(const AuditQuery& query,
                                                        std::int64_t max_size);

}  // namespace scopegate::server
