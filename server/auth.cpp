#include "server/auth.hpp"

#include "server/clock.hpp"
#include "server/crypto.hpp"

#include <atomic>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace scopegate::server {

namespace {

bool starts_with_word(std::string_view text, std::string_view word) {
  if (text.size() <= word.size() || text[word.size()] != ' ') return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(word[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view after_word(std::string_view text, std::string_view word) {
  auto rest = text.substr(word.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  return rest;
}

Result<Authenticated, AuthFailure> failure(std::string message, int status = 401);

// The store could not answer: 503 when it is busy or unreachable (worth a retry), else 500.
Result<Authenticated, AuthFailure> unavailable(const StoreError& error) {
  return failure("authentication is unavailable",
                 error.kind == StoreError::Kind::unavailable ? 503 : 500);
}

Result<Authenticated, AuthFailure> failure(std::string message, int status) {
  return unexpected(AuthFailure{status, std::move(message)});
}

// What a key presented before led to: its hash, the row the store handed out for it, and
// the Actor and Principal built from that row under one policy. Kept by the key's
// fingerprint (never the key) and the policy, so that a key seen before costs no
// SHA-256 and a key used on two policies (the server's and the gateway's) keeps one entry
// for each; reused only while the store still returns that very row object for the hash
// (it does until the row changes). Bounded: cleared when full. Only keys that exist get
// an entry, so unknown keys cannot fill it.
class KeyMemo {
 public:
  struct Entry {
    std::string hash;
    std::shared_ptr<const Store::KeyActor> row;  // held, so that its address stays its own
    Authenticated authenticated;
  };

  std::shared_ptr<const Entry> find(const Fingerprint& fingerprint, const Policy& policy) {
    std::lock_guard lock(m_mutex);
    const auto found = m_entries.find(Key{fingerprint, policy.id()});
    return found == m_entries.end() ? nullptr : found->second;
  }

  Authenticated remember(const Fingerprint& fingerprint, std::string hash,
                         std::shared_ptr<const Store::KeyActor> row, const Policy& policy) {
    auto actor = std::make_shared<Actor>();
    actor->kind = ActorKind::api_key;
    actor->user = row->user;
    actor->organization = row->organization;
    actor->key = row->key;
    auto principal = std::make_shared<const Principal>(principal_for(policy, *actor));
    Authenticated made{std::move(actor), std::move(principal)};
    const Key key{fingerprint, policy.id()};
    std::lock_guard lock(m_mutex);
    if (m_entries.size() >= capacity && !m_entries.contains(key)) m_entries.clear();
    m_entries.insert_or_assign(
        key, std::make_shared<const Entry>(Entry{std::move(hash), std::move(row), made}));
    return made;
  }

 private:
  static constexpr std::size_t capacity = 10'000;
  struct Key {
    Fingerprint fingerprint;
    std::uint64_t policy_id = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const noexcept {
      // The fingerprint is already a keyed pseudo-random value: any 8 of its bytes hash it.
      std::size_t out = 0;
      std::memcpy(&out, key.fingerprint.data(), sizeof out);
      return out ^ (key.policy_id * 0x9E3779B97F4A7C15ULL);
    }
  };
  std::mutex m_mutex;
  std::unordered_map<Key, std::shared_ptr<const Entry>, KeyHash> m_entries;
};

std::atomic<std::uint64_t> g_key_cache_hits{0};
std::atomic<std::uint64_t> g_key_cache_misses{0};

KeyMemo& key_memo() {
  static KeyMemo memo;
  return memo;
}

Result<Authenticated, AuthFailure> authenticate_bearer(std::string_view token, Store& store,
                                                       const Policy& policy) {
  if (token.empty()) return failure("invalid or expired access token");
  const auto found = store.authenticate_token(sha256_hex(token));
  if (!found) return unavailable(found.error());
  if (!*found || (*found)->token.kind != TokenKind::access) {
    return failure("invalid or expired access token");
  }
  const auto& row = **found;
  if (row.token.expires_at <= format_stored(now()))
    return failure("invalid or expired access token");
  if (!row.user.active) return failure("user account is disabled");
  auto actor = std::make_shared<Actor>();
  actor->kind = ActorKind::user;
  actor->user = row.user;
  actor->organization = row.organization;
  auto principal = std::make_shared<const Principal>(principal_for(policy, *actor));
  return Authenticated{std::move(actor), std::move(principal)};
}

Result<Authenticated, AuthFailure> authenticate_key(std::string_view key, Store& store,
                                                    const Policy& policy) {
  if (key.empty()) return failure("invalid API key");
  const auto print = fingerprint(key);
  const auto known = key_memo().find(print, policy);
  (known ? g_key_cache_hits : g_key_cache_misses).fetch_add(1, std::memory_order_relaxed);
  const std::string computed = known ? std::string() : sha256_hex(key);
  const std::string& hash = known ? known->hash : computed;
  const auto found = store.authenticate_key(hash);
  if (!found) return unavailable(found.error());
  const auto& row = *found;
  if (!row) return failure("invalid API key");
  if (row->key.revoked_at) return failure("API key has been revoked");
  if (row->key.expires_at && *row->key.expires_at <= format_stored(now())) {
    return failure("API key has expired");
  }
  if (!row->user.active) return failure("the API key's creator is disabled");
  if (known && known->row == row) return known->authenticated;
  return key_memo().remember(print, hash, row, policy);
}

}  // namespace

KeyCacheStats key_cache_stats() noexcept {
  return KeyCacheStats{g_key_cache_hits.load(std::memory_order_relaxed),
                       g_key_cache_misses.load(std::memory_order_relaxed)};
}

CredentialKind credential_kind(const HttpRequest& request) {
  const auto authorization = request.header("authorization");
  if (starts_with_word(authorization, "Bearer")) return CredentialKind::bearer;
  if (starts_with_word(authorization, "ApiKey")) return CredentialKind::api_key;
  if (request.has_header("x-api-key")) return CredentialKind::api_key;
  return CredentialKind::none;
}

Result<Authenticated, AuthFailure> authenticate(const HttpRequest& request, Store& store,
                                                const Policy& policy) {
  const auto authorization = request.header("authorization");
  switch (credential_kind(request)) {
    case CredentialKind::bearer:
      return authenticate_bearer(after_word(authorization, "Bearer"), store, policy);
    case CredentialKind::api_key:
      if (starts_with_word(authorization, "ApiKey")) {
        return authenticate_key(after_word(authorization, "ApiKey"), store, policy);
      }
      return authenticate_key(request.header("x-api-key"), store, policy);
    case CredentialKind::none:
      break;
  }
  return failure("authentication required");
}

std::vector<std::string> effective_key_scopes(const Policy& policy, const ApiKey& key,
                                              const User& creator) {
  std::vector<std::string> out;
  const Role* role = policy.find_role(creator.role);
  if (role == nullptr) return out;
  for (const auto& name : key.scopes) {
    const auto id = policy.find_scope(name);
    if (id && role->closure.contains(*id)) out.push_back(name);
  }
  return out;
}

bool mfa_setup_pending(const Actor& actor) {
  return actor.kind == ActorKind::user && actor.organization.mfa_required &&
         !actor.user.mfa_enabled;
}

Principal principal_for(const Policy& policy, const Actor& actor) {
  Principal principal;
  if (actor.kind == ActorKind::api_key && actor.key) {
    principal = policy.principal_for_key(effective_key_scopes(policy, *actor.key, actor.user));
    if (!actor.key->allowed_cidrs.empty()) {
      std::vector<::scopegate::Cidr> ranges;
      ranges.reserve(actor.key->allowed_cidrs.size());
      for (const auto& text : actor.key->allowed_cidrs) {
        // Canonical text written by issue_key(), so every entry parses.
        if (const auto range = ::scopegate::parse_cidr(text)) ranges.push_back(*range);
      }
      principal.set_allowed_cidrs(std::move(ranges));
    }
  } else {
    principal = policy.principal_for_role(
        mfa_setup_pending(actor) ? mfa_setup_role : std::string_view(actor.user.role));
  }
  principal.set_identity(actor.user.id, actor.user.email, actor.organization.slug);
  return principal;
}

}  // namespace scopegate::server
