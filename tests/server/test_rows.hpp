// Rows the store-level tests write, made the same way everywhere: an audit entry of a
// user's, and an active session that ends when it starts.
#pragma once

#include <string>

#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/store/records.hpp"

namespace scopegate::server::testing {

inline AuditEntry user_audit(const std::string& organization_id, const std::string& event) {
  AuditEntry a;
  a.id = generate_uuid();
  a.organization_id = organization_id;
  a.event_type = event;
  a.actor_type = "USER";
  a.created_at = format_stored(now());
  return a;
}

inline Session active_session(const std::string& organization_id, const std::string& user_id) {
  Session s;
  s.id = generate_uuid();
  s.organization_id = organization_id;
  s.user_id = user_id;
  s.status = "ACTIVE";
  s.started_at = format_stored(now());
  s.expires_at = s.started_at;
  s.created_at = s.started_at;
  return s;
}

}  // namespace scopegate::server::testing
