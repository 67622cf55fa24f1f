// `scopegate check [PATH...]`: compiles the policy and reports every diagnostic.
// Text: rendered diagnostics on stderr, a one-line summary on stdout when clean.
// JSON: the diagnostics array on stdout (`[]` when clean), nothing on stderr.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "scopegate/dsl.hpp"
#include "scopegate/dsl/format.hpp"

namespace scopegate::cli {

namespace {

struct CheckOptions {
  std::vector<std::string> paths;
  Format format = Format::text;
};

std::string plural(std::size_t count, std::string_view noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

Exit run_check(const CheckOptions& options) {
  const auto paths = policy_paths(options.paths);
  auto compiled = compile_files(paths);
  if (options.format == Format::json) {
    print_json(std::cout, compiled ? nlohmann::ordered_json::array() : to_json(compiled.error()));
    return compiled ? Exit::ok : Exit::policy_error;
  }
  if (!compiled) {
    std::cerr << compiled.error();
    return Exit::policy_error;
  }
  const Policy& policy = *compiled;
  std::cout << fmt::format(
      "{}: {}, {}, {}, {}: ok\n", join_paths(paths), plural(policy_files(paths).size(), "file"),
      plural(policy.scopes().size(), "scope"), plural(policy.endpoints().size(), "endpoint"),
      plural(policy.roles().size(), "role"));
  return Exit::ok;
}

}  // namespace

void add_check_command(CLI::App& app, Outcome& outcome) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* command = app.add_subcommand(
      "check", "compile policy files and report every problem with file:line:col");
  command->add_option("PATH", options->paths, "policy files or directories of *.policy files")
      ->default_str("policies/");
  add_format_option(*command, options->format);
  command->callback([options, &outcome] { outcome.exit = run_check(*options); });
}

}  // namespace scopegate::cli
