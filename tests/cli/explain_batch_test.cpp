// `scopegate explain` with every attribute a condition reads (--id/--user-id,
// --name/--email, --org, --allowed-cidrs, --ip, --header, --time), the time it decides
// at, and `--batch`: JSON lines in, the `--format json` object out per line, a bad line
// an error object with its line number.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
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

// Every principal and request attribute a condition can read.
const std::string attribute_policy = R"(scope a:read {
  GET /a/{id} "Read A" when principal.id == "u1" and principal.name == "ci@example.com"
                        and principal.org == "acme"
}
scope b:read {
  GET /b when request.header.x-env == "prod" and request.time < "2030-01-01T00:00:00Z"
                and request.ip in [10.0.0.0/8]
}
role reader { scopes a:read b:read }
forbid * /** when principal.kind == "api_key" and principal.allowed_cidrs != []
                 and not request.ip in principal.allowed_cidrs {
  message "not from this address"
}
)";

struct Fixture {
  TempDir dir;
  fs::path policy = dir.write("p/a.policy", attribute_policy);
  RunResult explain(std::vector<std::string> args, const fs::path& stdin_file = {}) const {
    args.insert(args.begin(), {"explain", "--policy", policy.string()});
    return run(exe, args, {}, stdin_file);
  }
};

std::vector<Json> json_lines(const std::string& text) {
  std::vector<Json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    INFO(line);
    lines.push_back(Json::parse(line));
  }
  return lines;
}

}  // namespace

TEST_CASE("explain sets principal.id, .name and .org with --user-id, --email and --org") {
  const Fixture fixture;
  const std::vector<std::string> request{"GET", "/a/7"};
  const RunResult without = fixture.explain({"--scopes", "a:read", "GET", "/a/7"});
  CHECK(contains(without.out, "DENY 403 condition_failed"));

  for (const auto& names : {std::vector<std::string>{"--user-id", "--email", "--org"},
                            std::vector<std::string>{"--id", "--name", "--org"}}) {
    const RunResult with = fixture.explain({"--scopes", "a:read", names[0], "u1", names[1],
                                            "ci@example.com", names[2], "acme", "GET", "/a/7"});
    INFO(with.out << with.err);
    CHECK(with.status == 0);
    CHECK(contains(with.out, "ALLOW 200 allowed\n"));
    CHECK(
        contains(with.out,
                 "principal:  API key with scopes a:read, id u1, name ci@example.com, org acme\n"));
  }
  const RunResult as_user =
      fixture.explain({"--role", "reader", "--user-id", "u1", "--email", "ci@example.com", "--org",
                       "acme", "--format", "json", "GET", "/a/7"});
  const Json decision = Json::parse(as_user.out);
  CHECK(decision["allowed"] == true);
  CHECK(decision["principal"] == Json{{"kind", "user"},
                                      {"role", "reader"},
                                      {"id", "u1"},
                                      {"name", "ci@example.com"},
                                      {"org", "acme"}});
  CHECK(decision["params"] == Json{{"id", "7"}});

  const RunResult other_org = fixture.explain({"--role", "reader", "--user-id", "u1", "--email",
                                               "ci@example.com", "--org", "evil", "GET", "/a/7"});
  CHECK(contains(other_org.out, "DENY 403 condition_failed"));
}

TEST_CASE("explain: an anonymous caller with an identity is a usage error") {
  const Fixture fixture;
  const RunResult result = fixture.explain({"--org", "acme", "GET", "/a/7"});
  CHECK(result.status == 2);
  CHECK(contains(result.err, "--org: an anonymous caller has no identity"));
}

TEST_CASE("explain says which time it decided at: --time, or the clock's") {
  const Fixture fixture;
  const std::vector<std::string> request{"--scopes", "b:read",      "--ip", "10.1.1.1",
                                         "--header", "X-Env: prod", "GET",  "/b"};
  std::vector<std::string> given{"--time", "2029-12-31T23:59:59Z"};
  given.insert(given.end(), request.begin(), request.end());
  const RunResult before = fixture.explain(given);
  CHECK(contains(before.out, "ALLOW 200 allowed\n"));
  CHECK(contains(before.out, "time:       2029-12-31T23:59:59Z (--time)\n"));

  std::vector<std::string> as_json{"--format", "json", "--time", "2030-01-01T00:00:00Z"};
  as_json.insert(as_json.end(), request.begin(), request.end());
  const Json after = Json::parse(fixture.explain(as_json).out);
  CHECK(after["reason"] == "condition_failed");
  CHECK(after["time"] == Json{{"value", "2030-01-01T00:00:00Z"}, {"source", "given"}});

  std::vector<std::string> now{"--format", "json"};
  now.insert(now.end(), request.begin(), request.end());
  const Json at_now = Json::parse(fixture.explain(now).out);
  CHECK(at_now["time"]["source"] == "now");
  CHECK(at_now["time"]["value"].get<std::string>().size() == 20);  // 2026-12-07T06:00:00Z
}

TEST_CASE("explain --batch writes, per line, the object explain --format json prints") {
  const Fixture fixture;
  // Each line, and the same request as command-line options.
  const std::vector<std::pair<std::string, std::vector<std::string>>> requests = {
      {R"({"method": "GET", "path": "/a/7", "scopes": ["a:read"], "id": "u1", "name": "ci@example.com", "org": "acme"})",
       {"--scopes", "a:read", "--id", "u1", "--name", "ci@example.com", "--org", "acme", "GET",
        "/a/7"}},
      {R"({"method": "GET", "path": "/b", "role": "reader", "ip": "10.0.0.1", "headers": {"X-Env": "prod"}})",
       {"--role", "reader", "--ip", "10.0.0.1", "--header", "X-Env: prod", "GET", "/b"}},
      {R"({"method": "GET", "path": "/b", "scopes": ["b:read"], "allowed_cidrs": ["192.168.0.0/16"], "ip": "10.0.0.1", "headers": {"x-env": "prod"}})",
       {"--scopes", "b:read", "--allowed-cidrs", "192.168.0.0/16", "--ip", "10.0.0.1", "--header",
        "x-env: prod", "GET", "/b"}},
      {R"({"method": "DELETE", "path": "/b"})", {"DELETE", "/b"}},
      {R"({"method": "GET", "path": "/b", "scopes": [], "time": "2031-01-01T00:00:00Z"})",
       {"--scopes", "", "--time", "2031-01-01T00:00:00Z", "GET", "/b"}},
  };
  std::string input;
  for (const auto& [line, args] : requests) input += line + "\n";
  const fs::path file = fixture.dir.write("requests.jsonl", input);
  const RunResult batch =
      fixture.explain({"--time", "2029-01-01T00:00:00Z", "--batch", file.string()});
  INFO(batch.out << batch.err);
  CHECK(batch.status == 0);
  const std::vector<Json> decisions = json_lines(batch.out);
  REQUIRE(decisions.size() == requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    // A line without `time` is decided at the batch's --time.
    std::vector<std::string> args{"--format", "json"};
    if (i != 4) args.insert(args.end(), {"--time", "2029-01-01T00:00:00Z"});
    args.insert(args.end(), requests[i].second.begin(), requests[i].second.end());
    const RunResult single = fixture.explain(args);
    INFO(requests[i].first << '\n' << single.err);
    CHECK(decisions[i] == Json::parse(single.out));
  }
  CHECK(decisions[0]["allowed"] == true);
  CHECK(decisions[1]["allowed"] == true);
  CHECK(decisions[2]["reason"] == "forbidden");
  CHECK(decisions[3]["reason"] == "method_not_allowed");
  CHECK(decisions[4]["time"]["source"] == "given");

  SECTION("--exit-code exits 3 when a line was denied") {
    CHECK(fixture.explain({"--exit-code", "--batch", file.string()}).status == 3);
  }
  SECTION("- reads standard input") {
    const RunResult piped =
        fixture.explain({"--time", "2029-01-01T00:00:00Z", "--batch", "-"}, file);
    CHECK(piped.status == 0);
    CHECK(piped.out == batch.out);
  }
}

TEST_CASE("explain --batch answers a bad line with an error object naming its line") {
  const Fixture fixture;
  const fs::path file = fixture.dir.write(
      "requests.jsonl",
      "{\"method\": \"GET\", \"path\": \"/b\"}\n"
      "\n"
      "not json\n"
      "[1, 2]\n"
      "{\"method\": \"get\", \"path\": \"/b\"}\n"
      "{\"method\": \"GET\", \"path\": \"/b\", \"ip\": \"10.0.0\"}\n"
      "{\"method\": \"GET\", \"path\": \"/b\", \"scopes\": \"b:read\"}\n"
      "{\"method\": \"GET\", \"path\": \"/b\", \"scopes\": [], \"role\": \"reader\"}\n"
      "{\"method\": \"GET\", \"path\": \"/b\", \"role\": \"writer\"}\n"
      "{\"method\": \"GET\", \"path\": \"/b\", \"colour\": \"red\"}\n"
      "{\"path\": \"/b\"}\n"
      "{\"method\": \"GET\", \"path\": \"/b\", \"org\": \"acme\"}\n"
      "{\"method\": \"GET\", \"path\": \"/b\", \"scopes\": [\"b:raed\"]}\n");
  const RunResult result = fixture.explain({"--batch", file.string()});
  INFO(result.out << result.err);
  CHECK(result.status == 1);
  const std::vector<Json> lines = json_lines(result.out);
  REQUIRE(lines.size() == 12);  // the blank line 2 gets none
  CHECK(lines[0]["status"] == 401);
  const std::vector<std::tuple<int, Json, std::string>> errors = {
      {3, nullptr, "not JSON: parse error at line 1, column 2"},
      {4, nullptr, "a line must be one JSON object"},
      {5, "method", "`get`: HTTP methods are case-sensitive; did you mean `GET`?"},
      {6, "ip", "`10.0.0` is not an IP address"},
      {7, "scopes", "`scopes` must be a list of strings"},
      {8, "role", "not both"},
      {9, "role", "unknown role `writer`; the policy has: reader"},
      {10, "colour", "unknown key `colour`"},
      {11, "method", "`method` is required"},
      {12, "org", "an anonymous caller has no identity"},
  };
  for (std::size_t i = 0; i < errors.size(); ++i) {
    const auto& [line, field, message] = errors[i];
    const Json& error = lines[i + 1];
    INFO(error.dump());
    CHECK(error["line"] == line);
    CHECK(error["field"] == field);
    CHECK(contains(error["error"].get<std::string>(), message));
    CHECK(error.size() == 3);
  }
  // An unknown key scope is decided (it grants nothing) and warned about on stderr.
  CHECK(lines[11]["reason"] == "missing_scope");
  CHECK(contains(result.err,
                 "line 13: warning: unknown scope `b:raed`: it grants nothing; did you mean "
                 "`b:read`?\n"));
  CHECK(contains(result.err, "scopegate explain: 10 bad lines of 12\n"));
}

TEST_CASE("explain --batch compiles the policy before reading a line, and refuses mixed options") {
  const Fixture fixture;
  const fs::path broken = fixture.dir.write("broken/b.policy", "scope a:read { GIT /x }\n");
  const fs::path file =
      fixture.dir.write("requests.jsonl", "{\"method\": \"GET\", \"path\": \"/b\"}\n");
  const RunResult result =
      run(exe, {"explain", "--policy", broken.string(), "--batch", file.string()});
  CHECK(result.status == 1);
  CHECK(result.out.empty());
  CHECK(contains(result.err, "error:"));

  CHECK(fixture.explain({"--batch", file.string(), "GET", "/b"}).status == 2);
  CHECK(fixture.explain({"--batch", file.string(), "--scopes", "a:read"}).status == 2);
  CHECK(fixture.explain({"--batch", file.string(), "--format", "json"}).status == 2);
  const RunResult missing = fixture.explain({"--batch", (fixture.dir.path() / "nope").string()});
  CHECK(missing.status == 1);
  CHECK(contains(missing.err, "cannot read file"));
}
