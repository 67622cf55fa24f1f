// `scopegate keys create`: issues an API key offline (bootstrap, CI), with the same
// validation as POST /api/v1/api-keys, for the user `email` of organization
// `organization_slug`, writing the key and its audit entry. Opens the database and
// compiles the policy itself, for one call; no server needs to run. Errors as messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scopegate/result.hpp"
#include "server/keys.hpp"

namespace scopegate::server {

struct OfflineKeyRequest {
  std::string database_path;
  std::string policy_directory;
  std::string gateway_policy_directory;  // empty: none; else its scopes may be granted too
  std::string organization_slug = "default";
  std::string email;
  std::string name;
  std::vector<std::string> scopes;
  std::optional<std::string> expires;      // "30d", "12h", "45m" or an ISO-8601 time
  std::vector<std::string> allowed_cidrs;  // empty: usable from anywhere
};
Result<IssuedKey, std::vector<std::string>> create_key_offline(const OfflineKeyRequest& request);

}  // namespace scopegate::server
