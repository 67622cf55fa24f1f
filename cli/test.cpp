// `scopegate test [--policy PATH...] [PATH...]`: compiles the policy, runs the policy
// tests (TOML `[[case]]` files, default `policies/tests/`) against it and prints one line
// per failed case, the endpoints and forbid rules no case reached, and `N passed, M failed`.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "scopegate/dsl.hpp"
#include "scopegate/dsl/policy_tests.hpp"

namespace scopegate::cli {

namespace {

struct TestOptions {
  std::vector<std::string> policy;
  std::vector<std::string> tests;
};

std::string rule_text(const CaseResult& result) {
  return result.rule ? to_string(*result.rule) : std::string("-");
}

void print_failure(const CaseResult& result) {
  std::string line = fmt::format("FAIL {}: {}: {}: expected {}, got {}", to_string(result.location),
                                 result.name, result.request, result.expected, result.actual);
  if (!result.problem.empty()) line += fmt::format(" ({})", result.problem);
  std::cout << line << fmt::format(" [rule {}]\n", rule_text(result));
}

Exit run_test(const TestOptions& options) {
  auto compiled = compile_files(policy_paths(options.policy));
  if (!compiled) {
    std::cerr << compiled.error();
    return Exit::policy_error;
  }
  std::vector<std::filesystem::path> paths(options.tests.begin(), options.tests.end());
  if (paths.empty()) paths.emplace_back("policies/tests/");

  const PolicyTestReport report = run_policy_tests(*compiled, paths);
  if (!report.errors.empty()) std::cerr << report.errors;
  for (const CaseResult& result : report.results) {
    if (!result.passed) print_failure(result);
  }
  // Coverage of a partial run (a test file did not load) would only mislead.
  if (report.errors.empty()) {
    for (const Uncovered& endpoint : report.uncovered_endpoints) {
      std::cout << fmt::format("not covered: {} ({})\n", endpoint.route,
                               to_string(endpoint.location));
    }
    for (const Uncovered& rule : report.unexercised_forbids) {
      std::cout << fmt::format("never refused a case: {} ({})\n", rule.route,
                               to_string(rule.location));
    }
  }
  std::cout << fmt::format("{} passed, {} failed\n", report.passed(), report.failed());
  // Status 1, as for a policy that does not compile: a failed case or a bad test file.
  return report.ok() ? Exit::ok : Exit::policy_error;
}

}  // namespace

void add_test_command(CLI::App& app, Outcome& outcome) {
  auto options = std::make_shared<TestOptions>();
  CLI::App* command =
      app.add_subcommand("test", "run the policy tests (TOML cases) against the policy");
  command->add_option("--policy", options->policy, "policy files or directories (repeatable)")
      ->default_str("policies/")
      ->expected(1)
      ->allow_extra_args(false)  // one path per --policy: the rest are test files
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  command->add_option("PATH", options->tests, "test files or directories of *.toml files")
      ->default_str("policies/tests/");
  command->callback([options, &outcome] { outcome.exit = run_test(*options); });
}

}  // namespace scopegate::cli
