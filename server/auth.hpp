// Authentication: turns the request's credentials into an Actor, or says why not (401).
// `Authorization: Bearer <token>` wins over an API key; an API key comes from
// `X-API-Key` or `Authorization: ApiKey <key>`. Keys and tokens are looked up by the
// SHA-256 of the whole string; the store may answer a key from memory only after checking
// that nothing about it changed (Store::authenticate_key), so a revocation is seen at
// once. Revocation, expiry (expiresAt <= now, against the clock) and the creator being
// disabled are checked here on every request.
// A key's effective scopes are those it was created with that its creator still holds.
// A key seen before is recognised by its in-memory fingerprint (crypto.hpp), which gives
// its hash without hashing it again; the Actor and the Principal derived from its row are
// built once per row and shared: the store hands out the same immutable row while it is
// current, so they are kept with the row (and the policy the principal was made for) in a
// bounded, thread-safe memo, and rebuilt as soon as the store has a new row or the policy
// is reloaded.
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "scopegate/policy.hpp"
#include "scopegate/result.hpp"
#include "server/context.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

enum class CredentialKind { none, api_key, bearer };

// Which credential the request presents, without checking it.
CredentialKind credential_kind(const HttpRequest& request);

struct AuthFailure {
  int status = 401;  // 500 when the store failed
  std::string message;
};

// Who is calling, and the principal the engine judges for them under `policy`.
struct Authenticated {
  std::shared_ptr<const Actor> actor;
  std::shared_ptr<const Principal> principal;
};

Result<Authenticated, AuthFailure> authenticate(const HttpRequest& request, Store& store,
                                                const Policy& policy);

// API keys presented since start: known to the key memo (hit) or hashed anew (miss).
struct KeyCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
};
KeyCacheStats key_cache_stats() noexcept;

// The key's scopes that its creator's role still grants (after `implies`), in key order.
std::vector<std::string> effective_key_scopes(const Policy& policy, const ApiKey& key,
                                              const User& creator);
// A signed-in user whose organization requires MFA and who has not set it up: until they
// do, the engine judges them as the policy role `mfa-setup` (access.policy: MFA setup
// only; no role of that name, no scope), whatever their own role.
inline constexpr std::string_view mfa_setup_role = "mfa-setup";
bool mfa_setup_pending(const Actor& actor);
// The principal the engine judges for `actor`: its scopes (a key's effective scopes, or
// the user's role, see mfa_setup_pending), its identity for conditions (principal.id = the user's
// id, or the key creator's; principal.name = that user's email; principal.org = the organization
// slug) and, for a key, principal.allowed_cidrs.
Principal principal_for(const Policy& policy, const Actor& actor);

}  // namespace scopegate::server
