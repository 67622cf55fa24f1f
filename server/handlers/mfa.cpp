// Multi-factor authentication: POST /api/v1/mfa/... (any signed-in user, on themselves),
// POST /api/v1/auth/verify-mfa (public: a sign-in's second step, after login answered
// with a challenge) and POST /api/v1/users/{id}/reset-mfa (admin). TOTP is RFC 6238
// (totp.hpp); recovery codes are single use and kept hashed (recovery_codes.hpp), so the
// routes that hash or check one run on the password workers, as login does. The TOTP
// secret is stored sealed with the server's key (server/secrets.hpp, associated data
// `mfa:<user id>`), never logged or audited; setup returns it once, for the app.
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>

#include "server/audit_writer.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/handlers/accounts.hpp"
#include "server/handlers/handlers.hpp"
#include "server/login_throttle.hpp"
#include "server/qr_png.hpp"
#include "server/recovery_codes.hpp"
#include "server/secrets.hpp"
#include "server/store/store.hpp"
#include "server/totp.hpp"
#include "server/worker_pool.hpp"

namespace scopegate::server {

namespace {

// How long a sign-in may wait for its second factor.
constexpr std::int64_t challenge_seconds = 300;
constexpr std::size_t challenge_token_length = 64;
// A TOTP code is 6 digits, a recovery code 8 characters; people add a space or a dash.
constexpr std::size_t shortest_code = 6;
constexpr TextRule code_rule{12};
// A Base32 secret is 32 characters, a challenge token 64.
constexpr TextRule secret_or_token_rule{128};

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
}

// A user's TOTP secret is sealed to its user: a value copied to another row does not open.
std::string secret_context(const std::string& user_id) { return "mfa:" + user_id; }

// The user's TOTP key, opened from its sealed Base32 text; nullopt when there is none or it
// does not open.
std::optional<Bytes> totp_key(const Services& services, const std::string& user_id,
                              const OptionalText& sealed) {
  if (!sealed || services.secrets == nullptr) return std::nullopt;
  const auto secret = services.secrets->open(*sealed, secret_context(user_id));
  if (!secret) return std::nullopt;
  return base32_decode(*secret);
}

enum class Factor { totp, recovery_code };

std::string_view factor_name(Factor factor) {
  return factor == Factor::totp ? "TOTP" : "RECOVERY_CODE";
}

struct FactorMatch {
  Factor factor = Factor::totp;
  std::int64_t step = 0;  // a TOTP code's time step
  std::string code_id;    // a recovery code's id
};

bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

// Which of the user's second factors `code` is, spending nothing: six digits are a TOTP
// code (of now, or a step either side for clock drift) not older than the last one spent;
// anything else is tried as an unspent recovery code (slow: on a password worker).
std::optional<FactorMatch> match_second_factor(const Services& services, const std::string& user_id,
                                               const UserMfa& mfa, std::string_view code) {
  if (!mfa.enabled || !mfa.secret) return std::nullopt;
  if (code.size() == shortest_code && all_digits(code)) {
    const auto key = totp_key(services, user_id, mfa.secret);
    if (!key) return std::nullopt;
    const auto step = totp_match(*key, code, unix_now());
    if (!step || (mfa.last_step && *step <= *mfa.last_step)) return std::nullopt;
    return FactorMatch{Factor::totp, *step, {}};
  }
  auto id = matching_recovery_code(mfa.recovery_codes, code);
  if (!id) return std::nullopt;
  return FactorMatch{Factor::recovery_code, 0, std::move(*id)};
}

// Spends a matched factor: false when another request spent it first.
StoreResult<bool> spend_second_factor(Store& store, const std::string& user_id,
                                      const FactorMatch& match) {
  if (match.factor == Factor::totp) return store.spend_totp_step(user_id, match.step);
  return store.spend_recovery_code(match.code_id, format_stored(now()));
}

std::string base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

HttpResponse already_enabled(const RequestContext& context) {
  return error_response(409, "MFA is already enabled", context.request.path);
}
HttpResponse not_enabled(const RequestContext& context) {
  return error_response(404, "MFA is not enabled", context.request.path);
}
HttpResponse invalid_code(const RequestContext& context) {
  return error_response(400, "Invalid MFA code", context.request.path);
}

// 8 new recovery codes, hashed here (8 Argon2id runs: on a password worker).
struct NewCodes {
  std::vector<std::string> shown;
  std::vector<RecoveryCode> stored;
};
NewCodes new_codes(const PasswordHashCost& cost) {
  NewCodes out;
  out.shown = new_recovery_codes();
  out.stored = hashed_recovery_codes(out.shown, cost);
  return out;
}

HttpResponse recovery_codes_response(const std::vector<std::string>& codes) {
  Json out;
  out["recoveryCodes"] = codes;
  return json_response(200, out);
}

// POST /api/v1/mfa/setup: a new secret, pending until confirmed (a second setup replaces
// it), and its QR code.
HttpResponse setup(RequestContext& context) {
  auto& store = context.services.store;
  const auto& user = context.actor->user;
  const auto mfa = store.find_user_mfa(user.id);
  if (!mfa) return store_failure(context, mfa.error());
  if (mfa->enabled) return already_enabled(context);
  if (context.services.secrets == nullptr) {
    return error_response(503, "MFA cannot be set up: the server has no secrets key",
                          context.request.path);
  }
  const auto secret = new_totp_secret();
  const auto image = qr_png(otpauth_uri(context.actor->organization.name, user.email, secret));
  if (!image) {  // the URI is at most ~1,600 bytes: every QR version up to 40 holds it
    context.services.logger->error("{}: the QR code could not be made", context.request.path);
    return error_response(500, "internal error", context.request.path);
  }
  const auto started = store.start_mfa_setup(
      user.id, context.services.secrets->seal(secret, secret_context(user.id)),
      user_audit(context, "MFA_SETUP", user));
  if (!started) return store_failure(context, started.error());
  if (!*started) return already_enabled(context);
  Json out;
  out["qrCodeBase64"] = base64(image->png);
  out["secret"] = secret;
  return json_response(200, out);
}

// POST /api/v1/mfa/setup/confirm {secret, code}: the first code from the app turns MFA on.
HttpResponse confirm(RequestContext& context) {
  const auto parsed = parse_mfa_code_body(request_body(context), "secret");
  if (!parsed) return validation_response(context.request.path, parsed.error());
  return on_password_worker(
      context, "MFA requests",
      [secret = parsed->field, code = parsed->code](RequestContext& context) {
        auto& store = context.services.store;
        const auto& user = context.actor->user;
        const auto mfa = store.find_user_mfa(user.id);
        if (!mfa) return store_failure(context, mfa.error());
        if (mfa->enabled) return already_enabled(context);
        const auto pending = totp_key(context.services, user.id, mfa->secret);
        if (!pending || base32_decode(secret) != pending) {
          return error_response(400, "secret is not the one POST /api/v1/mfa/setup returned last",
                                context.request.path);
        }
        const auto step = totp_match(*pending, code, unix_now());
        if (!step) return invalid_code(context);
        const auto codes = new_codes(context.services.config.password_hash);
        const auto enabled = store.enable_mfa(user.id, *mfa->secret, *step, codes.stored,
                                              user_audit(context, "MFA_ENABLE", user));
        if (!enabled) return store_failure(context, enabled.error());
        if (!*enabled) return already_enabled(context);
        return recovery_codes_response(codes.shown);
      });
}

// POST /api/v1/mfa/disable {code}: a current TOTP code or a recovery code turns MFA off,
// unless the organization requires MFA (400: an admin's reset-mfa still can, and the
// user's next sign-in then asks for a new setup).
HttpResponse disable(RequestContext& context) {
  const auto parsed = parse_mfa_code_body(request_body(context), {});
  if (!parsed) return validation_response(context.request.path, parsed.error());
  if (context.actor->organization.mfa_required) {
    return error_response(400, "MFA is required by the organization and cannot be disabled",
                          context.request.path);
  }
  return on_password_worker(
      context, "MFA requests", [code = parsed->code](RequestContext& context) {
        auto& store = context.services.store;
        const auto& user = context.actor->user;
        const auto mfa = store.find_user_mfa(user.id);
        if (!mfa) return store_failure(context, mfa.error());
        if (!mfa->enabled) return not_enabled(context);
        if (!match_second_factor(context.services, user.id, *mfa, code))
          return invalid_code(context);
        const auto disabled = store.disable_mfa(user.id, user_audit(context, "MFA_DISABLE", user));
        if (!disabled) return store_failure(context, disabled.error());
        if (!*disabled) return not_enabled(context);
        return HttpResponse{200, "text/plain; charset=utf-8", {}, {}};
      });
}

// POST /api/v1/mfa/recovery-codes/regenerate: 8 new codes; the old ones stop working.
HttpResponse regenerate(RequestContext& context) {
  return on_password_worker(context, "MFA requests", [](RequestContext& context) {
    auto& store = context.services.store;
    const auto& user = context.actor->user;
    const auto mfa = store.find_user_mfa(user.id);
    if (!mfa) return store_failure(context, mfa.error());
    if (!mfa->enabled) return not_enabled(context);
    const auto codes = new_codes(context.services.config.password_hash);
    const auto replaced = store.replace_recovery_codes(
        user.id, codes.stored, user_audit(context, "MFA_RECOVERY_CODES_REGENERATE", user));
    if (!replaced) return store_failure(context, replaced.error());
    if (!*replaced) return not_enabled(context);
    return recovery_codes_response(codes.shown);
  });
}

HttpResponse challenge_refused(const RequestContext& context) {
  return error_response(401, "MFA challenge is invalid or expired; sign in again",
                        context.request.path);
}

// A wrong second factor is a USER_LOGIN failure, through the AuditWriter as a wrong
// password is (handlers/auth.cpp); the code is never part of it.
void audit_failed_factor(const RequestContext& context, const User& user,
                         const Organization& organization) {
  Actor actor{ActorKind::user, user, organization, std::nullopt};
  RequestContext as_user{context.request, context.decision,  &actor,
                         context.body,    context.client_ip, context.services};
  auto audit = as_user.audit("USER_LOGIN", RequestContext::AuditId::when_written);
  audit.resource_type = "USER";
  audit.resource_id = user.id;
  audit.resource_name = user.email;
  audit.result = "FAILURE";
  audit.error_message = "invalid MFA code";
  context.services.audit.submit_audit(std::move(audit));
}

// POST /api/v1/auth/verify-mfa {mfaChallengeToken, code}. Wrong codes are throttled per
// user and address like wrong passwords; the challenge survives them until it expires.
HttpResponse verify_mfa(RequestContext& context) {
  const auto parsed = parse_mfa_code_body(request_body(context), "mfaChallengeToken");
  if (!parsed) return validation_response(context.request.path, parsed.error());
  auto& services = context.services;
  const auto token_hash = sha256_hex(parsed->field);
  const auto challenge = services.store.find_mfa_challenge(token_hash);
  if (!challenge) return store_failure(context, challenge.error());
  if (!*challenge || (*challenge)->expires_at <= format_stored(now())) {
    return challenge_refused(context);
  }
  const auto user_id = (*challenge)->user_id;
  const auto account = "mfa\n" + user_id;
  const auto address = throttle_address(context.client_ip);
  const auto verdict =
      services.login_throttle.begin(account, address, std::chrono::steady_clock::now());
  if (!verdict.allowed) {
    return with_retry_after(error_response(429,
                                           fmt::format("too many wrong MFA codes; retry in {} s",
                                                       verdict.retry_after_seconds),
                                           context.request.path),
                            verdict.retry_after_seconds);
  }
  return on_password_worker(
      context, "MFA requests", [=, code = parsed->code](RequestContext& context) {
        auto& store = context.services.store;
        const auto user = store.find_user(user_id);
        if (!user) return store_failure(context, user.error());
        if (!*user || !(*user)->active) return challenge_refused(context);
        const auto organization = store.find_organization((*user)->organization_id);
        if (!organization) return store_failure(context, organization.error());
        if (!*organization) return challenge_refused(context);
        const auto mfa = store.find_user_mfa(user_id);
        if (!mfa) return store_failure(context, mfa.error());
        const auto match = match_second_factor(context.services, user_id, *mfa, code);
        if (!match) {
          audit_failed_factor(context, **user, **organization);
          return error_response(401, "invalid or already used MFA code", context.request.path);
        }
        context.services.login_throttle.record_success(account, address);
        const auto spent_challenge = store.spend_mfa_challenge(token_hash);
        if (!spent_challenge) return store_failure(context, spent_challenge.error());
        if (!*spent_challenge) return challenge_refused(context);
        const auto spent = spend_second_factor(store, user_id, *match);
        if (!spent) return store_failure(context, spent.error());
        if (!*spent) {
          return error_response(401, "invalid or already used MFA code", context.request.path);
        }
        return complete_sign_in(context, **user, **organization, factor_name(match->factor));
      });
}

// POST /api/v1/users/{id}/reset-mfa: an admin turns off the MFA of a user who lost it.
HttpResponse reset_mfa(RequestContext& context) {
  auto& store = context.services.store;
  const auto id = context.param("id");
  const auto user = load_user(context, id);
  if (!user) return store_failure(context, user.error());
  if (!*user) {
    return error_response(404, fmt::format("User not found with id: {}", id), context.request.path);
  }
  const auto reset = store.disable_mfa(id, user_audit(context, "MFA_RESET", **user));
  if (!reset) return store_failure(context, reset.error());
  if (!*reset) {
    return error_response(400, "MFA is not enabled for this user", context.request.path);
  }
  Json out;
  out["message"] = "MFA reset successfully";
  return json_response(200, out);
}

}  // namespace

Result<MfaCodeBody, ValidationErrors> parse_mfa_code_body(const nlohmann::json& json,
                                                          const std::string& field) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  MfaCodeBody out;
  if (!field.empty()) {
    if (auto value = required_text(body, field, secret_or_token_rule, errors)) {
      out.field = std::move(*value);
    }
  }
  auto code = required_text(body, "code", code_rule, errors);
  if (code && code->size() < shortest_code) {
    errors["code"] = "must be a 6-digit code or a recovery code";
  } else if (code) {
    out.code = std::move(*code);
  }
  if (!errors.empty()) return unexpected(std::move(errors));
  return out;
}

HttpResponse mfa_challenge_response(const RequestContext& context, const User& user) {
  const auto token = random_alphanumeric(challenge_token_length);
  const auto created = now();
  const MfaChallenge challenge{sha256_hex(token), user.id,
                               format_stored(created + std::chrono::seconds(challenge_seconds)),
                               format_stored(created)};
  const auto stored = context.services.store.create_mfa_challenge(challenge);
  if (!stored) return store_failure(context, stored.error());
  return json_response(200, mfa_challenge_json(token, challenge_seconds));
}

void add_mfa_handlers(HandlerTable& table) {
  table.add(Method::post, "/api/v1/mfa/setup", setup);
  table.add(Method::post, "/api/v1/mfa/setup/confirm", confirm);
  table.add(Method::post, "/api/v1/mfa/disable", disable);
  table.add(Method::post, "/api/v1/mfa/recovery-codes/regenerate", regenerate);
  table.add(Method::post, "/api/v1/auth/verify-mfa", verify_mfa);
  table.add(Method::post, "/api/v1/users/{id}/reset-mfa", reset_mfa);
}

}  // namespace scopegate::server
