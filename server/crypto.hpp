// Secrets: API keys, tokens, ids and passwords, all through libsodium. Keys and tokens
// are stored only as the SHA-256 of the whole string; passwords as Argon2id strings.
// init_crypto() must succeed once before anything else here is called; after that every
// function is thread-safe.
#pragma once

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
// Constant-time equality of two equally long strings (false when lengths differ).
bool constant_time_equal(std::string_view a, std::string_view b);

// Argon2id (libsodium's crypto_pwhash_str); empty on failure (out of memory).
std::string hash_password(std::string_view password);
bool verify_password(std::string_view stored_hash, std::string_view password);

}  // namespace scopegate::server
