// The rows the server keeps, as plain values: organizations, users, roles, API keys, access
// tokens, resources, sessions with their per-resource IP entries, MFA state (recovery
// codes, sign-in challenges) and audit entries.
// Times are stored UTC ISO-8601 text (see clock.hpp); ids are UUID text. No behaviour.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scopegate::server {

using OptionalText = std::optional<std::string>;

struct Organization {
  std::string id;
  std::string slug;
  std::string name;
  std::string created_at;
  // The plan (FREE BUSINESS ENTERPRISE PLATFORM) and the settings of
  // /organization/settings; the password rules apply to passwords set from then on.
  std::string subscription_tier = "FREE";
  bool mfa_required = false;
  std::int64_t password_min_length = 8;
  bool password_require_uppercase = true;
  bool password_require_lowercase = true;
  bool password_require_digit = true;
  bool password_require_special = false;
  std::optional<std::int64_t> password_expiration_days{};  // nullopt: passwords never expire
};

struct User {
  std::string id;
  std::string organization_id;
  std::string email;
  std::string name;
  std::string role;  // the policy role (access.policy): "admin" is an organization admin
  std::string password_hash;
  bool active = true;
  std::string created_at;
  OptionalText last_login_at;
  // Initialized, so that a User written {id, ..., last_login_at} (bootstrap, tests) needs
  // no more: an empty updated_at is stored as created_at.
  std::string updated_at{};
  // Set when an admin deleted the user: the row stays (sessions, keys and audit entries
  // name it), inactive, its email freed by a suffix (see Store::delete_user).
  OptionalText deleted_at{};
  bool mfa_enabled = false;
  // When the password was last set (password expiry); null for rows older than the column:
  // created_at.
  OptionalText password_changed_at{};
};

// A role of an organization (not a policy role: see User::role): the resources its users may start
// sessions on, and a cap on those sessions' length (none: the server's limits only).
struct OrgRole {
  std::string id;
  std::string organization_id;
  std::string name;
  OptionalText description;
  std::optional<std::int64_t> max_session_hours;
  std::string created_at;
  std::string updated_at;
  std::vector<std::string> resource_ids;  // filled on reads, sorted
  std::vector<std::string> user_ids;      // filled on reads, sorted
};

// What a role is linked to.
enum class RoleLink { resource, user };

struct ApiKey {
  std::string id;
  std::string organization_id;
  std::string created_by;        // user id: the key acts as this user
  std::string created_by_email;  // filled on reads
  std::string name;
  OptionalText description;
  std::string key_prefix;
  std::string key_hash;  // SHA-256 hex of the whole key
  std::vector<std::string> scopes;
  OptionalText expires_at;
  OptionalText revoked_at;
  OptionalText last_used_at;
  OptionalText last_used_ip;
  std::string created_at;
  // Addresses the key may be used from (canonical CIDR text); empty: anywhere. Enforced
  // by the policy (a `forbid` rule on principal.allowed_cidrs), not by the server.
  std::vector<std::string> allowed_cidrs;
};

enum class TokenKind { access, refresh };

struct AccessToken {
  std::string token_hash;
  std::string user_id;
  TokenKind kind = TokenKind::access;
  std::string expires_at;
  std::string created_at;
  // The sign-in the token descends from: a login's tokens start a family, each refresh
  // adds to it; a refresh token used twice ends the whole family.
  std::string family_id;
  OptionalText used_at;  // a refresh token already exchanged for new tokens
};

// A single-use secret sent to a user (stored as its SHA-256): a password reset or
// invitation link, or the passwordChangeToken of a sign-in with an expired password.
struct OneTimeToken {
  std::string token_hash;
  std::string user_id;
  std::string purpose;  // PASSWORD_RESET | SET_PASSWORD | PASSWORD_CHANGE
  std::string expires_at;
  OptionalText used_at;
  std::string created_at;
};

// A mail waiting in the outbox (mail_outbox) for whatever delivers it: the operator
// reading the log, or a sender that sets sent_at (docs/server.md, "Mail").
struct OutboxMail {
  std::string id;
  std::string organization_id;
  std::string recipient;
  std::string subject;
  std::string body;
  std::string created_at;
  OptionalText sent_at;
};

// A new password for a user, with what goes with it in the same transaction.
struct PasswordChange {
  std::string user_id;
  std::string password_hash;
  std::string at;
  // The one-time token this change spends: the change happens only if the token is
  // still unused and unexpired at `at`.
  OptionalText spend_token_hash;
  bool end_sign_ins = false;        // delete every access and refresh token of the user
  std::vector<AccessToken> tokens;  // a new sign-in (sets last_login_at); may be empty
};

struct Resource {
  std::string id;
  std::string organization_id;
  std::string name;
  OptionalText credential_id;
  std::string provider;
  std::string resource_type;
  std::string resource_identifier;
  OptionalText region;
  OptionalText config_json;  // a JSON object as text
  bool active = true;
  OptionalText last_verified_at;
  std::string created_at;
  std::string updated_at;
  OptionalText credential_name;  // filled on reads, from the credential's row
};

// A cloud credential. Its data is held only sealed (server/secrets.hpp), under the
// context credential_context(id): no record carries the plaintext.
struct Credential {
  std::string id;
  std::string organization_id;
  std::string name;
  std::string provider;         // AWS | GCP | AZURE | APISIX
  std::string credential_type;  // ACCESS_KEY | SERVICE_ACCOUNT | SERVICE_PRINCIPAL | ADMIN_API_KEY
  std::string sealed_data;
  std::optional<bool> valid;  // null until the first check
  OptionalText last_verified_at;
  OptionalText verification_error;
  std::string created_at;
  std::string updated_at;
};
inline std::string credential_context(const std::string& id) { return "credential:" + id; }

// One resource of a static IP rule, and how far the rule has got on it.
struct StaticIpRuleTarget {
  std::string resource_id;
  std::string resource_name;
  std::string status;  // PENDING | APPLIED | FAILED
  OptionalText provider_rule_id;
  OptionalText applied_at;
  OptionalText error_message;
};

// An address or range kept open on resources until the rule is deleted.
struct StaticIpRule {
  std::string id;
  std::string organization_id;
  std::string label;
  std::string ip_address;  // canonical CIDR text
  std::string status;      // PENDING | ACTIVE | PARTIAL | FAILED; DELETING until removed
  std::string created_by_email;
  std::string created_at;
  std::vector<StaticIpRuleTarget> targets;
};

struct SessionResourceIp {
  std::string id;
  std::string session_id;
  std::string resource_id;
  std::string resource_name;
  std::string ip_version;  // "IPV4" | "IPV6"
  std::string ip_address;
  std::string status;  // PENDING APPLIED FAILED REMOVING REMOVED
  OptionalText provider_rule_id;
  OptionalText applied_at;
  OptionalText removed_at;
  OptionalText error_message;
};

struct Session {
  std::string id;
  std::string organization_id;
  std::string user_id;
  OptionalText ipv4_address;
  OptionalText ipv6_address;
  std::string status;  // PENDING ACTIVE PARTIAL FAILED EXPIRING EXPIRED CANCELLED
  std::string started_at;
  std::string expires_at;
  OptionalText ended_at;
  OptionalText ended_reason;  // MANUAL | ADMIN | EXPIRED
  std::string created_at;
  std::vector<SessionResourceIp> resource_ips;
};

// MFA (users' mfa_* columns, recovery codes, sign-in challenges). A recovery code is
// kept as an Argon2id string of its normalized text; a challenge as the SHA-256 of its token.
struct RecoveryCode {
  std::string id;
  std::string code_hash;
};

struct UserMfa {
  bool enabled = false;
  OptionalText secret;  // Base32; while not enabled, the pending one of POST /mfa/setup
  std::optional<std::int64_t> last_step;     // the latest TOTP time step spent
  std::vector<RecoveryCode> recovery_codes;  // the unspent ones
};

struct MfaChallenge {
  std::string token_hash;
  std::string user_id;
  std::string expires_at;
  std::string created_at;
};

struct AuditEntry {
  std::string id;
  std::string organization_id;
  std::string event_type;
  OptionalText actor_email;
  std::string actor_type;  // USER | API_KEY | SYSTEM
  OptionalText resource_type;
  OptionalText resource_id;
  OptionalText resource_name;
  std::string result = "SUCCESS";  // SUCCESS | FAILURE
  OptionalText ip_address;
  OptionalText error_message;
  std::string details_json = "{}";
  std::string created_at;
};

struct AuditFilter {
  std::string organization_id;
  OptionalText event_type;
  OptionalText actor_email;
  OptionalText from;  // inclusive, stored form
  OptionalText to;    // exclusive, stored form
  std::int64_t page = 0;
  std::int64_t size = 20;
};

struct AuditPage {
  std::vector<AuditEntry> content;
  std::int64_t total = 0;
};

}  // namespace scopegate::server
