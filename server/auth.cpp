#include "server/auth.hpp"

#include "server/clock.hpp"
#include "server/crypto.hpp"

namespace scopegate::server {

namespace {

bool starts_with_word(std::string_view text, std::string_view word) {
  if (text.size() <= word.size() || text[word.size()] != ' ') return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(word[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view after_word(std::string_view text, std::string_view word) {
  auto rest = text.substr(word.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  return rest;
}

Result<Actor, AuthFailure> failure(std::string message, int status = 401) {
  return unexpected(AuthFailure{status, std::move(message)});
}

Result<Actor, AuthFailure> authenticate_bearer(std::string_view token, Store& store) {
  if (token.empty()) return failure("invalid or expired access token");
  const auto found = store.authenticate_token(sha256_hex(token));
  if (!found) return failure("authentication is unavailable", 500);
  if (!*found || (*found)->token.kind != TokenKind::access) {
    return failure("invalid or expired access token");
  }
  const auto& row = **found;
  if (row.token.expires_at <= format_stored(now())) return failure("invalid or expired access token");
  if (!row.user.active) return failure("user account is disabled");
  Actor actor;
  actor.kind = ActorKind::user;
  actor.user = row.user;
  actor.organization = row.organization;
  return actor;
}

Result<Actor, AuthFailure> authenticate_key(std::string_view key, Store& store) {
  if (key.empty()) return failure("invalid API key");
  const auto hash = sha256_hex(key);
  const auto found = store.authenticate_key(hash);
  if (!found) return failure("authentication is unavailable", 500);
  if (!*found || !constant_time_equal((*found)->key.key_hash, hash)) {
    return failure("invalid API key");
  }
  auto& row = **found;
  if (row.key.revoked_at) return failure("API key has been revoked");
  if (row.key.expires_at && *row.key.expires_at <= format_stored(now())) {
    return failure("API key has expired");
  }
  if (!row.user.active) return failure("the API key's creator is disabled");
  Actor actor;
  actor.kind = ActorKind::api_key;
  actor.user = std::move(row.user);
  actor.organization = std::move(row.organization);
  actor.key = std::move(row.key);
  return actor;
}

}  // namespace

CredentialKind credential_kind(const HttpRequest& request) {
  const auto authorization = request.header("authorization");
  if (starts_with_word(authorization, "Bearer")) return CredentialKind::bearer;
  if (starts_with_word(authorization, "ApiKey")) return CredentialKind::api_key;
  if (request.has_header("x-api-key")) return CredentialKind::api_key;
  return CredentialKind::none;
}

Result<Actor, AuthFailure> authenticate(const HttpRequest& request, Store& store) {
  const auto authorization = request.header("authorization");
  switch (credential_kind(request)) {
    case CredentialKind::bearer:
      return authenticate_bearer(after_word(authorization, "Bearer"), store);
    case CredentialKind::api_key:
      if (starts_with_word(authorization, "ApiKey")) {
        return authenticate_key(after_word(authorization, "ApiKey"), store);
      }
      return authenticate_key(request.header("x-api-key"), store);
    case CredentialKind::none:
      break;
  }
  return failure("authentication required");
}

std::vector<std::string> effective_key_scopes(const Policy& policy, const ApiKey& key,
                                              const User& creator) {
  std::vector<std::string> out;
  const Role* role = policy.find_role(creator.role);
  if (role == nullptr) return out;
  for (const auto& name : key.scopes) {
    const auto id = policy.find_scope(name);
    if (id && role->closure.contains(*id)) out.push_back(name);
  }
  return out;
}

Principal principal_for(const Policy& policy, const Actor& actor) {
  Principal principal;
  if (actor.kind == ActorKind::api_key && actor.key) {
    principal = policy.principal_for_key(effective_key_scopes(policy, *actor.key, actor.user));
    if (!actor.key->allowed_cidrs.empty()) {
      std::vector<::scopegate::Cidr> ranges;
      ranges.reserve(actor.key->allowed_cidrs.size());
      for (const auto& text : actor.key->allowed_cidrs) {
        // Canonical text written by issue_key(), so every entry parses.
        if (const auto range = ::scopegate::parse_cidr(text)) ranges.push_back(*range);
      }
      principal.set_allowed_cidrs(std::move(ranges));
    }
  } else {
    principal = policy.principal_for_role(actor.user.role);
  }
  principal.set_identity(actor.user.id, actor.user.email, actor.organization.slug);
  return principal;
}

}  // namespace scopegate::server
