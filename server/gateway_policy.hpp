// The rule that lets one API key hold scopes of both the server's policy and the gateway
// policy (server/gateway.hpp): a scope name means one thing, so no name may be defined in
// both. Checked when the server starts and before either policy is reloaded. Pure.
#pragma once

#include <string>
#include <vector>

#include "scopegate/policy.hpp"

namespace scopegate::server {

// One message per scope defined in both, naming both definitions; empty when none is.
std::vector<std::string> scope_collisions(const Policy& api, const Policy& gateway);

}  // namespace scopegate::server
