// Passwords: POST /api/v1/auth/change-password (a signed-in user, on self),
// /auth/forgot-password, /auth/reset-password and /auth/change-expired-password (public:
// a one-time token is the credential). A new password is 8 to 128 characters and follows
// the organization's password policy (422 listing the rules it breaks). Argon2id runs on
// the password workers. Forgot-password answers 204 at once, whatever the email; the
// reset link goes to the outbox and the log (server/mail.hpp). A reset ends every
// sign-in of the user and signs the caller in.
#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "server/attempt_limiter.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/handlers/accounts.hpp"
#include "server/handlers/handlers.hpp"
#include "server/mail.hpp"
#include "server/store/store.hpp"
#include "server/worker_pool.hpp"

namespace scopegate::server {

namespace {

// Passwords as login accepts them (a current password may predate the 128 limit).
constexpr TextRule current_password_rule{1024, 0, Controls::none};
// A one-time token: a reset or invitation link's, or a password-change token.
constexpr TextRule one_time_token_rule{255};

// Two required fields: a secret that proves who the caller is, and the new password.
struct NewPasswordBody {
  std::string proof;
  std::string password;
};

Result<NewPasswordBody, ValidationErrors> parse_new_password_body(
    const nlohmann::json& json, const std::string& proof_field, const TextRule& proof_rule,
    const std::string& password_field) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  const auto proof = required_text(body, proof_field, proof_rule, errors);
  const auto password = required_text(body, password_field, new_password_rule, errors);
  if (!errors.empty()) return unexpected(std::move(errors));
  return NewPasswordBody{*proof, *password};
}

AuditEntry password_audit(const RequestContext& context, const User& user,
                          const Organization& organization, std::string_view event_type) {
  const Actor actor{ActorKind::user, user, organization, std::nullopt};
  const RequestContext as_user{context.request, context.decision,  &actor,
                               context.body,    context.client_ip, context.services};
  auto audit = as_user.audit(event_type);
  audit.resource_type = "USER";
  audit.resource_id = user.id;
  audit.resource_name = user.email;
  return audit;
}

HttpResponse change_password(RequestContext& context) {
  auto parsed = parse_new_password_body(request_body(context), "currentPassword",
                                        current_password_rule, "newPassword");
  if (!parsed) return validation_response(context.request.path, parsed.error());
  if (parsed->proof == parsed->password) {
    return validation_response(context.request.path,
                               {{"newPassword", "must differ from the current password"}});
  }
  const auto broken = broken_password_rules(parsed->password, context.actor->organization);
  if (!broken.empty()) return password_policy_response(context.request.path, broken);
  auto input = std::make_shared<const NewPasswordBody>(std::move(*parsed));
  return on_password_worker(context, "password changes", [input](RequestContext& deferred) {
    auto& services = deferred.services;
    // The stored hash now, not the one read at authentication.
    const auto user = services.store.find_user(deferred.actor->user.id);
    if (!user) return store_failure(deferred, user.error());
    if (!*user) return error_response(401, "user not found", deferred.request.path);
    if (!verify_password((*user)->password_hash, input->proof)) {
      return error_response(401, "current password is incorrect", deferred.request.path);
    }
    PasswordChange change;
    change.user_id = (*user)->id;
    change.password_hash = hash_password(input->password, services.config.password_hash);
    change.at = format_stored(now());
    const auto audit =
        password_audit(deferred, **user, deferred.actor->organization, "USER_PASSWORD_CHANGE");
    const auto changed = services.store.change_password(change, audit);
    if (!changed) return store_failure(deferred, changed.error());
    return json_response(200, Json::object());
  });
}

// Queues the reset mail when the organization has an active user with that email; does
// nothing otherwise. Runs after the 204 has been sent.
void send_reset_link(Services& services, const RequestContext& context, const std::string& slug,
                     const std::string& email) {
  const auto organization = services.store.find_organization_by_slug(slug);
  if (!organization || !*organization) return;
  const auto user = services.store.find_user_by_email((*organization)->id, email);
  if (!user || !*user || !(*user)->active) return;
  const auto token = issue_one_time_token((*user)->id, "PASSWORD_RESET", password_reset_lifetime);
  const auto mail = password_reset_mail(services.config, **organization, **user, token.token,
                                        password_reset_lifetime.count());
  const auto audit = password_audit(context, **user, **organization, "USER_PASSWORD_RESET_REQUEST");
  const auto stored = services.store.create_one_time_token(token.row, &mail.row, &audit);
  if (!stored) {
    services.logger->error("forgot-password: storage failed: {}", stored.error().message);
    return;
  }
  log_queued_mail(*services.logger, mail);
}

HttpResponse forgot_password(RequestContext& context) {
  ValidationErrors errors;
  const auto& body = body_fields(request_body(context), errors);
  const auto slug = required_text(body, "organizationSlug", TextRule{255}, errors);
  const auto email = required_text(body, "email", email_text_rule, errors);
  if (!errors.empty()) return validation_response(context.request.path, errors);
  auto& services = context.services;
  // At most accounts.password_resets_per_hour requests per account and per client
  // address: each writes a mail and voids the user's earlier links, which nobody may do
  // in a loop. A request over either count gets the same 204 and does nothing but log.
  const auto at = std::chrono::steady_clock::now();
  const bool address_ok =
      services.reset_limiter->attempt("address\n" + client_address_key(context.client_ip), at)
          .allowed;
  const bool account_ok =
      services.reset_limiter->attempt("account\n" + *slug + "\n" + email_key(*email), at).allowed;
  if (!address_ok || !account_ok) {
    services.logger->warn("forgot-password: too many requests for {} from {}: ignored",
                          address_ok ? "this account" : "any account", context.client_ip);
    return HttpResponse{204, "application/json", {}, ""};
  }
  // The answer goes first, then the lookup: its time says nothing about the email.
  struct Request {
    HttpRequest request;
    std::string client_ip;
    std::string slug;
    std::string email;
  };
  auto copy =
      std::make_shared<const Request>(Request{context.request, context.client_ip, *slug, *email});
  HttpResponse response;
  response.later = [&services, copy](HttpResponder respond) {
    respond(HttpResponse{204, "application/json", {}, ""});
    const auto work = [&services, copy] {
      static const Decision no_decision{};
      const RequestContext context{copy->request, no_decision,     nullptr,
                                   nullptr,       copy->client_ip, services};
      try {
        send_reset_link(services, context, copy->slug, copy->email);
      } catch (const std::exception& failure) {
        services.logger->error("forgot-password failed: {}", failure.what());
      }
    };
    if (!services.password_workers.try_submit(work)) work();
  };
  return response;
}

// The one-time token of a body, when it is unused, unexpired and of one of `purposes`.
struct SpendableToken {
  OneTimeToken token;
  User user;
  Organization organization;
};

Result<SpendableToken, HttpResponse> find_spendable(
    RequestContext& context, const std::string& token,
    std::initializer_list<std::string_view> purposes) {
  auto& store = context.services.store;
  const auto invalid = [&] {
    return error_response(400, "invalid or expired token", context.request.path);
  };
  const auto found = store.find_one_time_token(sha256_hex(token));
  if (!found) return unexpected(store_failure(context, found.error()));
  if (!*found || (*found)->used_at || (*found)->expires_at <= format_stored(now()) ||
      std::find(purposes.begin(), purposes.end(), (*found)->purpose) == purposes.end()) {
    return unexpected(invalid());
  }
  const auto user = store.find_user((*found)->user_id);
  if (!user) return unexpected(store_failure(context, user.error()));
  if (!*user || !(*user)->active) return unexpected(invalid());
  const auto organization = store.find_organization((*user)->organization_id);
  if (!organization) return unexpected(store_failure(context, organization.error()));
  if (!*organization) return unexpected(invalid());
  return SpendableToken{**found, **user, **organization};
}

// What spending a one-time token for a new password does besides setting it.
struct PasswordSpend {
  bool end_sign_ins;  // every other sign-in of the user ends
  // The token was issued after the second factor (an expired password's change token), so
  // the new password signs in at once; otherwise a user with MFA gets the challenge.
  bool past_second_factor;
  std::string_view event_type;
};

// Sets the password a one-time token allows, spends the token and signs the user in
// (200 LoginResponse), or, for a user with MFA whose token did not come after the second
// factor (a reset or invitation link: whoever reads the mail must not skip it), answers the
// MFA challenge instead: the password is set, the sign-in waits for POST /auth/verify-mfa.
HttpResponse spend_for_password(RequestContext& context, const std::string& proof_field,
                                const std::string& password_field,
                                std::initializer_list<std::string_view> purposes,
                                const PasswordSpend& spend) {
  auto parsed = parse_new_password_body(request_body(context), proof_field, one_time_token_rule,
                                        password_field);
  if (!parsed) return validation_response(context.request.path, parsed.error());
  auto spendable = find_spendable(context, parsed->proof, purposes);
  if (!spendable) return std::move(spendable.error());
  const auto broken = broken_password_rules(parsed->password, spendable->organization);
  if (!broken.empty()) return password_policy_response(context.request.path, broken);
  auto input = std::make_shared<const std::pair<NewPasswordBody, SpendableToken>>(
      std::move(*parsed), std::move(*spendable));
  return on_password_worker(
      context, "password changes",
      [input, password_field, end_sign_ins = spend.end_sign_ins,
       past_second_factor = spend.past_second_factor,
       event = std::string(spend.event_type)](RequestContext& deferred) {
        auto& services = deferred.services;
        const auto& [body, target] = *input;
        if (verify_password(target.user.password_hash, body.password)) {
          return validation_response(deferred.request.path,
                                     {{password_field, "must differ from the current password"}});
        }
        const bool second_factor_due = target.user.mfa_enabled && !past_second_factor;
        auto tokens = issue_tokens(services.config, target.user.id);
        if (second_factor_due) tokens.rows.clear();  // nobody signed in yet
        PasswordChange change;
        change.user_id = target.user.id;
        change.password_hash = hash_password(body.password, services.config.password_hash);
        change.at = format_stored(now());
        change.spend_token_hash = target.token.token_hash;
        change.end_sign_ins = end_sign_ins;
        change.tokens = tokens.rows;
        const auto audit = password_audit(deferred, target.user, target.organization, event);
        const auto changed = services.store.change_password(change, audit);
        if (!changed) return store_failure(deferred, changed.error());
        if (!*changed) {
          return error_response(400, "invalid or expired token", deferred.request.path);
        }
        if (second_factor_due) return mfa_challenge_response(deferred, target.user);
        auto user = target.user;
        user.last_login_at = change.at;
        return json_response(
            200, login_response_json(services.config, tokens, user, target.organization));
      });
}

HttpResponse reset_password(RequestContext& context) {
  return spend_for_password(context, "token", "password", {"PASSWORD_RESET", "SET_PASSWORD"},
                            {true, false, "USER_PASSWORD_RESET"});
}

HttpResponse change_expired_password(RequestContext& context) {
  return spend_for_password(context, "passwordChangeToken", "newPassword", {"PASSWORD_CHANGE"},
                            {false, true, "USER_PASSWORD_CHANGE"});
}

}  // namespace

void add_password_handlers(HandlerTable& table) {
  table.add(Method::post, "/api/v1/auth/change-password", change_password);
  table.add(Method::post, "/api/v1/auth/forgot-password", forgot_password);
  table.add(Method::post, "/api/v1/auth/reset-password", reset_password);
  table.add(Method::post, "/api/v1/auth/change-expired-password", change_expired_password);
}

}  // namespace scopegate::server
