// The subcommands of `scopegate`. Each lives in its own file and registers itself on the
// top-level CLI::App; main.cpp only parses the command line and returns the status the
// chosen subcommand left in Outcome. Adding a subcommand (e.g. `serve`) means one new
// file, one declaration here and one call in main.cpp; the others stay untouched.
// Single-threaded: everything runs inside CLI::App::parse() on the main thread.
#pragma once

namespace CLI {
class App;
}  // namespace CLI

namespace scopegate::cli {

// Exit statuses every subcommand shares (documented in cli/README.md).
enum class Exit : int {
  ok = 0,            // done; for `explain`, the decision was printed (allow or deny)
  policy_error = 1,  // the policy did not compile, or a file could not be read
  usage = 2,         // bad command line (every CLI11 parse error maps here)
  denied = 3,        // `explain --exit-code` only: the decision was a deny
};

// For the commands that write the database (serve, keys, migrate): every file they create
// from now on (the database and its -wal and -shm, the log, the secrets key) is readable
// by its owner only. They hold password hashes, sealed secrets and, in the log and the
// outbox, live reset links.
void create_files_owner_only();

// Where a subcommand's callback leaves its exit status for main().
struct Outcome {
  Exit exit = Exit::ok;
};

// `scopegate check [PATH...] [--format text|json]`
void add_check_command(CLI::App& app, Outcome& outcome);
// `scopegate explain [--policy PATH...] (--scopes a,b | --role NAME) METHOD PATH`, or
// `scopegate explain [--policy PATH...] --batch FILE` (JSON lines in and out)
void add_explain_command(CLI::App& app, Outcome& outcome);
// `scopegate serve [--config FILE] [--listen HOST:PORT] [--db PATH|URL] [--policies DIR]`
void add_serve_command(CLI::App& app, Outcome& outcome);
// `scopegate keys create --db PATH --email USER --name NAME --scopes a,b [--expires 30d]`
void add_keys_command(CLI::App& app, Outcome& outcome);
// `scopegate migrate --from PATH|URI --to PATH|URI` (exit 1: the copy failed; nothing written)
void add_migrate_command(CLI::App& app, Outcome& outcome);
// `scopegate test [--policy PATH...] [--format text|json|junit] [--filter TEXT] [--time T]
// [PATH...]` (exit 1: a case failed, a test file is bad, or --filter chose no case)
void add_test_command(CLI::App& app, Outcome& outcome);
// `scopegate docs [--policy PATH...] [--format md|html|openapi] [--output FILE]`
void add_docs_command(CLI::App& app, Outcome& outcome);
// `scopegate fmt [--check] [PATH... | -]` (exit 1: --check found files to reformat, or a syntax
// error)
void add_fmt_command(CLI::App& app, Outcome& outcome);
// `scopegate diff [--format text|json] OLD NEW` (exit 1: access differs; 2: usage or policy error)
void add_diff_command(CLI::App& app, Outcome& outcome);

}  // namespace scopegate::cli
