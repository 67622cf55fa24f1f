// API keys (admin users only; the policy keeps keys out): create, list, revoke. A key's
// optional allowedCidrs are stored and handed to the engine as principal.allowed_cidrs;
// the policy (a `forbid` rule), not this code, refuses a key used from elsewhere.
#include <nlohmann/json.hpp>

#include "server/clock.hpp"
#include "server/handlers/handlers.hpp"
#include "server/keys.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

namespace {

// A name is a label on one line: no control characters. It is counted as stored, without
// the spaces around it.
constexpr TextRule name_rule{255};
// A description is free text that may run over lines: tab and line breaks are allowed,
// no other control character (no NUL, no terminal escapes in a listing).
constexpr TextRule key_description_rule{1000, 0, Controls::tab_and_line_breaks};
// Scope names, timestamps and addresses have formats of their own, checked after: these
// limits only keep a wrong one short, for the message that names it. A scope name may be
// as long as the policy language allows one (1024 bytes, dsl's max_token_bytes).
constexpr TextRule scope_rule{1024};
constexpr TextRule timestamp_rule{64};
constexpr TextRule cidr_rule{64};

std::string_view trimmed_spaces(std::string_view text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

}  // namespace

Result<KeyRequest, ValidationErrors> parse_api_key_body(const nlohmann::json& json) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  KeyRequest out;
  out.name = optional_text(body, "name", TextRule{std::string::npos}, errors);
  if (!errors.count("name")) {
    const auto name = out.name ? trimmed_spaces(*out.name) : std::string_view();
    if (name.empty()) {
      errors["name"] = "is required";
    } else if (auto problem = check_text(name, name_rule)) {
      errors["name"] = std::move(*problem);
    }
  }
  out.description = optional_text(body, "description", key_description_rule, errors);
  out.scopes =
      optional_text_array(body, "scopes", scope_rule, "must be an array of scope names", errors);
  if (!errors.count("scopes") && (!out.scopes || out.scopes->empty())) {
    errors["scopes"] = "at least one scope is required";
  }
  out.expires_at = optional_text(body, "expiresAt", timestamp_rule, errors);
  if (out.expires_at && !parse_iso(*out.expires_at)) {
    errors["expiresAt"] = "must be an ISO-8601 timestamp such as 2026-02-18T10:30:00Z";
  }
  out.allowed_cidrs = optional_text_array(
      body, "allowedCidrs", cidr_rule, "must be an array of IP addresses or CIDR ranges", errors);
  if (!errors.empty()) return unexpected(std::move(errors));
  return out;
}

namespace {

HttpResponse create_key(RequestContext& context) {
  const auto request = parse_api_key_body(request_body(context));
  if (!request) return validation_response(context.request.path, request.error());
  const auto policy = context.services.engine.policy();
  const auto* gateway_engine = context.services.gateway_engine;
  const auto gateway = gateway_engine ? gateway_engine->policy() : nullptr;
  auto issued =
      issue_key(*policy, context.actor->user, context.actor->organization, *request, gateway.get());
  if (!issued) return validation_response(context.request.path, issued.error());

  const auto& key = issued->key;
  auto audit = context.audit("API_KEY_CREATE");
  audit.resource_type = "API_KEY";
  audit.resource_id = key.id;
  audit.resource_name = key.name;
  nlohmann::json details = nlohmann::json::parse(audit.details_json);
  details["keyPrefix"] = key.key_prefix;
  details["scopes"] = key.scopes;
  if (!key.allowed_cidrs.empty()) details["allowedCidrs"] = key.allowed_cidrs;
  audit.details_json = details.dump();
  const auto created = context.services.store.create_key(key, &audit);
  if (!created) return store_failure(context, created.error());

  Json out;
  out["id"] = key.id;
  out["name"] = key.name;
  out["description"] = nullable(key.description);
  out["keyPrefix"] = key.key_prefix;
  out["plainTextKey"] = issued->plaintext;
  out["scopes"] = key.scopes;
  out["allowedCidrs"] = key.allowed_cidrs;
  out["expiresAt"] = nullable_time(key.expires_at);
  out["createdAt"] = wire_time(key.created_at);
  return json_response(201, out);
}

HttpResponse list_keys(RequestContext& context) {
  const auto keys = context.services.store.list_keys(context.actor->organization.id);
  if (!keys) return store_failure(context, keys.error());
  Json out = Json::array();
  for (const auto& key : *keys) out.push_back(api_key_json(key));
  return json_response(200, out);
}

HttpResponse revoke_key(RequestContext& context) {
  auto& store = context.services.store;
  const auto key = store.find_key(context.param("id"));
  if (!key) return store_failure(context, key.error());
  if (!*key || (*key)->organization_id != context.actor->organization.id) {
    return not_found(context, "API key");
  }
  if (!(*key)->revoked_at) {
    auto audit = context.audit("API_KEY_REVOKE");
    audit.resource_type = "API_KEY";
    audit.resource_id = (*key)->id;
    audit.resource_name = (*key)->name;
    const auto revoked = store.revoke_key((*key)->id, format_stored(now()), audit);
    if (!revoked) return store_failure(context, revoked.error());
  }
  return HttpResponse{204, "application/json", {}, ""};
}

}  // namespace

void add_api_key_handlers(HandlerTable& table) {
  table.add(Method::post, "/api/v1/api-keys", create_key);
  table.add(Method::get, "/api/v1/api-keys", list_keys);
  table.add(Method::delete_, "/api/v1/api-keys/{id}", revoke_key);
}

}  // namespace scopegate::server
