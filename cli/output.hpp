// Helpers the subcommands share: the `--format` option, the policy paths (default
// `policies/`), diagnostics as JSON for editors, and JSON printing that never throws on
// bytes that are not UTF-8. Stateless functions; single-threaded use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "scopegate/dsl/diagnostic.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace scopegate::cli {

enum class Format : std::uint8_t { text, json };

// Adds `--format text|json` (default text) to `command`.
void add_format_option(CLI::App& command, Format& format);

// Adds `--scope NAME` to `command`: repeatable, one name per occurrence and never
// split, so a name with a comma in it can be given; the names go to `names`.
CLI::Option* add_scope_option(CLI::App& command, std::vector<std::string>& names,
                              const std::string& description);

// The paths to compile: `given`, or `policies/` when none was given.
std::vector<std::filesystem::path> policy_paths(const std::vector<std::string>& given);

// How `policy_paths` are printed in summaries: "policies/" or "a.policy b.policy".
std::string join_paths(const std::vector<std::filesystem::path>& paths);

// Diagnostics as an array of {file, line, column, endLine?, endColumn?, severity, code,
// message, help, notes: [{file, line, column, message}]}. Lines and columns are 1-based;
// endColumn is one past the last byte of the span (exclusive), present when the span is
// not empty; help is null when there is none. A diagnostic about a whole file (such as
// file-not-found) has null line and column; one about no file at all, null file too.
nlohmann::ordered_json to_json(const Diagnostics& diagnostics);

// Pretty-prints `value` and a newline; invalid UTF-8 is replaced, never thrown.
void print_json(std::ostream& out, const nlohmann::ordered_json& value);

}  // namespace scopegate::cli
