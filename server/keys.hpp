// Issuing API keys: the validation of API.md (name, scopes, expiresAt, and the
// allowedCidrs extension) and the making of
// the key itself, shared by `POST /api/v1/api-keys` and `scopegate keys create`. The
// plaintext exists only in IssuedKey::plaintext, for the caller to show once; the
// ApiKey row holds its SHA-256. Pure apart from the CSPRNG; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "scopegate/policy.hpp"
#include "scopegate/result.hpp"
#include "server/store/records.hpp"

namespace scopegate::server {

struct KeyRequest {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> scopes;
  std::optional<std::string> expires_at;  // ISO-8601 as sent
  // "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128); stored canonical.
  std::optional<std::vector<std::string>> allowed_cidrs;
};

struct IssuedKey {
  ApiKey key;
  std::string plaintext;
};

using KeyErrors = std::map<std::string, std::string>;

// Validates `request` for a key created by `creator` (whose role must hold every scope)
// and builds the key row; nothing is written. With a gateway policy (server/gateway.hpp),
// a scope the server's policy does not define is looked up there, with its roles.
Result<IssuedKey, KeyErrors> issue_key(const Policy& policy, const User& creator,
                                       const Organization& organization, const KeyRequest& request,
                                       const Policy* gateway = nullptr);

}  // namespace scopegate::server
