// `scopegate fmt [--check] [PATH... | -]`: rewrites policy files in the canonical layout
// (dsl/format.hpp). Each file is replaced atomically (a temporary file in the directory
// of the file a symbolic link points to, then rename over that file: the link stays a
// link), and only when its text changes; what is not a regular file is refused. `-` reads
// standard input and writes the formatted text to standard output. `--check` writes
// nothing: it lists the files that would change, each with the lines that differ, and
// exits 1. A file that does not parse is left alone and its diagnostic printed (exit 1).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <system_error>

#include "commands.hpp"
#include "output.hpp"
#include "scopegate/dsl/format.hpp"

namespace scopegate::cli {

namespace {

namespace fs = std::filesystem;

enum class Mode : std::uint8_t { write, check };

struct FmtOptions {
  std::vector<std::string> paths;
  bool check = false;
};

constexpr std::size_t max_diff_lines = 40;  // per file, in --check output

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// One edit of a line diff: ' ' (kept), '-' (only in the old text), '+' (only in the new).
struct Edit {
  char kind = ' ';
  std::size_t old_line = 0;  // 0-based, in the old text (for ' ' and '-')
  std::size_t new_line = 0;  // 0-based, in the new text (for ' ' and '+')
};

constexpr std::size_t max_lcs_cells = std::size_t{4} << 20;

// A shortest edit script by longest common subsequence over the lines that differ
// (common prefix and suffix trimmed first); one replace-all block when that middle part
// is too large for the table.
std::vector<Edit> line_edits(const std::vector<std::string_view>& a,
                             const std::vector<std::string_view>& b) {
  std::size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  std::size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  std::vector<Edit> edits;
  for (std::size_t i = 0; i < prefix; ++i) edits.push_back({' ', i, i});
  const std::size_t n = a.size() - prefix - suffix;
  const std::size_t m = b.size() - prefix - suffix;
  if ((n + 1) * (m + 1) <= max_lcs_cells) {
    // lcs[i][j]: the longest common subsequence of a[prefix+i..] and b[prefix+j..].
    std::vector<std::uint32_t> lcs((n + 1) * (m + 1), 0);
    const auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& {
      return lcs[i * (m + 1) + j];
    };
    for (std::size_t i = n; i-- > 0;) {
      for (std::size_t j = m; j-- > 0;) {
        at(i, j) = a[prefix + i] == b[prefix + j] ? at(i + 1, j + 1) + 1
                                                  : std::max(at(i + 1, j), at(i, j + 1));
      }
    }
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[prefix + i] == b[prefix + j]) {
        edits.push_back({' ', prefix + i++, prefix + j++});
      } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
        edits.push_back({'-', prefix + i++, prefix + j});
      } else {
        edits.push_back({'+', prefix + i, prefix + j++});
      }
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) edits.push_back({'-', prefix + i, prefix});
    for (std::size_t j = 0; j < m; ++j) edits.push_back({'+', prefix + n, prefix + j});
  }
  for (std::size_t k = 0; k < suffix; ++k) {
    edits.push_back({' ', a.size() - suffix + k, b.size() - suffix + k});
  }
  return edits;
}

// The changes in the unified format: hunks (`@@ -a,b +c,d @@`) of ` `, `-` and `+`
// lines with two lines of context, at most max_diff_lines lines in all.
std::string changed_lines(std::string_view before, std::string_view after) {
  const auto old_lines = split_lines(before);
  const auto new_lines = split_lines(after);
  const std::vector<Edit> edits = line_edits(old_lines, new_lines);
  const std::size_t context = 2;
  std::string out;
  std::size_t printed = 0;
  std::size_t omitted = 0;
  std::size_t k = 0;
  while (k < edits.size()) {
    if (edits[k].kind == ' ') {
      ++k;
      continue;
    }
    // A hunk: from `context` kept lines before this change to `context` kept lines after
    // the last change that is at most 2 * context kept lines from the next.
    const std::size_t first = k >= context ? k - context : 0;
    std::size_t last = k;
    std::size_t kept = 0;
    for (std::size_t x = k; x < edits.size(); ++x) {
      if (edits[x].kind != ' ') {
        last = x;
        kept = 0;
      } else if (++kept > 2 * context) {
        break;
      }
    }
    const std::size_t end = std::min(edits.size(), last + 1 + context);
    std::size_t old_count = 0;
    std::size_t new_count = 0;
    for (std::size_t x = first; x < end; ++x) {
      old_count += edits[x].kind != '+' ? 1 : 0;
      new_count += edits[x].kind != '-' ? 1 : 0;
    }
    if (printed < max_diff_lines) {
      out += fmt::format("@@ -{},{} +{},{} @@\n", edits[first].old_line + 1, old_count,
                         edits[first].new_line + 1, new_count);
    }
    for (std::size_t x = first; x < end; ++x) {
      if (printed >= max_diff_lines) {
        ++omitted;
        continue;
      }
      const auto& text =
          edits[x].kind == '+' ? new_lines[edits[x].new_line] : old_lines[edits[x].old_line];
      out += fmt::format("{}{}\n", edits[x].kind, text);
      ++printed;
    }
    k = end;
  }
  if (omitted > 0) out += fmt::format("... {} more lines\n", omitted);
  return out;
}

bool read_file(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = std::move(buffer).str();
  return !in.bad();
}

// What `status` is, for the refusal of a path that is not a regular file.
std::string_view file_type_name(const fs::file_status& status) {
  switch (status.type()) {
    case fs::file_type::directory:
      return "a directory";
    case fs::file_type::fifo:
      return "a named pipe";
    case fs::file_type::socket:
      return "a socket";
    case fs::file_type::block:
      return "a block device";
    case fs::file_type::character:
      return "a character device";
    default:
      return "not a regular file";
  }
}

// The regular file `file` names (itself, or what its chain of symbolic links ends at), or
// why there is none, as the error line to print.
struct Target {
  fs::path path;
  std::string error;
};

Target regular_target(const fs::path& file) {
  const std::string name = file.generic_string();
  std::error_code error;
  const fs::file_status status = fs::status(file, error);
  if (error || !fs::exists(status)) {
    if (fs::is_symlink(fs::symlink_status(file, error))) {
      return {{},
              fmt::format("scopegate fmt: {}: symbolic link to `{}`, which does not exist\n", name,
                          fs::read_symlink(file, error).generic_string())};
    }
    return {{}, fmt::format("scopegate fmt: {}: no such file or directory\n", name)};
  }
  if (!fs::is_regular_file(status)) {
    return {{},
            fmt::format("scopegate fmt: {}: is {}; fmt formats regular files only\n", name,
                        file_type_name(status))};
  }
  fs::path target = fs::canonical(file, error);
  if (error) return {{}, fmt::format("scopegate fmt: {}: cannot resolve the path\n", name)};
  return {std::move(target), {}};
}

// Writes `text` next to `path`, then renames it over `path`; keeps the permissions.
// `path` is a regular file, not a symbolic link (see regular_target).
bool replace_file(const fs::path& path, std::string_view text) {
  fs::path temporary = path;
  temporary += ".fmt-tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      return false;
    }
  }
  std::error_code error;
  fs::permissions(temporary, fs::status(path, error).permissions(), error);
  fs::rename(temporary, path, error);
  if (error) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    return false;
  }
  return true;
}

constexpr std::string_view stdin_name = "<stdin>";

// `fmt -`: standard input to standard output (nothing on stdout when it does not parse).
// With --check, nothing is written but the changes, as for a file.
Exit run_fmt_stdin(Mode mode) {
  const std::string text{std::istreambuf_iterator<char>(std::cin),
                         std::istreambuf_iterator<char>()};
  if (std::cin.bad()) {
    std::cerr << "scopegate fmt: cannot read standard input\n";
    return Exit::policy_error;
  }
  auto formatted = format_source(stdin_name, text);
  if (!formatted) {
    std::cerr << formatted.error();
    return Exit::policy_error;
  }
  if (mode == Mode::write) {
    std::cout << *formatted << std::flush;
    return std::cout ? Exit::ok : Exit::policy_error;
  }
  if (*formatted == text) return Exit::ok;
  std::cout << fmt::format("{}: would reformat\n", stdin_name) << changed_lines(text, *formatted);
  return Exit::policy_error;
}

Exit run_fmt(const FmtOptions& options) {
  const Mode mode = options.check ? Mode::check : Mode::write;
  const bool reads_stdin =
      std::find(options.paths.begin(), options.paths.end(), "-") != options.paths.end();
  if (reads_stdin && options.paths.size() > 1) {
    throw CLI::ValidationError("PATH", "`-` (standard input) cannot be mixed with other paths");
  }
  if (reads_stdin) return run_fmt_stdin(mode);
  bool failed = false;
  std::size_t changed = 0;
  std::size_t total = 0;
  for (const auto& given : policy_paths(options.paths)) {
    std::error_code error;
    if (!fs::exists(given, error)) {
      std::cerr << regular_target(given).error;
      failed = true;
      continue;
    }
    const auto files = policy_files({given});
    if (files.empty()) {
      std::cerr << fmt::format("scopegate fmt: {}: directory holds no *.policy file\n",
                               given.generic_string());
      failed = true;
    }
    for (const fs::path& file : files) {
      ++total;
      const std::string name = file.generic_string();
      const Target target = regular_target(file);
      if (!target.error.empty()) {
        std::cerr << target.error;
        failed = true;
        continue;
      }
      std::string text;
      if (!read_file(target.path, text)) {
        std::cerr << fmt::format("scopegate fmt: {}: cannot read file\n", name);
        failed = true;
        continue;
      }
      auto formatted = format_source(name, text);
      if (!formatted) {
        std::cerr << formatted.error();
        failed = true;
        continue;
      }
      if (*formatted == text) continue;
      ++changed;
      if (mode == Mode::check) {
        std::cout << fmt::format("{}: would reformat\n", name) << changed_lines(text, *formatted);
        continue;
      }
      if (!replace_file(target.path, *formatted)) {
        std::cerr << fmt::format("scopegate fmt: {}: cannot write file\n", name);
        failed = true;
        continue;
      }
      std::cout << fmt::format("{}: reformatted\n", name);
    }
  }
  if (mode == Mode::check && changed > 0) {
    std::cout << fmt::format("{} of {} file{} would be reformatted\n", changed, total,
                             total == 1 ? "" : "s");
  }
  return failed || (mode == Mode::check && changed > 0) ? Exit::policy_error : Exit::ok;
}

}  // namespace

void add_fmt_command(CLI::App& app, Outcome& outcome) {
  auto options = std::make_shared<FmtOptions>();
  CLI::App* command = app.add_subcommand("fmt", "rewrite policy files in the canonical layout");
  command
      ->add_option("PATH", options->paths,
                   "policy files or directories of *.policy files; `-`: standard input to "
                   "standard output")
      ->default_str("policies/");
  command->add_flag("--check", options->check,
                    "write nothing; list the files that would change and exit 1 if any");
  command->callback([options, &outcome] { outcome.exit = run_fmt(*options); });
}

}  // namespace scopegate::cli
