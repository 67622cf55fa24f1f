// `scopegate fmt` on real files: through symbolic links (the link stays a link), refusing
// what is not a regular file, and `fmt -` from standard input to standard output.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "subprocess.hpp"
#include "test_files.hpp"

namespace {

namespace fs = std::filesystem;
using scopegate::test::run;
using scopegate::test::RunResult;
using scopegate::testing::contains;
using scopegate::testing::read_file;
using scopegate::testing::TempDir;

using scopegate::test::exe;

// Parses, but not in the canonical layout.
const std::string messy = "scope things:read {GET /api/v1/things \"List things\"}\n";
const std::string canonical =
    "scope things:read {\n"
    "  GET /api/v1/things  \"List things\"\n"
    "}\n";

RunResult fmt(const std::vector<std::string>& args, const fs::path& stdin_file = {}) {
  std::vector<std::string> all{"fmt"};
  all.insert(all.end(), args.begin(), args.end());
  return run(exe, all, {}, stdin_file);
}

// No `*.fmt-tmp` is left behind in `dir`.
bool no_temporary_files(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".fmt-tmp") return false;
  }
  return true;
}

}  // namespace

TEST_CASE("fmt writes through a symbolic link and the link stays a link") {
  TempDir dir;
  const fs::path target = dir.write("real/things.policy", messy);
  fs::create_directories(dir.path() / "linked");
  const fs::path link = dir.path() / "linked" / "things.policy";
  fs::create_symlink("../real/things.policy", link);

  const RunResult result = fmt({link.string()});
  INFO(result.out << result.err);
  CHECK(result.status == 0);
  CHECK(contains(result.out, link.generic_string() + ": reformatted"));
  REQUIRE(fs::is_symlink(fs::symlink_status(link)));
  CHECK(fs::read_symlink(link) == "../real/things.policy");
  CHECK(read_file(target) == canonical);
  CHECK(no_temporary_files(dir.path() / "real"));
  CHECK(no_temporary_files(dir.path() / "linked"));

  // Canonical now, through the link too.
  const RunResult again = fmt({"--check", link.string()});
  CHECK(again.status == 0);
  CHECK(again.out.empty());
}

TEST_CASE("fmt of a directory formats a linked policy file through its link") {
  TempDir dir;
  const fs::path target = dir.write("elsewhere/shared.policy", messy);
  fs::create_directories(dir.path() / "policies");
  const fs::path link = dir.path() / "policies" / "shared.policy";
  fs::create_symlink(target, link);

  const RunResult result = fmt({(dir.path() / "policies").string()});
  INFO(result.out << result.err);
  CHECK(result.status == 0);
  CHECK(fs::is_symlink(fs::symlink_status(link)));
  CHECK(read_file(target) == canonical);
}

TEST_CASE("fmt keeps the permissions of the file a link points to") {
  TempDir dir;
  const fs::path target = dir.write("things.policy", messy);
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  const fs::path link = dir.path() / "link.policy";
  fs::create_symlink(target, link);

  REQUIRE(fmt({link.string()}).status == 0);
  CHECK(fs::status(target).permissions() ==
        (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
  CHECK(read_file(target) == canonical);
}

TEST_CASE("fmt refuses a named pipe and a dangling link with a clear error") {
  TempDir dir;
  const fs::path pipe = dir.path() / "pipe.policy";
  REQUIRE(::mkfifo(pipe.c_str(), 0600) == 0);
  const RunResult on_pipe = fmt({pipe.string()});
  CHECK(on_pipe.status == 1);
  CHECK(on_pipe.err == "scopegate fmt: " + pipe.generic_string() +
                           ": is a named pipe; fmt formats regular files only\n");

  const fs::path dangling = dir.path() / "gone.policy";
  fs::create_symlink("missing.policy", dangling);
  const RunResult on_dangling = fmt({dangling.string()});
  CHECK(on_dangling.status == 1);
  CHECK(on_dangling.err == "scopegate fmt: " + dangling.generic_string() +
                               ": symbolic link to `missing.policy`, which does not exist\n");
  CHECK(fs::is_symlink(fs::symlink_status(dangling)));

  // A link to the pipe is refused too, and the regular file next to them still formatted.
  const fs::path to_pipe = dir.path() / "to-pipe.policy";
  fs::create_symlink(pipe, to_pipe);
  const fs::path good = dir.write("good.policy", messy);
  const RunResult mixed = fmt({to_pipe.string(), good.string()});
  CHECK(mixed.status == 1);
  CHECK(contains(mixed.err, to_pipe.generic_string() + ": is a named pipe"));
  CHECK(read_file(good) == canonical);
}

TEST_CASE("fmt - reads standard input and writes the formatted text to standard output") {
  TempDir dir;
  const fs::path input = dir.write("input.policy", messy);
  const RunResult result = fmt({"-"}, input);
  CHECK(result.status == 0);
  CHECK(result.out == canonical);
  CHECK(result.err.empty());
  CHECK(read_file(input) == messy);

  SECTION("--check - prints the changes and exits 1, or nothing and 0 when canonical") {
    const RunResult changed = fmt({"--check", "-"}, input);
    CHECK(changed.status == 1);
    CHECK(contains(changed.out, "<stdin>: would reformat\n@@ -1,1 +1,3 @@\n"));
    const fs::path tidy = dir.write("tidy.policy", canonical);
    const RunResult same = fmt({"--check", "-"}, tidy);
    CHECK(same.status == 0);
    CHECK(same.out.empty());
  }
  SECTION("a syntax error goes to stderr as <stdin>:line:col and nothing to stdout") {
    const fs::path broken = dir.write("broken.policy", "scope things:read {\n  GET /x \"a\n}\n");
    const RunResult failed = fmt({"-"}, broken);
    CHECK(failed.status == 1);
    CHECK(failed.out.empty());
    CHECK(contains(failed.err, "<stdin>:2:10: error: unterminated string [syntax-error]"));
  }
  SECTION("- cannot be mixed with paths") {
    const RunResult mixed = fmt({"-", input.string()}, input);
    CHECK(mixed.status == 2);
    CHECK(contains(mixed.err, "cannot be mixed with other paths"));
    CHECK(mixed.out.empty());
  }
}
