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

HttpResponse create_key(RequestContext& context) {
  ValidationErrors errors;
  const auto& body = body_object(context, errors);
  KeyRequest request;
  request.name = optional_string(body, "name", errors);
  request.description = optional_string(body, "description", errors);
  request.expires_at = optional_string(body, "expiresAt", errors);
  if (const auto found = body.find("scopes"); found != body.end() && !found->is_null()) {
    if (!found->is_array() || !std::all_of(found->begin(), found->end(),
                                           [](const auto& item) { return item.is_string(); })) {
      errors["scopes"] = "must be an array of scope names";
    } else {
      request.scopes = found->get<std::vector<std::string>>();
    }
  }
  if (const auto found = body.find("allowedCidrs"); found != body.end() && !found->is_null()) {
    if (!found->is_array() || !std::all_of(found->begin(), found->end(),
                                           [](const auto& item) { return item.is_string(); })) {
      errors["allowedCidrs"] = "must be an array of IP addresses or CIDR ranges";
    } else {
      request.allowed_cidrs = found->get<std::vector<std::string>>();
    }
  }
  const auto policy = context.services.engine.policy();
  auto issued = issue_key(*policy, context.actor->user, context.actor->organization, request);
  if (!issued) {
    for (auto& [field, reason] : issued.error()) errors.try_emplace(field, reason);
  }
  if (!errors.empty()) return validation_response(context.request.path, errors);

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
  if (!created) return store_failure(context, created.error().message);

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
  if (!keys) return store_failure(context, keys.error().message);
  Json out = Json::array();
  for (const auto& key : *keys) out.push_back(api_key_json(key));
  return json_response(200, out);
}

HttpResponse revoke_key(RequestContext& context) {
  auto& store = context.services.store;
  const auto key = store.find_key(context.param("id"));
  if (!key) return store_failure(context, key.error().message);
  if (!*key || (*key)->organization_id != context.actor->organization.id) {
    return not_found(context, "API key");
  }
  if (!(*key)->revoked_at) {
    auto audit = context.audit("API_KEY_REVOKE");
    audit.resource_type = "API_KEY";
    audit.resource_id = (*key)->id;
    audit.resource_name = (*key)->name;
    const auto revoked = store.revoke_key((*key)->id, format_stored(now()), audit);
    if (!revoked) return store_failure(context, revoked.error().message);
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
