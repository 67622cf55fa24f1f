// HTTP methods as the policy language knows them, and the source locations that every
// compiled rule carries back to its policy file. Plain values; thread-safe to share.
// A SourceLocation borrows its file name: a compiled Policy keeps its own copy of every
// file name its locations name, so theirs live as long as the Policy.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scopegate {

// The seven methods a route line may name, and `*` (any method, including ones not
// listed here such as TRACE).
enum class Method : std::uint8_t { get, post, put, patch, delete_, head, options, any };

inline constexpr std::size_t method_count = 8;

inline constexpr std::array<std::string_view, method_count> method_names = {
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"};

// "GET" -> Method::get, "*" -> Method::any; case-sensitive, as HTTP methods are.
std::optional<Method> parse_method(std::string_view text) noexcept;

constexpr std::string_view to_string(Method method) noexcept {
  return method_names[static_cast<std::size_t>(method)];
}

// Where a rule was written: 1-based line and column, as compilers print them.
struct SourceLocation {
  std::string_view file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  bool known() const noexcept { return line != 0; }
  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

// "policies/api.policy:14" (the form `explain` prints for the deciding rule).
std::string to_string(const SourceLocation& location);

}  // namespace scopegate
