// Sessions: list, get, start, stop, extend. A key acts as its creator, so "the caller's
// sessions" are the creator's. Another organization's session, or (for a non-admin)
// another user's, is a 404.
#include <fmt/format.h>

#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/handlers/handlers.hpp"
#include "server/net.hpp"
#include "server/sessions.hpp"
#include "server/store/store.hpp"
#include "server/sweeper.hpp"

namespace scopegate::server {

namespace {

int max_hours(const RequestContext& context) {
  const auto& config = context.services.config;
  return context.actor->is_admin() ? config.session_admin_max_hours : config.session_max_hours;
}

// Reads an optional integer field: absent/null -> nullopt; anything else not an integer
// is an error.
std::optional<long long> optional_integer(const nlohmann::json& body, const std::string& field,
                                          ValidationErrors& errors) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) return std::nullopt;
  if (!found->is_number_integer()) {
    errors[field] = "must be an integer";
    return std::nullopt;
  }
  return found->get<long long>();
}

HttpResponse session_response(RequestContext& context, int status, const Session& session) {
  HttpResponse response{status, "application/json", {}, {}};
  if (session.user_id == context.actor->user.id) {
    append_session_body(response.body, session, context.actor->user, context.actor->organization);
    return response;
  }
  const auto owner = context.services.store.find_user(session.user_id);
  if (!owner) return store_failure(context, owner.error().message);
  const User user = *owner ? **owner : User{};
  append_session_body(response.body, session, user, context.actor->organization);
  return response;
}

// The session named by the path, if the caller may see it.
StoreResult<std::shared_ptr<const Session>> load_session(RequestContext& context) {
  auto found = context.services.store.find_session(context.param("id"));
  if (!found || !*found) return found;
  const auto& session = **found;
  const bool visible = session.organization_id == context.actor->organization.id &&
                       (session.user_id == context.actor->user.id || context.actor->is_admin());
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
  audit.details_json = details.dump();
  return audit;
}

HttpResponse list_sessions(RequestContext& context) {
  const auto sessions = context.services.store.list_sessions(context.actor->user.id);
  if (!sessions) return store_failure(context, sessions.error().message);
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
  if (!session) return store_failure(context, session.error().message);
  if (!*session) return not_found(context, "session");
  return session_response(context, 200, **session);
}

HttpResponse start_session(RequestContext& context) {
  auto& services = context.services;
  ValidationErrors errors;
  const auto& body = body_object(context, errors);
  const auto hours = optional_integer(body, "durationHours", errors)
                         .value_or(services.config.session_default_hours);
  auto ipv4 = optional_string(body, "ipv4Address", errors);
  auto ipv6 = optional_string(body, "ipv6Address", errors);
  const int limit = max_hours(context);
  if (!errors.count("durationHours") && (hours < 1 || hours > limit)) {
    errors["durationHours"] = fmt::format("must be between 1 and {}", limit);
  }
  if (ipv4) {
    const auto parsed = parse_ip(*ipv4);
    if (!parsed || parsed->version != 4) errors["ipv4Address"] = "must be an IPv4 address";
  }
  if (ipv6) {
    const auto parsed = parse_ip(*ipv6);
    if (!parsed || parsed->version != 6) errors["ipv6Address"] = "must be an IPv6 address";
  }
  if (!errors.empty()) return validation_response(context.request.path, errors);
  if (!ipv4 && !ipv6) {
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
  if (!resources) return store_failure(context, resources.error().message);

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
  if (!saved) return store_failure(context, saved.error().message);
  return session_response(context, 201, session);
}

HttpResponse stop_session(RequestContext& context) {
  auto loaded = load_session(context);
  if (!loaded) return store_failure(context, loaded.error().message);
  if (!*loaded) return not_found(context, "session");
  auto session = **loaded;  // a copy to change
  if (!can_stop(session.status)) {
    return validation_response(
        context.request.path,
        {{"status", fmt::format("a {} session cannot be stopped", session.status)}},
        "Session cannot be stopped");
  }
  const auto previous = session.status;
  begin_ending(session, "MANUAL", format_stored(now()));
  const auto audit = session_audit(context, "SESSION_STOP", session);
  const auto saved = context.services.store.save_session(session, previous, &audit);
  if (!saved) return store_failure(context, saved.error().message);
  if (!*saved) {
    return validation_response(context.request.path, {{"status", "the session changed meanwhile"}},
                               "Session cannot be stopped");
  }
  if (context.services.sweeper != nullptr) context.services.sweeper->wake();
  return session_response(context, 200, session);
}

HttpResponse extend_session(RequestContext& context) {
  auto loaded = load_session(context);
  if (!loaded) return store_failure(context, loaded.error().message);
  if (!*loaded) return not_found(context, "session");
  auto session = **loaded;  // a copy to change
  ValidationErrors errors;
  const auto& body = body_object(context, errors);
  const auto additional = optional_integer(body, "additionalHours", errors);
  if (!errors.count("additionalHours") && (!additional || *additional < 1)) {
    errors["additionalHours"] = "must be an integer of at least 1";
  }
  if (!errors.empty()) return validation_response(context.request.path, errors);
  const auto current_expiry = parse_iso(session.expires_at);
  if (!can_extend(session.status) || !current_expiry || *current_expiry <= now()) {
    return validation_response(
        context.request.path,
        {{"status", fmt::format("a {} session cannot be extended",
                                !current_expiry || *current_expiry <= now() ? std::string("expired")
                                                                            : session.status)}},
        "Session cannot be extended");
  }
  const auto started = parse_iso(session.started_at).value_or(now());
  const auto new_expiry = *current_expiry + std::chrono::hours(*additional);
  const int limit = max_hours(context);
  if (new_expiry - started > std::chrono::hours(limit)) {
    return validation_response(
        context.request.path,
        {{"additionalHours",
          fmt::format("the session would exceed the maximum duration of {} hours", limit)}});
  }
  const auto previous = session.status;
  session.expires_at = format_stored(new_expiry);
  const auto audit = session_audit(context, "SESSION_EXTEND", session);
  const auto saved = context.services.store.save_session(session, previous, &audit);
  if (!saved) return store_failure(context, saved.error().message);
  if (!*saved) {
    return validation_response(context.request.path, {{"status", "the session changed meanwhile"}},
                               "Session cannot be extended");
  }
  return session_response(context, 200, session);
}

}  // namespace

void add_session_handlers(HandlerTable& table) {
  table.add(Method::get, "/api/v1/sessions", list_sessions);
  table.add(Method::get, "/api/v1/sessions/{id}", get_session);
  table.add(Method::post, "/api/v1/sessions", start_session);
  table.add(Method::post, "/api/v1/sessions/{id}/stop", stop_session);
  table.add(Method::post, "/api/v1/sessions/{id}/extend", extend_session);
}

}  // namespace scopegate::server
