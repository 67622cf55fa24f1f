// `scopegate explain [--policy PATH...] (--scopes "a b" | --scope NAME... | --role NAME)
// [--id ID] [--name NAME] [--org ORG] [--allowed-cidrs ...] [--ip ...] [--header ...] [--time T]
// METHOD PATH`: compiles the policy, builds the principal (an API key with the given scopes, a user
// with the given role, or nobody) and prints the engine's decision with its reasons
// (explain_output.hpp). `--batch FILE` (`-`: standard input) decides one request per JSON
// line instead (explain_batch.hpp), with the policy compiled once.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "commands.hpp"
#include "explain_batch.hpp"
#include "explain_output.hpp"
#include "explain_request.hpp"
#include "output.hpp"
#include "request_time.hpp"
#include "scopegate/dsl.hpp"

namespace scopegate::cli {

namespace {

enum class OnDeny : std::uint8_t { exit_ok, exit_denied };

struct ExplainOptions {
  std::vector<std::string> policy;
  std::string scopes;
  std::vector<std::string> scope_names;  // --scope, one name each
  std::string role;
  Format format = Format::text;
  bool exit_code = false;
  std::string method;
  std::string path;
  std::string batch;  // a file of JSON lines, or "-"
  // What conditions may read: the client address, headers, the time, the caller's
  // identity and the key's ranges.
  std::string ip;
  std::vector<std::string> headers;  // "Name: value"
  std::string time;                  // ISO-8601 UTC; default: now
  std::string allowed_cidrs;         // comma-separated
  std::string id;
  std::string name;
  std::string org;
  // Set from the parsed options: which principal to build.
  bool has_scopes = false;
  bool has_role = false;
};

// The option that sets `field` of a request, for usage errors: "--allowed-cidrs".
std::string option_for_field(std::string_view field) {
  if (field == "method") return "METHOD";
  if (field == "headers") return "--header";
  std::string option = fmt::format("--{}", field);
  std::replace(option.begin(), option.end(), '_', '-');
  return option;
}

// The request the command line describes; a bad value is a usage error.
ExplainRequest command_line_request(const ExplainOptions& options) {
  ExplainRequest request;
  request.method = options.method;
  request.path = options.path;
  if (options.has_role) {
    request.caller = Caller::user;
    request.role = options.role;
  } else if (options.has_scopes) {
    request.caller = Caller::api_key;
    request.scopes = split_scope_list(options.scopes);
    request.scopes.insert(request.scopes.end(), options.scope_names.begin(),
                          options.scope_names.end());
  }
  request.id = options.id;
  request.name = options.name;
  request.org = options.org;
  request.allowed_cidrs = parse_cidr_list(split_list(options.allowed_cidrs));
  check_method(request.method);
  check_caller(request);
  if (!options.ip.empty()) request.ip = parse_request_ip(options.ip);
  for (const std::string& header : options.headers) {
    request.headers.push_back(parse_header_line(header));
  }
  request.time = request_time(options.time);
  return request;
}

Exit run_one(const ExplainOptions& options, const Policy& policy, const ExplainRequest& request) {
  std::vector<std::string> warnings;
  const Principal principal = principal_for_request(policy, request, warnings);
  for (const std::string& warning : warnings) std::cerr << "warning: " << warning << '\n';
  const Decision decision = decide_request(policy, principal, request);
  if (options.format == Format::json) {
    print_json(std::cout, decision_json(request, principal, decision));
  } else {
    std::cout << decision_text(request, principal, decision);
  }
  const OnDeny on_deny = options.exit_code ? OnDeny::exit_denied : OnDeny::exit_ok;
  return decision.allowed() || on_deny == OnDeny::exit_ok ? Exit::ok : Exit::denied;
}

Exit run_batch(const ExplainOptions& options, const Policy& policy) {
  const RequestTime time = request_time(options.time);
  std::ifstream file;
  if (options.batch != "-") {
    file.open(options.batch, std::ios::binary);
    if (!file) {
      std::cerr << fmt::format("scopegate explain: {}: cannot read file\n", options.batch);
      return Exit::policy_error;
    }
  }
  std::istream& in = options.batch == "-" ? std::cin : file;
  const BatchCounts counts = explain_batch(policy, in, std::cout, std::cerr, time);
  std::cout << std::flush;
  if (in.bad()) {
    std::cerr << fmt::format("scopegate explain: {}: read error\n", options.batch);
    return Exit::policy_error;
  }
  if (counts.bad_lines > 0) {
    std::cerr << fmt::format("scopegate explain: {} bad line{} of {}\n", counts.bad_lines,
                             counts.bad_lines == 1 ? "" : "s", counts.bad_lines + counts.decided);
    return Exit::policy_error;
  }
  return options.exit_code && counts.denied > 0 ? Exit::denied : Exit::ok;
}

Exit run_explain(const ExplainOptions& options) {
  const bool batch = !options.batch.empty();
  if (!batch && (options.method.empty() || options.path.empty())) {
    throw CLI::ValidationError("METHOD PATH",
                               "give a request (e.g. GET /api/v1/sessions) or --batch FILE");
  }
  // The command line is checked before the policy is compiled: a usage error comes first.
  std::optional<ExplainRequest> request;
  try {
    if (!batch) request = command_line_request(options);
  } catch (const RequestError& error) {
    throw CLI::ValidationError(option_for_field(error.field()), error.what());
  }
  auto compiled = compile_files(policy_paths(options.policy));
  if (!compiled) {
    std::cerr << compiled.error();
    return Exit::policy_error;
  }
  if (batch) return run_batch(options, *compiled);
  try {
    return run_one(options, *compiled, *request);
  } catch (const RequestError& error) {
    throw CLI::ValidationError(option_for_field(error.field()), error.what());
  }
}

}  // namespace

void add_explain_command(CLI::App& app, Outcome& outcome) {
  auto options = std::make_shared<ExplainOptions>();
  CLI::App* command =
      app.add_subcommand("explain", "show how the policy decides one request, and why");
  command->add_option("--policy", options->policy, "policy files or directories (repeatable)")
      ->default_str("policies/")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  CLI::Option* scopes = command->add_option(
      "--scopes", options->scopes,
      "an API key holding these scopes, separated by spaces (an OAuth scope string) or commas "
      "(\"\" for none)");
  CLI::Option* scope = add_scope_option(*command, options->scope_names,
                                        "an API key holding this one scope, its name as written "
                                        "(repeatable; with --scopes, the key holds all)");
  CLI::Option* role =
      command->add_option("--role", options->role, "a signed-in user with this role");
  scopes->excludes(role);
  scope->excludes(role);
  add_format_option(*command, options->format);
  command->add_flag("--exit-code", options->exit_code, "exit with status 3 when denied");
  CLI::Option* ip =
      command->add_option("--ip", options->ip, "the client address conditions see (request.ip)");
  CLI::Option* header =
      command
          ->add_option("--header", options->headers, "a request header `Name: value` (repeatable)")
          ->expected(1)
          ->allow_extra_args(false)  // one header per --header: METHOD PATH may follow
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  command->add_option("--time", options->time,
                      "the request time conditions see, UTC ISO-8601 (default: now)");
  CLI::Option* cidrs = command->add_option(
      "--allowed-cidrs", options->allowed_cidrs,
      "the key's allowed address ranges, comma-separated (principal.allowed_cidrs)");
  CLI::Option* id = command->add_option(
      "--id,--user-id", options->id, "the caller's id (principal.id; the server: the user's id)");
  CLI::Option* name =
      command->add_option("--name,--email", options->name,
                          "the caller's name (principal.name; the server: the user's email)");
  CLI::Option* org = command->add_option(
      "--org", options->org, "the caller's organization (principal.org; the server: its slug)");
  CLI::Option* method = command->add_option("METHOD", options->method, "HTTP method, e.g. GET");
  CLI::Option* path =
      command->add_option("PATH", options->path, "request path, e.g. /api/v1/sessions/42");
  CLI::Option* batch = command->add_option(
      "--batch", options->batch,
      "decide one request per JSON line of FILE (`-`: standard input), one JSON decision per line");
  // A batch line names its own caller and attributes; only --time (the default) and
  // --exit-code apply to all of them, and the output is JSON lines.
  for (CLI::Option* other : {scopes, scope, role, ip, header, cidrs, id, name, org, method, path}) {
    batch->excludes(other);
  }
  command->callback([options, command, scopes, scope, role, cidrs, batch, &outcome] {
    if (batch->count() > 0 && command->get_option("--format")->count() > 0) {
      throw CLI::ValidationError("--batch", "writes JSON lines; --format does not apply");
    }
    options->has_scopes = scopes->count() > 0 || scope->count() > 0;
    if (cidrs->count() > 0 && !options->has_scopes) {
      throw CLI::ValidationError("--allowed-cidrs", "requires --scopes or --scope");
    }
    options->has_role = role->count() > 0;
    outcome.exit = run_explain(*options);
  });
}

}  // namespace scopegate::cli
