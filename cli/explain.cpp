// `scopegate explain [--policy PATH...] (--scopes a,b | --role NAME) [--ip ...] METHOD PATH`:
// compiles the policy, builds the principal (an API key with the given scopes, a user
// with the given role, or nobody) and prints the engine's decision with its reasons.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>

#include "commands.hpp"
#include "output.hpp"
#include "scopegate/dsl.hpp"
#include "scopegate/engine.hpp"
#include "scopegate/suggest.hpp"

namespace scopegate::cli {

namespace {

using Json = nlohmann::ordered_json;

enum class OnDeny : std::uint8_t { exit_ok, exit_denied };

struct ExplainOptions {
  std::vector<std::string> policy;
  std::string scopes;
  std::string role;
  Format format = Format::text;
  bool exit_code = false;
  std::string method;
  std::string path;
  // What conditions may read: the client address, headers, the time, the key's ranges.
  std::string ip;
  std::vector<std::string> headers;  // "Name: value"
  std::string time;                  // ISO-8601 UTC; default: now
  std::string allowed_cidrs;         // comma-separated
  // Set from the parsed options: which principal to build.
  bool has_scopes = false;
  bool has_role = false;
};

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// "a, b,,c" -> {"a", "b", "c"}; "" -> {} (a key with no scopes).
std::vector<std::string> split_scopes(std::string_view text) {
  std::vector<std::string> names;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) names.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return names;
}

// The closest known scope name, if it is close enough to be a typo.
std::optional<std::string_view> closest_scope(const Policy& policy, std::string_view name) {
  std::optional<std::string_view> best;
  std::size_t best_distance = std::max<std::size_t>(2, name.size() / 4) + 1;
  for (const Scope& scope : policy.scopes()) {
    const std::size_t distance = edit_distance(name, scope.name);
    if (distance < best_distance) {
      best_distance = distance;
      best = scope.name;
    }
  }
  return best;
}

// Warns on stderr about key scopes that will grant nothing, so a typo is not mistaken
// for a policy decision.
void warn_about_key_scopes(const Policy& policy, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    const auto id = policy.find_scope(name);
    if (!id) {
      std::cerr << fmt::format("warning: unknown scope `{}`: it grants nothing", name);
      if (const auto suggestion = closest_scope(policy, name)) {
        std::cerr << fmt::format("; did you mean `{}`?", *suggestion);
      }
      std::cerr << '\n';
      continue;
    }
    const ScopeKind kind = policy.scopes()[*id].kind;
    if (kind != ScopeKind::plain) {
      std::cerr << fmt::format("warning: `{}` is a {}: API keys never hold it\n", name,
                               to_string(kind));
    }
  }
}

std::vector<std::string> split_allowed_methods(std::string_view text) {
  std::vector<std::string> methods;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) methods.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return methods;
}

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
  return object;
}

std::string principal_text(const Principal& principal) {
  switch (principal.kind()) {
    case PrincipalKind::anonymous:
      return "anonymous (no credentials)";
    case PrincipalKind::api_key:
      if (principal.scope_names().empty()) return "API key with no scopes";
      return fmt::format("API key with scopes {}", fmt::join(principal.scope_names(), ", "));
    case PrincipalKind::user:
      return fmt::format("user with role {}", principal.role());
  }
  return "unknown";
}

template <typename T>
Json or_null(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

void print_json_decision(const ExplainOptions& options, const Principal& principal,
                         const Decision& decision) {
  const Endpoint* endpoint = decision.endpoint();
  Json object = Json::object();
  object["allowed"] = decision.allowed();
  object["status"] = decision.status();
  object["reason"] = decision.reason_code();
  object["message"] = decision.message();
  object["method"] = options.method;
  object["path"] = options.path;
  object["principal"] = principal_json(principal);
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
  object["allowed_methods"] = split_allowed_methods(decision.allowed_methods());
  object["path_error"] = decision.reason() == Reason::invalid_path
                             ? Json(path_error_code(decision.path_error()))
                             : Json(nullptr);
  print_json(std::cout, object);
}

void print_text_decision(const ExplainOptions& options, const Principal& principal,
                         const Decision& decision) {
  const Endpoint* endpoint = decision.endpoint();
  auto line = [](std::string_view label, std::string_view value) {
    std::cout << fmt::format("{:<12}{}\n", fmt::format("{}:", label), value);
  };
  std::cout << fmt::format("{} {} {}\n", decision.allowed() ? "ALLOW" : "DENY", decision.status(),
                           decision.reason_code());
  line("message", decision.message());
  line("request", fmt::format("{} {}", options.method, options.path));
  line("principal", principal_text(principal));
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
}

// The request attributes given on the command line, checked.
struct RequestInput {
  std::optional<IpAddress> ip;
  std::vector<std::string> header_text;
  std::vector<Header> headers;
  std::int64_t time = 0;
};

RequestInput request_input(const ExplainOptions& options) {
  RequestInput input;
  if (!options.ip.empty()) {
    input.ip = parse_ip(options.ip);
    if (!input.ip) {
      throw CLI::ValidationError("--ip", fmt::format("`{}` is not an IP address", options.ip));
    }
  }
  input.header_text = options.headers;
  for (const std::string& text : input.header_text) {
    const auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0) {
      throw CLI::ValidationError("--header",
                                 fmt::format("`{}`: write a header as `Name: value`", text));
    }
    input.headers.push_back({trim(std::string_view(text).substr(0, colon)),
                             trim(std::string_view(text).substr(colon + 1))});
  }
  if (!options.time.empty()) {
    const auto seconds = parse_timestamp(options.time);
    if (!seconds) {
      throw CLI::ValidationError(
          "--time",
          fmt::format("`{}`: write UTC ISO-8601, e.g. 2026-02-18T10:30:00Z", options.time));
    }
    input.time = *seconds;
  } else {
    input.time = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  }
  return input;
}

std::vector<Cidr> cidr_list(std::string_view text) {
  std::vector<Cidr> cidrs;
  for (const std::string& item : split_scopes(text)) {
    const auto cidr = parse_cidr(item);
    if (!cidr) {
      throw CLI::ValidationError("--allowed-cidrs",
                                 fmt::format("`{}` is not an address or CIDR range", item));
    }
    cidrs.push_back(*cidr);
  }
  return cidrs;
}

// HTTP methods are case-sensitive, so `get` would be decided as an unknown method; refuse
// it as a usage error rather than print a misleading 405.
void check_method(std::string_view method) {
  std::string upper(method);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper != method && parse_method(upper)) {
    throw CLI::ValidationError(
        "METHOD",
        fmt::format("`{}`: HTTP methods are case-sensitive; did you mean `{}`?", method, upper));
  }
}

Exit run_explain(const ExplainOptions& options) {
  check_method(options.method);
  auto compiled = compile_files(policy_paths(options.policy));
  if (!compiled) {
    std::cerr << compiled.error();
    return Exit::policy_error;
  }
  const Policy& policy = *compiled;

  Principal principal;
  if (options.has_role) {
    if (policy.find_role(options.role) == nullptr) {
      std::vector<std::string> roles;
      for (const Role& role : policy.roles()) roles.emplace_back(role.name);
      throw CLI::ValidationError(
          "--role",
          fmt::format("unknown role `{}`; the policy has: {}", options.role,
                      roles.empty() ? "no roles" : fmt::to_string(fmt::join(roles, ", "))));
    }
    principal = policy.principal_for_role(options.role);
  } else if (options.has_scopes) {
    const std::vector<std::string> names = split_scopes(options.scopes);
    warn_about_key_scopes(policy, names);
    principal = policy.principal_for_key(names);
    principal.set_allowed_cidrs(cidr_list(options.allowed_cidrs));
  }

  const RequestInput input = request_input(options);
  const Decision decision = policy.decide(
      principal, Request{options.method, options.path, input.ip, input.headers, input.time});
  if (options.format == Format::json) {
    print_json_decision(options, principal, decision);
  } else {
    print_text_decision(options, principal, decision);
  }
  const OnDeny on_deny = options.exit_code ? OnDeny::exit_denied : OnDeny::exit_ok;
  return decision.allowed() || on_deny == OnDeny::exit_ok ? Exit::ok : Exit::denied;
}

}  // namespace

void add_explain_command(CLI::App& app, Outcome& outcome) {
  auto options = std::make_shared<ExplainOptions>();
  CLI::App* command =
      app.add_subcommand("explain", "show how the policy decides one request, and why");
  command->add_option("--policy", options->policy, "policy files or directories (repeatable)")
      ->default_str("policies/")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  CLI::Option* scopes =
      command->add_option("--scopes", options->scopes,
                          "an API key holding these comma-separated scopes (\"\" for none)");
  CLI::Option* role =
      command->add_option("--role", options->role, "a signed-in user with this role");
  scopes->excludes(role);
  add_format_option(*command, options->format);
  command->add_flag("--exit-code", options->exit_code, "exit with status 3 when denied");
  command->add_option("--ip", options->ip, "the client address conditions see (request.ip)");
  command->add_option("--header", options->headers, "a request header `Name: value` (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  command->add_option("--time", options->time,
                      "the request time conditions see, UTC ISO-8601 (default: now)");
  CLI::Option* cidrs = command->add_option(
      "--allowed-cidrs", options->allowed_cidrs,
      "the key's allowed address ranges, comma-separated (principal.allowed_cidrs)");
  cidrs->needs(scopes);
  command->add_option("METHOD", options->method, "HTTP method, e.g. GET")->required();
  command->add_option("PATH", options->path, "request path, e.g. /api/v1/sessions/42")->required();
  command->callback([options, scopes, role, &outcome] {
    options->has_scopes = scopes->count() > 0;
    options->has_role = role->count() > 0;
    outcome.exit = run_explain(*options);
  });
}

}  // namespace scopegate::cli
