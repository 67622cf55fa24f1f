// A route as the compiler's messages quote it: "GET /api/v1/users/{id}".
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "scopegate/method.hpp"
#include "scopegate/policy_builder.hpp"

namespace scopegate {

inline std::string route_text(Method method, std::string_view path_template) {
  return fmt::format("{} {}", to_string(method), path_template);
}

inline std::string route_text(const RouteSpec& route) {
  return route_text(route.method, route.path_template);
}

}  // namespace scopegate
