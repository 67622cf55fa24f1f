// engine/ depends on the standard library only: every #include in every file under
// engine/ must name a standard header (from the explicit list below), one of the
// engine's own "scopegate/..." headers (a file in engine/include/scopegate/), or a
// private header beside the including file inside engine/ ("policy_impl.hpp").
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const std::set<std::string>& standard_headers() {
  static const std::set<std::string> headers = {
      // C++ library headers (C++20)
      "algorithm",
      "any",
      "array",
      "atomic",
      "barrier",
      "bit",
      "bitset",
      "charconv",
      "chrono",
      "codecvt",
      "compare",
      "complex",
      "concepts",
      "condition_variable",
      "coroutine",
      "deque",
      "exception",
      "execution",
      "filesystem",
      "format",
      "forward_list",
      "fstream",
      "functional",
      "future",
      "initializer_list",
      "iomanip",
      "ios",
      "iosfwd",
      "iostream",
      "istream",
      "iterator",
      "latch",
      "limits",
      "list",
      "locale",
      "map",
      "memory",
      "memory_resource",
      "mutex",
      "new",
      "numbers",
      "numeric",
      "optional",
      "ostream",
      "queue",
      "random",
      "ranges",
      "ratio",
      "regex",
      "scoped_allocator",
      "semaphore",
      "set",
      "shared_mutex",
      "source_location",
      "span",
      "sstream",
      "stack",
      "stdexcept",
      "stop_token",
      "streambuf",
      "string",
      "string_view",
      "syncstream",
      "system_error",
      "thread",
      "tuple",
      "type_traits",
      "typeindex",
      "typeinfo",
      "unordered_map",
      "unordered_set",
      "utility",
      "valarray",
      "variant",
      "vector",
      "version",
      // C library headers, C++ form
      "cassert",
      "cctype",
      "cerrno",
      "cfenv",
      "cfloat",
      "cinttypes",
      "climits",
      "clocale",
      "cmath",
      "csetjmp",
      "csignal",
      "cstdarg",
      "cstddef",
      "cstdint",
      "cstdio",
      "cstdlib",
      "cstring",
      "ctime",
      "cuchar",
      "cwchar",
      "cwctype",
      // C library headers, compatibility form (still standard C++)
      "assert.h",
      "ctype.h",
      "errno.h",
      "fenv.h",
      "float.h",
      "inttypes.h",
      "limits.h",
      "locale.h",
      "math.h",
      "setjmp.h",
      "signal.h",
      "stdarg.h",
      "stddef.h",
      "stdint.h",
      "stdio.h",
      "stdlib.h",
      "string.h",
      "time.h",
      "uchar.h",
      "wchar.h",
      "wctype.h",
  };
  return headers;
}

// The text of an #include directive's target with its delimiters, e.g. `<vector>` or
// `"scopegate/policy.hpp"`; empty when the line is not an #include.
std::string include_target(const std::string& line) {
  static const std::regex directive(R"(^\s*#\s*include\s*([<"][^>"]*[>"]))");
  std::smatch match;
  if (!std::regex_search(line, match, directive)) return {};
  return match[1].str();
}

fs::path engine_root() { return fs::weakly_canonical(fs::path(SCOPEGATE_SOURCE_DIR) / "engine"); }

bool inside_engine(const fs::path& file) {
  const fs::path canonical = fs::weakly_canonical(file);
  const fs::path root = engine_root();
  const auto mismatch = std::mismatch(root.begin(), root.end(), canonical.begin(), canonical.end());
  return mismatch.first == root.end() && fs::is_regular_file(canonical);
}

// `including_dir` is the directory of the file that holds the directive.
bool allowed_include(const std::string& target, const fs::path& including_dir) {
  if (target.size() < 3) return false;
  const char open = target.front();
  const char close = target.back();
  const std::string name = target.substr(1, target.size() - 2);
  const bool angled = open == '<' && close == '>';
  const bool quoted = open == '"' && close == '"';
  if (angled && standard_headers().count(name) != 0) return true;
  // The SSE2 intrinsics every x86-64 compiler ships: path_scan.hpp's fast path, used only
  // where __SSE2__ is defined.
  if (angled && name == "emmintrin.h") return true;
  if ((angled || quoted) && name.rfind("scopegate/", 0) == 0) {
    // scopegate/version.hpp is generated into the build tree from engine/version.hpp.in.
    if (name == "scopegate/version.hpp") return inside_engine(engine_root() / "version.hpp.in");
    return inside_engine(engine_root() / "include" / name);
  }
  return quoted && inside_engine(including_dir / name);
}

}  // namespace

TEST_CASE("engine: the include checker tells standard and engine headers from others") {
  struct Row {
    const char* line;
    bool is_include;
    bool allowed;
  };
  const std::vector<Row> rows = {
      {"#include <vector>", true, true},
      {"  #  include <string_view>  // why", true, true},
      {"#include \"scopegate/policy.hpp\"", true, true},
      {"#include <scopegate/policy.hpp>", true, true},
      {"#include <cstdint>", true, true},
      {"#include \"policy.hpp\"", true, true},  // beside the including file
      {"#include <tao/pegtl.hpp>", true, false},
      {"#include <fmt/core.h>", true, false},
      {"#include <spdlog/spdlog.h>", true, false},
      {"#include \"scopegate/dsl.hpp\"", true, false},  // dsl/, not engine/
      {"#include \"scopegate/no_such.hpp\"", true, false},
      {"#include \"scopegate/version.hpp\"", true, true},  // from engine/version.hpp.in
      {"#include \"pegtl.hpp\"", true, false},
      {"#include <unistd.h>", true, false},
      {"#include <emmintrin.h>", true, true},
      {"#include <immintrin.h>", true, false},
      {"#include <boost/container/small_vector.hpp>", true, false},
      {"#include \"../../../dsl/include/scopegate/dsl.hpp\"", true, false},
      {"#include \"scopegate/../../../dsl/include/scopegate/dsl.hpp\"", true, false},
      {"// #include <fmt/core.h> is commented out", false, false},
      {"int x = 1;", false, false},
  };
  const fs::path including_dir = engine_root() / "include" / "scopegate";
  for (const Row& row : rows) {
    INFO(row.line);
    const std::string target = include_target(row.line);
    CHECK(!target.empty() == row.is_include);
    if (row.is_include) CHECK(allowed_include(target, including_dir) == row.allowed);
  }
}

TEST_CASE("engine: every include under engine/ is a standard or scopegate header") {
  const fs::path root = fs::path(SCOPEGATE_SOURCE_DIR) / "engine";
  REQUIRE(fs::is_directory(root));
  std::size_t files = 0;
  std::size_t includes = 0;
  std::vector<std::string> offending;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    if (ext != ".hpp" && ext != ".cpp" && ext != ".h" && ext != ".cc" && ext != ".ipp" &&
        ext != ".in") {
      continue;
    }
    ++files;
    std::ifstream in(entry.path());
    REQUIRE(in);
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
      const std::string target = include_target(line);
      if (target.empty()) continue;
      ++includes;
      if (!allowed_include(target, entry.path().parent_path())) {
        offending.push_back(fs::relative(entry.path(), root.parent_path()).string() + ":" +
                            std::to_string(number) + ": " + target);
      }
    }
  }
  INFO("scanned " << files << " files, " << includes << " includes");
  for (const std::string& o : offending) INFO("not allowed: " << o);
  CHECK(files >= 10);  // the public headers alone are ten
  CHECK(includes > 0);
  CHECK(offending.empty());
}
