// The user-only areas scopegate implements: `/api/v1/users` (list the organization's
// users, create one, get one) and `GET /api/v1/organization`. The policy guards each
// area with one wildcard endpoint (`* /api/v1/users/**`), so the handler of that
// endpoint picks the operation; anything else in the area is a documented 501.
#include <fmt/format.h>

#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/handlers/handlers.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

namespace {

constexpr std::size_t min_password_length = 8;

// What follows `prefix` in the request path: "" for the area itself, "/x" below it.
std::string_view rest_of(const RequestContext& context, std::string_view prefix) {
  std::string_view path = context.request.path;
  return path.size() > prefix.size() ? path.substr(prefix.size()) : std::string_view{};
}

HttpResponse not_implemented(const RequestContext& context, std::string_view what) {
  return error_response(
      501, fmt::format("{} is not implemented by scopegate (see docs/server.md)", what),
      context.request.path);
}

HttpResponse list_users(RequestContext& context) {
  const auto users = context.services.store.list_users(context.actor->organization.id);
  if (!users) return store_failure(context, users.error().message);
  Json out = Json::array();
  for (const auto& user : *users) out.push_back(user_json(user, context.actor->organization));
  return json_response(200, out);
}

HttpResponse get_user(RequestContext& context, std::string_view id) {
  const auto user = context.services.store.find_user(std::string(id));
  if (!user) return store_failure(context, user.error().message);
  if (!*user || (*user)->organization_id != context.actor->organization.id) {
    return not_found(context, "user");
  }
  return json_response(200, user_json(**user, context.actor->organization));
}

HttpResponse create_user(RequestContext& context) {
  auto& services = context.services;
  ValidationErrors errors;
  const auto& body = body_object(context, errors);
  const auto email = optional_string(body, "email", errors);
  auto name = optional_string(body, "name", errors);
  const auto role = optional_string(body, "role", errors);
  const auto password = optional_string(body, "password", errors);
  if (!email || email->find('@') == std::string::npos || email->size() > 255) {
    errors.try_emplace("email", "must be an email address of at most 255 characters");
  }
  if (name && name->size() > 255) errors.try_emplace("name", "must be at most 255 characters");
  const auto policy = services.engine.policy();
  if (!role || policy->find_role(*role) == nullptr) {
    std::string known;
    for (const auto& r : policy->roles())
      known += fmt::format("{}{}", known.empty() ? "" : ", ", r.name);
    errors.try_emplace("role", fmt::format("must be one of: {}", known));
  }
  if (!password || password->size() < min_password_length) {
    errors.try_emplace("password",
                       fmt::format("must be at least {} characters", min_password_length));
  }
  std::vector<std::string> resource_ids;
  if (const auto found = body.find("resourceIds"); found != body.end() && !found->is_null()) {
    if (!found->is_array()) {
      errors.try_emplace("resourceIds", "must be an array of resource ids");
    } else {
      for (const auto& item : *found) {
        const auto resource = item.is_string()
                                  ? services.store.find_resource(item.get<std::string>())
                                  : StoreResult<std::optional<Resource>>(std::nullopt);
        if (!resource) return store_failure(context, resource.error().message);
        if (!*resource || (*resource)->organization_id != context.actor->organization.id) {
          errors.try_emplace("resourceIds", "every id must name a resource of this organization");
          break;
        }
        resource_ids.push_back((*resource)->id);
      }
    }
  }
  if (!errors.empty()) return validation_response(context.request.path, errors);

  User user;
  user.id = generate_uuid();
  user.organization_id = context.actor->organization.id;
  user.email = *email;
  user.name = name ? *name : *email;
  user.role = *role;
  user.password_hash = hash_password(*password);
  user.created_at = format_stored(now());
  auto audit = context.audit("USER_CREATE");
  audit.resource_type = "USER";
  audit.resource_id = user.id;
  audit.resource_name = user.email;
  const auto created = services.store.create_user(user, resource_ids, &audit);
  if (!created) {
    if (created.error().kind == StoreError::Kind::conflict) {
      return error_response(409, "a user with this email already exists", context.request.path);
    }
    return store_failure(context, created.error().message);
  }
  return json_response(201, user_json(user, context.actor->organization));
}

HttpResponse users_area(RequestContext& context) {
  const auto rest = rest_of(context, "/api/v1/users");
  const auto& method = context.request.method;
  if (rest.empty() && method == "GET") return list_users(context);
  if (rest.empty() && method == "POST") return create_user(context);
  if (!rest.empty() && rest.find('/', 1) == std::string_view::npos && method == "GET") {
    return get_user(context, rest.substr(1));
  }
  return not_implemented(context, fmt::format("{} {}", method, context.request.path));
}

HttpResponse organization_area(RequestContext& context) {
  if (rest_of(context, "/api/v1/organization").empty() && context.request.method == "GET") {
    const auto& organization = context.actor->organization;
    Json out;
    out["id"] = organization.id;
    out["slug"] = organization.slug;
    out["name"] = organization.name;
    out["createdAt"] = wire_time(organization.created_at);
    return json_response(200, out);
  }
  return not_implemented(context, "changing organization settings");
}

}  // namespace

void add_user_handlers(HandlerTable& table) {
  table.add(Method::any, "/api/v1/users/**", users_area);
  table.add(Method::any, "/api/v1/organization/**", organization_area);
}

}  // namespace scopegate::server
