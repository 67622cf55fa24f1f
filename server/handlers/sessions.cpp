// Sessions: list, get, start, stop, extend. A key acts as its creator, so "the caller's
// sessions" are the creator's. Another organization's session, or (for a non-admin)
// another user's, is a 404.
#include <fmt/format.h>

#include <algorithm>

#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/handlers/handlers.hpp"
#include "server/net.hpp"
#include "server/sessions.hpp"
#include "server/store/store.hpp"
#include "server/sweeper.hpp"

namespace scopegate::server {

namespace {

// The longest session `user` may hold: the server's limit for admins, and for everyone
// else the members' limit capped by the shortest maxSessionDurationHours among the user's
// roles (their session covers the resources of every role at once). The session's
// owner's, whoever extends it.
StoreResult<int> max_hours(RequestContext& context, const User& user) {
  const auto& config = context.services.config;
  if (user.role == "admin") return config.session_admin_max_hours;
  auto limit = static_cast<std::int64_t>(config.session_max_hours);
  const auto roles = context.services.store.list_roles(user.organization_id);
  if (!roles) return unexpected(roles.error());
  for (const auto& role : *roles) {
    const auto& members = role.user_ids;
    if (role.max_session_hours &&
        std::find(members.begin(), members.end(), user.id) != members.end()) {
      limit = std::min(limit, *role.max_session_hours);
    }
  }
  return static_cast<int>(limit);
}

// An address field: text without control characters (so that inet_pton, which reads up
// to the first NUL, sees all of it), then an address of the field's version. An IPv4
// address may also be written IPv4-mapped (::ffff:1.2.3.4), as before.
std::optional<std::string> address(const nlohmann::json& body, const std::string& field,
                                   int version, ValidationErrors& errors) {
  auto text = optional_text(body, field, TextRule{45}, errors);
  if (!text) return std::nullopt;
  const auto parsed = parse_ip(*text);
  if (!parsed || parsed->version != version) {
    errors.try_emplace(field, fmt::format("must be an IPv{} address", version));
    return std::nullopt;
  }
  return text;
}

}  // namespace

Result<SessionStart, ValidationErrors> parse_session_start_body(const nlohmann::json& json,
                                                                const SessionLimits& limits) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  SessionStart out;
  const auto hours = optional_integer(body, "durationHours", errors);
  out.duration_hours = hours.value_or(limits.default_hours);
  if (!errors.count("durationHours") &&
      (out.duration_hours < 1 || out.duration_hours > limits.max_hours)) {
    errors["durationHours"] = fmt::format("must be between 1 and {}", limits.max_hours);
  }
  out.ipv4_address = address(body, "ipv4Address", 4, errors);
  out.ipv6_address = address(body, "ipv6Address", 6, errors);
  if (!errors.empty()) return unexpected(std::move(errors));
  return out;
}

Result<SessionExtension, ValidationErrors> parse_session_extend_body(const nlohmann::json& json) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  const auto additional = optional_integer(body, "additionalHours", errors);
  if (!errors.count("additionalHours") && (!additional || *additional < 1)) {
    errors["additionalHours"] = "must be an integer of at least 1";
  }
  if (!errors.empty()) return unexpected(std::move(errors));
  return SessionExtension{*additional};
}

HttpResponse session_response(RequestContext& context, int status, const Session& session) {
  HttpResponse response{status, "application/json", {}, {}};
  if (session.user_id == context.actor->user.id) {
    append_session_body(response.body, session, context.actor->user, context.actor->organization);
    return response;
  }
  const auto owner = context.services.store.find_user(session.user_id);
  if (!owner) return store_failure(context, owner.error());
  const User user = *owner ? **owner : User{};
  append_session_body(response.body, session, user, context.actor->organization);
  return response;
}

namespace {

// The session named by the path, if the caller may see it: their own, and for an admin
// signed in (not a key: managing every session is the user-only /sessions/admin's job)
// any of the organization's.
StoreResult<std::shared_ptr<const Session>> load_session(RequestContext& context) {
  auto found = context.services.store.find_session(context.param("id"));
  if (!found || !*found) return found;
  const auto& session = **found;
  const auto& actor = *context.actor;
  const bool visible =
      session.organization_id == actor.organization.id &&
      (session.user_id == actor.user.id || (actor.kind == ActorKind::user && actor.is_admin()));
  if (!visible) return std::shared_ptr<const Session>();
  return found;
}

AuditEntry session_audit(RequestContext& context, std::string_view event, const Session& session) {
  auto audit = context.audit(event);
  audit.resource_type = "SESSION";
  audit.resource_id = session.id;
  nlohmann::json details = nlohmann::json::parse(audit.details_json);
  details["status"] = session.status;
  details["expiresAt"] = wire_time(session.expires_at);
  if (session.ended_reason) details["endedReason"] = *session.ended_reason;
  audit.details_json = details.dump();
  return audit;
}

HttpResponse list_sessions(RequestContext& context) {
  const auto sessions = context.services.store.list_sessions(context.actor->user.id);
  if (!sessions) return store_failure(context, sessions.error());
  HttpResponse response{200, "application/json", {}, "["};
  for (const auto& session : *sessions) {
    if (response.body.size() > 1) response.body += ',';
    append_session_body(response.body, session, context.actor->user, context.actor->organization);
  }
  response.body += ']';
  return response;
}

HttpResponse get_session(RequestContext& context) {
  const auto session = load_session(context);
  if (!session) return store_failure(context, session.error());
  if (!*session) return not_found(context, "session");
  return session_response(context, 200, **session);
}

HttpResponse start_session(RequestContext& context) {
  auto& services = context.services;
  const auto limit = max_hours(context, context.actor->user);
  if (!limit) return store_failure(context, limit.error());
  auto parsed = parse_session_start_body(
      request_body(context),
      SessionLimits{std::min(services.config.session_default_hours, *limit), *limit});
  if (!parsed) return validation_response(context.request.path, parsed.error());
  const auto hours = parsed->duration_hours;
  auto ipv4 = std::move(parsed->ipv4_address);
  auto ipv6 = std::move(parsed->ipv6_address);
  if (!ipv4 && !ipv6) {
    // The client's address from the peer or a trusted proxy's header: it passed
    // parse_ip() whole, and the HTTP parser lets no control character into a header.
    const auto detected = parse_ip(context.client_ip);
    if (!detected) {
      return validation_response(
          context.request.path, {{"ipv4Address", "could not detect the client address; send one"}});
    }
    (detected->version == 4 ? ipv4 : ipv6) = context.client_ip;
  }

  const auto resources = context.actor->is_admin()
                             ? services.store.list_resources(context.actor->organization.id)
                             : services.store.list_user_resources(context.actor->user.id);
  if (!resources) return store_failure(context, resources.error());

  const auto started = now();
  Session session;
  session.id = generate_uuid();
  session.organization_id = context.actor->organization.id;
  session.user_id = context.actor->user.id;
  session.ipv4_address = ipv4;
  session.ipv6_address = ipv6;
  session.status = "PENDING";
  session.started_at = format_stored(started);
  session.expires_at = format_stored(started + std::chrono::hours(hours));
  session.created_at = session.started_at;
  for (const auto& resource : *resources) {
    if (!resource.active) continue;
    for (const auto& [version, address] : {std::pair{"IPV4", ipv4}, std::pair{"IPV6", ipv6}}) {
      if (!address) continue;
      SessionResourceIp entry;
      entry.id = generate_uuid();
      entry.session_id = session.id;
      entry.resource_id = resource.id;
      entry.resource_name = resource.name;
      entry.ip_version = version;
      entry.ip_address = *address;
      entry.status = "PENDING";
      session.resource_ips.push_back(std::move(entry));
    }
  }
  apply_entries(session, *resources, services.provider);
  const auto audit = session_audit(context, "SESSION_START", session);
  const auto saved = services.store.save_session(session, std::nullopt, &audit);
  if (!saved) return store_failure(context, saved.error());
  return session_response(context, 201, session);
}

HttpResponse stop_session(RequestContext& context) {
  auto loaded = load_session(context);
  if (!loaded) return store_failure(context, loaded.error());
  if (!*loaded) return not_found(context, "session");
  // An admin stopping another user's session here does what /sessions/admin does.
  const bool own = (*loaded)->user_id == context.actor->user.id;
  return stop_loaded_session(context, **loaded, own ? "MANUAL" : "ADMIN");
}

HttpResponse extend_session(RequestContext& context) {
  auto loaded = load_session(context);
  if (!loaded) return store_failure(context, loaded.error());
  if (!*loaded) return not_found(context, "session");
  auto session = **loaded;  // a copy to change
  const auto parsed = parse_session_extend_body(request_body(context));
  if (!parsed) return validation_response(context.request.path, parsed.error());
  const auto additional = parsed->additional_hours;
  const auto current_expiry = parse_iso(session.expires_at);
  if (!can_extend(session.status) || !current_expiry || *current_expiry <= now()) {
    return validation_response(
        context.request.path,
        {{"status", !current_expiry || *current_expiry <= now()
                        ? std::string("the session has expired and cannot be extended")
                        : fmt::format("the session is {} and cannot be extended", session.status)}},
        "Session cannot be extended");
  }
  const auto started = parse_iso(session.started_at).value_or(now());
  const auto new_expiry = *current_expiry + std::chrono::hours(additional);
  auto owner = session.user_id == context.actor->user.id
                   ? StoreResult<std::optional<User>>(context.actor->user)
                   : context.services.store.find_user(session.user_id);
  if (!owner) return store_failure(context, owner.error());
  if (!*owner) {
    return validation_response(
        context.request.path, {{"status", "the session's user was deleted: it cannot be extended"}},
        "Session cannot be extended");
  }
  const auto max = max_hours(context, **owner);
  if (!max) return store_failure(context, max.error());
  const int limit = *max;
  if (new_expiry - started > std::chrono::hours(limit)) {
    return validation_response(
        context.request.path,
        {{"additionalHours",
          fmt::format("the session would exceed the maximum duration of {} hours", limit)}});
  }
  const Store::SessionVersion previous{session.status, session.expires_at};
  session.expires_at = format_stored(new_expiry);
  const auto audit = session_audit(context, "SESSION_EXTEND", session);
  const auto saved = context.services.store.save_session(session, previous, &audit);
  if (!saved) return store_failure(context, saved.error());
  if (!*saved) {
    return validation_response(context.request.path, {{"status", "the session changed meanwhile"}},
                               "Session cannot be extended");
  }
  return session_response(context, 200, session);
}

}  // namespace

HttpResponse stop_loaded_session(RequestContext& context, Session session,
                                 std::string_view reason) {
  if (!can_stop(session.status)) {
    return validation_response(
        context.request.path,
        {{"status", fmt::format("the session is {} and cannot be stopped", session.status)}},
        "Session cannot be stopped");
  }
  const auto saved = end_session(context, session, reason);
  if (!saved) return store_failure(context, saved.error());
  if (!*saved) {
    return validation_response(context.request.path, {{"status", "the session changed meanwhile"}},
                               "Session cannot be stopped");
  }
  return session_response(context, 200, session);
}

StoreResult<bool> end_session(RequestContext& context, Session& session, std::string_view reason) {
  const Store::SessionVersion previous{session.status, session.expires_at};
  begin_ending(session, reason, format_stored(now()));
  const auto audit = session_audit(context, "SESSION_STOP", session);
  auto saved = context.services.store.save_session(session, previous, &audit);
  if (saved && *saved && context.services.sweeper != nullptr) context.services.sweeper->wake();
  return saved;
}

void add_session_handlers(HandlerTable& table) {
  table.add(Method::get, "/api/v1/sessions", list_sessions);
  table.add(Method::get, "/api/v1/sessions/{id}", get_session);
  table.add(Method::post, "/api/v1/sessions", start_session);
  table.add(Method::post, "/api/v1/sessions/{id}/stop", stop_session);
  table.add(Method::post, "/api/v1/sessions/{id}/extend", extend_session);
}

}  // namespace scopegate::server
