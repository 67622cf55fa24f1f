#include "server/recovery_codes.hpp"

#include <sodium.h>

#include <cctype>

#include "server/crypto.hpp"

namespace scopegate::server {

namespace {

constexpr std::string_view alphabet = "abcdefghjkmnpqrstuvwxyz23456789";

}  // namespace

std::vector<std::string> new_recovery_codes() {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < recovery_code_count; ++i) {
    std::string code;
    for (std::size_t j = 0; j < recovery_code_length; ++j) {
      code += alphabet[randombytes_uniform(static_cast<std::uint32_t>(alphabet.size()))];
    }
    out.push_back(std::move(code));
  }
  return out;
}

std::string normalized_recovery_code(std::string_view code) {
  std::string out;
  for (const char c : code) {
    if (c == ' ' || c == '-') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::vector<RecoveryCode> hashed_recovery_codes(const std::vector<std::string>& codes,
                                                const PasswordHashCost& cost) {
  std::vector<RecoveryCode> out;
  for (const auto& code : codes) {
    out.push_back({generate_uuid(), hash_password(normalized_recovery_code(code), cost)});
  }
  return out;
}

std::optional<std::string> matching_recovery_code(const std::vector<RecoveryCode>& stored,
                                                  std::string_view code) {
  const auto normalized = normalized_recovery_code(code);
  if (normalized.size() != recovery_code_length) return std::nullopt;
  for (const auto& candidate : stored) {
    if (verify_password(candidate.code_hash, normalized)) return candidate.id;
  }
  return std::nullopt;
}

}  // namespace scopegate::server
