#include <fmt/format.h>

#include "server/handlers/handlers.hpp"
#include "server/metrics.hpp"

namespace scopegate::server {

const nlohmann::json& request_body(const RequestContext& context) {
  static const nlohmann::json empty = nlohmann::json::object();
  return context.body == nullptr ? empty : *context.body;
}

const nlohmann::json& body_fields(const nlohmann::json& body, ValidationErrors& errors) {
  static const nlohmann::json empty = nlohmann::json::object();
  if (body.is_object()) return body;
  errors["body"] = "must be a JSON object";
  return empty;
}

std::optional<std::string> optional_text(const nlohmann::json& body, const std::string& field,
                                         const TextRule& rule, ValidationErrors& errors) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) return std::nullopt;
  if (!found->is_string()) {
    errors.try_emplace(field, "must be a string");
    return std::nullopt;
  }
  const auto& text = found->get_ref<const std::string&>();
  if (auto problem = check_text(text, rule)) {
    errors.try_emplace(field, std::move(*problem));
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> required_text(const nlohmann::json& body, const std::string& field,
                                         const TextRule& rule, ValidationErrors& errors) {
  auto text = optional_text(body, field, rule, errors);
  if (!text || text->empty()) {
    errors.try_emplace(field, "is required");
    return std::nullopt;
  }
  return text;
}

std::optional<std::vector<std::string>> optional_text_array(const nlohmann::json& body,
                                                            const std::string& field,
                                                            const TextRule& rule,
                                                            std::string_view expected,
                                                            ValidationErrors& errors) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) return std::nullopt;
  if (!found->is_array()) {
    errors.try_emplace(field, expected);
    return std::nullopt;
  }
  std::vector<std::string> out;
  out.reserve(found->size());
  for (const auto& item : *found) {
    if (!item.is_string()) {
      errors.try_emplace(field, expected);
      return std::nullopt;
    }
    const auto& text = item.get_ref<const std::string&>();
    if (auto problem = check_text(text, rule)) {
      errors.try_emplace(field, fmt::format("entry {}: {}", out.size() + 1, *problem));
      return std::nullopt;
    }
    out.push_back(text);
  }
  return out;
}

std::optional<long long> optional_integer(const nlohmann::json& body, const std::string& field,
                                          ValidationErrors& errors) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) return std::nullopt;
  if (!found->is_number_integer()) {
    errors.try_emplace(field, "must be an integer");
    return std::nullopt;
  }
  return found->get<long long>();
}

std::optional<bool> optional_flag(const nlohmann::json& body, const std::string& field,
                                  ValidationErrors& errors) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) return std::nullopt;
  if (!found->is_boolean()) {
    errors.try_emplace(field, "must be true or false");
    return std::nullopt;
  }
  return found->get<bool>();
}

HttpResponse refusal(const RequestContext& context, const std::string& field,
                     const std::string& message) {
  return validation_response(context.request.path, {{field, message}}, message);
}

HttpResponse not_found(const RequestContext& context, std::string_view what) {
  return error_response(404, fmt::format("{} not found", what), context.request.path);
}

HttpResponse store_failure(const RequestContext& context, std::string_view message) {
  if (context.services.metrics != nullptr) context.services.metrics->record_database_error();
  context.services.logger->error("{} {}: storage failed: {}", context.request.method,
                                 context.request.path, message);
  return error_response(500, "internal error", context.request.path);
}

HttpResponse store_failure(const RequestContext& context, const StoreError& error) {
  if (error.kind != StoreError::Kind::unavailable) return store_failure(context, error.message);
  if (context.services.metrics != nullptr) context.services.metrics->record_database_error();
  context.services.logger->warn("{} {}: the database is unavailable: {}", context.request.method,
                                context.request.path, error.message);
  auto response = error_response(503, "the database is busy; retry shortly", context.request.path);
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

}  // namespace scopegate::server
