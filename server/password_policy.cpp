#include "server/password_policy.hpp"

#include <fmt/format.h>

namespace scopegate::server {

std::vector<BrokenPasswordRule> broken_password_rules(std::string_view password,
                                                      const Organization& organization) {
  std::size_t characters = 0;
  bool upper = false;
  bool lower = false;
  bool digit = false;
  bool special = false;
  for (const char c : password) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte & 0xC0) != 0x80) ++characters;  // not a UTF-8 continuation byte
    if (byte >= 'A' && byte <= 'Z') {
      upper = true;
    } else if (byte >= 'a' && byte <= 'z') {
      lower = true;
    } else if (byte >= '0' && byte <= '9') {
      digit = true;
    } else {
      special = true;
    }
  }
  std::vector<BrokenPasswordRule> broken;
  if (characters < static_cast<std::size_t>(organization.password_min_length)) {
    broken.push_back({"passwordMinLength",
                      fmt::format("at least {} characters", organization.password_min_length)});
  }
  if (organization.password_require_uppercase && !upper)
    broken.push_back({"passwordRequireUppercase", "an uppercase letter (A-Z)"});
  if (organization.password_require_lowercase && !lower)
    broken.push_back({"passwordRequireLowercase", "a lowercase letter (a-z)"});
  if (organization.password_require_digit && !digit)
    broken.push_back({"passwordRequireDigit", "a digit (0-9)"});
  if (organization.password_require_special && !special)
    broken.push_back({"passwordRequireSpecialChar", "a special character (not A-Z, a-z or 0-9)"});
  return broken;
}

}  // namespace scopegate::server
