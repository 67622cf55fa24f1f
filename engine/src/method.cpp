#include "scopegate/method.hpp"

namespace scopegate {

std::optional<Method> parse_method(std::string_view text) noexcept {
  for (std::size_t i = 0; i < method_count; ++i) {
    if (method_names[i] == text) return static_cast<Method>(i);
  }
  return std::nullopt;
}

}  // namespace scopegate
