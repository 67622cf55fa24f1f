// /healthz.
#include "server/handlers/handlers.hpp"

namespace scopegate::server {

void add_misc_handlers(HandlerTable& table) {
  table.add(Method::get, "/healthz", [](RequestContext&) {
    return HttpResponse{200, "application/json", {}, R"({"status":"UP"})"};
  });
}

}  // namespace scopegate::server
