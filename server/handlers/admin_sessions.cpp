// Session administration (API-admin.md "Admin sessions"): every session of the
// organization, and stopping any of them (endedReason ADMIN), for admins (the
// sessions:admin user scope).
#include <map>

#include "scopegate/decision.hpp"
#include "server/handlers/handlers.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

namespace {

HttpResponse list_organization_sessions(RequestContext& context) {
  // The policy's template is /api/v1/sessions/admin/** (see user.policy): only the list
  // itself is here.
  if (context.request.path != "/api/v1/sessions/admin") {
    return error_response(404, ::scopegate::no_route_message, context.request.path);
  }
  auto& store = context.services.store;
  const auto& organization = context.actor->organization;
  const auto sessions = store.list_organization_sessions(organization.id);
  if (!sessions) return store_failure(context, sessions.error());
  const auto users = store.list_users(organization.id);
  if (!users) return store_failure(context, users.error());
  std::map<std::string, User> owners;
  for (const auto& user : *users) owners.emplace(user.id, user);
  HttpResponse response{200, "application/json", {}, "["};
  for (const auto& session : *sessions) {
    auto owner = owners.find(session.user_id);
    if (owner == owners.end()) {
      // A deleted user's session: its row is still there.
      const auto found = store.find_user(session.user_id);
      if (!found) return store_failure(context, found.error());
      owner = owners.emplace(session.user_id, found->value_or(User{})).first;
    }
    if (response.body.size() > 1) response.body += ',';
    append_session_body(response.body, session, owner->second, organization);
  }
  response.body += ']';
  return response;
}

HttpResponse stop_any_session(RequestContext& context) {
  const auto found = context.services.store.find_session(context.param("id"));
  if (!found) return store_failure(context, found.error());
  if (!*found || (*found)->organization_id != context.actor->organization.id) {
    return not_found(context, "session");
  }
  return stop_loaded_session(context, **found, "ADMIN");
}

}  // namespace

void add_admin_session_handlers(HandlerTable& table) {
  table.add(Method::get, "/api/v1/sessions/admin/**", list_organization_sessions);
  table.add(Method::post, "/api/v1/sessions/admin/{id}/stop", stop_any_session);
}

}  // namespace scopegate::server
