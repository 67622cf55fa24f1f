// The policy of a directory, compiled once, as `scopegate serve` and `scopegate keys
// create` start with it. A failure comes back as the rendered diagnostics, one line each;
// load_policy_and_warnings() also gives the rendered warnings of a policy that compiles.
// Stateless; safe from any thread.
#pragma once

#include <string>
#include <vector>

#include "scopegate/policy.hpp"
#include "scopegate/result.hpp"

namespace scopegate::server {

Result<Policy, std::vector<std::string>> load_policy(const std::string& directory);

struct LoadedPolicy {
  Policy policy;
  std::vector<std::string> warnings;  // rendered, one line each; empty when clean
};

Result<LoadedPolicy, std::vector<std::string>> load_policy_and_warnings(
    const std::string& directory);

}  // namespace scopegate::server
