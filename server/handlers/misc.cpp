// /healthz, and the user-only areas that scopegate declares in its policy but does not
// implement: they answer 501 in the general error shape (documented in docs/server.md).
#include <fmt/format.h>

#include "server/handlers/handlers.hpp"

namespace scopegate::server {

namespace {

Handler not_implemented(std::string area) {
  return [area](RequestContext& context) {
    return error_response(
        501, fmt::format("{} is not implemented by scopegate (see docs/server.md)", area),
        context.request.path);
  };
}

}  // namespace

void add_misc_handlers(HandlerTable& table) {
  table.add(Method::get, "/healthz", [](RequestContext&) {
    return HttpResponse{200, "application/json", {}, R"({"status":"UP"})"};
  });
  table.add(Method::any, "/api/v1/mfa/**", not_implemented("multi-factor authentication"));
}

}  // namespace scopegate::server
