#include "server/handlers/accounts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "scopegate/ip.hpp"
#include "server/authorizer.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/plans.hpp"
#include "server/worker_pool.hpp"

namespace scopegate::server {

namespace {

constexpr std::size_t token_length = 64;

Json nullable_count(const std::optional<std::int64_t>& count) {
  return count ? Json(*count) : Json(nullptr);
}

}  // namespace

bool plausible_email(std::string_view email) {
  const auto at = email.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < email.size() &&
         email.find('@', at + 1) == std::string_view::npos &&
         email.find(' ') == std::string_view::npos;
}

IssuedTokens issue_tokens(const Config& config, const std::string& user_id, std::string family_id) {
  const auto issued = now();
  const auto at = format_stored(issued);
  IssuedTokens out;
  out.access = random_alphanumeric(token_length);
  out.refresh = random_alphanumeric(token_length);
  const auto refresh_hash = sha256_hex(out.refresh);
  // A login's family is named after its first refresh token.
  if (family_id.empty()) family_id = refresh_hash;
  out.rows = {
      {sha256_hex(out.access), user_id, TokenKind::access,
       format_stored(issued + std::chrono::seconds(config.access_token_seconds)), at, family_id,
       std::nullopt},
      {refresh_hash, user_id, TokenKind::refresh,
       format_stored(issued + std::chrono::seconds(config.refresh_token_seconds)), at, family_id,
       std::nullopt},
  };
  return out;
}

IssuedOneTimeToken issue_one_time_token(const std::string& user_id, std::string_view purpose,
                                        std::chrono::seconds lifetime) {
  const auto issued = now();
  IssuedOneTimeToken out;
  out.token = random_alphanumeric(token_length);
  out.row = OneTimeToken{sha256_hex(out.token), user_id,
                         std::string(purpose),  format_stored(issued + lifetime),
                         std::nullopt,          format_stored(issued)};
  return out;
}

bool is_org_admin(const User& user) { return user.role == "admin"; }

Json auth_user_json(const User& user, const Organization& organization) {
  Json out;
  out["id"] = user.id;
  out["email"] = user.email;
  out["name"] = user.name;
  out["isOrgAdmin"] = is_org_admin(user);
  out["organizationId"] = organization.id;
  out["organizationName"] = organization.name;
  out["organizationSlug"] = organization.slug;
  out["subscriptionTier"] = organization.subscription_tier;
  out["mfaEnabled"] = user.mfa_enabled;
  return out;
}

Json auth_response_json(const Config& config, const IssuedTokens& tokens, const User& user,
                        const Organization& organization) {
  Json out;
  out["accessToken"] = tokens.access;
  out["refreshToken"] = tokens.refresh;
  out["expiresIn"] = config.access_token_seconds;
  out["tokenType"] = "Bearer";
  out["user"] = auth_user_json(user, organization);
  return out;
}

namespace {

// The LoginResponse fields beyond an AuthResponse (API-admin.md). At most one of the
// tokens is set; with one, every token field and `user` are null.
struct LoginFlags {
  std::optional<std::string> mfa_challenge_token;
  std::int64_t mfa_challenge_seconds = 0;
  std::optional<std::string> password_change_token;
  bool mfa_setup_required = false;
};

Json with_login_flags(Json out, const LoginFlags& flags) {
  const auto text_or_null = [](const std::optional<std::string>& text) {
    return text ? Json(*text) : Json(nullptr);
  };
  out["mfaRequired"] = flags.mfa_challenge_token.has_value();
  out["mfaChallengeToken"] = text_or_null(flags.mfa_challenge_token);
  out["mfaChallengeExpiresIn"] =
      flags.mfa_challenge_token ? Json(flags.mfa_challenge_seconds) : Json(nullptr);
  out["passwordExpired"] = flags.password_change_token.has_value();
  out["passwordChangeToken"] = text_or_null(flags.password_change_token);
  out["mfaSetupRequired"] = flags.mfa_setup_required;
  return out;
}

Json without_tokens() {
  Json out;
  out["accessToken"] = nullptr;
  out["refreshToken"] = nullptr;
  out["expiresIn"] = nullptr;
  out["tokenType"] = nullptr;
  out["user"] = nullptr;
  return out;
}

}  // namespace

Json login_response_json(const Config& config, const IssuedTokens& tokens, const User& user,
                         const Organization& organization) {
  LoginFlags flags;
  flags.mfa_setup_required = organization.mfa_required && !user.mfa_enabled;
  return with_login_flags(auth_response_json(config, tokens, user, organization), flags);
}

Json password_expired_json(std::string_view password_change_token) {
  LoginFlags flags;
  flags.password_change_token = std::string(password_change_token);
  return with_login_flags(without_tokens(), flags);
}

Json mfa_challenge_json(std::string_view challenge_token, std::int64_t expires_in_seconds) {
  LoginFlags flags;
  flags.mfa_challenge_token = std::string(challenge_token);
  flags.mfa_challenge_seconds = expires_in_seconds;
  return with_login_flags(without_tokens(), flags);
}

Json me_json(const User& user, const Organization& organization) {
  const auto limits = plan_limits(organization.subscription_tier);
  Json out;
  out["id"] = user.id;
  out["email"] = user.email;
  out["name"] = user.name;
  out["isOrgAdmin"] = is_org_admin(user);
  out["platformRole"] = "CUSTOMER";
  out["organizationId"] = organization.id;
  out["organizationName"] = organization.name;
  out["organizationSlug"] = organization.slug;
  out["subscriptionTier"] = organization.subscription_tier;
  out["maxUsers"] = nullable_count(limits.max_users);
  out["maxResources"] = nullable_count(limits.max_resources);
  out["mfaEnabled"] = user.mfa_enabled;
  out["organizationMfaRequired"] = organization.mfa_required;
  return out;
}

bool password_expired(const User& user, const Organization& organization) {
  if (!organization.password_expiration_days) return false;
  const auto changed = parse_iso(user.password_changed_at.value_or(user.created_at));
  if (!changed) return false;
  return now() >= *changed + std::chrono::hours(24) * *organization.password_expiration_days;
}

HttpResponse password_policy_response(std::string_view path,
                                      const std::vector<BrokenPasswordRule>& broken) {
  std::string wanted;
  Json rules = Json::array();
  for (const auto& rule : broken) {
    wanted += fmt::format("{}{}", wanted.empty() ? "" : ", ", rule.requirement);
    rules.push_back(rule.setting);
  }
  auto body = Json::parse(error_body(
      422,
      fmt::format("the new password breaks the organization's password policy: it needs {}",
                  wanted),
      path));
  body["violatedRules"] = std::move(rules);
  return json_response(422, body);
}

namespace {

// A request copied out of its pipeline, for a handler that finishes on a worker.
struct Deferred {
  HttpRequest request;
  std::optional<Actor> actor;
  // The policy `decision` was made under (a Decision borrows from its policy), and the
  // decision, once the request is judged again; until then no decision.
  std::shared_ptr<const Policy> policy;
  Decision decision;
  std::optional<nlohmann::json> body;
  std::string client_ip;
};

// A request with a caller waited for a worker: meanwhile the caller may have been
// disabled, deleted or signed out, its key revoked, or its role changed, or the policy
// reloaded. So it is authenticated and decided again, under the current policy, as
// App::run did, just before the work: its refusal (with its reason for the request log),
// or nothing, and `deferred` then holds the caller and the decision as they are now.
std::optional<HttpResponse> refused_now(Services& services, Deferred& deferred) {
  auto policy = services.engine.policy();
  std::string reason;
  auto authorized =
      authorize_again(services, deferred.request, *policy, deferred.client_ip, reason);
  if (!authorized) {
    auto refusal = std::move(authorized.error());
    refusal.later_reason = std::move(reason);
    return refusal;
  }
  deferred.actor = *authorized->actor;
  deferred.policy = std::move(policy);
  deferred.decision = std::move(authorized->decision);
  return std::nullopt;
}

}  // namespace

HttpResponse on_password_worker(RequestContext& context, std::string_view what,
                                std::function<HttpResponse(RequestContext&)> work) {
  auto& services = context.services;
  auto deferred = std::make_shared<Deferred>();
  deferred->request = context.request;
  if (context.actor != nullptr) deferred->actor = *context.actor;
  if (context.body != nullptr) deferred->body = *context.body;
  deferred->client_ip = context.client_ip;
  HttpResponse response;
  response.later = [&services, deferred,
                    busy = fmt::format("too many {} in progress; retry in 1 s", what),
                    work = std::move(work)](HttpResponder respond) {
    const bool queued = services.password_workers.try_submit([&services, deferred, work, respond] {
      try {
        if (deferred->actor) {
          if (auto refusal = refused_now(services, *deferred)) {
            respond(std::move(*refusal));
            return;
          }
        }
        RequestContext copy{deferred->request,
                            deferred->decision,
                            deferred->actor ? &*deferred->actor : nullptr,
                            deferred->body ? &*deferred->body : nullptr,
                            deferred->client_ip,
                            services};
        respond(work(copy));
      } catch (const std::exception& failure) {
        services.logger->error("{} {} failed: {}", deferred->request.method, deferred->request.path,
                               failure.what());
        respond(error_response(500, "internal error", deferred->request.path));
      }
    });
    if (!queued) {
      respond(with_retry_after(error_response(503, busy, deferred->request.path), 1));
    }
  };
  return response;
}

std::string client_address_key(std::string_view client_ip) {
  auto address = ::scopegate::parse_ip(client_ip);
  if (!address) return std::string(client_ip);
  if (address->is_v4()) return ::scopegate::to_string(*address);
  std::fill(address->bytes.begin() + 8, address->bytes.end(), std::uint8_t{0});
  return ::scopegate::to_string(*address) + "/64";
}

}  // namespace scopegate::server
