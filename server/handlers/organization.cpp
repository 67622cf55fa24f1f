// The caller's organization (admin): GET /api/v1/organization ({id, slug, name,
// createdAt}, kept from before the settings existed) and GET/PATCH
// /api/v1/organization/settings (Settings, the ten fields of API-admin.md). PATCH changes
// only the fields it is given; `id` and `subscriptionTier` are shown but are the server
// operator's, so a body may repeat them unchanged and is refused if it changes them.
#include <fmt/format.h>

#include "server/clock.hpp"
#include "server/handlers/accounts.hpp"
#include "server/handlers/handlers.hpp"
#include "server/password_policy.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

namespace {

Json settings_json(const Organization& organization) {
  Json out;
  out["id"] = organization.id;
  out["name"] = organization.name;
  out["subscriptionTier"] = organization.subscription_tier;
  out["mfaRequired"] = organization.mfa_required;
  out["passwordMinLength"] = organization.password_min_length;
  out["passwordRequireUppercase"] = organization.password_require_uppercase;
  out["passwordRequireLowercase"] = organization.password_require_lowercase;
  out["passwordRequireDigit"] = organization.password_require_digit;
  out["passwordRequireSpecialChar"] = organization.password_require_special;
  out["passwordExpirationDays"] = organization.password_expiration_days
                                      ? Json(*organization.password_expiration_days)
                                      : Json(nullptr);
  return out;
}

// A boolean field, when given.
void apply_flag(const nlohmann::json& body, const std::string& field, bool& out,
                ValidationErrors& errors) {
  const auto found = body.find(field);
  if (found == body.end()) return;
  if (!found->is_boolean()) {
    errors.try_emplace(field, "must be true or false");
    return;
  }
  out = found->get<bool>();
}

// A read-only field: absent, or the value it has.
void check_unchanged(const nlohmann::json& body, const std::string& field, const std::string& value,
                     std::string_view why, ValidationErrors& errors) {
  const auto found = body.find(field);
  if (found != body.end() && !(found->is_string() && found->get<std::string>() == value)) {
    errors.try_emplace(field, std::string(why));
  }
}

}  // namespace

Result<Organization, ValidationErrors> apply_settings_body(const nlohmann::json& json,
                                                           Organization organization) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  if (!errors.empty()) return unexpected(std::move(errors));
  check_unchanged(body, "id", organization.id, "cannot be changed", errors);
  check_unchanged(body, "subscriptionTier", organization.subscription_tier,
                  "is set by the server operator, not through the API", errors);
  if (body.contains("name")) {
    const auto name = required_text(body, "name", TextRule{255}, errors);
    if (name) organization.name = *name;
  }
  apply_flag(body, "mfaRequired", organization.mfa_required, errors);
  apply_flag(body, "passwordRequireUppercase", organization.password_require_uppercase, errors);
  apply_flag(body, "passwordRequireLowercase", organization.password_require_lowercase, errors);
  apply_flag(body, "passwordRequireDigit", organization.password_require_digit, errors);
  apply_flag(body, "passwordRequireSpecialChar", organization.password_require_special, errors);
  if (body.contains("passwordMinLength")) {
    const auto length = optional_integer(body, "passwordMinLength", errors);
    const auto low = static_cast<long long>(min_password_characters);
    const auto high = static_cast<long long>(max_password_characters);
    if (!errors.count("passwordMinLength") && (!length || *length < low || *length > high)) {
      errors["passwordMinLength"] = fmt::format("must be an integer from {} to {}", low, high);
    } else if (length) {
      organization.password_min_length = *length;
    }
  }
  if (body.contains("passwordExpirationDays")) {
    const auto days = optional_integer(body, "passwordExpirationDays", errors);
    if (!errors.count("passwordExpirationDays") && days && (*days < 1 || *days > 365)) {
      errors["passwordExpirationDays"] = "must be an integer from 1 to 365, or null (never)";
    } else if (!errors.count("passwordExpirationDays")) {
      organization.password_expiration_days = days;
    }
  }
  if (!errors.empty()) return unexpected(std::move(errors));
  return organization;
}

namespace {

HttpResponse get_organization(RequestContext& context) {
  const auto& organization = context.actor->organization;
  Json out;
  out["id"] = organization.id;
  out["slug"] = organization.slug;
  out["name"] = organization.name;
  out["createdAt"] = wire_time(organization.created_at);
  return json_response(200, out);
}

HttpResponse get_settings(RequestContext& context) {
  return json_response(200, settings_json(context.actor->organization));
}

// The body is applied to the row as it is now, which is written only if it is still so:
// of two admins changing settings at once, the second's change is applied to the first's
// result, never over it. A few tries, then 409.
HttpResponse patch_settings(RequestContext& context) {
  auto& store = context.services.store;
  constexpr int tries = 3;
  for (int attempt = 0; attempt < tries; ++attempt) {
    const auto found = store.find_organization(context.actor->organization.id);
    if (!found) return store_failure(context, found.error());
    if (!*found) return store_failure(context, "the caller's organization is gone");
    const auto& before = **found;
    auto changed = apply_settings_body(request_body(context), before);
    if (!changed) return validation_response(context.request.path, changed.error());
    // The audit entry's details: the fields whose values changed, with their new values.
    const auto old_settings = settings_json(before);
    const auto new_settings = settings_json(*changed);
    Json details = Json::object();
    for (const auto& [field, value] : new_settings.items()) {
      if (old_settings.at(field) != value) details[field] = value;
    }
    if (details.empty()) return json_response(200, new_settings);  // nothing to write or audit
    auto audit = context.audit("ORGANIZATION_UPDATE");
    audit.resource_type = "ORGANIZATION";
    audit.resource_id = before.id;
    audit.resource_name = before.slug;
    audit.details_json = details.dump();
    const auto saved = store.update_organization(before, *changed, audit);
    if (!saved) return store_failure(context, saved.error());
    if (*saved) return json_response(200, new_settings);
  }
  return error_response(409, "the organization's settings changed meanwhile; try again",
                        context.request.path);
}

}  // namespace

void add_organization_handlers(HandlerTable& table) {
  table.add(Method::get, "/api/v1/organization", get_organization);
  table.add(Method::get, "/api/v1/organization/settings", get_settings);
  table.add(Method::patch, "/api/v1/organization/settings", patch_settings);
}

}  // namespace scopegate::server
