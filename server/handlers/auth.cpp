// POST /api/v1/auth/login (public) and GET /api/v1/auth/me (any authenticated caller).
// A user with MFA gets a challenge for POST /auth/verify-mfa first (handlers/mfa.cpp),
// which ends in complete_sign_in as a login without MFA does. A sign-in whose password is
// older than the organization's passwordExpirationDays signs nobody in: it answers
// passwordExpired with a passwordChangeToken for POST /auth/change-expired-password
// (handlers/passwords.cpp).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>

#include "scopegate/ip.hpp"
#include "server/audit_writer.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/handlers/accounts.hpp"
#include "server/handlers/handlers.hpp"
#include "server/login_throttle.hpp"
#include "server/store/store.hpp"
#include "server/worker_pool.hpp"

namespace scopegate::server {

namespace {

// User text for a log line: JSON-quoted (control characters escaped), at most 64 bytes.
std::string log_quoted(std::string_view text) {
  return nlohmann::json(std::string(text.substr(0, 64)))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A refused login is a USER_LOGIN entry with result FAILURE in the organization it was
// aimed at, shaped like the successful one (actor and resource: the user; for an email
// the organization does not know, the email as given). It goes through the AuditWriter,
// like ACCESS_DENIED: a password-guessing loop costs no synchronous write, and identical
// failures (same organization, address, email and reason) within one flush interval
// become one entry with details.count. The password is never part of it.
void audit_failed_login(const RequestContext& context, const Organization& organization,
                        const std::string& email, const std::optional<User>& user,
                        std::string_view why) {
  auto audit = context.audit("USER_LOGIN", RequestContext::AuditId::when_written);
  audit.organization_id = organization.id;
  audit.actor_type = "USER";
  audit.actor_email = user ? user->email : email;
  audit.resource_type = "USER";
  if (user) audit.resource_id = user->id;
  audit.resource_name = audit.actor_email;
  audit.result = "FAILURE";
  audit.error_message = std::string(why);
  context.services.audit.submit_audit(std::move(audit));
}

// Passwords: any Unicode text of up to 1024 characters without control characters. A
// NUL cuts a password short in C-string clients and tools, and a tab or line break in
// one is a paste accident; POST /users refuses the same, so no password set through the
// API can contain one. The upper limit bounds the work before the slow hash.
constexpr TextRule password_rule{1024, 0, Controls::none};

}  // namespace

Result<LoginBody, ValidationErrors> parse_login_body(const nlohmann::json& json) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  LoginBody out;
  // Slugs and emails are identifiers (slugs matched exactly, emails without regard to
  // ASCII case, see email_key()): no control characters.
  out.organization_slug = optional_text(body, "organizationSlug", TextRule{255}, errors);
  if (out.organization_slug && out.organization_slug->empty()) out.organization_slug.reset();
  const auto email = required_text(body, "email", TextRule{255}, errors);
  const auto password = required_text(body, "password", password_rule, errors);
  if (!errors.empty()) return unexpected(std::move(errors));
  out.email = *email;
  out.password = *password;
  return out;
}

// The throttle's name for a client address: the canonical text of an IPv4 address, and an
// IPv6 client's /64 (one host holds a whole /64, and could otherwise try from each of its
// addresses in turn).
std::string throttle_address(std::string_view client_ip) {
  auto address = ::scopegate::parse_ip(client_ip);
  if (!address) return std::string(client_ip);
  if (address->is_v4()) return ::scopegate::to_string(*address);
  std::fill(address->bytes.begin() + 8, address->bytes.end(), std::uint8_t{0});
  return ::scopegate::to_string(*address) + "/64";
}

HttpResponse complete_sign_in(const RequestContext& context, User user,
                              const Organization& organization, std::string_view second_factor) {
  auto& services = context.services;
  Actor actor{ActorKind::user, user, organization, std::nullopt};
  RequestContext as_user{context.request, context.decision,  &actor,
                         context.body,    context.client_ip, context.services};
  auto audit = as_user.audit("USER_LOGIN");
  audit.resource_type = "USER";
  audit.resource_id = user.id;
  audit.resource_name = user.email;
  nlohmann::json details = nlohmann::json::object();
  if (!second_factor.empty()) details["secondFactor"] = second_factor;
  if (password_expired(user, organization)) {
    // Signed in to change the password only: a single-use token instead of the tokens.
    const auto change = issue_one_time_token(user.id, "PASSWORD_CHANGE", password_change_lifetime);
    details["passwordExpired"] = true;
    audit.details_json = details.dump();
    const auto stored = services.store.create_one_time_token(change.row, nullptr, &audit);
    if (!stored) return store_failure(context, stored.error());
    return json_response(200, password_expired_json(change.token));
  }
  if (!details.empty()) audit.details_json = details.dump();
  const auto tokens = issue_tokens(services.config, user.id);
  const auto at = tokens.rows.front().created_at;
  const auto recorded = services.store.record_login(user.id, at, tokens.rows, audit);
  if (!recorded) return store_failure(context, recorded.error());
  user.last_login_at = at;
  return json_response(200, login_response_json(services.config, tokens, user, organization));
}

namespace {

// The throttle's name for an account: the organization as the client named it and the
// email's key (A-Z in lower case), so that case variants of one address count together.
std::string throttle_account(std::string_view slug, std::string_view email) {
  std::string account(slug);
  account += '\n';
  account += email_key(email);
  return account;
}

// A sign-in that gets as far as a password hash, copied out of its request: it runs on a
// password worker, after the request is gone.
struct SignIn {
  std::string slug;
  LoginBody body;
  std::string account;           // the throttle's names for it
  std::string throttle_address;  // and for where it comes from
};

// Checks the password and, when it matches, issues the tokens. Runs on a password
// worker; the throttle counted the attempt as a failure when it began, and a success
// takes that back.
HttpResponse sign_in(RequestContext& context, const SignIn& attempt) {
  auto& services = context.services;
  const auto& slug = attempt.slug;
  const auto& email = attempt.body.email;
  const auto& password = attempt.body.password;

  const auto organization = services.store.find_organization_by_slug(slug);
  if (!organization) return store_failure(context, organization.error());
  std::optional<User> user;
  if (*organization) {
    auto found = services.store.find_user_by_email((*organization)->id, email);
    if (!found) return store_failure(context, found.error());
    user = std::move(*found);
  }
  // An unknown email is checked against a real hash too (Services::decoy_password_hash), so
  // that a failed sign-in takes as long whether or not the email is known.
  const bool verified = user ? verify_password(user->password_hash, password)
                             : (verify_password(services.decoy_password_hash, password), false);
  if (!verified || !user->active) {
    if (*organization) {
      const std::string_view why = !user       ? "unknown user"
                                   : !verified ? "invalid password"
                                               : "user account is disabled";
      audit_failed_login(context, **organization, email, user, why);
    } else {
      // Audit entries belong to an organization: a login to none is only logged.
      services.logger->warn("login failed: unknown organization {} from {}", log_quoted(slug),
                            context.client_ip);
    }
    return error_response(401, "invalid organization, email or password", context.request.path);
  }
  services.login_throttle.record_success(attempt.account, attempt.throttle_address);
  // A hash made at another cost than [password_hash]'s now is made again, while the
  // password is at hand: so a changed cost reaches every account that signs in, and its
  // sign-ins take the time an unknown email's do. Failing to store it only keeps the old.
  if (password_needs_rehash(user->password_hash, services.config.password_hash)) {
    try {
      const auto rehashed = hash_password(password, services.config.password_hash);
      const auto stored = services.store.rehash_password(user->id, user->password_hash, rehashed);
      if (!stored) throw std::runtime_error(stored.error().message);
    } catch (const std::runtime_error& failure) {
      services.logger->warn("the password of user {} was not rehashed: {}", user->id,
                            failure.what());
    }
  }
  if (user->mfa_enabled) return mfa_challenge_response(context, *user);
  return complete_sign_in(context, *user, **organization);
}

// POST /api/v1/auth/login. On the request's thread: the body, then the throttle, which
// counts the attempt as a failure at once, so that attempts in flight together cannot
// pass its limit together (a throttled attempt is refused without hashing anything, and
// audited like a failure).
// Everything that hashes runs on the password workers; when they are all busy and their
// queue is full, 503 at once.
HttpResponse login(RequestContext& context) {
  auto& services = context.services;
  auto parsed = parse_login_body(request_body(context));
  if (!parsed) return validation_response(context.request.path, parsed.error());
  auto attempt = std::make_shared<SignIn>();
  attempt->slug = parsed->organization_slug.value_or(services.config.bootstrap_organization_slug);
  attempt->account = throttle_account(attempt->slug, parsed->email);
  attempt->throttle_address = client_address_key(context.client_ip);

  const auto verdict = services.login_throttle.begin(attempt->account, attempt->throttle_address,
                                                     std::chrono::steady_clock::now());
  if (!verdict.allowed) {
    const auto organization = services.store.find_organization_by_slug(attempt->slug);
    if (organization && *organization) {
      audit_failed_login(context, **organization, parsed->email, std::nullopt,
                         "too many failed sign-ins");
    }
    return with_retry_after(error_response(429,
                                           fmt::format("too many failed sign-ins; retry in {} s",
                                                       verdict.retry_after_seconds),
                                           context.request.path),
                            verdict.retry_after_seconds);
  }

  attempt->body = std::move(*parsed);
  return on_password_worker(context, "sign-ins", [attempt](RequestContext& deferred) {
    return sign_in(deferred, *attempt);
  });
}

HttpResponse me(RequestContext& context) {
  return json_response(200, me_json(context.actor->user, context.actor->organization));
}

}  // namespace

void add_auth_handlers(HandlerTable& table) {
  table.add(Method::post, "/api/v1/auth/login", login);
  table.add(Method::get, "/api/v1/auth/me", me);
}

}  // namespace scopegate::server
