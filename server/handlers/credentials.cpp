// Credentials: list, get, create and delete for admin users (the policy's
// credentials:manage user scope; credentials:read for keys once released). A credential's
// data is write-only: the handler seals it with the server's key (server/secrets.hpp)
// before anything stores it, and no response, error, log line or audit entry carries any
// of it. New credentials are checked in the background (credential_checks.hpp).
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <array>

#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/handlers/handlers.hpp"
#include "server/secrets.hpp"
#include "server/store/store.hpp"
#include "server/sweeper.hpp"

namespace scopegate::server {

namespace {

constexpr TextRule credential_name_rule{255};
constexpr TextRule kind_rule{64};
// A key's value: a PEM private key is about 1.7 KB; tabs and newlines are allowed.
constexpr std::size_t max_secret_length = 16 * 1024;

struct ProviderCredential {
  std::string_view provider;
  std::string_view type;
  std::vector<std::string_view> keys;  // each required, a non-empty string
};

const std::array<ProviderCredential, 4>& kinds() {
  static const std::array<ProviderCredential, 4> all = {{
      {"AWS", "ACCESS_KEY", {"accessKeyId", "secretAccessKey"}},
      {"GCP",
       "SERVICE_ACCOUNT",
       {"type", "project_id", "private_key_id", "private_key", "client_email", "client_id",
        "auth_uri", "token_uri", "auth_provider_x509_cert_url", "client_x509_cert_url"}},
      {"AZURE", "SERVICE_PRINCIPAL", {"tenantId", "clientId", "clientSecret", "subscriptionId"}},
      {"APISIX", "ADMIN_API_KEY", {"endpoint", "apiKey"}},
  }};
  return all;
}

const ProviderCredential* kind_of(std::string_view provider) {
  for (const auto& kind : kinds()) {
    if (kind.provider == provider) return &kind;
  }
  return nullptr;
}

std::string listed(const std::vector<std::string_view>& keys) {
  std::string out;
  for (const auto key : keys) out += fmt::format("{}{}", out.empty() ? "" : ", ", key);
  return out;
}

// credentialData as an object: sent as one, or (GCP) as the text of the key file.
std::optional<nlohmann::json> data_object(const nlohmann::json& body, ValidationErrors& errors) {
  const auto found = body.find("credentialData");
  if (found == body.end() || found->is_null()) {
    errors["credentialData"] = "is required";
    return std::nullopt;
  }
  if (found->is_object()) return *found;
  if (found->is_string()) {
    auto parsed = nlohmann::json::parse(found->get_ref<const std::string&>(), nullptr, false);
    if (parsed.is_object()) return parsed;
  }
  errors["credentialData"] = "must be a JSON object (or the text of one)";
  return std::nullopt;
}

// The first problem with the data's keys, naming the key, never its value.
std::optional<std::string> data_problem(const ProviderCredential& kind,
                                        const nlohmann::json& data) {
  for (const auto key : kind.keys) {
    const auto found = data.find(std::string(key));
    if (found == data.end() || !found->is_string() ||
        found->get_ref<const std::string&>().empty()) {
      return fmt::format("`{}` is required, a non-empty string ({} {} needs {})", key,
                         kind.provider, kind.type, listed(kind.keys));
    }
    if (found->get_ref<const std::string&>().size() > max_secret_length) {
      return fmt::format("`{}` is longer than {} bytes", key, max_secret_length);
    }
  }
  return std::nullopt;
}

}  // namespace

const std::vector<std::string>& credential_providers() {
  static const std::vector<std::string> all = {"AWS", "GCP", "AZURE", "APISIX"};
  return all;
}

Result<NewCredential, ValidationErrors> parse_credential_body(const nlohmann::json& json) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  NewCredential out;
  if (auto name = required_text(body, "name", credential_name_rule, errors))
    out.name = std::move(*name);
  const auto provider = required_text(body, "provider", kind_rule, errors);
  const auto type = required_text(body, "credentialType", kind_rule, errors);
  const ProviderCredential* kind = provider ? kind_of(*provider) : nullptr;
  if (provider && kind == nullptr) errors["provider"] = "must be one of AWS, GCP, AZURE, APISIX";
  if (kind != nullptr && type && *type != kind->type) {
    errors["credentialType"] = fmt::format("must be {} for {}", kind->type, kind->provider);
  }
  auto data = data_object(body, errors);
  if (data && kind != nullptr) {
    if (auto problem = data_problem(*kind, *data)) errors["credentialData"] = std::move(*problem);
  }
  if (!errors.empty()) return unexpected(std::move(errors));
  out.provider = *provider;
  out.credential_type = *type;
  try {
    out.data_json = data->dump();
  } catch (const nlohmann::json::exception&) {
    return unexpected(ValidationErrors{{"credentialData", "must be valid UTF-8"}});
  }
  return out;
}

namespace {

HttpResponse credential_not_found(const RequestContext& context) {
  return error_response(404, fmt::format("Credential with ID {} not found", context.param("id")),
                        context.request.path);
}

StoreResult<std::optional<Credential>> load_credential(RequestContext& context) {
  auto found = context.services.store.find_credential(context.param("id"));
  if (found && *found && (*found)->organization_id != context.actor->organization.id) {
    return std::optional<Credential>();
  }
  return found;
}

AuditEntry credential_audit(RequestContext& context, std::string_view event,
                            const Credential& credential) {
  auto audit = context.audit(event);
  audit.resource_type = "CREDENTIAL";
  audit.resource_id = credential.id;
  audit.resource_name = credential.name;
  nlohmann::json details;
  details["provider"] = credential.provider;
  details["credentialType"] = credential.credential_type;
  audit.details_json = details.dump();
  return audit;
}

HttpResponse list_credentials(RequestContext& context) {
  const auto credentials = context.services.store.list_credentials(context.actor->organization.id);
  if (!credentials) return store_failure(context, credentials.error());
  Json out = Json::array();
  for (const auto& credential : *credentials) out.push_back(credential_json(credential));
  return json_response(200, out);
}

HttpResponse get_credential(RequestContext& context) {
  const auto credential = load_credential(context);
  if (!credential) return store_failure(context, credential.error());
  if (!*credential) return credential_not_found(context);
  return json_response(200, credential_json(**credential));
}

HttpResponse create_credential(RequestContext& context) {
  if (context.services.secrets == nullptr) {
    return error_response(503, "credentials cannot be stored: the server has no secrets key",
                          context.request.path);
  }
  auto body = parse_credential_body(request_body(context));
  if (!body) return validation_response(context.request.path, body.error());
  Credential credential;
  credential.id = generate_uuid();
  credential.organization_id = context.actor->organization.id;
  credential.name = std::move(body->name);
  credential.provider = std::move(body->provider);
  credential.credential_type = std::move(body->credential_type);
  credential.sealed_data =
      context.services.secrets->seal(body->data_json, credential_context(credential.id));
  sodium_memzero(body->data_json.data(), body->data_json.size());
  credential.created_at = format_stored(now());
  credential.updated_at = credential.created_at;
  const auto saved = context.services.store.create_credential(
      credential, credential_audit(context, "CREDENTIAL_CREATE", credential));
  if (!saved) return store_failure(context, saved.error());
  if (context.services.sweeper != nullptr) context.services.sweeper->wake();  // check it now
  return json_response(201, credential_json(credential));
}

HttpResponse delete_credential(RequestContext& context) {
  const auto loaded = load_credential(context);
  if (!loaded) return store_failure(context, loaded.error());
  if (!*loaded) return credential_not_found(context);
  const auto resources = context.services.store.delete_credential(
      (*loaded)->id, credential_audit(context, "CREDENTIAL_DELETE", **loaded));
  if (!resources) return store_failure(context, resources.error());
  if (*resources > 0) {
    return error_response(
        400,
        fmt::format("Cannot delete credential linked to {} resource{}: delete them or move them "
                    "to another credential first",
                    *resources, *resources == 1 ? "" : "s"),
        context.request.path);
  }
  return HttpResponse{204, "application/json", {}, ""};
}

}  // namespace

void add_credential_handlers(HandlerTable& table) {
  table.add(Method::get, "/api/v1/credentials", list_credentials);
  table.add(Method::get, "/api/v1/credentials/{id}", get_credential);
  table.add(Method::post, "/api/v1/credentials", create_credential);
  table.add(Method::delete_, "/api/v1/credentials/{id}", delete_credential);
}

}  // namespace scopegate::server
