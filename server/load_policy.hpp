// The policy of a directory, compiled once, as `scopegate serve` and `scopegate keys
// create` start with it. A failure comes back as the rendered diagnostics, one line each.
// Stateless; safe from any thread.
#pragma once

#include <string>
#include <vector>

#include "scopegate/policy.hpp"
#include "scopegate/result.hpp"

namespace scopegate::server {

Result<Policy, std::vector<std::string>> load_policy(const std::string& directory);

}  // namespace scopegate::server
