// Drives `scopegate test` and `scopegate docs` as a subprocess: the shipped policy tests
// pass with every endpoint covered, failures and bad test files are reported as
// documented, the tests catch a policy that grants too much; `docs` prints the scope
// reference (its content is pinned in tests/dsl/scope_reference_test.cpp), writes it
// to a file, and its HTML parses with balanced tags.
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "subprocess.hpp"
#include "test_files.hpp"

namespace {

namespace fs = std::filesystem;
using scopegate::test::run;
using scopegate::test::RunResult;
using scopegate::testing::contains;
using scopegate::testing::count_of;
using scopegate::testing::read_file;
using scopegate::testing::TempDir;

using scopegate::test::exe;
const fs::path source_dir = SCOPEGATE_SOURCE_DIR;
const std::string policies = (source_dir / "policies").string();
const std::string policy_tests = (source_dir / "policies" / "tests").string();
// The golden scope reference; tests/dsl/scope_reference_test.cpp pins its content.
const fs::path golden_md = source_dir / "tests" / "dsl" / "golden" / "api-key-scopes.md";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The last line, or "" when there is none.
std::string last_line(const std::string& text) {
  const std::vector<std::string> lines = lines_of(text);
  return lines.empty() ? std::string() : lines.back();
}

// The 1-based line of `needle` in `file`.
int line_of(const fs::path& file, const std::string& needle) {
  std::ifstream in(file);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (contains(line, needle)) return number;
  }
  FAIL("`" << needle << "` not found in " << file);
  return 0;
}

// The closing line of `scopegate test`: "N passed, M failed".
struct Counts {
  int passed = -1;
  int failed = -1;
};

Counts closing_counts(const std::string& out) {
  const std::vector<std::string> lines = lines_of(out);
  REQUIRE_FALSE(lines.empty());
  static const std::regex closing(R"(^(\d+) passed, (\d+) failed$)");
  std::smatch match;
  REQUIRE(std::regex_match(lines.back(), match, closing));
  return {std::stoi(match[1]), std::stoi(match[2])};
}

// A small policy that uses every attribute a test case can set.
const std::string attribute_policy = R"(scope a:read {
  GET /a "Read A" when request.header.x-env == "prod" and request.time < "2030-01-01T00:00:00Z"
}
scope b:read {
  GET /b when principal.name == "ci" and principal.org == "acme" and principal.id == "k1"
}
forbid * /** when principal.kind == "api_key"
                and principal.allowed_cidrs != []
                and not request.ip in principal.allowed_cidrs {
  message "not from this address"
}
)";

const std::string attribute_tests = R"([[case]]
name = "header and time hold"
scopes = ["a:read"]
request = "GET /a"
headers = { "X-Env" = "prod" }
time = 2029-12-31T23:59:59Z
expect = "allow"

[[case]]
name = "time as a quoted string with an offset"
scopes = ["a:read"]
request = "GET /a?x=1"
headers = { "x-env" = "prod" }
time = "2030-01-01T00:30:00+01:00"
expect = "allow"

[[case]]
name = "time as a quoted string with a negative offset"
scopes = ["a:read"]
request = "GET /a"
headers = { "X-Env" = "prod" }
time = "2029-12-31T19:30:00-05:00"
expect = "deny"
reason = "condition_failed"

[[case]]
name = "a TOML date-time with a negative offset"
scopes = ["a:read"]
request = "GET /a"
headers = { "X-Env" = "prod" }
time = 2029-12-31T18:59:59-05:00
expect = "allow"

[[case]]
name = "too late"
scopes = ["a:read"]
request = "GET /a"
headers = { "X-Env" = "prod" }
time = 2030-01-01T00:00:00Z
expect = "deny"
reason = "condition_failed"

[[case]]
name = "identity holds"
scopes = ["b:read"]
request = "GET /b"
id = "k1"
org = "acme"
principal.name = "ci"
expect = "allow"

[[case]]
name = "identity from the principal table"
scopes = ["b:read"]
request = "GET /b"
principal = { id = "k1", name = "ci", org = "acme" }
expect = "allow"

[[case]]
name = "wrong org"
scopes = ["b:read"]
request = "GET /b"
id = "k1"
org = "other"
principal.name = "ci"
expect = "deny"
status = 403
reason = "condition_failed"

[[case]]
name = "inside the allowed range"
scopes = ["a:read"]
request = "GET /a"
headers = { "X-Env" = "prod" }
time = 2029-01-01T00:00:00Z
ip = "10.1.2.3"
allowed_cidrs = ["10.0.0.0/8"]
expect = "allow"

[[case]]
name = "outside the allowed range"
scopes = ["a:read"]
request = "GET /a"
headers = { "X-Env" = "prod" }
time = 2029-01-01T00:00:00Z
ip = "192.0.2.1"
allowed_cidrs = ["10.0.0.0/8", "2001:db8::/32"]
expect = "deny"
status = 403
reason = "forbidden"
message = "not from this address"
)";

}  // namespace

// ---- scopegate test ----

TEST_CASE("scopegate test passes every shipped policy test and covers every endpoint") {
  const RunResult result = run(exe, {"test"}, source_dir);
  INFO(result.out << result.err);
  CHECK(result.status == 0);
  CHECK(result.err.empty());
  const Counts counts = closing_counts(result.out);
  CHECK(counts.failed == 0);
  CHECK(counts.passed >= 150);
  CHECK_FALSE(contains(result.out, "not covered"));
  CHECK_FALSE(contains(result.out, "never refused"));
  CHECK_FALSE(contains(result.out, "FAIL"));
}

TEST_CASE("the shipped tests pin the seed table, including sessions:write alone on the list") {
  const std::string keys = read_file(source_dir / "policies" / "tests" / "key-scopes.toml");
  CHECK(contains(keys,
                 "name = \"key with sessions:write may not GET /api/v1/sessions\"\n"
                 "scopes = [\"sessions:write\"]\n"
                 "request = \"GET /api/v1/sessions\"\n"
                 "expect = \"deny\"\n"
                 "status = 403\n"
                 "reason = \"missing_scope\"\n"
                 "message = \"API key does not have required scope: sessions:read\"\n"));
  // Every scope set of the seed page against every key route: 8 sets x 8 routes.
  CHECK(count_of(keys, "[[case]]") == 64);
}

TEST_CASE("scopegate test catches a policy that grants more than the seed table") {
  const TempDir dir;
  for (const auto& entry : fs::directory_iterator(policies)) {
    if (entry.path().extension() == ".policy") {
      dir.write(entry.path().filename().string(), read_file(entry.path()));
    }
  }
  // sessions:write now implies sessions:read: the seed page says it must not.
  std::string api = read_file(dir.path() / "api.policy");
  const std::string anchor = "scope sessions:write {\n";
  REQUIRE(contains(api, anchor));
  api.replace(api.find(anchor), anchor.size(), anchor + "  implies sessions:read\n");
  dir.write("api.policy", api);

  const RunResult result = run(exe, {"test", "--policy", dir.str(), policy_tests});
  INFO(result.out << result.err);
  CHECK(result.status == 1);
  const Counts counts = closing_counts(result.out);
  CHECK(counts.failed > 0);
  CHECK(contains(result.out,
                 "key with sessions:write may not GET /api/v1/sessions: "
                 "GET /api/v1/sessions: expected deny 403 missing_scope "
                 "\"API key does not have required scope: sessions:read\", "
                 "got allow 200 allowed"));
}

TEST_CASE("a failing case prints expected, actual and the deciding rule on one line") {
  const TempDir dir;
  const fs::path file = dir.write("t.toml", R"(# one failing case
[[case]]
name = "sessions:write alone lists sessions"
scopes = ["sessions:write"]
request = "GET /api/v1/sessions"
expect = "allow"
)");
  const RunResult result = run(exe, {"test", "--policy", policies, file.string()});
  INFO(result.out << result.err);
  CHECK(result.status == 1);
  const int rule_line = line_of(source_dir / "policies" / "api.policy", "GET /api/v1/sessions ");
  const std::string expected = "FAIL " + file.string() +
                               ":2: sessions:write alone lists sessions: GET /api/v1/sessions: "
                               "expected allow, got deny 403 missing_scope "
                               "\"API key does not have required scope: sessions:read\" [rule " +
                               policies + "/api.policy:" + std::to_string(rule_line) + "]";
  const std::vector<std::string> lines = lines_of(result.out);
  CHECK(std::count(lines.begin(), lines.end(), expected) == 1);
  CHECK(last_line(result.out) == "0 passed, 1 failed");
}

TEST_CASE("coverage lists the endpoints no case reached") {
  const TempDir dir;
  const fs::path file = dir.write("t.toml", R"([[case]]
name = "list sessions"
scopes = ["sessions:read"]
request = "GET /api/v1/sessions"
expect = "allow"
)");
  const RunResult result = run(exe, {"test", "--policy", policies, file.string()});
  INFO(result.out << result.err);
  CHECK(result.status == 0);
  CHECK(result.out.rfind("not covered: ", 0) == 0);
  CHECK(contains(result.out,
                 "not covered: POST /api/v1/auth/login (" + policies + "/access.policy:"));
  CHECK(contains(result.out, "not covered: GET /api/v1/users ("));
  CHECK_FALSE(contains(result.out, "not covered: GET /api/v1/sessions ("));
  CHECK(last_line(result.out) == "1 passed, 0 failed");
}

TEST_CASE("test cases set every request and principal attribute conditions read") {
  const TempDir dir;
  const fs::path policy = dir.write("p/attributes.policy", attribute_policy);
  const fs::path tests = dir.write("t/attributes.toml", attribute_tests);
  const RunResult result = run(exe, {"test", "--policy", policy.string(), tests.string()});
  INFO(result.out << result.err);
  CHECK(result.status == 0);
  // Every case sets its time: the clock's, printed, decides none of them.
  CHECK(contains(result.out, "Z (now), for the cases that give none\n10 passed, 0 failed\n"));
  CHECK(count_of(result.out, "\n") == 2);
}

TEST_CASE("a forbid rule that refused no case is reported") {
  const TempDir dir;
  const fs::path policy = dir.write("p/attributes.policy", attribute_policy);
  const fs::path tests = dir.write("t/one.toml", R"([[case]]
name = "no range set"
scopes = ["b:read"]
request = "GET /b"
expect = "deny"
reason = "condition_failed"
)");
  const RunResult result = run(exe, {"test", "--policy", policy.string(), tests.string()});
  INFO(result.out << result.err);
  CHECK(result.status == 0);
  CHECK(contains(result.out, "not covered: GET /a (" + policy.string() + ":2)\n"));
  CHECK(contains(result.out, "never refused a case: forbid * /** (" + policy.string() + ":7)\n"));
}

TEST_CASE("a case whose role the policy does not declare fails") {
  const TempDir dir;
  const fs::path file = dir.write("t.toml", R"([[case]]
name = "typo"
role = "admni"
request = "GET /api/v1/sessions"
expect = "deny"
)");
  const RunResult result = run(exe, {"test", "--policy", policies, file.string()});
  INFO(result.out << result.err);
  CHECK(result.status == 1);
  CHECK(contains(result.out, "(the policy declares no role `admni`; did you mean `admin`?)"));
  CHECK(last_line(result.out) == "0 passed, 1 failed");
}

TEST_CASE("a case whose scope the policy does not declare fails with a did-you-mean") {
  const TempDir dir;
  const fs::path file = dir.write("t.toml", R"([[case]]
name = "typo"
scopes = ["sesions:read"]
request = "GET /api/v1/sessions"
expect = "deny"

[[case]]
name = "two"
scopes = ["sessions:read", "sesions:write"]
request = "GET /api/v1/sessions"
expect = "allow"
)");
  const RunResult result = run(exe, {"test", "--policy", policies, file.string()});
  INFO(result.out << result.err);
  CHECK(result.status == 1);
  CHECK(contains(result.out,
                 "(the policy declares no scope `sesions:read`; did you mean `sessions:read`?)"));
  CHECK(contains(result.out,
                 "(the policy declares no scope `sesions:write`; for `sesions:write`, "
                 "did you mean `sessions:write`?)"));
  CHECK(last_line(result.out) == "0 passed, 2 failed");
}

TEST_CASE("bad values in a test file are errors at file:line:col") {
  const TempDir dir;
  const fs::path file = dir.write("bad.toml", R"([[case]]
name = "bad"
scopes = "sessions:read"
request = "GET"
expect = "maybe"
status = 200
reason = "missing_scope"
colour = 1
ip = "300.1.1.1"
time = "yesterday"
allowed_cidrs = ["10.0.0.1/8"]

[[case]]
request = "GET /x"
role = "admin"
scopes = []
)");
  const RunResult result = run(exe, {"test", "--policy", policies, file.string()});
  INFO(result.out << result.err);
  CHECK(result.status == 1);
  const std::string prefix = file.string() + ":";
  for (const std::string& expected : {
           prefix + "3:10: error: `scopes` must be a list of strings [test-bad-value]",
           prefix + "4:11: error: `request` must be `METHOD TARGET`, not `GET` [test-bad-value]",
           prefix + "5:10: error: `expect` must be \"allow\" or \"deny\", not \"maybe\"",
           prefix + "7:10: error: reason `missing_scope` always has status 403, not 200",
           prefix + "8:1: error: unknown key `colour` in a case [test-unknown-key]",
           prefix + "9:6: error: `300.1.1.1` is not an IP address",
           prefix + "10:8: error: `time` must be an ISO-8601 timestamp",
           prefix + "11:18: error: `10.0.0.1/8` is not an IP address or CIDR range",
           prefix + "13:1: error: case has no `name` [test-missing-key]",
           prefix + "13:1: error: case has no `expect` [test-missing-key]",
           prefix + "15:8: error: a case has `scopes` (an API key) or `role` (a user), not both",
       }) {
    CHECK(contains(result.err, expected + (expected.back() == ']' ? "\n" : "")));
  }
  // A file with errors runs no case.
  CHECK(last_line(result.out) == "0 passed, 0 failed");
}

TEST_CASE("a TOML syntax error is reported at file:line:col") {
  const TempDir dir;
  const fs::path file = dir.write("broken.toml", "[[case]]\nname = \"unterminated\n");
  const RunResult result = run(exe, {"test", "--policy", policies, file.string()});
  INFO(result.out << result.err);
  CHECK(result.status == 1);
  CHECK(result.err.rfind(file.string() + ":2:", 0) == 0);
  CHECK(contains(result.err, ": error: invalid TOML: "));
  CHECK(contains(result.err, "[test-syntax]"));
}

TEST_CASE("a bad file does not stop the other files from running") {
  const TempDir dir;
  dir.write("a.toml", "[[case]]\nname = \"ok\"\nrequest = \"GET /healthz\"\nexpect = \"allow\"\n");
  dir.write("b.toml", "[[case]]\nname = 1\n");
  dir.write("notes.txt", "not a test file");
  const RunResult result = run(exe, {"test", "--policy", policies, dir.str()});
  INFO(result.out << result.err);
  CHECK(result.status == 1);
  CHECK(contains(result.err, "b.toml:2:8: error: `name` must be a string"));
  CHECK(last_line(result.out) == "1 passed, 0 failed");
  // Coverage of a partial run is not printed.
  CHECK_FALSE(contains(result.out, "not covered"));
}

TEST_CASE("missing test paths and empty directories are errors") {
  const TempDir dir;
  RunResult result = run(exe, {"test", "--policy", policies, dir.str() + "/nope"});
  CHECK(result.status == 1);
  CHECK(contains(result.err, "nope: error: no such file or directory [file-not-found]"));
  result = run(exe, {"test", "--policy", policies, dir.str()});
  CHECK(result.status == 1);
  CHECK(contains(result.err, "directory holds no *.toml file [no-test-files]"));
}

TEST_CASE("scopegate test exits 2 on a usage error and 1 on a broken policy") {
  CHECK(run(exe, {"test", "--no-such-option"}).status == 2);
  const TempDir dir;
  const fs::path policy =
      dir.write("bad.policy", "scope a:read { GET /a when request.nope == 1 }\n");
  const RunResult result = run(exe, {"test", "--policy", policy.string(), policy_tests});
  CHECK(result.status == 1);
  CHECK(contains(result.err, "[unknown-attribute]"));
  CHECK(result.out.empty());
}

// ---- scopegate docs ----

TEST_CASE("docs --format md on the shipped policy equals the golden file") {
  // To update after a policy change: build/scopegate docs > tests/dsl/golden/api-key-scopes.md
  const RunResult result = run(exe, {"docs", "--format", "md"}, source_dir);
  INFO(result.err);
  CHECK(result.status == 0);
  CHECK(result.err.empty());
  CHECK(result.out == read_file(golden_md));
  // Markdown is the default format.
  CHECK(run(exe, {"docs"}, source_dir).out == result.out);
}

TEST_CASE("the shipped policy's HTML reference parses with balanced tags") {
  const RunResult page = run(exe, {"docs", "--format", "html"}, source_dir);
  REQUIRE(page.status == 0);
  const TempDir dir;
  const fs::path file = dir.write("scopes.html", page.out);
  // Python's html.parser, with a stack of open elements: every tag closes, in order.
  const std::string checker = R"(
import sys
from html.parser import HTMLParser
VOID = {"meta", "br", "hr", "img", "input", "link"}
class Check(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.rows, self.errors = [], 0, []
    def handle_starttag(self, tag, attrs):
        if tag == "tr": self.rows += 1
        if tag not in VOID: self.stack.append(tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag: self.errors.append(tag)
c = Check()
c.feed(open(sys.argv[1], encoding="utf-8").read())
c.close()
if c.stack or c.errors:
    sys.exit("unbalanced: open %s, bad closes %s" % (c.stack, c.errors))
print(c.rows)
)";
  if (!fs::exists("/usr/bin/python3")) {
    WARN("python3 not installed: HTML not parsed");
    return;
  }
  const RunResult parsed = run("/usr/bin/python3", {"-c", checker, file.string()});
  INFO(parsed.err);
  CHECK(parsed.status == 0);
  // A header row and one row per endpoint of the shipped policy (25).
  const RunResult check = run(exe, {"check"}, source_dir);
  static const std::regex endpoints(R"((\d+) endpoints)");
  std::smatch match;
  REQUIRE(std::regex_search(check.out, match, endpoints));
  CHECK(parsed.out == std::to_string(std::stoi(match[1]) + 1) + "\n");
}

TEST_CASE("docs --output writes the file, and an unwritable one exits 1") {
  const TempDir dir;
  const fs::path file = dir.path() / "scopes.md";
  RunResult result = run(exe, {"docs", "--output", file.string()}, source_dir);
  CHECK(result.status == 0);
  CHECK(result.out.empty());
  CHECK(read_file(file) == read_file(golden_md));
  result = run(exe, {"docs", "-o", (dir.path() / "no" / "dir" / "x.md").string()}, source_dir);
  CHECK(result.status == 1);
  CHECK(contains(result.err, "cannot write"));
}

TEST_CASE("docs --format openapi prints the OpenAPI document, and -o writes it") {
  // Its structure is checked in tests/dsl/scope_reference_openapi_test.cpp.
  const RunResult result = run(exe, {"docs", "--format", "openapi"}, source_dir);
  INFO(result.err);
  CHECK(result.status == 0);
  const nlohmann::json document = nlohmann::json::parse(result.out);
  CHECK(document["openapi"] == "3.1.0");
  CHECK(document["paths"]["/api/v1/sessions"]["get"]["x-scopes"] ==
        nlohmann::json{"sessions:read"});
  const TempDir dir;
  const fs::path file = dir.path() / "openapi.json";
  CHECK(run(exe, {"docs", "--format", "openapi", "-o", file.string()}, source_dir).status == 0);
  CHECK(read_file(file) == result.out);
}

TEST_CASE("docs exits 2 on a bad format and 1 on a broken policy") {
  CHECK(run(exe, {"docs", "--format", "pdf"}, source_dir).status == 2);
  const TempDir dir;
  const fs::path policy = dir.write("bad.policy", "scope \"A B\" { }\n");
  const RunResult result = run(exe, {"docs", "--policy", policy.string()});
  CHECK(result.status == 1);
  CHECK(result.out.empty());
  CHECK(contains(result.err, "[bad-scope-name]"));
}
