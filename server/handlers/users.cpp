// The user-only areas scopegate implements: `/api/v1/users` (list the organization's
// users, create one, get one) and `GET /api/v1/organization`. The policy guards each
// area with one wildcard endpoint (`* /api/v1/users/**`), so the handler of that
// endpoint picks the operation; anything else in the area is a documented 501.
#include <fmt/format.h>

#include <algorithm>

#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/handlers/handlers.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

namespace {

// Emails and names are identifiers and labels on one line: no control characters.
constexpr TextRule user_email_rule{255};
constexpr TextRule user_name_rule{255};
// Passwords: as login accepts them (see handlers/auth.cpp), and at least 8 characters.
constexpr TextRule user_password_rule{1024, 8, Controls::none};
// Roles and resource ids are matched exactly against known ones; the limit keeps a
// wrong one short.
constexpr TextRule user_identifier_rule{100};

}  // namespace

Result<NewUser, ValidationErrors> parse_user_body(const nlohmann::json& json,
                                                  const std::vector<std::string>& roles) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  NewUser out;
  const auto email = optional_text(body, "email", user_email_rule, errors);
  if (!errors.count("email") && (!email || email->find('@') == std::string::npos)) {
    errors["email"] = "must be an email address of at most 255 characters";
  }
  out.name = optional_text(body, "name", user_name_rule, errors);
  const auto role = optional_text(body, "role", user_identifier_rule, errors);
  if (!errors.count("role") &&
      (!role || std::find(roles.begin(), roles.end(), *role) == roles.end())) {
    std::string known;
    for (const auto& name : roles) known += fmt::format("{}{}", known.empty() ? "" : ", ", name);
    errors["role"] = fmt::format("must be one of: {}", known);
  }
  const auto password = optional_text(body, "password", user_password_rule, errors);
  if (!password) errors.try_emplace("password", "must be at least 8 characters");
  if (auto ids = optional_text_array(body, "resourceIds", user_identifier_rule,
                                     "must be an array of resource ids", errors)) {
    out.resource_ids = std::move(*ids);
  }
  if (!errors.empty()) return unexpected(std::move(errors));
  out.email = *email;
  out.role = *role;
  out.password = *password;
  return out;
}

namespace {

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
  const auto policy = services.engine.policy();
  std::vector<std::string> roles;
  for (const auto& role : policy->roles()) roles.emplace_back(role.name);
  auto parsed = parse_user_body(request_body(context), roles);
  if (!parsed) return validation_response(context.request.path, parsed.error());
  const auto& input = *parsed;
  std::vector<std::string> resource_ids;
  for (const auto& id : input.resource_ids) {
    const auto resource = services.store.find_resource(id);
    if (!resource) return store_failure(context, resource.error().message);
    if (!*resource || (*resource)->organization_id != context.actor->organization.id) {
      return validation_response(
          context.request.path,
          {{"resourceIds", "every id must name a resource of this organization"}});
    }
    resource_ids.push_back((*resource)->id);
  }

  User user;
  user.id = generate_uuid();
  user.organization_id = context.actor->organization.id;
  user.email = input.email;
  user.name = input.name.value_or(input.email);
  user.role = input.role;
  user.password_hash = hash_password(input.password);
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
