// Users (API-admin.md "Users"): list, get, create, change and delete the organization's
// users, for admins (the users:manage user scope; a key only through a released
// users:read). A deleted user keeps its row, inactive (Store::delete_user); here it is
// gone: 404. Deleting a user also ends its sessions.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>

#include "server/auth.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/handlers/accounts.hpp"
#include "server/handlers/handlers.hpp"
#include "server/mail.hpp"
#include "server/plans.hpp"
#include "server/sessions.hpp"
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

// One @ with text on both sides, and no space: a deleted user's freed email (which gains
// " (deleted <id>)") can never be taken again.
bool email_format(std::string_view email) {
  const auto at = email.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < email.size() &&
         email.find('@', at + 1) == std::string_view::npos &&
         email.find(' ') == std::string_view::npos;
}

}  // namespace

Result<NewUser, ValidationErrors> parse_user_body(const nlohmann::json& json,
                                                  const std::vector<std::string>& roles) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  NewUser out;
  const auto email = optional_text(body, "email", user_email_rule, errors);
  if (!errors.count("email")) {
    if (!email || email->empty()) {
      errors["email"] = "email is required";
    } else if (!email_format(*email)) {
      errors["email"] = "Invalid email format";
    }
  }
  out.name = optional_text(body, "name", user_name_rule, errors);
  const auto is_org_admin = optional_flag(body, "isOrgAdmin", errors);
  const auto role = optional_text(body, "role", user_identifier_rule, errors);
  if (role && std::find(roles.begin(), roles.end(), *role) == roles.end()) {
    std::string known;
    for (const auto& name : roles) known += fmt::format("{}{}", known.empty() ? "" : ", ", name);
    errors["role"] = fmt::format("must be one of: {}", known);
  }
  if (role && is_org_admin && (*role == "admin") != *is_org_admin) {
    errors.try_emplace("isOrgAdmin", fmt::format("contradicts role `{}`", *role));
  }
  out.password = optional_text(body, "password", user_password_rule, errors);
  if (auto ids = optional_text_array(body, "resourceIds", user_identifier_rule,
                                     "must be an array of resource ids", errors)) {
    out.resource_ids = std::move(*ids);
  }
  if (!errors.empty()) return unexpected(std::move(errors));
  out.email = *email;
  out.role = role.value_or(is_org_admin.value_or(false) ? "admin" : "member");
  return out;
}

Result<UserChanges, ValidationErrors> parse_user_changes_body(const nlohmann::json& json) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  UserChanges out;
  out.name = optional_text(body, "name", user_name_rule, errors);
  if (out.name && out.name->empty()) errors.try_emplace("name", "must not be empty");
  out.is_org_admin = optional_flag(body, "isOrgAdmin", errors);
  out.active = optional_flag(body, "isActive", errors);
  if (!errors.empty()) return unexpected(std::move(errors));
  return out;
}

namespace {

// The User object of API-admin.md, with the policy role as the extension `role`.
Json user_body(const User& user, const std::vector<OrgRole>& roles) {
  Json names = Json::array();
  for (const auto& role : roles) {
    if (std::find(role.user_ids.begin(), role.user_ids.end(), user.id) != role.user_ids.end())
      names.push_back(role.name);
  }
  Json out;
  out["id"] = user.id;
  out["email"] = user.email;
  out["name"] = user.name;
  out["isOrgAdmin"] = user.role == "admin";
  out["platformRole"] = "CUSTOMER";
  out["role"] = user.role;
  out["isActive"] = user.active;
  out["mfaEnabled"] = user.mfa_enabled;
  out["lastLoginAt"] = nullable_time(user.last_login_at);
  out["roleNames"] = std::move(names);
  out["createdAt"] = wire_time(user.created_at);
  out["updatedAt"] = wire_time(user.updated_at);
  return out;
}

HttpResponse user_response(RequestContext& context, int status, const User& user) {
  const auto roles = context.services.store.list_roles(user.organization_id);
  if (!roles) return store_failure(context, roles.error());
  return json_response(status, user_body(user, *roles));
}

HttpResponse user_not_found(const RequestContext& context, std::string_view id) {
  return error_response(404, fmt::format("User not found with id: {}", id), context.request.path);
}

}  // namespace

// The user named by `id`, if it is a live user of the caller's organization.
StoreResult<std::optional<User>> load_user(RequestContext& context, const std::string& id) {
  auto found = context.services.store.find_user(id);
  if (found && *found &&
      ((*found)->organization_id != context.actor->organization.id || (*found)->deleted_at)) {
    return std::optional<User>();
  }
  return found;
}

AuditEntry user_audit(const RequestContext& context, std::string_view event, const User& user) {
  auto audit = context.audit(event);
  audit.resource_type = "USER";
  audit.resource_id = user.id;
  audit.resource_name = user.email;
  return audit;
}

namespace {

// Adds `changes` to the audit entry's details (kept beside a key's details).
void add_details(AuditEntry& audit, const nlohmann::json& changes) {
  auto details = nlohmann::json::parse(audit.details_json);
  details.update(changes);
  audit.details_json = details.dump();
}

HttpResponse list_users(RequestContext& context) {
  const auto& organization = context.actor->organization;
  const auto users = context.services.store.list_users(organization.id);
  if (!users) return store_failure(context, users.error());
  const auto roles = context.services.store.list_roles(organization.id);
  if (!roles) return store_failure(context, roles.error());
  Json out = Json::array();
  for (const auto& user : *users) out.push_back(user_body(user, *roles));
  return json_response(200, out);
}

HttpResponse get_user(RequestContext& context) {
  const auto id = context.param("id");
  const auto user = load_user(context, id);
  if (!user) return store_failure(context, user.error());
  if (!*user) return user_not_found(context, id);
  return user_response(context, 200, **user);
}

// Queues the invitation of a user created without a password: its set-password link
// (a SET_PASSWORD one-time token, spent by POST /auth/reset-password) in the outbox and
// the log (server/mail.hpp).
StoreResult<Done> invite(RequestContext& context, const User& user) {
  auto& services = context.services;
  const auto& inviter = context.actor->user;
  const auto token = issue_one_time_token(user.id, "SET_PASSWORD", invitation_lifetime);
  const auto mail =
      invitation_mail(services.config, context.actor->organization, user,
                      inviter.name.empty() ? inviter.email : inviter.name, token.token,
                      std::chrono::duration_cast<std::chrono::days>(invitation_lifetime).count());
  const auto stored = services.store.create_one_time_token(token.row, &mail.row, nullptr);
  if (stored) log_queued_mail(*services.logger, mail);
  return stored;
}

HttpResponse user_limit_refusal(RequestContext& context, const Organization& organization,
                                std::int64_t max_users) {
  return refusal(context, "email",
                 fmt::format("User limit of the plan reached: {} allows {} users",
                             organization.subscription_tier, max_users));
}

// The part of POST /api/v1/users that hashes, on a password worker: the password (or the
// random secret of an invited user), then the insert. `resource_ids` are checked already.
HttpResponse create_user_on_worker(RequestContext& context, const NewUser& input,
                                   const std::vector<std::string>& resource_ids) {
  auto& services = context.services;
  User user;
  user.id = generate_uuid();
  user.organization_id = context.actor->organization.id;
  user.email = input.email;
  user.name = input.name.value_or(input.email);
  user.role = input.role;
  // Without a password the user cannot sign in until they set one: the stored hash is of
  // a random secret nobody ever sees.
  user.password_hash = hash_password(input.password.value_or(random_alphanumeric(40)),
                                     services.config.password_hash);
  user.created_at = format_stored(now());
  user.updated_at = user.created_at;
  auto audit = user_audit(context, "USER_CREATE", user);
  add_details(audit, {{"isOrgAdmin", user.role == "admin"}, {"role", user.role}});
  const auto& organization = context.actor->organization;
  const auto max_users = plan_limits(organization.subscription_tier).max_users;
  const auto created = services.store.create_user(user, resource_ids, &audit, max_users);
  if (!created) {
    if (created.error().kind == StoreError::Kind::conflict) {
      return refusal(
          context, "email",
          fmt::format("A user with email '{}' already exists in this organization", user.email));
    }
    return store_failure(context, created.error());
  }
  if (!*created) return user_limit_refusal(context, organization, *max_users);
  if (!input.password) {
    const auto invited = invite(context, user);
    if (!invited) return store_failure(context, invited.error());
  }
  return user_response(context, 201, user);
}

HttpResponse create_user(RequestContext& context) {
  auto& services = context.services;
  const auto policy = services.engine.policy();
  std::vector<std::string> roles;
  for (const auto& role : policy->roles()) {
    // The stand-in of users who must set up MFA first (server/auth.hpp) is nobody's role.
    if (role.name != mfa_setup_role) roles.emplace_back(role.name);
  }
  auto parsed = parse_user_body(request_body(context), roles);
  if (!parsed) {
    const auto& errors = parsed.error();
    if (errors.size() == 1 && errors.count("email")) {
      return refusal(context, "email", errors.at("email"));
    }
    return validation_response(context.request.path, errors);
  }
  const auto& organization = context.actor->organization;
  if (const auto max_users = plan_limits(organization.subscription_tier).max_users) {
    // Early, before a password is hashed for nothing; the store counts again in the
    // transaction that inserts (creations at once cannot pass it together).
    const auto users = services.store.list_users(organization.id);
    if (!users) return store_failure(context, users.error());
    if (static_cast<std::int64_t>(users->size()) >= *max_users) {
      return user_limit_refusal(context, organization, *max_users);
    }
  }
  std::vector<std::string> resource_ids;
  for (const auto& id : parsed->resource_ids) {
    const auto resource = services.store.find_resource(id);
    if (!resource) return store_failure(context, resource.error());
    if (!*resource || (*resource)->organization_id != context.actor->organization.id) {
      return validation_response(
          context.request.path,
          {{"resourceIds", "every id must name a resource of this organization"}});
    }
    resource_ids.push_back((*resource)->id);
  }
  // The checks above ran here, on the request's thread, at once; the hash waits for a worker.
  auto input = std::make_shared<const NewUser>(std::move(*parsed));
  auto ids = std::make_shared<const std::vector<std::string>>(std::move(resource_ids));
  return on_password_worker(context, "user creations", [input, ids](RequestContext& deferred) {
    return create_user_on_worker(deferred, *input, *ids);
  });
}

// Ends the user's running sessions, as an admin does (endedReason ADMIN), once the user
// can no longer sign in or use a key. A session that changed meanwhile (the sweeper
// expiring it) is ending already.
StoreResult<Done> end_running_sessions(RequestContext& context, const std::string& user_id) {
  const auto sessions = context.services.store.list_sessions(user_id);
  if (!sessions) return unexpected(sessions.error());
  for (auto session : *sessions) {
    if (!can_stop(session.status)) continue;
    const auto ended = end_session(context, session, "ADMIN");
    if (!ended) return unexpected(ended.error());
  }
  return Done{};
}

HttpResponse update_user(RequestContext& context) {
  const auto id = context.param("id");
  auto loaded = load_user(context, id);
  if (!loaded) return store_failure(context, loaded.error());
  if (!*loaded) return user_not_found(context, id);
  const auto parsed = parse_user_changes_body(request_body(context));
  if (!parsed) return validation_response(context.request.path, parsed.error());
  auto user = **loaded;
  nlohmann::json changes = nlohmann::json::object();
  if (parsed->name) {
    user.name = *parsed->name;
    changes["name"] = user.name;
  }
  const bool was_admin = user.role == "admin";
  if (parsed->is_org_admin && *parsed->is_org_admin != was_admin) {
    // Demoting makes a member; a user of another policy role made admin and demoted
    // again is a member too.
    user.role = *parsed->is_org_admin ? "admin" : "member";
    changes["isOrgAdmin"] = *parsed->is_org_admin;
  }
  if (parsed->active) {
    user.active = *parsed->active;
    changes["isActive"] = user.active;
  }
  user.updated_at = format_stored(now());
  auto audit = user_audit(context, "USER_UPDATE", user);
  add_details(audit, changes);
  const Store::UserFields fields{parsed->name.has_value(), changes.contains("isOrgAdmin"),
                                 parsed->active.has_value()};
  const auto updated = context.services.store.update_user(user, fields, audit);
  if (!updated) return store_failure(context, updated.error());
  if (*updated == Store::UserChange::gone) return user_not_found(context, id);
  if (*updated == Store::UserChange::last_admin) {
    if (was_admin && user.role != "admin") {
      return refusal(context, "isOrgAdmin", "Cannot demote the last organization admin");
    }
    return refusal(context, "isActive", "Cannot deactivate the last organization admin");
  }
  if (!user.active) {
    // Inactive: its tokens and keys are refused from now on; end its sessions, whose
    // addresses the firewall would otherwise keep allowing until they expire (also when
    // a first attempt failed partway: a retried PATCH ends the rest).
    const auto ended = end_running_sessions(context, user.id);
    if (!ended) return store_failure(context, ended.error());
  }
  // What the row holds now: the fields this change set, and any another set meanwhile.
  const auto current = load_user(context, id);
  if (!current) return store_failure(context, current.error());
  if (!*current) return user_not_found(context, id);
  return user_response(context, 200, **current);
}

HttpResponse delete_user(RequestContext& context) {
  auto& store = context.services.store;
  const auto id = context.param("id");
  const auto loaded = load_user(context, id);
  if (!loaded) return store_failure(context, loaded.error());
  if (!*loaded) return user_not_found(context, id);
  const auto& user = **loaded;
  const auto deleted =
      store.delete_user(user, format_stored(now()), user_audit(context, "USER_DELETE", user));
  if (!deleted) return store_failure(context, deleted.error());
  if (*deleted == Store::UserChange::last_admin) {
    return refusal(context, "id", "Cannot delete the last organization admin");
  }
  const auto ended = end_running_sessions(context, user.id);
  if (!ended) return store_failure(context, ended.error());
  return HttpResponse{204, "application/json", {}, ""};
}

}  // namespace

void add_user_handlers(HandlerTable& table) {
  table.add(Method::get, "/api/v1/users", list_users);
  table.add(Method::post, "/api/v1/users", create_user);
  table.add(Method::get, "/api/v1/users/{id}", get_user);
  table.add(Method::patch, "/api/v1/users/{id}", update_user);
  table.add(Method::delete_, "/api/v1/users/{id}", delete_user);
}

}  // namespace scopegate::server
