// The session state machine, shared by the handlers and the sweeper:
//   PENDING -> ACTIVE | PARTIAL | FAILED -> EXPIRING -> EXPIRED | CANCELLED
// and per resource entry PENDING -> APPLIED | FAILED -> REMOVING -> REMOVED.
// Every transition is written with expected-status checks (no lost updates between a
// request and the sweeper). Functions are thread-safe; they talk to the store and the
// firewall provider passed in.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/provider.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

bool can_stop(std::string_view status);    // PENDING ACTIVE PARTIAL
bool can_extend(std::string_view status);  // ACTIVE PARTIAL

// Applies every PENDING entry through the provider and sets the session's status from
// the outcomes (ACTIVE when all applied or there are none, PARTIAL, FAILED).
void apply_entries(Session& session, const std::vector<Resource>& resources,
                   FirewallProvider& provider);

// Marks the session EXPIRING with `reason` (MANUAL | ADMIN | EXPIRED) and its applied entries
// REMOVING; does not write.
void begin_ending(Session& session, std::string_view reason, const std::string& at);

// Removes every REMOVING entry through the provider and moves an EXPIRING session to
// CANCELLED (stopped by its user or an admin) or EXPIRED; does not write.
void finish_ending(Session& session, FirewallProvider& provider);

}  // namespace scopegate::server
