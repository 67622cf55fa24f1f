#include "read_file.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

namespace scopegate {

namespace fs = std::filesystem;

std::vector<ExpandedPath> expand_paths(const std::vector<fs::path>& paths,
                                       std::string_view extension) {
  std::vector<ExpandedPath> expanded;
  std::set<fs::path> seen;
  const auto first_time = [&seen](const fs::path& file) {
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(file, ec);
    return seen.insert(ec ? file : canonical).second;
  };
  for (const fs::path& path : paths) {
    ExpandedPath entry;
    entry.given = path;
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      entry.problem = ExpandedPath::Problem::missing;
    } else if (!fs::is_directory(status)) {
      if (first_time(path)) entry.files.push_back(path);
    } else {
      std::vector<fs::path> found;
      for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code type_ec;
        if (it->path().extension() == extension && fs::is_regular_file(it->path(), type_ec)) {
          found.push_back(it->path());
        }
      }
      if (ec) {
        entry.problem = ExpandedPath::Problem::unreadable_directory;
      } else if (found.empty()) {
        entry.problem = ExpandedPath::Problem::empty_directory;
      } else {
        std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
          return a.filename().string() < b.filename().string();
        });
        for (const fs::path& file : found) {
          if (first_time(file)) entry.files.push_back(file);
        }
      }
    }
    expanded.push_back(std::move(entry));
  }
  return expanded;
}

bool read_whole_file(const std::filesystem::path& path, std::string& out, std::size_t limit) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  char buffer[1 << 16];
  bool ok = true;
  for (;;) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file);
    out.append(buffer, n);
    if (n < sizeof buffer) {
      ok = std::ferror(file) == 0;
      break;
    }
    if (out.size() > limit) break;
  }
  std::fclose(file);
  return ok;
}

}  // namespace scopegate
