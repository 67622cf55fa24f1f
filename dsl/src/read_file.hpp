// Reading the files a command was given: expanding paths (a file as itself, a directory
// as the files with one extension directly inside it) and reading a whole file with real
// error reporting (std::FILE reports read errors that streams hide), and read_files(),
// which does both and reports every problem as a diagnostic. Shared by the policy
// compiler, the policy test loader and the formatter.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/dsl/diagnostic.hpp"

namespace scopegate {

// What one given path expands to.
struct ExpandedPath {
  enum class Problem { none, missing, unreadable_directory, empty_directory };
  std::filesystem::path given;
  Problem problem = Problem::none;
  std::vector<std::filesystem::path> files;  // in load order; empty unless problem is none
};

// Every given file as itself; every given directory as the regular files directly inside
// it whose extension is `extension` (e.g. ".policy"), sorted by name. A file reached twice
// (given itself and through its directory) is listed once, where it is first reached.
std::vector<ExpandedPath> expand_paths(const std::vector<std::filesystem::path>& paths,
                                       std::string_view extension);

// Appends the file's bytes to `out`; false when it cannot be opened or read. Stops once
// the text is longer than `limit`, so the caller can report an oversized file.
bool read_whole_file(const std::filesystem::path& path, std::string& out, std::size_t limit);

// A diagnostic about a whole file or path: it names the file and no position in it.
Diagnostic file_diagnostic(std::string_view code, const std::string& name, std::string message,
                           std::string_view help);

// What read_files() reads and how its diagnostics name it.
struct FileKind {
  std::string_view noun;            // "policy": "no policy files given"
  std::string_view extension;       // ".policy": what a directory is searched for
  std::string_view empty_code;      // the code for no paths and for a directory without such files
  std::size_t max_bytes = 0;        // a larger file is `limit-exceeded`
  std::string_view too_large_help;  // how to split a file that is too large
};

// Expands `paths` (expand_paths) and reads every file, calling `load(name, text)` for each
// in load order; every problem (no paths, a missing path, an unreadable or empty
// directory, a file too large or unreadable) is added to `diagnostics` instead, with the
// path's generic name as its file.
void read_files(const std::vector<std::filesystem::path>& paths, const FileKind& kind,
                Diagnostics& diagnostics,
                const std::function<void(std::string name, std::string text)>& load);

}  // namespace scopegate
