#include "server/crypto.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <stdexcept>

namespace scopegate::server {

bool init_crypto() { return sodium_init() >= 0; }

std::string random_alphanumeric(std::size_t length) {
  static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    out.push_back(alphabet[randombytes_uniform(static_cast<std::uint32_t>(alphabet.size()))]);
  }
  return out;
}

std::string generate_api_key() {
  return fmt::format("{}{}", api_key_marker, random_alphanumeric(api_key_random_length));
}

std::string key_prefix(std::string_view key) {
  return std::string(key.substr(0, key_prefix_length));
}

std::string generate_uuid() {
  // Version 7: 48 bits of Unix milliseconds, then randomness. Ids sort by creation time,
  // so inserts append to the primary-key index instead of landing at random pages.
  std::array<unsigned char, 16> bytes{};
  randombytes_buf(bytes.data() + 6, bytes.size() - 6);
  const auto millis =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  for (int i = 0; i < 6; ++i)
    bytes[static_cast<std::size_t>(i)] = static_cast<unsigned char>(millis >> (8 * (5 - i)));
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x70);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out += fmt::format("{:02x}", bytes[i]);
  }
  return out;
}

std::string sha256_hex(std::string_view text) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(text.data()),
                     text.size());
  std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return std::string(hex.data(), crypto_hash_sha256_BYTES * 2);
}

Fingerprint fingerprint(std::string_view secret) {
  static const auto process_key = [] {
    std::array<unsigned char, crypto_shorthash_siphashx24_KEYBYTES> key{};
    randombytes_buf(key.data(), key.size());
    return key;
  }();
  static_assert(sizeof(Fingerprint) == crypto_shorthash_siphashx24_BYTES);
  Fingerprint out{};
  crypto_shorthash_siphashx24(out.data(), reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size(), process_key.data());
  return out;
}

namespace {

// libsodium's names for a cost: passes, and memory in bytes.
unsigned long long opslimit(const PasswordHashCost& cost) {
  return static_cast<unsigned long long>(cost.iterations);
}
std::size_t memlimit(const PasswordHashCost& cost) {
  return static_cast<std::size_t>(cost.memory_kib) * 1024U;
}

// OWASP's equally strong minimums for Argon2id, the default's first.
struct Floor {
  int memory_kib;
  int iterations;
};
constexpr std::array<Floor, 5> owasp_floors{
    {{19 * 1024, 2}, {46 * 1024, 1}, {12 * 1024, 3}, {9 * 1024, 4}, {7 * 1024, 5}}};

}  // namespace

bool PasswordHashCost::below_owasp_floor() const {
  return std::none_of(owasp_floors.begin(), owasp_floors.end(), [this](const Floor& floor) {
    return memory_kib >= floor.memory_kib && iterations >= floor.iterations;
  });
}

std::string owasp_floor_text() {
  std::string text;
  for (const auto& floor : owasp_floors) {
    text += text.empty() ? fmt::format("{} KiB with {} passes", floor.memory_kib, floor.iterations)
                         : fmt::format(", {} with {}", floor.memory_kib, floor.iterations);
  }
  return text;
}

std::string hash_password(std::string_view password, const PasswordHashCost& cost) {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), opslimit(cost),
                            memlimit(cost), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error(
        fmt::format("cannot hash a password with Argon2id at {} passes and {} KiB: out of memory, "
                    "or a cost outside libsodium's limits",
                    cost.iterations, cost.memory_kib));
  }
  return std::string(out.data());
}

bool verify_password(std::string_view stored_hash, std::string_view password) {
  const std::string hash(stored_hash);
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool password_needs_rehash(std::string_view stored_hash, const PasswordHashCost& cost) {
  const std::string hash(stored_hash);
  return crypto_pwhash_str_needs_rehash(hash.c_str(), opslimit(cost), memlimit(cost)) != 0;
}

}  // namespace scopegate::server
