// `scopegate test [--policy PATH...] [--format text|json|junit] [--filter TEXT] [--time T]
// [PATH...]`: compiles the policy, runs the policy tests (TOML `[[case]]` files, default
// `policies/tests/`), or those whose name contains TEXT, against it and prints the result
// (test_report.hpp): failed cases, the endpoints and forbid rules no case reached, the time
// a case without `time` was decided at, and `N passed, M failed`.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "request_time.hpp"
#include "scopegate/dsl.hpp"
#include "scopegate/dsl/policy_tests.hpp"
#include "test_report.hpp"

namespace scopegate::cli {

namespace {

enum class TestFormat : std::uint8_t { text, json, junit };

struct TestOptions {
  std::vector<std::string> policy;
  std::vector<std::string> tests;
  TestFormat format = TestFormat::text;
  std::string filter;
  std::string time;
};

Exit run_test(const TestOptions& options) {
  // A bad --time is a usage error, before anything is compiled.
  const RequestTime time = request_time(options.time);
  auto compiled = compile_files(policy_paths(options.policy));
  if (!compiled) {
    std::cerr << compiled.error();
    return Exit::policy_error;
  }
  std::vector<std::filesystem::path> paths(options.tests.begin(), options.tests.end());
  if (paths.empty()) paths.emplace_back("policies/tests/");

  LoadedTests loaded = load_policy_tests(paths);
  const std::size_t loaded_cases = loaded.cases.size();
  std::erase_if(loaded.cases, [&](const PolicyTestCase& test) {
    return test.name.find(options.filter) == std::string::npos;
  });
  PolicyTestReport report = run_policy_tests(*compiled, loaded.cases, time.seconds);
  report.errors = std::move(loaded.errors);
  const TestRun run{report, options.filter, loaded_cases - loaded.cases.size(), time};

  if (!report.errors.empty()) std::cerr << report.errors;
  switch (options.format) {
    case TestFormat::text:
      std::cout << test_text(run);
      break;
    case TestFormat::json:
      print_json(std::cout, test_json(run));
      break;
    case TestFormat::junit:
      std::cout << test_junit(run);
      break;
  }
  // A filter that chose nothing is most likely a typo: it must not pass as a green run.
  if (!options.filter.empty() && report.results.empty()) {
    std::cerr << fmt::format("scopegate test: no case name contains `{}` ({} case{} loaded)\n",
                             options.filter, loaded_cases, loaded_cases == 1 ? "" : "s");
    return Exit::policy_error;
  }
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
  command
      ->add_option_function<std::string>(
          "--format",
          [options](const std::string& name) {
            options->format = name == "json"    ? TestFormat::json
                              : name == "junit" ? TestFormat::junit
                                                : TestFormat::text;
          },
          "output format: text (default), json or junit (JUnit XML for CI)")
      ->check(CLI::IsMember({"text", "json", "junit"}));
  command->add_option("--filter", options->filter, "run only the cases whose name contains TEXT");
  command->add_option("--time", options->time,
                      "the time of a case without `time`, UTC ISO-8601 (default: now)");
  command->add_option("PATH", options->tests, "test files or directories of *.toml files")
      ->default_str("policies/tests/");
  command->callback([options, &outcome] { outcome.exit = run_test(*options); });
}

}  // namespace scopegate::cli
