// `scopegate test --format json|junit`, `--filter` and `--time`: the JUnit XML is parsed by
// Python's xml.etree (a real XML parser) and its counts checked against its elements; the
// JSON by nlohmann; the time a case without `time` gets is printed and used.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "subprocess.hpp"
#include "test_files.hpp"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using scopegate::test::run;
using scopegate::test::RunResult;
using scopegate::testing::contains;
using scopegate::testing::TempDir;

using scopegate::test::exe;
const std::string python = SCOPEGATE_PYTHON3;

const std::string policy_text = R"(scope a:read {
  GET /a "Read A" when request.time < "2030-01-01T00:00:00Z"
}
scope b:read {
  GET /b "Read B"
}
)";

// Three cases in one file (one fails), one in another, and a file that does not load.
const std::string first_tests = R"([[case]]
name = "a key with a:read reads A before 2030"
scopes = ["a:read"]
request = "GET /a"
expect = "allow"

[[case]]
name = "a key with a:read reads B <wrongly> & more"
scopes = ["a:read"]
request = "GET /b"
expect = "allow"

[[case]]
name = "a key with b:read reads B"
scopes = ["b:read"]
request = "GET /b"
expect = "allow"
)";
const std::string second_tests = R"([[case]]
name = "nobody reads A"
request = "GET /a"
expect = "deny"
status = 401
)";
const std::string bad_tests = R"([[case]]
name = "bad"
request = "GET /a"
expect = "alow"
)";

struct Fixture {
  TempDir dir;
  fs::path policy = dir.write("p/a.policy", policy_text);
  fs::path tests = dir.path() / "t";
  Fixture() {
    dir.write("t/first.toml", first_tests);
    dir.write("t/second.toml", second_tests);
  }
  RunResult test(std::vector<std::string> args) const {
    args.insert(args.begin(),
                {"test", "--policy", policy.string(), "--time", "2029-06-01T00:00:00Z"});
    args.push_back(tests.string());
    return run(exe, args);
  }
};

// Parses `xml` with Python's xml.etree; checks that <testsuites> holds <testsuite>s of
// <testcase>s whose tests/failures/errors attributes count their children, and prints
// "TESTS FAILURES ERRORS SUITES".
std::string junit_summary(const TempDir& dir, const std::string& xml) {
  const fs::path file = dir.write("junit.xml", xml);
  const std::string script = R"(
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
total = {"tests": 0, "failures": 0, "errors": 0}
for suite in root:
    assert suite.tag == "testsuite", suite.tag
    assert suite.get("name")
    cases = suite.findall("testcase")
    counts = {"tests": len(cases),
              "failures": sum(c.find("failure") is not None for c in cases),
              "errors": sum(c.find("error") is not None for c in cases)}
    for key, value in counts.items():
        assert int(suite.get(key)) == value, (suite.get("name"), key, suite.get(key), value)
        total[key] += value
    for case in cases:
        assert case.get("name") and case.get("classname"), case.attrib
        for child in case.findall("failure") + case.findall("error"):
            assert child.get("message") and child.text, child.attrib
    prop = suite.find("properties/property[@name='request-time']")
    assert prop is not None and prop.get("value"), "request-time property"
for key, value in total.items():
    assert int(root.get(key)) == value, (key, root.get(key), value)
print(total["tests"], total["failures"], total["errors"], len(root))
)";
  const RunResult result = run(python, {"-c", script, file.string()});
  INFO(xml << result.err);
  REQUIRE(result.status == 0);
  return result.out;
}

}  // namespace

TEST_CASE("test --format junit writes JUnit XML that an XML parser reads, with counts") {
  const Fixture fixture;
  const RunResult result = fixture.test({"--format", "junit"});
  INFO(result.out << result.err);
  CHECK(result.status == 1);
  CHECK(junit_summary(fixture.dir, result.out) == "4 1 0 2\n");
  CHECK(contains(result.out, "<testsuite name=\"" + (fixture.tests / "first.toml").string() +
                                 "\" tests=\"3\" failures=\"1\" errors=\"0\""));
  CHECK(contains(result.out, "name=\"a key with a:read reads B &lt;wrongly&gt; &amp; more\""));
  CHECK(contains(result.out, "<failure message=\"expected allow, got deny 403 missing_scope"));
  CHECK(contains(result.out,
                 "<property name=\"request-time\" value=\"2029-06-01T00:00:00Z (--time)\"/>"));

  SECTION("a test file that does not load is a testcase with an error") {
    fixture.dir.write("t/zbad.toml", bad_tests);
    const RunResult with_bad = fixture.test({"--format", "junit"});
    CHECK(with_bad.status == 1);
    CHECK(junit_summary(fixture.dir, with_bad.out) == "5 1 1 3\n");
    CHECK(contains(with_bad.out, "type=\"bad-test-file\""));
    CHECK(contains(with_bad.err, "zbad.toml:4:10: error:"));
  }
  SECTION("with --filter the counts are those of the chosen cases, and a comment says so") {
    const RunResult filtered = fixture.test({"--format", "junit", "--filter", "reads B"});
    CHECK(filtered.status == 1);
    CHECK(junit_summary(fixture.dir, filtered.out) == "2 1 0 1\n");
    CHECK(contains(filtered.out, "<!-- filter \"reads B\": 2 cases filtered out -->"));
  }
}

TEST_CASE("test --format json reports every case, the counts, the time and coverage") {
  const Fixture fixture;
  const RunResult result = fixture.test({"--format", "json"});
  INFO(result.out << result.err);
  CHECK(result.status == 1);
  const Json report = Json::parse(result.out);
  CHECK(report["passed"] == 3);
  CHECK(report["failed"] == 1);
  CHECK(report["filter"].is_null());
  CHECK(report["filtered_out"] == 0);
  CHECK(report["time"] == Json{{"value", "2029-06-01T00:00:00Z"}, {"source", "given"}});
  REQUIRE(report["cases"].size() == 4);
  const Json& failed = report["cases"][1];
  CHECK(failed["name"] == "a key with a:read reads B <wrongly> & more");
  CHECK(failed["passed"] == false);
  CHECK(failed["line"] == 7);
  CHECK(failed["request"] == "GET /b");
  CHECK(failed["expected"] == "allow");
  CHECK(contains(failed["actual"].get<std::string>(), "deny 403 missing_scope"));
  CHECK(report["uncovered_endpoints"] == Json::array());
  CHECK(report["unexercised_forbids"] == Json::array());
  CHECK(report["errors"] == Json::array());

  const RunResult filtered = fixture.test({"--format", "json", "--filter", "nobody"});
  CHECK(filtered.status == 0);
  const Json partial = Json::parse(filtered.out);
  CHECK(partial["passed"] == 1);
  CHECK(partial["filter"] == "nobody");
  CHECK(partial["filtered_out"] == 3);
  CHECK(partial["uncovered_endpoints"].is_null());
}

TEST_CASE("test --filter runs the cases whose name contains the text and says how many it left") {
  const Fixture fixture;
  const RunResult result = fixture.test({"--filter", "b:read"});
  INFO(result.out << result.err);
  CHECK(result.status == 0);
  // No coverage lines for a partial run: /a was not reached, and that is the filter's doing.
  CHECK(result.out ==
        "time: 2029-06-01T00:00:00Z (--time), for the cases that give none\n"
        "1 passed, 0 failed, 3 filtered out\n");

  const RunResult none = fixture.test({"--filter", "no such case"});
  CHECK(none.status == 1);
  CHECK(contains(none.out, "0 passed, 0 failed, 4 filtered out\n"));
  CHECK(none.err == "scopegate test: no case name contains `no such case` (4 cases loaded)\n");
}

TEST_CASE("a case without time is decided at --time, or at the clock's time, and test says which") {
  const Fixture fixture;
  // Before 2030 the condition holds: only the wrong case fails.
  const RunResult before = fixture.test({});
  CHECK(before.status == 1);
  CHECK(
      contains(before.out, "time: 2029-06-01T00:00:00Z (--time), for the cases that give none\n"));
  CHECK(contains(before.out, "3 passed, 1 failed\n"));

  const RunResult after = run(exe, {"test", "--policy", fixture.policy.string(), "--time",
                                    "2030-06-01T00:00:00Z", fixture.tests.string()});
  CHECK(contains(after.out, "FAIL " + (fixture.tests / "first.toml").string() + ":1:"));
  CHECK(contains(after.out, "condition_failed"));
  CHECK(contains(after.out, "2 passed, 2 failed\n"));

  const RunResult now =
      run(exe, {"test", "--policy", fixture.policy.string(), fixture.tests.string()});
  CHECK(contains(now.out, "Z (now), for the cases that give none\n"));

  const RunResult bad = run(exe, {"test", "--policy", fixture.policy.string(), "--time",
                                  "yesterday", fixture.tests.string()});
  CHECK(bad.status == 2);
  CHECK(contains(bad.err, "--time"));
}

TEST_CASE("test --format rejects an unknown format") {
  const Fixture fixture;
  const RunResult result = fixture.test({"--format", "xml"});
  CHECK(result.status == 2);
}

TEST_CASE("test --format junit writes a control character of a case name as U+FFFD") {
  const Fixture fixture;
  const fs::path file = fixture.dir.write("bell/bell.toml", R"([[case]]
name = "bell \u0007 here"
scopes = ["b:read"]
request = "GET /b"
expect = "allow"
)");
  const RunResult result =
      run(exe, {"test", "--policy", fixture.policy.string(), "--format", "junit", file.string()});
  INFO(result.out << result.err);
  CHECK(result.status == 0);
  // XML 1.0 cannot carry U+0007 at all, not even as a character reference.
  CHECK(junit_summary(fixture.dir, result.out) == "1 0 0 1\n");
  CHECK(contains(result.out, "name=\"bell \xEF\xBF\xBD here\""));
}
