#include "server/totp.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <boost/beast/core/detail/sha1.hpp>

#include "server/text.hpp"

namespace scopegate::server {

namespace {

constexpr std::string_view base32_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// SHA-1 comes from Boost.Beast (its WebSocket handshake's), as libsodium has none.
Bytes sha1(const Bytes& first, const Bytes& second) {
  namespace beast = boost::beast::detail;
  beast::sha1_context context;
  beast::init(context);
  beast::update(context, first.data(), first.size());
  beast::update(context, second.data(), second.size());
  Bytes digest(beast::sha1_context::digest_size);
  beast::finish(context, digest.data());
  return digest;
}

// HMAC (RFC 2104) over SHA-1's 64-byte blocks.
Bytes hmac_sha1(const Bytes& key, const Bytes& message) {
  constexpr std::size_t block = 64;
  Bytes padded = key.size() > block ? sha1(key, {}) : key;
  padded.resize(block, 0);
  Bytes inner(block);
  Bytes outer(block);
  for (std::size_t i = 0; i < block; ++i) {
    inner[i] = static_cast<unsigned char>(padded[i] ^ 0x36);
    outer[i] = static_cast<unsigned char>(padded[i] ^ 0x5c);
  }
  return sha1(outer, sha1(inner, message));
}

template <typename State, auto init, auto update, auto final, std::size_t length>
Bytes sodium_hmac(const Bytes& key, const Bytes& message) {
  State state;
  init(&state, key.data(), key.size());
  update(&state, message.data(), message.size());
  Bytes out(length);
  final(&state, out.data());
  return out;
}

}  // namespace

std::string base32_encode(const Bytes& bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const auto byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += base32_alphabet[(buffer >> (bits - 5)) & 0x1F];
      bits -= 5;
    }
  }
  if (bits > 0) out += base32_alphabet[(buffer << (5 - bits)) & 0x1F];
  return out;
}

std::optional<Bytes> base32_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  Bytes out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const auto found = base32_alphabet.find(static_cast<char>(std::toupper(c)));
    if (found == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(found);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<unsigned char>((buffer >> (bits - 8)) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

Bytes hmac(TotpHash hash, const Bytes& key, const Bytes& message) {
  switch (hash) {
    case TotpHash::sha256:
      return sodium_hmac<crypto_auth_hmacsha256_state, crypto_auth_hmacsha256_init,
                         crypto_auth_hmacsha256_update, crypto_auth_hmacsha256_final,
                         crypto_auth_hmacsha256_BYTES>(key, message);
    case TotpHash::sha512:
      return sodium_hmac<crypto_auth_hmacsha512_state, crypto_auth_hmacsha512_init,
                         crypto_auth_hmacsha512_update, crypto_auth_hmacsha512_final,
                         crypto_auth_hmacsha512_BYTES>(key, message);
    case TotpHash::sha1:
      break;
  }
  return hmac_sha1(key, message);
}

std::string hotp(const Bytes& key, std::uint64_t counter, int digits, TotpHash hash) {
  Bytes message(8);
  for (int i = 7; i >= 0; --i) {
    message[static_cast<std::size_t>(i)] = static_cast<unsigned char>(counter & 0xFF);
    counter >>= 8;
  }
  const auto mac = hmac(hash, key, message);
  // Dynamic truncation (RFC 4226 section 5.3).
  const std::size_t offset = mac.back() & 0x0F;
  const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7F) << 24) |
                               (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                               static_cast<std::uint32_t>(mac[offset + 3]);
  std::uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  return fmt::format("{:0{}}", binary % modulus, digits);
}

std::int64_t totp_step(std::int64_t unix_seconds, const TotpSettings& settings) {
  return unix_seconds / settings.step_seconds;
}

std::string totp(const Bytes& key, std::int64_t unix_seconds, const TotpSettings& settings) {
  return hotp(key, static_cast<std::uint64_t>(totp_step(unix_seconds, settings)), settings.digits,
              settings.hash);
}

std::optional<std::int64_t> totp_match(const Bytes& key, std::string_view code,
                                       std::int64_t unix_seconds, int window,
                                       const TotpSettings& settings) {
  if (code.size() != static_cast<std::size_t>(settings.digits)) return std::nullopt;
  const auto now = totp_step(unix_seconds, settings);
  std::optional<std::int64_t> matched;
  // Every candidate is computed and compared, so that the time taken does not say which.
  for (std::int64_t step = now - window; step <= now + window; ++step) {
    if (step < 0) continue;
    const auto expected =
        hotp(key, static_cast<std::uint64_t>(step), settings.digits, settings.hash);
    if (sodium_memcmp(expected.data(), code.data(), code.size()) == 0) matched = step;
  }
  return matched;
}

std::string new_totp_secret() {
  Bytes key(20);
  randombytes_buf(key.data(), key.size());
  return base32_encode(key);
}

std::string otpauth_uri(std::string_view issuer, std::string_view account,
                        std::string_view secret) {
  return fmt::format("otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
                     percent_encoded(issuer), percent_encoded(account), secret,
                     percent_encoded(issuer));
}

}  // namespace scopegate::server
