// `scopegate`: the command-line front end. Parses the command line with CLI11 and runs
// the one subcommand chosen (see commands.hpp); every parse error exits with status 2.
#include <CLI/CLI.hpp>

#include <sys/stat.h>

#include <exception>
#include <iostream>

#include "commands.hpp"

void scopegate::cli::create_files_owner_only() { ::umask(0077); }

int main(int argc, char** argv) {
  using scopegate::cli::Exit;
  CLI::App app{"scopegate: a policy engine for API-key scopes", "scopegate"};
  app.set_version_flag("--version", SCOPEGATE_VERSION);
  app.require_subcommand(1);

  scopegate::cli::Outcome outcome;
  scopegate::cli::add_check_command(app, outcome);
  scopegate::cli::add_explain_command(app, outcome);
  scopegate::cli::add_serve_command(app, outcome);
  scopegate::cli::add_keys_command(app, outcome);
  scopegate::cli::add_migrate_command(app, outcome);
  scopegate::cli::add_test_command(app, outcome);
  scopegate::cli::add_docs_command(app, outcome);
  scopegate::cli::add_fmt_command(app, outcome);
  scopegate::cli::add_diff_command(app, outcome);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version arrive here too, with status 0.
    const int status = app.exit(error);
    return status == 0 ? static_cast<int>(Exit::ok) : static_cast<int>(Exit::usage);
  } catch (const std::exception& error) {
    std::cerr << "scopegate: error: " << error.what() << '\n';
    return static_cast<int>(Exit::policy_error);
  }
  return static_cast<int>(outcome.exit);
}
