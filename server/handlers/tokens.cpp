// POST /api/v1/auth/refresh and POST /api/v1/auth/logout (public: the refresh token is
// the credential). Refresh tokens rotate: each is good for one refresh, which returns a
// new pair in the same family; presenting a used one again (a stolen copy, or the client
// after the thief) revokes every token of its family, access tokens included. Logout
// revokes the family's refresh tokens; access tokens live until they expire.
#include <fmt/format.h>

#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/handlers/accounts.hpp"
#include "server/handlers/handlers.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

namespace {

constexpr TextRule refresh_token_rule{255};

// The refresh token of a body, when it names a stored one. `required`: a missing field is
// a validation error (refresh); otherwise it is nullopt (logout).
struct BodyToken {
  std::optional<Store::TokenActor> found;
  std::optional<HttpResponse> refusal;
};

BodyToken body_token(RequestContext& context, bool required) {
  ValidationErrors errors;
  const auto& body = body_fields(request_body(context), errors);
  const auto token = required ? required_text(body, "refreshToken", refresh_token_rule, errors)
                              : optional_text(body, "refreshToken", refresh_token_rule, errors);
  if (!errors.empty()) return {std::nullopt, validation_response(context.request.path, errors)};
  if (!token || token->empty()) return {};
  auto found = context.services.store.authenticate_token(sha256_hex(*token));
  if (!found) return {std::nullopt, store_failure(context, found.error())};
  if (!*found || (*found)->token.kind != TokenKind::refresh) return {};
  return {std::move(*found), std::nullopt};
}

// An audit entry by the token's user, as if signed in.
AuditEntry user_audit(const RequestContext& context, const Store::TokenActor& row,
                      std::string_view event_type) {
  const Actor actor{ActorKind::user, row.user, row.organization, std::nullopt};
  const RequestContext as_user{context.request, context.decision,  &actor,
                               context.body,    context.client_ip, context.services};
  auto audit = as_user.audit(event_type);
  audit.resource_type = "USER";
  audit.resource_id = row.user.id;
  audit.resource_name = row.user.email;
  return audit;
}

HttpResponse invalid_refresh_token(const RequestContext& context) {
  return error_response(401, "invalid or expired refresh token", context.request.path);
}

// A used refresh token again: the family is compromised, all of it goes.
HttpResponse reused(RequestContext& context, const Store::TokenActor& row) {
  auto audit = user_audit(context, row, "USER_TOKEN_REUSE");
  audit.result = "FAILURE";
  audit.error_message = "a used refresh token was presented again; its sign-in is revoked";
  const auto revoked =
      context.services.store.revoke_token_family(row.token.family_id, true, &audit);
  if (!revoked) return store_failure(context, revoked.error());
  context.services.logger->warn(
      "refresh token reused for user {}: every token of its sign-in "
      "is revoked",
      row.user.id);
  return error_response(401, "refresh token has already been used; sign in again",
                        context.request.path);
}

HttpResponse refresh(RequestContext& context) {
  auto token = body_token(context, true);
  if (token.refusal) return std::move(*token.refusal);
  if (!token.found) return invalid_refresh_token(context);
  const auto& row = *token.found;
  const auto at = format_stored(now());
  if (row.token.used_at) return reused(context, row);
  if (row.token.expires_at <= at) return invalid_refresh_token(context);
  if (!row.user.active) {
    return error_response(403, "user account is disabled", context.request.path);
  }
  const auto tokens = issue_tokens(context.services.config, row.user.id, row.token.family_id);
  const auto audit = user_audit(context, row, "USER_TOKEN_REFRESH");
  const auto rotated =
      context.services.store.rotate_refresh_token(row.token.token_hash, at, tokens.rows, audit);
  if (!rotated) return store_failure(context, rotated.error());
  if (!*rotated) return reused(context, row);  // another refresh spent it first
  return json_response(
      200, auth_response_json(context.services.config, tokens, row.user, row.organization));
}

HttpResponse logout(RequestContext& context) {
  auto token = body_token(context, false);
  if (token.refusal) return std::move(*token.refusal);
  if (token.found) {
    const auto& row = *token.found;
    const auto audit = user_audit(context, row, "USER_LOGOUT");
    const auto revoked =
        context.services.store.revoke_token_family(row.token.family_id, false, &audit);
    if (!revoked) return store_failure(context, revoked.error());
  }
  return json_response(200, Json::object());
}

}  // namespace

void add_token_handlers(HandlerTable& table) {
  table.add(Method::post, "/api/v1/auth/refresh", refresh);
  table.add(Method::post, "/api/v1/auth/logout", logout);
}

}  // namespace scopegate::server
