// An organization's password policy (its password* settings) applied to a new password:
// which rules the password breaks. Length counts characters (Unicode code points);
// "uppercase" is A-Z, "lowercase" a-z, "digit" 0-9, and "special" any other character
// (punctuation, space, and every non-ASCII character). Applies to passwords set from now
// on: a stored password is never re-checked. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/store/records.hpp"

namespace scopegate::server {

// Every new password, whatever the organization: 8 to 128 characters.
inline constexpr std::size_t min_password_characters = 8;
inline constexpr std::size_t max_password_characters = 128;

struct BrokenPasswordRule {
  std::string setting;      // the organization setting it comes from: "passwordMinLength"...
  std::string requirement;  // what it asks for: "at least 12 characters"
};

// The rules `password` breaks, in the order of the settings; empty when it passes. The
// password is valid UTF-8 (checked before).
std::vector<BrokenPasswordRule> broken_password_rules(std::string_view password,
                                                      const Organization& organization);

}  // namespace scopegate::server
