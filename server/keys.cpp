#include "server/keys.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "scopegate/ip.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/text.hpp"

namespace scopegate::server {

namespace {

constexpr std::size_t max_name_length = 255;
constexpr std::size_t max_description_length = 1000;
constexpr std::size_t max_allowed_cidrs = 100;

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace

Result<IssuedKey, KeyErrors> issue_key(const Policy& policy, const User& creator,
                                       const Organization& organization, const KeyRequest& request,
                                       const Policy* gateway) {
  KeyErrors errors;
  const auto name = request.name ? trimmed(*request.name) : std::string();
  if (name.empty()) {
    errors["name"] = "is required";
  } else if (auto problem = check_text(name, TextRule{max_name_length})) {
    errors["name"] = std::move(*problem);
  }
  if (request.description) {
    if (auto problem = check_text(*request.description, TextRule{max_description_length, 0,
                                                                 Controls::tab_and_line_breaks})) {
      errors["description"] = std::move(*problem);
    }
  }

  std::vector<std::string> scopes;
  if (!request.scopes || request.scopes->empty()) {
    errors["scopes"] = "at least one scope is required";
  } else {
    std::vector<std::string> problems;
    for (const auto& scope : *request.scopes) {
      if (std::find(scopes.begin(), scopes.end(), scope) != scopes.end()) continue;
      // The policy that defines the scope: the server's, else the gateway policy.
      const Policy* owner = &policy;
      auto id = policy.find_scope(scope);
      if (!id && gateway != nullptr) {
        owner = gateway;
        id = gateway->find_scope(scope);
      }
      const Role* role = owner->find_role(creator.role);
      if (!id) {
        problems.push_back(fmt::format("unknown scope: {}", scope));
      } else if (owner->scopes()[*id].kind == ScopeKind::future) {
        problems.push_back(fmt::format("scope {} is not available yet", scope));
      } else if (owner->scopes()[*id].kind == ScopeKind::user) {
        problems.push_back(fmt::format("scope {} cannot be granted to an API key", scope));
      } else if (role == nullptr || !role->closure.contains(*id)) {
        problems.push_back(fmt::format("scope {} is not held by the key's creator", scope));
      }
      scopes.push_back(scope);
    }
    if (!problems.empty()) {
      std::string joined;
      for (const auto& problem : problems) joined += joined.empty() ? problem : "; " + problem;
      errors["scopes"] = joined;
    }
  }

  std::optional<std::string> expires_at;
  if (request.expires_at) {
    const auto parsed = parse_iso(*request.expires_at);
    if (!parsed) {
      errors["expiresAt"] = "must be an ISO-8601 timestamp such as 2026-02-18T10:30:00Z";
    } else if (*parsed <= now()) {
      errors["expiresAt"] = "must be in the future";
    } else {
      expires_at = format_stored(*parsed);
    }
  }
  std::vector<std::string> allowed_cidrs;
  if (request.allowed_cidrs) {
    std::vector<std::string> problems;
    if (request.allowed_cidrs->size() > max_allowed_cidrs) {
      problems.push_back(fmt::format("at most {} entries", max_allowed_cidrs));
    }
    for (const auto& text : *request.allowed_cidrs) {
      const auto range = ::scopegate::parse_cidr(text);
      if (!range) {
        problems.push_back(fmt::format(
            "not an IP address or CIDR range (host bits below the prefix must be zero): {}", text));
        continue;
      }
      auto canonical = ::scopegate::to_string(*range);
      if (std::find(allowed_cidrs.begin(), allowed_cidrs.end(), canonical) == allowed_cidrs.end()) {
        allowed_cidrs.push_back(std::move(canonical));
      }
    }
    if (!problems.empty()) {
      std::string joined;
      for (const auto& problem : problems) joined += joined.empty() ? problem : "; " + problem;
      errors["allowedCidrs"] = joined;
    }
  }
  if (!errors.empty()) return unexpected(std::move(errors));

  IssuedKey issued;
  issued.plaintext = generate_api_key();
  auto& key = issued.key;
  key.id = generate_uuid();
  key.organization_id = organization.id;
  key.created_by = creator.id;
  key.created_by_email = creator.email;
  key.name = name;
  key.description = request.description;
  key.key_prefix = key_prefix(issued.plaintext);
  key.key_hash = sha256_hex(issued.plaintext);
  key.scopes = std::move(scopes);
  key.expires_at = std::move(expires_at);
  key.allowed_cidrs = std::move(allowed_cidrs);
  key.created_at = format_stored(now());
  return issued;
}

}  // namespace scopegate::server
