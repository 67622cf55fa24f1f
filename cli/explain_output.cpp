#include "explain_output.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <optional>

namespace scopegate::cli {

namespace {

using Json = nlohmann::ordered_json;

// The PathError enumerator's name: a stable code for scripts ("dot_segment").
std::string_view path_error_code(PathError error) {
  switch (error) {
    case PathError::none:
      return "none";
    case PathError::not_absolute:
      return "not_absolute";
    case PathError::empty_segment:
      return "empty_segment";
    case PathError::dot_segment:
      return "dot_segment";
    case PathError::encoded_separator:
      return "encoded_separator";
    case PathError::nul_byte:
      return "nul_byte";
    case PathError::control_character:
      return "control_character";
    case PathError::bad_percent_encoding:
      return "bad_percent_encoding";
    case PathError::too_many_segments:
      return "too_many_segments";
    case PathError::too_long:
      return "too_long";
    case PathError::path_parameters:
      return "path_parameters";
  }
  return "invalid";
}

std::optional<std::string> endpoint_text(const Decision& decision) {
  const Endpoint* endpoint = decision.endpoint();
  if (endpoint == nullptr) return std::nullopt;
  return fmt::format("{} {}", to_string(endpoint->method), endpoint->path_template);
}

std::optional<std::string> rule_text(const Decision& decision) {
  const SourceLocation* rule = decision.rule();
  if (rule == nullptr || !rule->known()) return std::nullopt;
  return to_string(*rule);
}

Json principal_json(const Principal& principal) {
  Json object = Json::object();
  switch (principal.kind()) {
    case PrincipalKind::anonymous:
      object["kind"] = "anonymous";
      break;
    case PrincipalKind::api_key:
      object["kind"] = "api_key";
      object["scopes"] = principal.scope_names();
      break;
    case PrincipalKind::user:
      object["kind"] = "user";
      object["role"] = principal.role();
      break;
  }
  const std::pair<const char*, const std::string*> identity[] = {
      {"id", &principal.id()}, {"name", &principal.name()}, {"org", &principal.org()}};
  for (const auto& [key, value] : identity) {
    if (!value->empty()) object[key] = *value;
  }
  if (!principal.allowed_cidrs().empty()) {
    Json ranges = Json::array();
    for (const Cidr& cidr : principal.allowed_cidrs()) ranges.push_back(to_string(cidr));
    object["allowed_cidrs"] = std::move(ranges);
  }
  return object;
}

std::string principal_text(const Principal& principal) {
  std::string text;
  switch (principal.kind()) {
    case PrincipalKind::anonymous:
      return "anonymous (no credentials)";
    case PrincipalKind::api_key:
      text = principal.scope_names().empty()
                 ? std::string("API key with no scopes")
                 : fmt::format("API key with scopes {}", fmt::join(principal.scope_names(), ", "));
      break;
    case PrincipalKind::user:
      text = fmt::format("user with role {}", principal.role());
      break;
  }
  const std::pair<const char*, const std::string*> identity[] = {
      {"id", &principal.id()}, {"name", &principal.name()}, {"org", &principal.org()}};
  for (const auto& [key, value] : identity) {
    if (!value->empty()) text += fmt::format(", {} {}", key, *value);
  }
  if (!principal.allowed_cidrs().empty()) {
    std::vector<std::string> ranges;
    for (const Cidr& cidr : principal.allowed_cidrs()) ranges.push_back(to_string(cidr));
    text += fmt::format(", allowed from {}", fmt::join(ranges, " "));
  }
  return text;
}

template <typename T>
Json or_null(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

}  // namespace

nlohmann::ordered_json decision_json(const ExplainRequest& request, const Principal& principal,
                                     const Decision& decision) {
  const Endpoint* endpoint = decision.endpoint();
  Json object = Json::object();
  object["allowed"] = decision.allowed();
  object["status"] = decision.status();
  object["reason"] = decision.reason_code();
  object["message"] = decision.message();
  object["method"] = request.method;
  object["path"] = request.path;
  object["principal"] = principal_json(principal);
  object["time"] = time_json(request.time);
  object["endpoint"] = or_null(endpoint_text(decision));
  object["description"] = endpoint != nullptr && !endpoint->description.empty()
                              ? Json(std::string(endpoint->description))
                              : Json(nullptr);
  object["access"] = endpoint != nullptr ? Json(to_string(endpoint->access)) : Json(nullptr);
  Json params = Json::object();
  for (const PathParam& param : decision.params()) {
    params[std::string(param.name)] = percent_decode(param.value);
  }
  object["params"] = std::move(params);
  Json required = Json::array();
  for (const std::string_view scope : decision.required_scopes())
    required.push_back(std::string(scope));
  object["required_scopes"] = std::move(required);
  object["granted_by"] = or_null(decision.granted_by());
  object["rule"] = or_null(rule_text(decision));
  if (const Grant* failed = decision.failed_grant()) {
    object["failed_condition"] = {{"condition", std::string(failed->condition->text)},
                                  {"rule", to_string(failed->condition->location)}};
  } else {
    object["failed_condition"] = nullptr;
  }
  if (const ForbidRule* rule = decision.forbid()) {
    object["forbid"] = {
        {"message", rule->message},
        {"condition", rule->condition_text.empty() ? Json(nullptr) : Json(rule->condition_text)},
        {"rule", to_string(rule->location)}};
  } else {
    object["forbid"] = nullptr;
  }
  object["allowed_methods"] = split_list(decision.allowed_methods());
  object["path_error"] = decision.reason() == Reason::invalid_path
                             ? Json(path_error_code(decision.path_error()))
                             : Json(nullptr);
  return object;
}

std::string decision_text(const ExplainRequest& request, const Principal& principal,
                          const Decision& decision) {
  const Endpoint* endpoint = decision.endpoint();
  std::string out = fmt::format("{} {} {}\n", decision.allowed() ? "ALLOW" : "DENY",
                                decision.status(), decision.reason_code());
  auto line = [&out](std::string_view label, std::string_view value) {
    out += fmt::format("{:<12}{}\n", fmt::format("{}:", label), value);
  };
  line("message", decision.message());
  line("request", fmt::format("{} {}", request.method, request.path));
  line("principal", principal_text(principal));
  line("time", time_text(request.time));
  if (decision.reason() == Reason::invalid_path) {
    line("path error", path_error_code(decision.path_error()));
  }
  if (!decision.allowed_methods().empty()) line("allowed", decision.allowed_methods());
  if (endpoint == nullptr) {
    line("endpoint", "-");
  } else {
    const std::string text = *endpoint_text(decision);
    line("endpoint", endpoint->description.empty()
                         ? text
                         : fmt::format("{}  \"{}\"", text, endpoint->description));
    line("access", to_string(endpoint->access));
  }
  std::string params;
  for (const PathParam& param : decision.params()) {
    if (!params.empty()) params += ", ";
    params += fmt::format("{}={}", param.name, percent_decode(param.value));
  }
  line("params", params.empty() ? "-" : params);
  std::vector<std::string> required(decision.required_scopes().begin(),
                                    decision.required_scopes().end());
  line("required", required.empty() ? "-" : fmt::to_string(fmt::join(required, " or ")));
  const auto granted_by = decision.granted_by();
  line("granted by", granted_by ? *granted_by : "-");
  if (const Grant* failed = decision.failed_grant()) {
    line("condition", fmt::format("{}  (failed, {})", failed->condition->text,
                                  to_string(failed->condition->location)));
  }
  if (const ForbidRule* rule = decision.forbid()) {
    line("forbidden", fmt::format("{} {}{}{}  ({})", to_string(rule->method), rule->path_template,
                                  rule->condition_text.empty() ? "" : " when ",
                                  rule->condition_text, to_string(rule->location)));
  }
  line("rule", rule_text(decision).value_or("-"));
  return out;
}

}  // namespace scopegate::cli
