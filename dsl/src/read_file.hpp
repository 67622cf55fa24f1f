// Reading a whole file with real error reporting (std::FILE reports read errors that
// streams hide), for the policy compiler and the policy test loader. Stops once the text
// is longer than `limit`, so the caller can report an oversized file without reading it all.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace scopegate {

// Appends the file's bytes to `out`; false when it cannot be opened or read.
bool read_whole_file(const std::filesystem::path& path, std::string& out, std::size_t limit);

}  // namespace scopegate
