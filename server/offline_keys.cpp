#include "server/offline_keys.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/gateway_policy.hpp"
#include "server/load_policy.hpp"
#include "server/store/open_store.hpp"

namespace scopegate::server {

namespace {

Result<std::string, std::string> resolve_expiry(const std::string& text) {
  if (parse_iso(text)) return text;
  if (text.size() >= 2) {
    const char unit = text.back();
    const auto digits = text.substr(0, text.size() - 1);
    if (digits.find_first_not_of("0123456789") == std::string::npos && digits.size() <= 6) {
      const long amount = std::stol(digits);
      std::chrono::seconds span{0};
      if (unit == 'd') span = std::chrono::hours(24 * amount);
      if (unit == 'h') span = std::chrono::hours(amount);
      if (unit == 'm') span = std::chrono::minutes(amount);
      if (span.count() > 0) return wire_time(format_stored(now() + span));
    }
  }
  return unexpected(
      fmt::format("--expires: expected a duration such as 30d, 12h or 45m, or an "
                  "ISO-8601 time; got `{}`",
                  text));
}

}  // namespace

Result<IssuedKey, std::vector<std::string>> create_key_offline(const OfflineKeyRequest& request) {
  using Errors = std::vector<std::string>;
  if (!init_crypto()) return unexpected(Errors{"error: libsodium failed to initialize"});
  auto policy = load_policy(request.policy_directory);
  if (!policy) return unexpected(std::move(policy.error()));
  std::optional<Policy> gateway;
  if (!request.gateway_policy_directory.empty()) {
    auto loaded = load_policy(request.gateway_policy_directory);
    if (!loaded) return unexpected(std::move(loaded.error()));
    if (auto clashes = scope_collisions(*policy, *loaded); !clashes.empty()) {
      return unexpected(std::move(clashes));
    }
    gateway.emplace(std::move(*loaded));
  }
  const auto database = redact_location(request.database_path);
  if (store_kind(request.database_path) == StoreKind::sqlite) {
    // Opening would create an empty database: a typo in --db would get a key nobody serves.
    std::error_code error;
    if (!std::filesystem::exists(sqlite_file(request.database_path), error)) {
      return unexpected(
          Errors{fmt::format("{}: error: no database there (start `scopegate serve` on it once to "
                             "create it, or check --db)",
                             database)});
    }
  }
  auto store = open_store(request.database_path);
  if (!store) {
    return unexpected(Errors{
        fmt::format("{}: error: cannot open the database: {}", database, store.error().message)});
  }
  const auto organization = (*store)->find_organization_by_slug(request.organization_slug);
  if (!organization) return unexpected(Errors{organization.error().message});
  if (!*organization) {
    return unexpected(Errors{
        fmt::format("error: no organization `{}` in {} (start `scopegate serve` once to create it)",
                    request.organization_slug, database)});
  }
  const auto user = (*store)->find_user_by_email((*organization)->id, request.email);
  if (!user) return unexpected(Errors{user.error().message});
  if (!*user) {
    return unexpected(Errors{fmt::format("error: no user `{}` in organization `{}`", request.email,
                                         request.organization_slug)});
  }
  KeyRequest key_request;
  key_request.name = request.name;
  key_request.scopes = request.scopes;
  if (!request.allowed_cidrs.empty()) key_request.allowed_cidrs = request.allowed_cidrs;
  if (request.expires) {
    auto expiry = resolve_expiry(*request.expires);
    if (!expiry) return unexpected(Errors{fmt::format("error: {}", expiry.error())});
    key_request.expires_at = *expiry;
  }
  auto issued =
      issue_key(*policy, **user, **organization, key_request, gateway ? &*gateway : nullptr);
  if (!issued) {
    Errors errors;
    for (const auto& [field, reason] : issued.error())
      errors.push_back(fmt::format("error: {}: {}", field, reason));
    return unexpected(std::move(errors));
  }
  AuditEntry audit;
  audit.id = generate_uuid();
  audit.organization_id = (*organization)->id;
  audit.event_type = "API_KEY_CREATE";
  audit.actor_email = (*user)->email;
  audit.actor_type = "USER";
  audit.resource_type = "API_KEY";
  audit.resource_id = issued->key.id;
  audit.resource_name = issued->key.name;
  nlohmann::json details;
  details["via"] = "scopegate keys create";
  details["keyPrefix"] = issued->key.key_prefix;
  details["scopes"] = issued->key.scopes;
  if (!issued->key.allowed_cidrs.empty()) details["allowedCidrs"] = issued->key.allowed_cidrs;
  audit.details_json = details.dump();
  audit.created_at = issued->key.created_at;
  const auto created = (*store)->create_key(issued->key, &audit);
  if (!created)
    return unexpected(
        Errors{fmt::format("error: cannot store the key: {}", created.error().message)});
  return std::move(*issued);
}

}  // namespace scopegate::server
