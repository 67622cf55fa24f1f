// Time-based one-time passwords (RFC 6238, over HOTP, RFC 4226) and the Base32 text
// (RFC 4648) their secrets are exchanged in. The server's TOTP is HMAC-SHA1, 6 digits, a
// 30-second step: what authenticator apps assume. SHA-256 and SHA-512 are here for the
// RFC's test vectors. Pure functions apart from new_totp_secret() (libsodium's CSPRNG:
// init_crypto() first); thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scopegate::server {

using Bytes = std::vector<unsigned char>;

enum class TotpHash { sha1, sha256, sha512 };

struct TotpSettings {
  int digits = 6;
  std::int64_t step_seconds = 30;
  TotpHash hash = TotpHash::sha1;
};

// RFC 4648 Base32, upper case, without padding.
std::string base32_encode(const Bytes& bytes);
// Case-insensitive; '=' padding at the end is allowed. Nullopt for any other character.
std::optional<Bytes> base32_decode(std::string_view text);

// HMAC of `message` under `key`.
Bytes hmac(TotpHash hash, const Bytes& key, const Bytes& message);
// The HOTP value for `counter`: `digits` decimal digits, zero-padded.
std::string hotp(const Bytes& key, std::uint64_t counter, int digits, TotpHash hash);
// The time step that `unix_seconds` falls in.
std::int64_t totp_step(std::int64_t unix_seconds, const TotpSettings& settings = {});
// The code of the time step that `unix_seconds` falls in.
std::string totp(const Bytes& key, std::int64_t unix_seconds, const TotpSettings& settings = {});
// The time step, from `window` steps before now's to `window` after (clock drift), whose
// code is `code` (compared in constant time); nullopt when none is.
std::optional<std::int64_t> totp_match(const Bytes& key, std::string_view code,
                                       std::int64_t unix_seconds, int window = 1,
                                       const TotpSettings& settings = {});

// 160 random bits (RFC 4226's recommended key length) as Base32: 32 characters.
std::string new_totp_secret();
// What an authenticator app scans: otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...
// with the server's settings (SHA1, 6 digits, 30 s), percent-encoded.
std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace scopegate::server
