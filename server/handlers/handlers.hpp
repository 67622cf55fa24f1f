// The handlers of the bundled API, one group per file, each registering itself on the
// HandlerTable under the method and template the shipped policy writes. Handlers run
// after authentication and the engine's allow: they load objects (404 for a missing one
// or another organization's), then check state (400), then write (change + audit entry
// in one transaction). Helpers shared by the groups live here too.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "server/context.hpp"
#include "server/json.hpp"

namespace scopegate::server {

void add_auth_handlers(HandlerTable& table);
void add_api_key_handlers(HandlerTable& table);
void add_session_handlers(HandlerTable& table);
void add_resource_handlers(HandlerTable& table);
void add_audit_handlers(HandlerTable& table);
void add_user_handlers(HandlerTable& table);
void add_misc_handlers(HandlerTable& table);

using ValidationErrors = std::map<std::string, std::string>;

// The request body as a JSON object: an empty body is an empty object; anything else
// that is not an object is recorded under "body".
const nlohmann::json& body_object(const RequestContext& context, ValidationErrors& errors);

// Reads an optional string field: absent or null -> nullopt; another type is an error.
std::optional<std::string> optional_string(const nlohmann::json& body, const std::string& field,
                                           ValidationErrors& errors);

HttpResponse not_found(const RequestContext& context, std::string_view what);
HttpResponse store_failure(const RequestContext& context, std::string_view message);

}  // namespace scopegate::server
