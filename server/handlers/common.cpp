#include <fmt/format.h>

#include "server/handlers/handlers.hpp"

namespace scopegate::server {

const nlohmann::json& body_object(const RequestContext& context, ValidationErrors& errors) {
  static const nlohmann::json empty = nlohmann::json::object();
  if (context.body == nullptr) return empty;
  if (!context.body->is_object()) {
    errors["body"] = "must be a JSON object";
    return empty;
  }
  return *context.body;
}

std::optional<std::string> optional_string(const nlohmann::json& body, const std::string& field,
                                           ValidationErrors& errors) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) return std::nullopt;
  if (!found->is_string()) {
    errors[field] = "must be a string";
    return std::nullopt;
  }
  return found->get<std::string>();
}

HttpResponse not_found(const RequestContext& context, std::string_view what) {
  return error_response(404, fmt::format("{} not found", what), context.request.path);
}

HttpResponse store_failure(const RequestContext& context, std::string_view message) {
  context.services.logger->error("{} {}: storage failed: {}", context.request.method,
                                 context.request.path, message);
  return error_response(500, "internal error", context.request.path);
}

}  // namespace scopegate::server
