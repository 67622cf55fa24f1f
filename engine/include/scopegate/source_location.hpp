// SourceLocation: where a rule was written, carried by every compiled rule back to its
// policy file. A plain value; thread-safe to share. It borrows its file name: a compiled
// Policy keeps its own copy of every file name its locations name, so theirs live as long
// as the Policy.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "scopegate/export.hpp"

namespace scopegate {

// 1-based line and column, as compilers print them; line 0: not known.
struct SourceLocation {
  std::string_view file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  bool known() const noexcept { return line != 0; }
  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

// "policies/api.policy:14" (the form `explain` prints for the deciding rule).
SCOPEGATE_EXPORT std::string to_string(const SourceLocation& location);

}  // namespace scopegate
