// Secrets: the server's sealing key, and sealing with it. What the server must store but
// never show (a credential's `credentialData`, a user's TOTP secret) is sealed with
// libsodium's XChaCha20-Poly1305 AEAD under one 32-byte key that never enters the
// database: it comes from SCOPEGATE_SECRETS_KEY, else the `[secrets] key_file`, else (on
// SQLite only) a key file beside the database, created with a random key on first start.
// A sealed value is text, `xc20p1:` + base64(nonce || ciphertext || tag), with a random
// 192-bit nonce per seal; its `context` (the associated data, e.g. "credential:<id>")
// binds it to its place, so that a value copied into another row does not open there.
// Secrets is immutable once built and thread-safe; it wipes its key when destroyed.
#pragma once

#include <array>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "scopegate/result.hpp"
#include "server/config.hpp"

namespace scopegate::server {

inline constexpr std::size_t secrets_key_bytes = 32;
using SecretsKey = std::array<unsigned char, secrets_key_bytes>;

class Secrets {
 public:
  explicit Secrets(const SecretsKey& key) : m_key(key) {}
  ~Secrets();
  Secrets(const Secrets&) = delete;
  Secrets& operator=(const Secrets&) = delete;

  std::string seal(std::string_view plaintext, std::string_view context) const;
  // Nullopt when `sealed` is malformed, was sealed under another key or another context,
  // or was changed.
  std::optional<std::string> open(std::string_view sealed, std::string_view context) const;

 private:
  SecretsKey m_key;
};

// A key as an operator writes it: 64 hex digits, or the base64 of 32 bytes (standard or
// URL-safe alphabet, padded or not); surrounding whitespace is ignored.
std::optional<SecretsKey> parse_secrets_key(std::string_view text);

// The environment variable that overrides every other source of the key.
inline constexpr const char* secrets_key_variable = "SCOPEGATE_SECRETS_KEY";

struct LoadedSecrets {
  std::unique_ptr<Secrets> secrets;
  std::string source;                  // for messages: "SCOPEGATE_SECRETS_KEY" or the file
  std::optional<std::string> notice;   // said once, when a key file was created
  std::optional<std::string> created;  // the key file, when this call created it
  std::optional<std::string> warning;  // e.g. a key file others may read
};

// The key, from the first source that is set (see the top of this file). A generated
// key file is `<database file>.secrets-key`, mode 0600, created atomically (of several
// instances starting at once, one creates it and the others read it). Errors name the
// source and say what to do.
Result<LoadedSecrets, std::string> load_secrets(const Config& config);

// The key file created beside a SQLite database at `database_location` when no key is
// configured; nullopt for PostgreSQL.
std::optional<std::string> generated_key_file(const std::string& database_location);

}  // namespace scopegate::server
