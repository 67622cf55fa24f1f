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

// POST /api/v1/resources. `provider` is one of credential_providers(); AWS needs a region.
// Whether the credential exists (and has the same provider) is the handler's check.
struct ResourceFields {
  std::string name;
  std::string credential_id;
  std::string provider;
  std::string resource_type;
  std::string resource_identifier;
  std::optional<std::string> region;
  std::optional<std::string> config_json;  // the `config` object, serialized
};
Result<ResourceFields, ValidationErrors> parse_resource_body(const nlohmann::json& body);

// PATCH /api/v1/resources/{id}: only what the body names changes. `region` and `config`
// sent as null are cleared (the outer optional: given or not); the others ignore null.
struct ResourcePatch {
  std::optional<std::string> name;
  std::optional<std::string> resource_identifier;
  std::optional<std::string> credential_id;
  std::optional<std::optional<std::string>> region;
  std::optional<std::optional<std::string>> config_json;
  std::optional<bool> active;
};
Result<ResourcePatch, ValidationErrors> parse_resource_patch_body(const nlohmann::json& body);

// The providers a credential or resource may name: AWS GCP AZURE APISIX.
const std::vector<std::string>& credential_providers();

// POST /api/v1/credentials. `credential_type` is the provider's one type (AWS ACCESS_KEY,
// GCP SERVICE_ACCOUNT, AZURE SERVICE_PRINCIPAL, APISIX ADMIN_API_KEY) and `credentialData`
// an object with that type's keys, each a non-empty string (GCP's may also come as the
// service-account file's text). Problems name fields, never the values sent.
struct NewCredential {
  std::string name;
  std::string provider;
  std::string credential_type;
  std::string data_json;  // credentialData, serialized: to be sealed, never stored as is
};
Result<NewCredential, ValidationErrors> parse_credential_body(const nlohmann::json& body);

// POST /api/v1/static-ip-rules. `ip_address` is canonical CIDR text ("203.0.113.0/24",
// "192.0.2.1/32"); `resource_ids` non-empty and without duplicates, not yet looked up.
struct NewStaticIpRule {
  std::string label;
  std::string ip_address;
  std::vector<std::string> resource_ids;
};
Result<NewStaticIpRule, ValidationErrors> parse_static_ip_rule_body(const nlohmann::json& body);

// POST /api/v1/users; `roles` are the policy's role names.
// POST /api/v1/users: {email*, name, isOrgAdmin} as API-admin.md has it, and three
// extensions: `role` (a role of the policy: "admin" is an organization admin; by default
// "admin" when isOrgAdmin is true, else "member"), `password` (an initial password; without
// one the user sets theirs from the invitation) and `resourceIds` (resources assigned to
// the user directly).
struct NewUser {
  std::string email;
  std::optional<std::string> name;
  std::string role;
  std::optional<std::string> password;
  std::vector<std::string> resource_ids;  // not yet looked up
};
Result<NewUser, ValidationErrors> parse_user_body(const nlohmann::json& body,
                                                  const std::vector<std::string>& roles);

// PATCH /api/v1/users/{id}: only the fields given change.
struct UserChanges {
  std::optional<std::string> name;
  std::optional<bool> is_org_admin;
  std::optional<bool> active;
};
Result<UserChanges, ValidationErrors> parse_user_changes_body(const nlohmann::json& body);

// POST and PATCH /api/v1/roles: {name, description, maxSessionDurationHours}. A field
// absent stays nullopt; a description or cap given as null is Some(nullopt) (PATCH clears
// it). `name_required`: POST.
struct RoleFields {
  std::optional<std::string> name;
  std::optional<OptionalText> description;
  std::optional<std::optional<std::int64_t>> max_session_hours;
};
enum class NameRequired { no, yes };
Result<RoleFields, ValidationErrors> parse_role_body(const nlohmann::json& body,
                                                     NameRequired name_required);
// POST /api/v1/mfa/setup/confirm {secret, code}, /mfa/disable {code} and
// /auth/verify-mfa {mfaChallengeToken, code}: a code of 6 to 12 characters (a TOTP code or
// a recovery code) and, unless `field` is empty, that other required field.
struct MfaCodeBody {
  std::string field;  // the other field's value
  std::string code;
};
Result<MfaCodeBody, ValidationErrors> parse_mfa_code_body(const nlohmann::json& body,
                                                          const std::string& field);

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
