// `scopegate migrate --from PATH-OR-URI --to PATH-OR-URI`: copies every table of one
// database into a new, empty one (SQLite to PostgreSQL, or any other way), keys and
// passwords unchanged, and checks the row counts (server/store/copy_database.hpp).
// Stop the servers on the source first: what they write during the copy is not copied.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "commands.hpp"
#include "server/store/copy_database.hpp"
#include "server/store/open_store.hpp"

namespace scopegate::cli {

namespace {

struct MigrateOptions {
  std::string from;
  std::string to;
};

Exit run_migrate(const MigrateOptions& options) {
  create_files_owner_only();
  const auto copied = server::copy_database(options.from, options.to);
  if (!copied) {
    std::cerr << copied.error() << '\n';
    return Exit::policy_error;
  }
  std::int64_t total = 0;
  for (const auto& table : *copied) {
    std::cout << fmt::format("{:<22} {:>9} rows\n", table.table, table.rows);
    total += table.rows;
  }
  std::cout << fmt::format("copied {} rows from {} to {}; every table's count matches\n", total,
                           server::redact_location(options.from),
                           server::redact_location(options.to));
  return Exit::ok;
}

}  // namespace

void add_migrate_command(CLI::App& app, Outcome& outcome) {
  auto options = std::make_shared<MigrateOptions>();
  auto* command = app.add_subcommand(
      "migrate", "Copy every table of a database into a new one (e.g. SQLite to PostgreSQL)");
  command->add_option("--from", options->from, "SQLite database file or postgresql:// URI")
      ->required();
  command->add_option("--to", options->to, "a new, empty database: file or postgresql:// URI")
      ->required();
  command->callback([options, &outcome] { outcome.exit = run_migrate(*options); });
}

}  // namespace scopegate::cli
