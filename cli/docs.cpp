// `scopegate docs [--policy PATH...] [--format md|html|openapi] [--output FILE]`: the
// scope reference generated from the policy (dsl/scope_reference.hpp), or its endpoints
// as an OpenAPI 3.1 document, printed or written to a file.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "scopegate/dsl.hpp"
#include "scopegate/dsl/scope_reference.hpp"

namespace scopegate::cli {

namespace {

struct DocsOptions {
  std::vector<std::string> policy;
  ReferenceFormat format = ReferenceFormat::markdown;
  std::string output;
};

Exit run_docs(const DocsOptions& options) {
  auto compiled = compile_files(policy_paths(options.policy));
  if (!compiled) {
    std::cerr << compiled.error();
    return Exit::policy_error;
  }
  const std::string page = scope_reference(*compiled, options.format);
  if (options.output.empty()) {
    std::cout << page;
    return Exit::ok;
  }
  std::ofstream file(options.output, std::ios::binary);
  file << page;
  file.close();
  if (!file) {
    std::cerr << fmt::format("scopegate: error: cannot write `{}`\n", options.output);
    return Exit::policy_error;
  }
  return Exit::ok;
}

}  // namespace

void add_docs_command(CLI::App& app, Outcome& outcome) {
  auto options = std::make_shared<DocsOptions>();
  CLI::App* command = app.add_subcommand(
      "docs", "generate the scope reference (Markdown, HTML or OpenAPI) from the policy");
  command->add_option("--policy", options->policy, "policy files or directories (repeatable)")
      ->default_str("policies/")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  command
      ->add_option_function<std::string>(
          "--format",
          [options](const std::string& name) {
            options->format = name == "html"      ? ReferenceFormat::html
                              : name == "openapi" ? ReferenceFormat::openapi
                                                  : ReferenceFormat::markdown;
          },
          "output format: md (default), html, or openapi (an OpenAPI 3.1 JSON document)")
      ->check(CLI::IsMember({"md", "html", "openapi"}));
  command->add_option("--output,-o", options->output, "write to FILE instead of stdout");
  command->callback([options, &outcome] { outcome.exit = run_docs(*options); });
}

}  // namespace scopegate::cli
