// Resources: list/get for anyone in the organization (keys need resources:read); create,
// update (PATCH), delete and verify for admin users (the policy's resources:manage user
// scope). A resource names a credential of its organization with the same provider; it
// is created inactive and becomes active when a verification succeeds.
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>

#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/handlers/handlers.hpp"
#include "server/plans.hpp"
#include "server/provider.hpp"
#include "server/secrets.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

namespace {

// Every text field of a resource is a name or an identifier on one line: no control
// characters. `config` is the provider's JSON, stored as JSON: its strings are escaped
// there and are the provider's to judge.
constexpr TextRule field_rule{255};

// `config` when the body has it: absent -> nullopt; null -> an empty inner value.
std::optional<std::optional<std::string>> config_field(const nlohmann::json& body,
                                                       ValidationErrors& errors) {
  const auto config = body.find("config");
  if (config == body.end()) return std::nullopt;
  if (config->is_null()) return std::optional<std::string>();
  if (!config->is_object()) {
    errors["config"] = "must be a JSON object";
    return std::nullopt;
  }
  // Strings the HTTP parser built are valid UTF-8; one built otherwise may not be.
  try {
    return std::optional<std::string>(config->dump());
  } catch (const nlohmann::json::exception&) {
    errors["config"] = "must be valid UTF-8";
    return std::nullopt;
  }
}

bool known_provider(const std::string& provider) {
  const auto& all = credential_providers();
  return std::find(all.begin(), all.end(), provider) != all.end();
}

}  // namespace

Result<ResourceFields, ValidationErrors> parse_resource_body(const nlohmann::json& json) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  ResourceFields out;
  for (const auto& [field, value] :
       {std::pair{"name", &out.name}, std::pair{"credentialId", &out.credential_id},
        std::pair{"provider", &out.provider}, std::pair{"resourceType", &out.resource_type},
        std::pair{"resourceIdentifier", &out.resource_identifier}}) {
    if (auto text = required_text(body, field, field_rule, errors)) *value = std::move(*text);
  }
  if (!errors.count("provider") && !known_provider(out.provider)) {
    errors["provider"] = "must be one of AWS, GCP, AZURE, APISIX";
  }
  out.region = optional_text(body, "region", field_rule, errors);
  if (out.provider == "AWS" && (!out.region || out.region->empty())) {
    errors.try_emplace("region", "is required for AWS resources");
  }
  if (auto config = config_field(body, errors)) out.config_json = std::move(*config);
  if (!errors.empty()) return unexpected(std::move(errors));
  return out;
}

Result<ResourcePatch, ValidationErrors> parse_resource_patch_body(const nlohmann::json& json) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  ResourcePatch out;
  for (const auto& [field, value] :
       {std::pair{"name", &out.name}, std::pair{"resourceIdentifier", &out.resource_identifier},
        std::pair{"credentialId", &out.credential_id}}) {
    if (auto text = optional_text(body, field, field_rule, errors)) {
      if (text->empty()) {
        errors.try_emplace(field, "must not be empty");
      } else {
        *value = std::move(*text);
      }
    }
  }
  if (const auto region = body.find("region"); region != body.end()) {
    if (region->is_null()) {
      out.region = std::optional<std::string>();
    } else if (auto text = optional_text(body, "region", field_rule, errors)) {
      out.region = text->empty() ? std::optional<std::string>() : std::move(text);
    }
  }
  out.config_json = config_field(body, errors);
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

HttpResponse resource_not_found(const RequestContext& context) {
  return error_response(404, fmt::format("Resource with ID {} not found", context.param("id")),
                        context.request.path);
}

StoreResult<std::optional<Resource>> load_resource(RequestContext& context) {
  auto found = context.services.store.find_resource(context.param("id"));
  if (found && *found && (*found)->organization_id != context.actor->organization.id) {
    return std::optional<Resource>();
  }
  return found;
}

// The credential `id` names in the caller's organization, or a 400 for `credentialId`
// (a missing one) or `provider` (one of another provider).
Result<Credential, HttpResponse> credential_for(RequestContext& context, const std::string& id,
                                                const std::string& provider) {
  const auto found = context.services.store.find_credential(id);
  if (!found) return unexpected(store_failure(context, found.error()));
  if (!*found || (*found)->organization_id != context.actor->organization.id) {
    return unexpected(validation_response(
        context.request.path,
        {{"credentialId", fmt::format("Credential with ID {} not found", id)}}));
  }
  if ((*found)->provider != provider) {
    return unexpected(validation_response(
        context.request.path,
        {{"provider", fmt::format("must be the credential's provider, {}", (*found)->provider)}}));
  }
  return **found;
}

AuditEntry resource_audit(RequestContext& context, std::string_view event,
                          const Resource& resource) {
  auto audit = context.audit(event);
  audit.resource_type = "RESOURCE";
  audit.resource_id = resource.id;
  audit.resource_name = resource.name;
  return audit;
}

HttpResponse resource_limit_refusal(RequestContext& context, std::int64_t max_resources) {
  const auto& organization = context.actor->organization;
  return refusal(context, "name",
                 fmt::format("Resource limit of the plan reached: {} allows {} resources",
                             organization.subscription_tier, max_resources));
}

// What a create_resource() or update_resource() that wrote nothing answers, if anything.
std::optional<HttpResponse> unsaved(RequestContext& context, const Resource& resource,
                                    Store::ResourceWrite written,
                                    std::optional<std::int64_t> max_resources) {
  switch (written) {
    case Store::ResourceWrite::saved:
      return std::nullopt;
    case Store::ResourceWrite::foreign_credential:
      return validation_response(
          context.request.path,
          {{"credentialId",
            fmt::format("Credential with ID {} not found", resource.credential_id.value_or(""))}});
    case Store::ResourceWrite::limit_reached:
      return resource_limit_refusal(context, max_resources.value_or(0));
    case Store::ResourceWrite::gone:
      break;
  }
  return resource_not_found(context);
}

// Creates or updates the resource (with its audit entry) and answers with it, re-read so
// that the credential's name is current; `status` on success. `max_resources`: a creation
// under the plan's limit.
HttpResponse save_and_answer(RequestContext& context, const Resource& resource,
                             const AuditEntry& audit, int status, bool create,
                             std::optional<std::int64_t> max_resources = std::nullopt) {
  auto& store = context.services.store;
  const auto saved = create ? store.create_resource(resource, audit, max_resources)
                            : store.update_resource(resource, audit);
  if (!saved) return store_failure(context, saved.error());
  if (auto refused = unsaved(context, resource, *saved, max_resources)) return std::move(*refused);
  const auto stored = context.services.store.find_resource(resource.id);
  if (!stored) return store_failure(context, stored.error());
  return json_response(status, resource_json(stored->value_or(resource)));
}

HttpResponse list_resources(RequestContext& context) {
  const auto resources = context.services.store.list_resources(context.actor->organization.id);
  if (!resources) return store_failure(context, resources.error());
  Json out = Json::array();
  for (const auto& resource : *resources) out.push_back(resource_json(resource));
  return json_response(200, out);
}

HttpResponse get_resource(RequestContext& context) {
  const auto resource = load_resource(context);
  if (!resource) return store_failure(context, resource.error());
  if (!*resource) return resource_not_found(context);
  return json_response(200, resource_json(**resource));
}

HttpResponse create_resource(RequestContext& context) {
  auto fields = parse_resource_body(request_body(context));
  if (!fields) return validation_response(context.request.path, fields.error());
  const auto& organization = context.actor->organization;
  const auto max_resources = plan_limits(organization.subscription_tier).max_resources;
  const auto credential = credential_for(context, fields->credential_id, fields->provider);
  if (!credential) return credential.error();
  Resource resource;
  resource.id = generate_uuid();
  resource.organization_id = context.actor->organization.id;
  resource.name = std::move(fields->name);
  resource.credential_id = std::move(fields->credential_id);
  resource.provider = std::move(fields->provider);
  resource.resource_type = std::move(fields->resource_type);
  resource.resource_identifier = std::move(fields->resource_identifier);
  resource.region = std::move(fields->region);
  resource.config_json = std::move(fields->config_json);
  resource.active = false;  // until a verification succeeds
  resource.created_at = format_stored(now());
  resource.updated_at = resource.created_at;
  return save_and_answer(context, resource, resource_audit(context, "RESOURCE_CREATE", resource),
                         201, true, max_resources);
}

HttpResponse update_resource(RequestContext& context) {
  auto loaded = load_resource(context);
  if (!loaded) return store_failure(context, loaded.error());
  if (!*loaded) return resource_not_found(context);
  auto patch = parse_resource_patch_body(request_body(context));
  if (!patch) return validation_response(context.request.path, patch.error());
  auto resource = std::move(**loaded);
  if (patch->credential_id) {
    const auto credential = credential_for(context, *patch->credential_id, resource.provider);
    if (!credential) return credential.error();
    resource.credential_id = std::move(patch->credential_id);
  }
  if (patch->name) resource.name = std::move(*patch->name);
  if (patch->resource_identifier)
    resource.resource_identifier = std::move(*patch->resource_identifier);
  if (patch->region) resource.region = std::move(*patch->region);
  if (patch->config_json) resource.config_json = std::move(*patch->config_json);
  if (patch->active) resource.active = *patch->active;
  if (resource.provider == "AWS" && !resource.region) {
    return validation_response(context.request.path, {{"region", "is required for AWS resources"}});
  }
  resource.updated_at = format_stored(now());
  return save_and_answer(context, resource, resource_audit(context, "RESOURCE_UPDATE", resource),
                         200, false);
}

HttpResponse delete_resource(RequestContext& context) {
  const auto loaded = load_resource(context);
  if (!loaded) return store_failure(context, loaded.error());
  if (!*loaded) return resource_not_found(context);
  const auto in_use = context.services.store.delete_resource(
      (*loaded)->id, resource_audit(context, "RESOURCE_DELETE", **loaded));
  if (!in_use) return store_failure(context, in_use.error());
  if (const auto sessions = in_use->sessions; sessions > 0) {
    return error_response(
        400,
        fmt::format("Resource is in use by {} active session{}: stop them or let them expire first",
                    sessions, sessions == 1 ? "" : "s"),
        context.request.path);
  }
  if (const auto rules = in_use->static_ip_rules; rules > 0) {
    // Its addresses are open on the provider: the rules' deletion removes them first.
    return error_response(400,
                          fmt::format("Resource is in use by {} static IP rule{}: delete {} first",
                                      rules, rules == 1 ? "" : "s", rules == 1 ? "it" : "them"),
                          context.request.path);
  }
  return HttpResponse{204, "application/json", {}, ""};
}

// Why the resource cannot be verified, or nullopt when the provider confirms it.
std::optional<std::string> verification_problem(RequestContext& context, const Resource& resource,
                                                std::optional<HttpResponse>& failure) {
  if (!resource.credential_id) return "the resource has no credential";
  const auto found = context.services.store.find_credential(*resource.credential_id);
  if (!found) {
    failure = store_failure(context, found.error());
    return std::nullopt;
  }
  if (!*found || (*found)->organization_id != resource.organization_id) {
    return fmt::format("its credential {} no longer exists", *resource.credential_id);
  }
  const auto& credential = **found;
  if (credential.valid == false) {
    return fmt::format("its credential failed its last check: {}",
                       credential.verification_error.value_or("no reason given"));
  }
  if (context.services.secrets == nullptr) return "the server has no secrets key";
  auto data =
      context.services.secrets->open(credential.sealed_data, credential_context(credential.id));
  if (!data) return "its credential's data does not open with the server's key";
  const auto outcome = context.services.provider.verify_resource(resource, credential, *data);
  sodium_memzero(data->data(), data->size());
  if (outcome.ok) return std::nullopt;
  return outcome.error.value_or("the provider refused it");
}

HttpResponse verify_resource(RequestContext& context) {
  auto loaded = load_resource(context);
  if (!loaded) return store_failure(context, loaded.error());
  if (!*loaded) return resource_not_found(context);
  auto resource = std::move(**loaded);
  std::optional<HttpResponse> failure;
  const auto problem = verification_problem(context, resource, failure);
  if (failure) return std::move(*failure);
  resource.active = !problem;
  resource.last_verified_at = format_stored(now());
  resource.updated_at = *resource.last_verified_at;
  auto audit = resource_audit(context, "RESOURCE_VERIFY", resource);
  if (problem) {
    audit.result = "FAILURE";
    audit.error_message = *problem;
  }
  const auto saved = context.services.store.update_resource(resource, audit);
  if (!saved) return store_failure(context, saved.error());
  if (*saved != Store::ResourceWrite::saved) {
    // Deleted, or its credential, meanwhile: as if the request had come after.
    if (auto refused = unsaved(context, resource, *saved, std::nullopt)) return std::move(*refused);
  }
  if (problem) {
    return error_response(400, fmt::format("Verification failed: {}", *problem),
                          context.request.path);
  }
  return json_response(200, resource_json(resource));
}

}  // namespace

void add_resource_handlers(HandlerTable& table) {
  table.add(Method::get, "/api/v1/resources", list_resources);
  table.add(Method::get, "/api/v1/resources/{id}", get_resource);
  table.add(Method::post, "/api/v1/resources", create_resource);
  table.add(Method::patch, "/api/v1/resources/{id}", update_resource);
  table.add(Method::delete_, "/api/v1/resources/{id}", delete_resource);
  table.add(Method::post, "/api/v1/resources/{id}/verify", verify_resource);
}

}  // namespace scopegate::server
