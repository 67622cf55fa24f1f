// Resources: list/get for anyone in the organization (keys need resources:read); create,
// update, delete and verify for admin users (the policy's resources:manage user scope).
#include <fmt/format.h>

#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/handlers/handlers.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

namespace {

// Every text field of a resource is a name or an identifier on one line: no control
// characters. `config` is the provider's JSON, stored as JSON: its strings are escaped
// there and are the provider's to judge.
constexpr TextRule field_rule{255};

}  // namespace

Result<ResourceFields, ValidationErrors> parse_resource_body(const nlohmann::json& json) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  ResourceFields out;
  for (const auto& [field, value] :
       {std::pair{"name", &out.name}, std::pair{"provider", &out.provider},
        std::pair{"resourceType", &out.resource_type},
        std::pair{"resourceIdentifier", &out.resource_identifier}}) {
    if (auto text = required_text(body, field, field_rule, errors)) *value = std::move(*text);
  }
  out.region = optional_text(body, "region", field_rule, errors);
  out.credential_id = optional_text(body, "credentialId", field_rule, errors);
  if (const auto config = body.find("config"); config != body.end() && !config->is_null()) {
    if (!config->is_object()) {
      errors["config"] = "must be a JSON object";
    } else {
      // Strings the HTTP parser built are valid UTF-8; one built otherwise may not be.
      try {
        out.config_json = config->dump();
      } catch (const nlohmann::json::exception&) {
        errors["config"] = "must be valid UTF-8";
      }
    }
  }
  if (const auto active = body.find("isActive"); active != body.end() && !active->is_null()) {
    if (!active->is_boolean()) {
      errors["isActive"] = "must be true or false";
    } else {
      out.active = active->get<bool>();
    }
  }
  if (!errors.empty()) return unexpected(std::move(errors));
  return out;
}

namespace {

StoreResult<std::optional<Resource>> load_resource(RequestContext& context) {
  auto found = context.services.store.find_resource(context.param("id"));
  if (found && *found && (*found)->organization_id != context.actor->organization.id) {
    return std::optional<Resource>();
  }
  return found;
}

// Reads the writable fields of a resource from the body into `resource`.
ValidationErrors read_resource(RequestContext& context, Resource& resource) {
  auto fields = parse_resource_body(request_body(context));
  if (!fields) return std::move(fields.error());
  resource.name = std::move(fields->name);
  resource.provider = std::move(fields->provider);
  resource.resource_type = std::move(fields->resource_type);
  resource.resource_identifier = std::move(fields->resource_identifier);
  resource.region = std::move(fields->region);
  resource.credential_id = std::move(fields->credential_id);
  resource.config_json = std::move(fields->config_json);
  if (fields->active) resource.active = *fields->active;
  return {};
}

AuditEntry resource_audit(RequestContext& context, std::string_view event,
                          const Resource& resource) {
  auto audit = context.audit(event);
  audit.resource_type = "RESOURCE";
  audit.resource_id = resource.id;
  audit.resource_name = resource.name;
  return audit;
}

HttpResponse list_resources(RequestContext& context) {
  const auto resources = context.services.store.list_resources(context.actor->organization.id);
  if (!resources) return store_failure(context, resources.error().message);
  Json out = Json::array();
  for (const auto& resource : *resources) out.push_back(resource_json(resource));
  return json_response(200, out);
}

HttpResponse get_resource(RequestContext& context) {
  const auto resource = load_resource(context);
  if (!resource) return store_failure(context, resource.error().message);
  if (!*resource) return not_found(context, "resource");
  return json_response(200, resource_json(**resource));
}

HttpResponse create_resource(RequestContext& context) {
  Resource resource;
  const auto errors = read_resource(context, resource);
  if (!errors.empty()) return validation_response(context.request.path, errors);
  resource.id = generate_uuid();
  resource.organization_id = context.actor->organization.id;
  resource.created_at = format_stored(now());
  resource.updated_at = resource.created_at;
  const auto saved = context.services.store.save_resource(
      resource, resource_audit(context, "RESOURCE_CREATE", resource));
  if (!saved) return store_failure(context, saved.error().message);
  return json_response(201, resource_json(resource));
}

HttpResponse update_resource(RequestContext& context) {
  auto loaded = load_resource(context);
  if (!loaded) return store_failure(context, loaded.error().message);
  if (!*loaded) return not_found(context, "resource");
  auto resource = std::move(**loaded);
  const auto errors = read_resource(context, resource);
  if (!errors.empty()) return validation_response(context.request.path, errors);
  resource.updated_at = format_stored(now());
  const auto saved = context.services.store.save_resource(
      resource, resource_audit(context, "RESOURCE_UPDATE", resource));
  if (!saved) return store_failure(context, saved.error().message);
  return json_response(200, resource_json(resource));
}

HttpResponse delete_resource(RequestContext& context) {
  const auto loaded = load_resource(context);
  if (!loaded) return store_failure(context, loaded.error().message);
  if (!*loaded) return not_found(context, "resource");
  const auto deleted = context.services.store.delete_resource(
      (*loaded)->id, resource_audit(context, "RESOURCE_DELETE", **loaded));
  if (!deleted) return store_failure(context, deleted.error().message);
  return HttpResponse{204, "application/json", {}, ""};
}

HttpResponse verify_resource(RequestContext& context) {
  auto loaded = load_resource(context);
  if (!loaded) return store_failure(context, loaded.error().message);
  if (!*loaded) return not_found(context, "resource");
  auto resource = std::move(**loaded);
  resource.last_verified_at = format_stored(now());
  resource.updated_at = *resource.last_verified_at;
  const auto saved = context.services.store.save_resource(
      resource, resource_audit(context, "RESOURCE_VERIFY", resource));
  if (!saved) return store_failure(context, saved.error().message);
  return json_response(200, resource_json(resource));
}

}  // namespace

void add_resource_handlers(HandlerTable& table) {
  table.add(Method::get, "/api/v1/resources", list_resources);
  table.add(Method::get, "/api/v1/resources/{id}", get_resource);
  table.add(Method::post, "/api/v1/resources", create_resource);
  table.add(Method::put, "/api/v1/resources/{id}", update_resource);
  table.add(Method::delete_, "/api/v1/resources/{id}", delete_resource);
  table.add(Method::post, "/api/v1/resources/{id}/verify", verify_resource);
}

}  // namespace scopegate::server
