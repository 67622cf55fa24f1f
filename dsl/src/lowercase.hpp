// ASCII lower case: `A` to `Z` become `a` to `z`, every other byte stays as it is (so
// UTF-8 passes through unchanged, whatever the locale).
#pragma once

#include <string>
#include <string_view>

namespace scopegate {

inline std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace scopegate
