// Secrets: API keys, tokens, ids and passwords, all through libsodium. Keys and tokens
// are stored only as the SHA-256 of the whole string; passwords as Argon2id strings.
// init_crypto() must succeed once before anything else here is called; after that every
// function is thread-safe.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace scopegate::server {

inline constexpr std::string_view api_key_marker = "egk_live_";
inline constexpr std::size_t api_key_random_length = 48;  // >= 40 by contract
inline constexpr std::size_t key_prefix_length = 15;

bool init_crypto();

// `length` CSPRNG characters from [a-z0-9], without modulo bias.
std::string random_alphanumeric(std::size_t length);
// `egk_live_` followed by api_key_random_length random characters.
std::string generate_api_key();
// The first key_prefix_length characters of a key: what logs and listings show.
std::string key_prefix(std::string_view key);
// A version-7 UUID (time-ordered, 74 random bits), lowercase.
std::string generate_uuid();
// Lowercase hex SHA-256 of `text`.
std::string sha256_hex(std::string_view text);
// A 128-bit keyed fingerprint of a credential: SipHash-2-4 (128-bit output) under a key
// drawn at random once per process. What the server keeps in memory to recognise a key
// it has already hashed without keeping the key itself; it means nothing outside this
// process and is never stored, logged or compared with anything an attacker can see.
using Fingerprint = std::array<unsigned char, 16>;
Fingerprint fingerprint(std::string_view secret);

// What an Argon2id password hash costs ([password_hash] in the configuration): by default
// OWASP's floor for Argon2id, t=2 and m=19 MiB, slow for guessing and small enough for a
// server that must stay under 50 MB resident. A stored hash names its own cost, so a new
// cost applies to new hashes while every stored one still verifies.
struct PasswordHashCost {
  int iterations = 2;
  int memory_kib = 19 * 1024;
  // Below every one of OWASP's equally strong minimums for Argon2id (the Password Storage
  // Cheat Sheet): 46 MiB with 1 pass, 19 MiB with 2, 12 MiB with 3, 9 MiB with 4, 7 MiB
  // with 5.
  bool below_owasp_floor() const;
};

// Those minimums as messages name them, from the table below_owasp_floor() uses:
// "19456 KiB with 2 passes, 47104 with 1, 12288 with 3, 9216 with 4, 7168 with 5".
std::string owasp_floor_text();

// Argon2id (libsodium's crypto_pwhash_str) at `cost`. Throws std::runtime_error when
// libsodium cannot (out of memory, or a cost outside its limits, which the configuration
// does not allow): a request then answers 500, never stores an empty hash.
std::string hash_password(std::string_view password, const PasswordHashCost& cost);
bool verify_password(std::string_view stored_hash, std::string_view password);
// True when `stored_hash` was made at another cost than `cost` (or is no Argon2id hash).
bool password_needs_rehash(std::string_view stored_hash, const PasswordHashCost& cost);

}  // namespace scopegate::server
