// MFA recovery codes: 8 characters from an alphabet without look-alikes (no 0/o, 1/l/i),
// single use, case-insensitive. They are stored as Argon2id strings (hash_password), never
// as text, so hashing and checking them is slow: callers run both on the password workers.
// Thread-safe (init_crypto() first).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/crypto.hpp"
#include "server/store/records.hpp"

namespace scopegate::server {

inline constexpr std::size_t recovery_code_count = 8;
inline constexpr std::size_t recovery_code_length = 8;

// Fresh codes in the form users see (lower case).
std::vector<std::string> new_recovery_codes();
// What is hashed and compared: lower case, without the spaces and dashes people type.
std::string normalized_recovery_code(std::string_view code);
// A new record for each code: a fresh id and the hash of its normalized text.
std::vector<RecoveryCode> hashed_recovery_codes(const std::vector<std::string>& codes,
                                                const PasswordHashCost& cost);
// The id of the code in `stored` that `code` is; nullopt when none.
std::optional<std::string> matching_recovery_code(const std::vector<RecoveryCode>& stored,
                                                  std::string_view code);

}  // namespace scopegate::server
