#include "server/gateway_policy.hpp"

#include <fmt/format.h>

namespace scopegate::server {

namespace {

std::string where(const SourceLocation& location) {
  return fmt::format("{}:{}:{}", location.file, location.line, location.column);
}

}  // namespace

std::vector<std::string> scope_collisions(const Policy& api, const Policy& gateway) {
  std::vector<std::string> out;
  for (const Scope& scope : gateway.scopes()) {
    const auto same = api.find_scope(scope.name);
    if (!same) continue;
    out.push_back(fmt::format(
        "{}: error: scope `{}` is defined in both the gateway policy and the server's policy\n"
        "{}: note: the server's policy defines it here\n"
        "  = help: rename one of them: an API key's scope must mean one thing",
        where(scope.location), scope.name, where(api.scopes()[*same].location)));
  }
  return out;
}

}  // namespace scopegate::server
