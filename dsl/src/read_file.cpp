#include "read_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
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

Diagnostic file_diagnostic(std::string_view code, const std::string& name, std::string message,
                           std::string_view help) {
  Diagnostic d;
  d.code = std::string(code);
  d.span.file = std::make_shared<SourceFile>(SourceFile{name, {}});
  d.message = std::move(message);
  d.help = std::string(help);
  return d;
}

void read_files(const std::vector<fs::path>& paths, const FileKind& kind, Diagnostics& diagnostics,
                const std::function<void(std::string name, std::string text)>& load) {
  if (paths.empty()) {
    Diagnostic d;
    d.code = std::string(kind.empty_code);
    d.message = fmt::format("no {} files given", kind.noun);
    d.help =
        fmt::format("name {} files or directories holding *{} files", kind.noun, kind.extension);
    diagnostics.add(std::move(d));
  }
  const auto read_one = [&](const fs::path& path) {
    const std::string name = path.generic_string();
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (!ec && size > kind.max_bytes) {
      diagnostics.add(file_diagnostic(
          "limit-exceeded", name, fmt::format("file is larger than {} MiB", kind.max_bytes >> 20),
          kind.too_large_help));
      return;
    }
    std::string text;
    if (!read_whole_file(path, text, kind.max_bytes)) {
      diagnostics.add(file_diagnostic("read-error", name, "cannot read file",
                                      "check that it is a readable regular file"));
      return;
    }
    load(name, std::move(text));
  };
  for (const ExpandedPath& entry : expand_paths(paths, kind.extension)) {
    const std::string name = entry.given.generic_string();
    switch (entry.problem) {
      case ExpandedPath::Problem::missing:
        diagnostics.add(file_diagnostic(
            "file-not-found", name, "no such file or directory",
            fmt::format("check the path; a directory is searched for *{} files", kind.extension)));
        break;
      case ExpandedPath::Problem::unreadable_directory:
        diagnostics.add(
            file_diagnostic("read-error", name, "cannot read directory", "check its permissions"));
        break;
      case ExpandedPath::Problem::empty_directory:
        diagnostics.add(file_diagnostic(
            kind.empty_code, name, fmt::format("directory holds no *{} file", kind.extension),
            fmt::format("{} files must end in `{}`", kind.noun, kind.extension)));
        break;
      case ExpandedPath::Problem::none:
        for (const fs::path& file : entry.files) read_one(file);
        break;
    }
  }
}

}  // namespace scopegate
