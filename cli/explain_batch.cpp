#include "explain_batch.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <istream>
#include <ostream>
#include <string>

#include "explain_output.hpp"
#include "scopegate/condition.hpp"

namespace scopegate::cli {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::array<std::string_view, 11> batch_keys = {
    "method", "path",          "scopes", "role",    "id",  "name",
    "org",    "allowed_cidrs", "ip",     "headers", "time"};

std::string batch_string(const Json& line, const char* key) {
  const Json& value = line.at(key);
  if (!value.is_string()) throw RequestError(key, fmt::format("`{}` must be a string", key));
  return value.get<std::string>();
}

std::vector<std::string> batch_strings(const Json& line, const char* key) {
  const Json& value = line.at(key);
  std::vector<std::string> items;
  if (value.is_array()) {
    for (const Json& item : value) {
      if (!item.is_string()) break;
      items.push_back(item.get<std::string>());
    }
    if (items.size() == value.size()) return items;
  }
  throw RequestError(key, fmt::format("`{}` must be a list of strings, e.g. [\"a\", \"b\"]", key));
}

bool blank(std::string_view text) {
  return text.find_first_not_of(" \t\r") == std::string_view::npos;
}

}  // namespace

ExplainRequest request_from_json_line(std::string_view text, const RequestTime& time) {
  Json line;
  try {
    line = Json::parse(text);
  } catch (const Json::parse_error& error) {
    // what() starts with "[json.exception.parse_error.101] ": the rest is for people.
    const std::string_view what = error.what();
    const auto end_of_tag = what.find("] ");
    throw RequestError(
        "", fmt::format("not JSON: {}",
                        end_of_tag == std::string_view::npos ? what : what.substr(end_of_tag + 2)));
  }
  if (!line.is_object()) {
    throw RequestError("", "a line must be one JSON object: {\"method\", \"path\", ...}");
  }
  for (const auto& [key, value] : line.items()) {
    if (std::find(batch_keys.begin(), batch_keys.end(), key) == batch_keys.end()) {
      throw RequestError(key, fmt::format("unknown key `{}`; a line may have: {}", key,
                                          fmt::join(batch_keys, ", ")));
    }
  }
  ExplainRequest request;
  for (const char* key : {"method", "path"}) {
    if (!line.contains(key)) throw RequestError(key, fmt::format("`{}` is required", key));
  }
  request.method = batch_string(line, "method");
  check_method(request.method);
  request.path = batch_string(line, "path");
  if (line.contains("scopes") && line.contains("role")) {
    throw RequestError("role", "a caller is an API key (`scopes`) or a user (`role`), not both");
  }
  if (line.contains("scopes")) {
    request.caller = Caller::api_key;
    request.scopes = batch_strings(line, "scopes");
  } else if (line.contains("role")) {
    request.caller = Caller::user;
    request.role = batch_string(line, "role");
  }
  if (line.contains("id")) request.id = batch_string(line, "id");
  if (line.contains("name")) request.name = batch_string(line, "name");
  if (line.contains("org")) request.org = batch_string(line, "org");
  if (line.contains("allowed_cidrs")) {
    request.allowed_cidrs = parse_cidr_list(batch_strings(line, "allowed_cidrs"));
  }
  check_caller(request);
  if (line.contains("ip")) request.ip = parse_request_ip(batch_string(line, "ip"));
  if (line.contains("headers")) {
    const Json& headers = line.at("headers");
    if (!headers.is_object()) {
      throw RequestError("headers", "`headers` must be an object, e.g. {\"X-Env\": \"prod\"}");
    }
    for (const auto& [name, value] : headers.items()) {
      if (!value.is_string()) {
        throw RequestError("headers", fmt::format("header `{}` must be a string", name));
      }
      request.headers.emplace_back(name, value.get<std::string>());
    }
  }
  request.time = time;
  if (line.contains("time")) {
    const std::string text = batch_string(line, "time");
    const auto seconds = parse_timestamp(text);
    if (!seconds) {
      throw RequestError("time",
                         fmt::format("`{}`: write UTC ISO-8601, e.g. 2026-02-18T10:30:00Z", text));
    }
    request.time = {*seconds, true};
  }
  return request;
}

BatchCounts explain_batch(const Policy& policy, std::istream& in, std::ostream& out,
                          std::ostream& warnings, const RequestTime& time) {
  BatchCounts counts;
  std::string text;
  for (std::size_t number = 1; std::getline(in, text); ++number) {
    if (blank(text)) continue;
    try {
      const ExplainRequest request = request_from_json_line(text, time);
      std::vector<std::string> scope_warnings;
      const Principal principal = principal_for_request(policy, request, scope_warnings);
      for (const std::string& warning : scope_warnings) {
        warnings << fmt::format("line {}: warning: {}\n", number, warning);
      }
      const Decision decision = decide_request(policy, principal, request);
      out << decision_json(request, principal, decision)
                 .dump(-1, ' ', false, Json::error_handler_t::replace)
          << '\n';
      ++counts.decided;
      if (!decision.allowed()) ++counts.denied;
    } catch (const RequestError& error) {
      const Json object = {{"line", number},
                           {"error", error.what()},
                           {"field", error.field().empty() ? Json(nullptr) : Json(error.field())}};
      out << object.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
      ++counts.bad_lines;
    }
  }
  return counts;
}

}  // namespace scopegate::cli
