// What the account handlers share (auth.cpp, tokens.cpp, register.cpp, passwords.cpp,
// organization.cpp): the bodies they parse, the tokens they issue, the response shapes
// of API-admin.md (AuthResponse, LoginResponse, Me, Settings), and running a handler's
// Argon2id work on the password workers. Pure functions apart from
// on_password_worker(); thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/handlers/handlers.hpp"
#include "server/password_policy.hpp"

namespace scopegate::server {

// How long one-time tokens live.
inline constexpr std::chrono::minutes password_reset_lifetime{60};
inline constexpr std::chrono::hours invitation_lifetime{7 * 24};
inline constexpr std::chrono::seconds password_change_lifetime{300};

// A password being set: 8 to 128 characters, no control characters.
inline constexpr TextRule new_password_rule{max_password_characters, min_password_characters,
                                            Controls::none};
// Emails: one line, at most 255 characters.
inline constexpr TextRule email_text_rule{255};
// One `@` with text on both sides and no space: what an address needs to be mailed to.
bool plausible_email(std::string_view email);

// A sign-in's new access and refresh tokens: the plaintexts for the client and the rows to
// store (hashed). `family_id` empty: a new family (a login); otherwise the refresh's.
struct IssuedTokens {
  std::string access;
  std::string refresh;
  std::vector<AccessToken> rows;
};
IssuedTokens issue_tokens(const Config& config, const std::string& user_id,
                          std::string family_id = {});

// A one-time token for `user`: the plaintext and its row (lifetime from now).
struct IssuedOneTimeToken {
  std::string token;
  OneTimeToken row;
};
IssuedOneTimeToken issue_one_time_token(const std::string& user_id, std::string_view purpose,
                                        std::chrono::seconds lifetime);

bool is_org_admin(const User& user);

// AuthResponse.user: {id, email, name, isOrgAdmin, organizationId, organizationName,
// organizationSlug, subscriptionTier, mfaEnabled}.
Json auth_user_json(const User& user, const Organization& organization);
// AuthResponse: {accessToken, refreshToken, expiresIn, tokenType, user}.
Json auth_response_json(const Config& config, const IssuedTokens& tokens, const User& user,
                        const Organization& organization);
// LoginResponse of a sign-in: the AuthResponse, null challenge and password change token,
// and mfaSetupRequired when the organization requires MFA and the user has none yet.
Json login_response_json(const Config& config, const IssuedTokens& tokens, const User& user,
                         const Organization& organization);
// LoginResponse of a sign-in whose password has expired: every token field and `user`
// null, passwordExpired true and the passwordChangeToken.
Json password_expired_json(std::string_view password_change_token);
// LoginResponse of a password sign-in of a user with MFA: every token field and `user`
// null, mfaRequired true and the challenge for POST /auth/verify-mfa.
Json mfa_challenge_json(std::string_view challenge_token, std::int64_t expires_in_seconds);
// Me: {id, email, name, isOrgAdmin, platformRole, organizationId, organizationName,
// organizationSlug, subscriptionTier, maxUsers, maxResources, mfaEnabled,
// organizationMfaRequired}.
Json me_json(const User& user, const Organization& organization);

// Whether the user's password is older than the organization's passwordExpirationDays.
bool password_expired(const User& user, const Organization& organization);

// The 422 of a new password that breaks the organization's policy: the general error
// body with the rules listed in `message` and as `violatedRules` (their settings' names).
HttpResponse password_policy_response(std::string_view path,
                                      const std::vector<BrokenPasswordRule>& broken);

// Runs `work` on a password worker, with copies of the request, its actor and its body
// (Argon2id never runs on the threads that serve requests): the response comes later.
// A request with an actor is authenticated and decided again on the worker, just before
// `work` (authorize_again(), authorizer.hpp): a caller disabled, deleted, signed out or
// refused by the current policy while the request waited gets App::run's refusal for
// that (401 or 403), and `work` does not run. Requests without one (sign-ins,
// registrations, token spends) are not judged again, and `work` gets no decision.
// When every worker is busy and the queue is full, 503 with Retry-After: 1 at once and
// the message "too many <what> in progress; retry in 1 s".
HttpResponse on_password_worker(RequestContext& context, std::string_view what,
                                std::function<HttpResponse(RequestContext&)> work);

// The throttles' name for a client address: the canonical text of an IPv4 address, and
// an IPv6 client's /64 (one host holds a whole /64).
std::string client_address_key(std::string_view client_ip);

// POST /api/v1/auth/register.
struct Registration {
  std::string organization_name;
  std::string slug;
  std::string email;
  std::optional<std::string> name;
  std::string password;
};
Result<Registration, ValidationErrors> parse_register_body(const nlohmann::json& body);
// "Acme Inc" -> "acme-inc": lower case, every run of other characters one `-`, none at
// either end; empty when the name has no ASCII letter or digit.
std::string organization_slug(std::string_view name);

// PATCH /api/v1/organization/settings: `organization` with the body's fields applied.
Result<Organization, ValidationErrors> apply_settings_body(const nlohmann::json& body,
                                                           Organization organization);

}  // namespace scopegate::server
