// `scopegate check [PATH...] [--deny-warnings] [--style]`: compiles the policy and reports
// every diagnostic, warnings included (and the style lints with --style). Text: rendered
// diagnostics on stderr, a one-line summary on stdout when it compiled. JSON: the diagnostics array
// on stdout (`[]` when clean), nothing on stderr. Warnings fail the check only with
// --deny-warnings.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

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
  bool deny_warnings = false;
  bool style = false;
};

std::string plural(std::size_t count, std::string_view noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

Exit run_check(const CheckOptions& options) {
  const auto paths = policy_paths(options.paths);
  const Compilation compiled =
      check_files(paths, options.style ? Lints::warnings_and_style : Lints::warnings);
  const bool failed =
      !compiled.policy || (options.deny_warnings && compiled.diagnostics.warning_count() > 0);
  const Exit exit = failed ? Exit::policy_error : Exit::ok;
  if (options.format == Format::json) {
    print_json(std::cout, to_json(compiled.diagnostics));
    return exit;
  }
  std::cerr << compiled.diagnostics;
  if (!compiled.policy) return exit;
  const Policy& policy = *compiled.policy;
  const std::size_t warnings = compiled.diagnostics.warning_count();
  std::cout << fmt::format(
      "{}: {}, {}, {}, {}: {}\n", join_paths(paths), plural(policy_files(paths).size(), "file"),
      plural(policy.scopes().size(), "scope"), plural(policy.endpoints().size(), "endpoint"),
      plural(policy.roles().size(), "role"),
      warnings == 0 ? std::string("ok")
      : failed      ? plural(warnings, "warning") + ", denied"
                    : plural(warnings, "warning"));
  return exit;
}

}  // namespace

void add_check_command(CLI::App& app, Outcome& outcome) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* command = app.add_subcommand(
      "check", "compile policy files and report every problem with file:line:col");
  command->add_option("PATH", options->paths, "policy files or directories of *.policy files")
      ->default_str("policies/");
  add_format_option(*command, options->format);
  command->add_flag("--deny-warnings", options->deny_warnings,
                    "exit 1 when there is a warning (for CI)");
  command->add_flag("--style", options->style,
                    "also warn about scope names not in the `resource:action` style");
  command->callback([options, &outcome] { outcome.exit = run_check(*options); });
}

}  // namespace scopegate::cli
