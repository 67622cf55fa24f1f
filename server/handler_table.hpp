// The bundled API's handlers, gathered into one HandlerTable keyed as the shipped policy
// writes its endpoints (each group of handlers lives in server/handlers/). App checks the
// table against the policy at start; the table is a plain value, built once.
#pragma once

#include "server/context.hpp"

namespace scopegate::server {

// Every handler of the bundled API, keyed as the shipped policy writes its endpoints.
HandlerTable make_handler_table();

}  // namespace scopegate::server
