// HTTP methods as the policy language knows them. Plain values; thread-safe to share.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace scopegate {

// The seven methods a route line may name, and `*` (any method, including ones not
// listed here such as TRACE).
enum class Method : std::uint8_t { get, post, put, patch, delete_, head, options, any };

inline constexpr std::size_t method_count = 8;

inline constexpr std::array<std::string_view, method_count> method_names = {
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"};

// "GET" -> Method::get, "*" -> Method::any; case-sensitive, as HTTP methods are.
constexpr std::optional<Method> parse_method(std::string_view text) noexcept {
  for (std::size_t i = 0; i < method_count; ++i) {
    if (method_names[i] == text) return static_cast<Method>(i);
  }
  return std::nullopt;
}

constexpr std::string_view to_string(Method method) noexcept {
  return method_names[static_cast<std::size_t>(method)];
}

}  // namespace scopegate
