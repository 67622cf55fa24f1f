// Drives the built `scopegate` binary as a subprocess: exit statuses, stdout/stderr and
// the JSON shapes of `check` and `explain`, against the shipped policy and broken ones.
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "subprocess.hpp"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using scopegate::test::run;
using scopegate::test::RunResult;

using scopegate::test::exe;
const fs::path source_dir = SCOPEGATE_SOURCE_DIR;
const std::string policies = (source_dir / "policies").string();

RunResult run_scopegate(const std::vector<std::string>& args) { return run(exe, args); }

// `scopegate explain --policy <shipped> ARGS...`
RunResult explain(std::vector<std::string> args) {
  args.insert(args.begin(), {"explain", "--policy", policies});
  return run(exe, args);
}

Json parse(const std::string& text) {
  INFO(text);
  return Json::parse(text);
}

// The 1-based line of `needle` in `file`, for rule locations that follow the policy text.
int line_of(const fs::path& file, const std::string& needle) {
  std::ifstream in(file);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find(needle) != std::string::npos) return number;
  }
  FAIL("`" << needle << "` not found in " << file);
  return 0;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A temporary directory holding policy files, removed when the test ends.
class TempPolicyDir {
 public:
  TempPolicyDir() {
    std::string pattern = (fs::temp_directory_path() / "scopegate-cli-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    m_path = pattern;
  }
  ~TempPolicyDir() {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
  }
  TempPolicyDir(const TempPolicyDir&) = delete;
  TempPolicyDir& operator=(const TempPolicyDir&) = delete;

  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path file = m_path / name;
    std::ofstream(file) << text;
    return file;
  }
  std::string path() const { return m_path.string(); }

 private:
  fs::path m_path;
};

// Line 6, column 24: the misspelled scope in the role.
const std::string unknown_scope_policy =
    "scope sessions:read {\n"
    "  GET /api/v1/sessions \"List all sessions\"\n"
    "}\n"
    "\n"
    "role member {\n"
    "  scopes sessions:read sesions:write\n"
    "}\n";

// Line 4, column 7: the second declaration of sessions:read; the first is at 1:7.
const std::string duplicate_scope_policy =
    "scope sessions:read {\n"
    "  GET /api/v1/sessions\n"
    "}\n"
    "scope sessions:read {\n"
    "  GET /api/v1/sessions/{id}\n"
    "}\n";

}  // namespace

TEST_CASE("check on the shipped policy exits 0 and prints a one-line summary") {
  const RunResult result = run_scopegate({"check", policies});
  INFO(result.err);
  CHECK(result.status == 0);
  CHECK(result.err.empty());
  CHECK(result.out.rfind(policies + ": ", 0) == 0);
  CHECK(ends_with(result.out, ": ok\n"));
  CHECK(result.out.find(" scopes, ") != std::string::npos);
  CHECK(result.out.find(" endpoints, ") != std::string::npos);
  CHECK(std::count(result.out.begin(), result.out.end(), '\n') == 1);
}

TEST_CASE("check without a path checks policies/ in the working directory") {
  const RunResult result = run(exe, {"check"}, source_dir);
  INFO(result.err);
  CHECK(result.status == 0);
  CHECK(result.out.rfind("policies/: ", 0) == 0);
}

TEST_CASE("check --format json on a clean policy prints an empty array") {
  const RunResult result = run_scopegate({"check", "--format", "json", policies});
  CHECK(result.status == 0);
  CHECK(parse(result.out) == Json::array());
}

TEST_CASE("check on a broken policy exits 1 with the diagnostic at file:line:col") {
  const TempPolicyDir dir;
  const fs::path file = dir.write("bad.policy", unknown_scope_policy);
  const RunResult result = run_scopegate({"check", dir.path()});
  INFO(result.err);
  CHECK(result.status == 1);
  CHECK(result.out.empty());
  CHECK(result.err.find(file.string() + ":6:24: error: ") != std::string::npos);
  CHECK(result.err.find("sesions:write") != std::string::npos);
}

TEST_CASE("check reports a misspelled scope with a did-you-mean help") {
  const TempPolicyDir dir;
  dir.write("a.policy",
            "scope sessions:read { GET /api/v1/sessions }\n"
            "role member { scopes sesions:read }\n");
  const RunResult result = run_scopegate({"check", dir.path()});
  CHECK(result.status == 1);
  CHECK(result.err.find("sessions:read") != std::string::npos);
  CHECK(result.err.find("help") != std::string::npos);
}

TEST_CASE("check --format json prints diagnostics with file, line, column and code") {
  const TempPolicyDir dir;
  const fs::path file = dir.write("bad.policy", unknown_scope_policy);
  const RunResult result = run_scopegate({"check", "--format", "json", dir.path()});
  CHECK(result.status == 1);
  CHECK(result.err.empty());
  const Json diagnostics = parse(result.out);
  REQUIRE(diagnostics.is_array());
  REQUIRE(diagnostics.size() == 1);
  const Json& first = diagnostics[0];
  CHECK(first["file"] == file.string());
  CHECK(first["line"] == 6);
  CHECK(first["column"] == 24);
  CHECK(first["endLine"] == 6);
  CHECK(first["endColumn"] == 24 + std::string("sesions:write").size());
  CHECK(first["severity"] == "error");
  CHECK(first["code"].is_string());
  CHECK(!first["code"].get<std::string>().empty());
  CHECK(first["message"].get<std::string>().find("sesions:write") != std::string::npos);
  CHECK(first["notes"].is_array());
}

TEST_CASE("check --format json gives a note for the first definition of a duplicate") {
  const TempPolicyDir dir;
  const fs::path file = dir.write("dup.policy", duplicate_scope_policy);
  const RunResult result = run_scopegate({"check", "--format", "json", dir.path()});
  CHECK(result.status == 1);
  const Json diagnostics = parse(result.out);
  REQUIRE(diagnostics.size() >= 1);
  const Json& first = diagnostics[0];
  CHECK(first["line"] == 4);
  CHECK(first["column"] == 7);
  REQUIRE(first["notes"].size() >= 1);
  const Json& note = first["notes"][0];
  CHECK(note["file"] == file.string());
  CHECK(note["line"] == 1);
  CHECK(note["column"] == 7);
  CHECK(note["message"].is_string());
}

TEST_CASE("check on a path that does not exist exits 1 with a diagnostic") {
  const TempPolicyDir dir;
  const std::string missing = dir.path() + "/nowhere.policy";
  const RunResult result = run_scopegate({"check", missing});
  CHECK(result.status == 1);
  CHECK(result.err.find("nowhere.policy") != std::string::npos);

  const RunResult json = run_scopegate({"check", "--format", "json", missing});
  CHECK(json.status == 1);
  const Json diagnostics = parse(json.out);
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0]["file"] == missing);
  CHECK(diagnostics[0]["line"].is_null());
  CHECK(diagnostics[0]["column"].is_null());
  CHECK(!diagnostics[0].contains("endLine"));
}

TEST_CASE("usage errors exit 2 with a message on stderr") {
  struct Row {
    const char* note;
    std::vector<std::string> args;
  };
  const std::vector<Row> rows = {
      {"no subcommand", {}},
      {"unknown subcommand", {"frobnicate"}},
      {"unknown option", {"check", "--colour"}},
      {"bad format", {"check", "--format", "yaml", policies}},
      {"explain without a path", {"explain", "--policy", policies, "GET"}},
      {"explain without a method", {"explain", "--policy", policies}},
      {"scopes and role together",
       {"explain", "--policy", policies, "--scopes", "sessions:read", "--role", "admin", "GET",
        "/api/v1/sessions"}},
      {"lowercase method",
       {"explain", "--policy", policies, "--scopes", "sessions:read", "get", "/api/v1/sessions"}},
      {"unknown role",
       {"explain", "--policy", policies, "--role", "superuser", "GET", "/api/v1/sessions"}},
  };
  for (const Row& row : rows) {
    INFO(row.note);
    const RunResult result = run_scopegate(row.args);
    INFO(result.err);
    CHECK(result.status == 2);
    CHECK(!result.err.empty());
    CHECK(result.out.empty());
  }
}

TEST_CASE("--help and --version exit 0") {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--help"},
                                               {"check", "--help"},
                                               {"explain", "--help"},
                                               {"--version"}}) {
    const RunResult result = run_scopegate(args);
    CHECK(result.status == 0);
    CHECK(!result.out.empty());
  }
}

TEST_CASE("explain: sessions:write alone is refused GET /api/v1/sessions with the exact message") {
  const RunResult result =
      explain({"--format", "json", "--scopes", "sessions:write", "GET", "/api/v1/sessions"});
  INFO(result.err);
  CHECK(result.status == 0);
  CHECK(result.out.find("\"allowed\": false") != std::string::npos);
  CHECK(result.out.find("\"status\": 403") != std::string::npos);
  CHECK(result.out.find("\"reason\": \"missing_scope\"") != std::string::npos);
  const Json decision = parse(result.out);
  CHECK(decision["allowed"] == false);
  CHECK(decision["status"] == 403);
  CHECK(decision["reason"] == "missing_scope");
  CHECK(decision["message"] == "API key does not have required scope: sessions:read");
  CHECK(decision["endpoint"] == "GET /api/v1/sessions");
  CHECK(decision["required_scopes"] == Json::array({"sessions:read"}));
  CHECK(decision["granted_by"].is_null());
  CHECK(decision["params"] == Json::object());
  const int line = line_of(source_dir / "policies/api.policy", "GET /api/v1/sessions ");
  CHECK(ends_with(decision["rule"].get<std::string>(), "api.policy:" + std::to_string(line)));
}

TEST_CASE("explain --format json: an allowed request names its endpoint, params and rule") {
  const RunResult result = explain({"--format", "json", "--scopes", "sessions:read,sessions:write",
                                    "GET", "/api/v1/sessions/42"});
  INFO(result.err);
  CHECK(result.status == 0);
  const Json decision = parse(result.out);
  CHECK(decision["allowed"] == true);
  CHECK(decision["status"] == 200);
  CHECK(decision["reason"] == "allowed");
  CHECK(decision["endpoint"] == "GET /api/v1/sessions/{id}");
  CHECK(decision["description"] == "Get session details");
  CHECK(decision["params"] == Json{{"id", "42"}});
  CHECK(decision["granted_by"] == "sessions:read");
  CHECK(decision["required_scopes"] == Json::array({"sessions:read"}));
  CHECK(decision["principal"] ==
        Json{{"kind", "api_key"}, {"scopes", {"sessions:read", "sessions:write"}}});
  const int line = line_of(source_dir / "policies/api.policy", "GET /api/v1/sessions/{id}");
  CHECK(ends_with(decision["rule"].get<std::string>(), "api.policy:" + std::to_string(line)));
}

TEST_CASE("explain prints the decision as text") {
  const RunResult result =
      explain({"--scopes", "sessions:write", "POST", "/api/v1/sessions/7/stop"});
  INFO(result.err);
  CHECK(result.status == 0);
  CHECK(result.out.rfind("ALLOW 200 allowed\n", 0) == 0);
  CHECK(result.out.find("POST /api/v1/sessions/{id}/stop") != std::string::npos);
  CHECK(result.out.find("\"Stop a session\"") != std::string::npos);
  CHECK(result.out.find("id=7") != std::string::npos);
  CHECK(result.out.find("granted by: sessions:write") != std::string::npos);
  const int line = line_of(source_dir / "policies/api.policy", "POST /api/v1/sessions/{id}/stop");
  CHECK(result.out.find("api.policy:" + std::to_string(line) + "\n") != std::string::npos);

  const RunResult denied = explain({"--scopes", "sessions:write", "GET", "/api/v1/sessions"});
  CHECK(denied.status == 0);
  CHECK(denied.out.rfind("DENY 403 missing_scope\n", 0) == 0);
  CHECK(denied.out.find("API key does not have required scope: sessions:read") !=
        std::string::npos);
  CHECK(denied.out.find("required:   sessions:read") != std::string::npos);
}

TEST_CASE("explain decides for keys, roles and anonymous callers") {
  struct Row {
    const char* note;
    std::vector<std::string> principal;
    const char* method;
    const char* path;
    bool allowed;
    int status;
    const char* reason;
  };
  const std::vector<Row> rows = {
      {"key with no scopes on an authenticated route",
       {"--scopes", ""},
       "GET",
       "/api/v1/auth/me",
       true,
       200,
       "allowed"},
      {"key with no scopes on a scoped route",
       {"--scopes", ""},
       "GET",
       "/api/v1/sessions",
       false,
       403,
       "missing_scope"},
      {"key on a user-only route",
       {"--scopes", "sessions:read,sessions:write"},
       "GET",
       "/api/v1/api-keys",
       false,
       403,
       "api_key_not_supported"},
      {"key with audit:read",
       {"--scopes", "audit:read"},
       "GET",
       "/api/v1/audit-logs",
       true,
       200,
       "allowed"},
      {"member starts a session",
       {"--role", "member"},
       "POST",
       "/api/v1/sessions",
       true,
       200,
       "allowed"},
      {"member cannot manage users",
       {"--role", "member"},
       "GET",
       "/api/v1/users",
       false,
       403,
       "missing_scope"},
      {"admin manages users",
       {"--role", "admin"},
       "DELETE",
       "/api/v1/users/7",
       true,
       200,
       "allowed"},
      {"anonymous on a scoped route", {}, "GET", "/api/v1/sessions", false, 401, "unauthenticated"},
      {"anonymous on the login route", {}, "POST", "/api/v1/auth/login", true, 200, "allowed"},
      {"unknown route", {"--role", "admin"}, "GET", "/api/v1/nowhere", false, 404, "no_route"},
      {"wrong method",
       {"--role", "admin"},
       "PATCH",
       "/api/v1/audit-logs",
       false,
       405,
       "method_not_allowed"},
      {"dot segment",
       {"--role", "admin"},
       "GET",
       "/api/v1/sessions/../users",
       false,
       400,
       "invalid_path"},
  };
  for (const Row& row : rows) {
    INFO(row.note);
    std::vector<std::string> args = {"--format", "json"};
    args.insert(args.end(), row.principal.begin(), row.principal.end());
    args.insert(args.end(), {row.method, row.path});
    const RunResult result = explain(args);
    INFO(result.err);
    REQUIRE(result.status == 0);
    const Json decision = parse(result.out);
    CHECK(decision["allowed"] == row.allowed);
    CHECK(decision["status"] == row.status);
    CHECK(decision["reason"] == row.reason);
    CHECK(decision["message"].is_string());
  }
}

TEST_CASE("explain: a principal without --scopes or --role is anonymous") {
  const RunResult result = explain({"--format", "json", "GET", "/healthz"});
  const Json decision = parse(result.out);
  CHECK(decision["principal"] == Json{{"kind", "anonymous"}});
  CHECK(decision["allowed"] == true);
}

TEST_CASE("explain: --scopes \"\" is a key with no scopes") {
  const Json decision = parse(explain({"--format", "json", "--scopes", "", "GET", "/healthz"}).out);
  CHECK(decision["principal"] == Json{{"kind", "api_key"}, {"scopes", Json::array()}});
}

TEST_CASE("explain: no route and wrong method have null endpoint and rule") {
  const Json no_route =
      parse(explain({"--format", "json", "--role", "admin", "GET", "/api/v2/sessions"}).out);
  CHECK(no_route["endpoint"].is_null());
  CHECK(no_route["rule"].is_null());
  CHECK(no_route["required_scopes"] == Json::array());

  const Json wrong_method =
      parse(explain({"--format", "json", "--role", "admin", "DELETE", "/api/v1/sessions"}).out);
  CHECK(wrong_method["endpoint"].is_null());
  const Json methods = wrong_method["allowed_methods"];
  CHECK(std::find(methods.begin(), methods.end(), "GET") != methods.end());
  CHECK(std::find(methods.begin(), methods.end(), "POST") != methods.end());
}

TEST_CASE("explain: an invalid path names the failed check") {
  const Json decision =
      parse(explain({"--format", "json", "--role", "admin", "GET", "/api/v1/sessions/%2e%2e"}).out);
  CHECK(decision["reason"] == "invalid_path");
  CHECK(decision["path_error"].is_string());
}

TEST_CASE("explain --exit-code exits 3 on deny and 0 on allow") {
  CHECK(explain({"--exit-code", "--scopes", "sessions:write", "GET", "/api/v1/sessions"}).status ==
        3);
  CHECK(explain({"--exit-code", "--scopes", "sessions:read", "GET", "/api/v1/sessions"}).status ==
        0);
}

TEST_CASE("explain warns about an unknown scope with a suggestion") {
  const RunResult result = explain({"--scopes", "sesions:read", "GET", "/api/v1/sessions"});
  CHECK(result.status == 0);
  CHECK(result.err.find("unknown scope `sesions:read`") != std::string::npos);
  CHECK(result.err.find("did you mean `sessions:read`?") != std::string::npos);
  CHECK(result.out.rfind("DENY 403 missing_scope", 0) == 0);
}

TEST_CASE("explain warns that a user scope never belongs to a key") {
  const RunResult result = explain({"--scopes", "users:manage", "GET", "/api/v1/users"});
  CHECK(result.err.find("`users:manage` is a user scope") != std::string::npos);
  CHECK(result.out.rfind("DENY 403 api_key_not_supported", 0) == 0);
}

TEST_CASE("explain on a broken policy exits 1 with diagnostics on stderr") {
  const TempPolicyDir dir;
  dir.write("bad.policy", unknown_scope_policy);
  const RunResult result = run(exe, {"explain", "--policy", dir.path(), "--format", "json",
                                     "--scopes", "sessions:read", "GET", "/api/v1/sessions"});
  CHECK(result.status == 1);
  CHECK(result.out.empty());
  CHECK(result.err.find("bad.policy:6:24: error: ") != std::string::npos);
}

TEST_CASE("explain reads several --policy paths as one policy") {
  const TempPolicyDir dir;
  const fs::path scopes = dir.write("scopes.txt", "scope widgets:read { GET /widgets/{id} }\n");
  const fs::path roles = dir.write("roles.txt", "role viewer { scopes widgets:read }\n");
  const RunResult result =
      run(exe, {"explain", "--policy", scopes.string(), "--policy", roles.string(), "--format",
                "json", "--role", "viewer", "GET", "/widgets/9"});
  INFO(result.err);
  CHECK(result.status == 0);
  const Json decision = parse(result.out);
  CHECK(decision["allowed"] == true);
  CHECK(decision["params"] == Json{{"id", "9"}});
}

TEST_CASE("explain: a failed condition is named with its source line") {
  const RunResult result =
      explain({"--format", "json", "--scopes", "audit:read", "GET", "/api/v1/audit-logs?size=500"});
  INFO(result.err);
  REQUIRE(result.status == 0);
  const Json decision = parse(result.out);
  CHECK(decision["reason"] == "condition_failed");
  CHECK(decision["status"] == 403);
  CHECK(decision["message"] == "Condition not met: not request.query.size > 100");
  CHECK(decision["failed_condition"]["condition"] == "not request.query.size > 100");
  const int line = line_of(source_dir / "policies/api.policy", "when not request.query.size > 100");
  CHECK(ends_with(decision["failed_condition"]["rule"].get<std::string>(),
                  "policies/api.policy:" + std::to_string(line)));
  CHECK(decision["forbid"].is_null());

  const RunResult small =
      explain({"--format", "json", "--scopes", "audit:read", "GET", "/api/v1/audit-logs?size=50"});
  CHECK(parse(small.out)["allowed"] == true);
  CHECK(parse(small.out)["failed_condition"].is_null());
}

TEST_CASE("explain: --ip and --allowed-cidrs drive the shipped forbid rule") {
  const std::vector<std::string> key = {"--format",        "json",      "--scopes", "sessions:read",
                                        "--allowed-cidrs", "10.0.0.0/8"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = key;
    args.insert(args.end(), extra.begin(), extra.end());
    return explain(args);
  };
  const Json outside = parse(with({"--ip", "192.0.2.7", "GET", "/api/v1/sessions"}).out);
  CHECK(outside["reason"] == "forbidden");
  CHECK(outside["message"] == "API key is not allowed from this address");
  const int line = line_of(source_dir / "policies/access.policy", "forbid * /api/v1/**");
  CHECK(ends_with(outside["forbid"]["rule"].get<std::string>(),
                  "policies/access.policy:" + std::to_string(line)));
  const Json inside = parse(with({"--ip", "10.2.3.4", "GET", "/api/v1/sessions"}).out);
  CHECK(inside["allowed"] == true);
  const Json unknown = parse(with({"GET", "/api/v1/sessions"}).out);
  CHECK(unknown["reason"] == "forbidden");  // no client address: fail closed
}

TEST_CASE("explain: bad --ip, --header, --time and --allowed-cidrs values are usage errors") {
  const std::vector<std::vector<std::string>> rows = {
      {"--scopes", "sessions:read", "--ip", "10.0.0.300", "GET", "/api/v1/sessions"},
      {"--scopes", "sessions:read", "--header", "no-colon", "GET", "/api/v1/sessions"},
      {"--scopes", "sessions:read", "--time", "yesterday", "GET", "/api/v1/sessions"},
      {"--scopes", "sessions:read", "--allowed-cidrs", "10.0.0.1/8", "GET", "/api/v1/sessions"},
      {"--allowed-cidrs", "10.0.0.0/8", "GET", "/api/v1/sessions"},
  };
  for (const auto& args : rows) {
    const RunResult result = explain(args);
    INFO(args[args.size() - 4] + " " + args[args.size() - 3]);
    CHECK(result.status == 2);
    CHECK_FALSE(result.err.empty());
  }
}

TEST_CASE("explain --scopes takes an OAuth scope string, --scope one name with a comma") {
  const TempPolicyDir dir;
  const fs::path policy =
      dir.write("comma.policy", "scope repo,admin {\n  GET /repos\n}\nscope c:d {\n  GET /c\n}\n");
  const auto decide = [&policy](std::vector<std::string> args) {
    std::vector<std::string> all = {"explain", "--policy", policy.string(), "--format", "json"};
    all.insert(all.end(), args.begin(), args.end());
    const RunResult result = run_scopegate(all);
    INFO(result.err);
    REQUIRE(result.status == 0);
    return parse(result.out);
  };
  CHECK(decide({"--scope", "repo,admin", "GET", "/repos"})["allowed"] == true);
  CHECK(decide({"--scope", "repo,admin", "--scope", "c:d", "GET", "/c"})["allowed"] == true);
  const Json spaced = decide({"--scopes", "c:d  repo", "GET", "/c"});
  CHECK(spaced["allowed"] == true);
  CHECK(spaced["principal"]["scopes"] == Json::array({"c:d", "repo"}));
  CHECK(decide({"--scopes", "c:d,repo", "GET", "/c"})["principal"]["scopes"] ==
        Json::array({"c:d", "repo"}));
  // In --scopes a comma separates: `repo,admin` there is two names, neither declared.
  CHECK(decide({"--scopes", "repo,admin", "GET", "/repos"})["allowed"] == false);
  const RunResult no_key = run_scopegate(
      {"explain", "--policy", policy.string(), "--allowed-cidrs", "10.0.0.0/8", "GET", "/c"});
  CHECK(no_key.status == 2);
  CHECK_THAT(no_key.err, Catch::Contains("--allowed-cidrs: requires --scopes or --scope"));
}
