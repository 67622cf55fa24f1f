// Reading the files a command was given: expanding paths (a file as itself, a directory
// as the files with one extension directly inside it) and reading a whole file with real
// error reporting (std::FILE reports read errors that streams hide). Shared by the policy
// compiler, the policy test loader and the formatter.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

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

}  // namespace scopegate
