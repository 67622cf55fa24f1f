// Roles (API-admin.md "Roles"): an organization's roles, their resources and their users,
// for admins (the roles:manage user scope; a key only through a released roles:read). A
// user in a role may start sessions on the role's resources, for at most the role's
// maxSessionDurationHours (handlers/sessions.cpp).
#include <fmt/format.h>

#include <algorithm>

#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/handlers/handlers.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

namespace {

constexpr TextRule role_name_rule{100};
constexpr TextRule role_description_rule{1000, 0, Controls::tab_and_line_breaks};
// A year: longer caps are surely mistakes.
constexpr std::int64_t max_cap_hours = 8760;

}  // namespace

Result<RoleFields, ValidationErrors> parse_role_body(const nlohmann::json& json,
                                                     NameRequired name_required) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  RoleFields out;
  out.name = optional_text(body, "name", role_name_rule, errors);
  if (!errors.count("name") && (out.name ? out.name->empty() : name_required == NameRequired::yes))
    errors["name"] = "name is required";
  if (body.contains("description")) {
    out.description = optional_text(body, "description", role_description_rule, errors);
  }
  if (body.contains("maxSessionDurationHours")) {
    const auto hours = optional_integer(body, "maxSessionDurationHours", errors);
    if (hours && (*hours < 1 || *hours > max_cap_hours)) {
      errors.try_emplace("maxSessionDurationHours",
                         fmt::format("must be between 1 and {}", max_cap_hours));
    }
    out.max_session_hours = hours;
  }
  if (!errors.empty()) return unexpected(std::move(errors));
  return out;
}

namespace {

Json role_json(const OrgRole& role) {
  Json out;
  out["id"] = role.id;
  out["name"] = role.name;
  out["description"] = nullable(role.description);
  out["maxSessionDurationHours"] =
      role.max_session_hours ? Json(*role.max_session_hours) : Json(nullptr);
  out["resourceIds"] = role.resource_ids;
  out["userIds"] = role.user_ids;
  out["createdAt"] = wire_time(role.created_at);
  out["updatedAt"] = wire_time(role.updated_at);
  return out;
}

HttpResponse missing(const RequestContext& context, std::string_view what, std::string_view id) {
  return error_response(404, fmt::format("{} not found with id: {}", what, id),
                        context.request.path);
}

// The role named by the path, if it is one of the caller's organization.
StoreResult<std::optional<OrgRole>> load_role(RequestContext& context) {
  auto found = context.services.store.find_role(context.param("id"));
  if (found && *found && (*found)->organization_id != context.actor->organization.id) {
    return std::optional<OrgRole>();
  }
  return found;
}

AuditEntry role_audit(RequestContext& context, std::string_view event, const OrgRole& role) {
  auto audit = context.audit(event);
  audit.resource_type = "ROLE";
  audit.resource_id = role.id;
  audit.resource_name = role.name;
  return audit;
}

// Writes the role (a new one: 201, else 200); a name taken in the organization is the
// contract's 400, a role deleted meanwhile 404.
HttpResponse save(RequestContext& context, bool create, OrgRole& role) {
  auto& store = context.services.store;
  const auto audit = role_audit(context, create ? "ROLE_CREATE" : "ROLE_UPDATE", role);
  StoreResult<bool> saved = true;
  if (create) {
    const auto created = store.create_role(role, audit);
    if (!created) saved = unexpected(created.error());
  } else {
    saved = store.update_role(role, audit);
  }
  if (!saved) {
    if (saved.error().kind == StoreError::Kind::conflict) {
      return refusal(context, "name",
                     fmt::format("A role with name '{}' already exists", role.name));
    }
    return store_failure(context, saved.error());
  }
  if (!*saved) return missing(context, "Role", role.id);
  const auto stored = context.services.store.find_role(role.id);
  if (!stored) return store_failure(context, stored.error());
  return json_response(create ? 201 : 200, role_json(stored->value_or(role)));
}

HttpResponse role_fields_refused(RequestContext& context, const ValidationErrors& errors) {
  if (errors.size() == 1 && errors.count("name"))
    return refusal(context, "name", errors.at("name"));
  return validation_response(context.request.path, errors);
}

HttpResponse list_roles(RequestContext& context) {
  const auto roles = context.services.store.list_roles(context.actor->organization.id);
  if (!roles) return store_failure(context, roles.error());
  Json out = Json::array();
  for (const auto& role : *roles) out.push_back(role_json(role));
  return json_response(200, out);
}

HttpResponse get_role(RequestContext& context) {
  const auto role = load_role(context);
  if (!role) return store_failure(context, role.error());
  if (!*role) return missing(context, "Role", context.param("id"));
  return json_response(200, role_json(**role));
}

HttpResponse create_role(RequestContext& context) {
  const auto parsed = parse_role_body(request_body(context), NameRequired::yes);
  if (!parsed) return role_fields_refused(context, parsed.error());
  OrgRole role;
  role.id = generate_uuid();
  role.organization_id = context.actor->organization.id;
  role.name = *parsed->name;
  role.description = parsed->description.value_or(std::nullopt);
  role.max_session_hours = parsed->max_session_hours.value_or(std::nullopt);
  role.created_at = format_stored(now());
  role.updated_at = role.created_at;
  return save(context, true, role);
}

HttpResponse update_role(RequestContext& context) {
  const auto loaded = load_role(context);
  if (!loaded) return store_failure(context, loaded.error());
  if (!*loaded) return missing(context, "Role", context.param("id"));
  const auto parsed = parse_role_body(request_body(context), NameRequired::no);
  if (!parsed) return role_fields_refused(context, parsed.error());
  auto role = **loaded;
  if (parsed->name) role.name = *parsed->name;
  if (parsed->description) role.description = *parsed->description;
  if (parsed->max_session_hours) role.max_session_hours = *parsed->max_session_hours;
  role.updated_at = format_stored(now());
  return save(context, false, role);
}

HttpResponse delete_role(RequestContext& context) {
  const auto role = load_role(context);
  if (!role) return store_failure(context, role.error());
  if (!*role) return missing(context, "Role", context.param("id"));
  const auto deleted =
      context.services.store.delete_role((*role)->id, role_audit(context, "ROLE_DELETE", **role));
  if (!deleted) return store_failure(context, deleted.error());
  return HttpResponse{204, "application/json", {}, ""};
}

// What a link route names besides the role, and its words.
struct LinkKind {
  RoleLink link;
  std::string_view param;  // the path parameter
  std::string_view noun;   // "Resource" | "User"
};
constexpr LinkKind resource_link{RoleLink::resource, "resourceId", "Resource"};
constexpr LinkKind user_link{RoleLink::user, "userId", "User"};

// Whether `id` names a live resource or user of the organization.
StoreResult<bool> link_target_exists(RequestContext& context, const LinkKind& kind,
                                     const std::string& id) {
  auto& store = context.services.store;
  const auto& organization = context.actor->organization.id;
  if (kind.link == RoleLink::resource) {
    const auto resource = store.find_resource(id);
    if (!resource) return unexpected(resource.error());
    return *resource && (*resource)->organization_id == organization;
  }
  const auto user = store.find_user(id);
  if (!user) return unexpected(user.error());
  return *user && (*user)->organization_id == organization && !(*user)->deleted_at;
}

// POST (add) and DELETE (remove) of a role's link: the role, then the other side, must
// exist; adding twice and removing what is not there are the contract's 400 and 404.
HttpResponse change_link(RequestContext& context, const LinkKind& kind, bool add) {
  const auto role = load_role(context);
  if (!role) return store_failure(context, role.error());
  if (!*role) return missing(context, "Role", context.param("id"));
  const auto other = context.param(kind.param);
  const auto exists = link_target_exists(context, kind, other);
  if (!exists) return store_failure(context, exists.error());
  if (!*exists) return missing(context, kind.noun, other);

  auto audit = role_audit(context, add ? "ROLE_ASSIGN" : "ROLE_UNASSIGN", **role);
  auto details = nlohmann::json::parse(audit.details_json);
  details[kind.link == RoleLink::user ? "userId" : "resourceId"] = other;
  audit.details_json = details.dump();
  auto& store = context.services.store;
  const auto changed = add ? store.link_role((*role)->id, kind.link, other, audit)
                           : store.unlink_role((*role)->id, kind.link, other, audit);
  if (!changed) return store_failure(context, changed.error());
  const auto noun = kind.noun;
  if (!add) {
    if (!*changed) {
      return error_response(404, fmt::format("{} not assigned to this role", noun),
                            context.request.path);
    }
    return HttpResponse{204, "application/json", {}, ""};
  }
  if (!*changed) {
    return refusal(context, std::string(kind.param),
                   fmt::format("{} already assigned to this role", noun));
  }
  return json_response(200,
                       Json{{"message", fmt::format("{} assigned to role successfully", noun)}});
}

}  // namespace

void add_role_handlers(HandlerTable& table) {
  table.add(Method::get, "/api/v1/roles", list_roles);
  table.add(Method::post, "/api/v1/roles", create_role);
  table.add(Method::get, "/api/v1/roles/{id}", get_role);
  table.add(Method::patch, "/api/v1/roles/{id}", update_role);
  table.add(Method::delete_, "/api/v1/roles/{id}", delete_role);
  table.add(Method::post, "/api/v1/roles/{id}/resources/{resourceId}",
            [](RequestContext& context) { return change_link(context, resource_link, true); });
  table.add(Method::delete_, "/api/v1/roles/{id}/resources/{resourceId}",
            [](RequestContext& context) { return change_link(context, resource_link, false); });
  table.add(Method::post, "/api/v1/roles/{id}/users/{userId}",
            [](RequestContext& context) { return change_link(context, user_link, true); });
  table.add(Method::delete_, "/api/v1/roles/{id}/users/{userId}",
            [](RequestContext& context) { return change_link(context, user_link, false); });
}

}  // namespace scopegate::server
