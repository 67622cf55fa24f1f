// Warnings (dsl/src/warnings.cpp): a policy that compiles but grants more, or less, than
// it seems to. One row per mistake, each with the warning it draws; and the clean
// version of each draws none. A warning never stops compile_source/compile_files.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "diagnostic_codes.hpp"
#include "scopegate/dsl.hpp"

using scopegate::testing::codes_of;

namespace {

struct Row {
  const char* note;
  const char* policy;
  const char* code;
  const char* message;  // a part of the message
};

}  // namespace

TEST_CASE("mistakes that compile draw a warning naming what is granted") {
  const std::vector<Row> rows = {
      {"the same route in two scopes",
       "scope repos:read { GET /repos/{owner}/{repo} }\n"
       "scope issues:read { GET /repos/{owner}/{repo} GET /repos/{owner}/{repo}/issues }\n",
       "shared-route",
       "route 'GET /repos/{owner}/{repo}' is granted by scope 'repos:read' and by scope "
       "'issues:read'"},
      {"a wildcard segment that takes other scopes' routes",
       "scope repos:read { GET /repos/{owner}/{repo}/contents GET /repos/{owner}/{repo}/branches "
       "}\nscope issues:read { GET /repos/{owner}/{repo}/* }\n",
       "wildcard-grant",
       "route 'GET /repos/{owner}/{repo}/*' of scope 'issues:read' also grants 2 endpoints "
       "declared in other blocks: 'GET /repos/{owner}/{repo}/contents' (scope 'repos:read'), "
       "'GET /repos/{owner}/{repo}/branches' (scope 'repos:read')"},
      {"a wildcard line of a scope that drops the condition of the scope's own line",
       "scope reports:read {\n  GET /reports/{id}/pdf when request.ip in [10.0.0.0/8]\n"
       "  GET /reports/{id}/{format}\n}\n",
       "wildcard-grant",
       "route 'GET /reports/{id}/{format}' of scope 'reports:read' also grants 'GET "
       "/reports/{id}/pdf' without the condition the scope's own line for it has: `request.ip "
       "in [10.0.0.0/8]`"},
      {"a wildcard line of a scope that grants its own conditional route under another condition",
       "scope reports:read {\n  GET /reports/{id}/pdf when request.ip in [10.0.0.0/8]\n"
       "  GET /reports/{id}/{format} when request.query.size <= 10\n}\n",
       "wildcard-grant",
       "also grants 'GET /reports/{id}/pdf' under another condition than the scope's own line "
       "for it: `request.query.size <= 10` instead of `request.ip in [10.0.0.0/8]`"},
      {"a public route that overlaps a scope's without covering it, and wins",
       "scope reports:admin { GET /api/{org}/reports/secret }\n"
       "public { GET /api/acme/reports/{name} }\n",
       "overlapping-routes",
       "route 'GET /api/{org}/reports/secret' of scope 'reports:admin' overlaps route 'GET "
       "/api/acme/reports/{name}' of the public block: 'GET /api/acme/reports/secret' matches "
       "both, and the more specific '/api/acme/reports/{name}' decides it"},
      {"two scopes' routes that overlap without covering each other",
       "scope reports:admin { GET /api/{org}/reports/secret }\n"
       "scope reports:read { GET /api/acme/reports/{name} }\n",
       "overlapping-routes",
       "'GET /api/acme/reports/secret' matches both, and the more specific "
       "'/api/acme/reports/{name}' decides it"},
      {"a plain scope's route that takes paths of a user scope's route it does not cover",
       "user scope members:manage { DELETE /orgs/{org}/members/{id} }\n"
       "scope cache:purge { DELETE /orgs/acme/{kind}/{key} }\n",
       "overlapping-routes",
       "route 'DELETE /orgs/{org}/members/{id}' of scope 'members:manage' overlaps route "
       "'DELETE /orgs/acme/{kind}/{key}' of scope 'cache:purge': 'DELETE /orgs/acme/members/1' "
       "matches both"},
      {"a *-method route that overlaps a GET route of another scope",
       "scope a:read { GET /a/{id}/secret }\nscope a:admin {\n  allow_warning open-wildcard \"all "
       "of x\"\n  * /a/x/{name}\n}\n",
       "overlapping-routes", "'GET /a/x/secret' matches both"},
      {"a ** route that overlaps a route naming a segment below it",
       "scope files:admin { GET /files/{id}/acl }\n"
       "authenticated {\n  allow_warning open-wildcard \"shared files\"\n  GET "
       "/files/shared/**\n}\n",
       "overlapping-routes",
       "route 'GET /files/{id}/acl' of scope 'files:admin' overlaps route 'GET /files/shared/**' "
       "of the authenticated block: 'GET /files/shared/acl' matches both"},
      {"a ** route that grants paths no route declares",
       "scope files:read { GET /files GET /files/** }\n", "open-wildcard",
       "route 'GET /files/**' of scope 'files:read' grants what no route declares: GET on any "
       "path below '/files'"},
      {"a *-method route that grants methods no route declares",
       "scope files:write { GET /files/{id} PUT /files/{id} * /files/{id} }\n", "open-wildcard",
       "route '* /files/{id}' of scope 'files:write' grants what no route declares: POST, PATCH, "
       "DELETE and 3 other methods on '/files/{id}'"},
      {"a forbid rule that matches no endpoint",
       "scope repos:write { DELETE /repos/{owner}/{repo} }\n"
       "forbid GET /repo/** when principal.kind == \"api_key\" { }\n",
       "forbid-matches-nothing", "forbid rule 'GET /repo/**' matches no endpoint of the policy"},
      {"a forbid rule with the right path but a method no endpoint under it has",
       "scope audit:read { GET /audit-logs }\nforbid DELETE /audit-logs/** { }\n",
       "forbid-matches-nothing", "forbid rule 'DELETE /audit-logs/**'"},
      {"a forbid rule against API keys on endpoints only user scopes grant",
       "user scope u:x { GET /u/{id} }\nforbid * /u/** when principal.kind == \"api_key\" { }\n",
       "forbid-matches-nothing", "forbid rule '* /u/**' refuses nobody"},
      {"a forbid rule against anonymous callers on scoped endpoints",
       "scope a:read { GET /a }\nforbid GET /a when request.query.x == \"1\" and "
       "principal.kind in [\"anonymous\"] { }\n",
       "forbid-matches-nothing", "forbid rule 'GET /a' refuses nobody"},
      {"a condition that is constant: in []",
       "scope audit:read { GET /audit-logs when request.ip in [] }\n", "constant-condition",
       "`request.ip in []` is always false"},
      {"a condition that compares two literals",
       "scope audit:read { GET /audit-logs when \"a\" == \"b\" }\n", "constant-condition",
       "`\"a\" == \"b\"` compares two literals"},
      {"a plain scope with no routes", "scope a:read { GET /a }\nscope b:read { summary \"B\" }\n",
       "empty-scope", "scope 'b:read' grants nothing"},
      {"a role that holds no scope", "scope a:read { GET /a }\nrole guest { summary \"G\" }\n",
       "empty-role", "role 'guest' holds no scope"},
      {"an implies that adds nothing",
       "scope a:read { GET /a }\nscope a:write { implies a:read POST /a }\n"
       "scope a:admin { implies a:write a:read }\n",
       "redundant-implies", "scope 'a:admin' implies 'a:read', which 'a:write' already implies"},
      {"an implies that names a scope twice",
       "scope a:read { GET /a }\nscope a:admin { implies a:read a:read }\n", "redundant-implies",
       "scope 'a:admin' implies 'a:read' twice"},
  };
  for (const Row& row : rows) {
    INFO(row.note << "\n" << row.policy);
    const auto checked = scopegate::check_source("w.policy", row.policy);
    INFO(checked.diagnostics.render());
    REQUIRE(checked.policy.has_value());
    REQUIRE(codes_of(checked.diagnostics) == std::vector<std::string>{row.code});
    const auto& d = checked.diagnostics.items().front();
    CHECK(d.severity == scopegate::Severity::warning);
    CHECK_THAT(d.message, Catch::Contains(row.message));
    CHECK(scopegate::compile_source("w.policy", row.policy).has_value());
  }
}

TEST_CASE("a ** route that swallows other scopes' routes names them, and the rest") {
  const auto checked = scopegate::check_source(
      "w.policy",
      "scope repos:read { GET /repos/{owner}/{repo} GET /repos/{owner}/{repo}/contents }\n"
      "scope issues:read { GET /repos/{owner}/** }\n");
  INFO(checked.diagnostics.render());
  REQUIRE(codes_of(checked.diagnostics) ==
          std::vector<std::string>{"open-wildcard", "wildcard-grant"});
  CHECK(checked.diagnostics.items()[0].message ==
        "route 'GET /repos/{owner}/**' of scope 'issues:read' grants what no route declares: GET "
        "on any path below '/repos/{owner}'");
  CHECK(checked.diagnostics.items()[1].message ==
        "route 'GET /repos/{owner}/**' of scope 'issues:read' also grants 2 endpoints declared in "
        "other blocks: 'GET /repos/{owner}/{repo}' (scope 'repos:read'), "
        "'GET /repos/{owner}/{repo}/contents' (scope 'repos:read')");
}

TEST_CASE("a *-method route over other scopes' methods names them, and the methods left") {
  const auto checked = scopegate::check_source(
      "w.policy", "scope repos:read { GET /repos/{id} }\nscope repos:admin { * /repos/{id} }\n");
  INFO(checked.diagnostics.render());
  REQUIRE(codes_of(checked.diagnostics) ==
          std::vector<std::string>{"open-wildcard", "wildcard-grant"});
  CHECK(checked.diagnostics.items()[0].message ==
        "route '* /repos/{id}' of scope 'repos:admin' grants what no route declares: POST, PUT, "
        "PATCH and 4 other methods on '/repos/{id}'");
  CHECK_THAT(checked.diagnostics.items()[1].message,
             Catch::StartsWith("route '* /repos/{id}' of scope 'repos:admin' also grants 1 "
                               "endpoint declared in other blocks: 'GET /repos/{id}'"));
  // Acknowledged where the whole area is intended; the captured endpoint still warns.
  const auto acknowledged = scopegate::check_source(
      "w.policy",
      "scope repos:read { GET /repos/{id} }\n"
      "scope repos:admin {\n  allow_warning open-wildcard \"every method\"\n  * /repos/{id}\n}\n");
  CHECK(codes_of(acknowledged.diagnostics) == std::vector<std::string>{"wildcard-grant"});
}

TEST_CASE("a public ** route opens every path below it to anyone, and says so") {
  const auto checked =
      scopegate::check_source("w.policy",
                              "public { GET /api/** }\nauthenticated { GET /me/{id} * /me/{id} }\n"
                              "scope notes:read { GET /api/notes }\n");
  INFO(checked.diagnostics.render());
  REQUIRE(codes_of(checked.diagnostics) ==
          std::vector<std::string>{"open-wildcard", "open-wildcard"});
  CHECK(checked.diagnostics.items()[0].message ==
        "route 'GET /api/**' of the public block grants what no route declares: GET on any path "
        "below '/api'");
  CHECK_THAT(checked.diagnostics.items()[0].help,
             Catch::StartsWith("anyone, without credentials, may call whatever the server "
                               "serves there"));
  CHECK(checked.diagnostics.items()[1].message ==
        "route '* /me/{id}' of the authenticated block grants what no route declares: POST, PUT, "
        "PATCH and 4 other methods on '/me/{id}'");
  CHECK_THAT(checked.diagnostics.items()[1].help,
             Catch::StartsWith("every API key, whatever its scopes, and every signed-in user"));
}

TEST_CASE("an allow_warning line in the public or authenticated block acknowledges its routes") {
  const auto acknowledged = scopegate::check_source(
      "w.policy",
      "public {\n  allow_warning open-wildcard \"static files\"\n  GET /static/**\n}\n"
      "authenticated {\n  allow_warning open-wildcard \"every method of the profile\"\n"
      "  * /me\n}\n");
  INFO(acknowledged.diagnostics.render());
  CHECK(acknowledged.diagnostics.empty());
  // Only the block the line is in: a second public block's wildcard still warns, and a
  // line that acknowledges nothing is itself a warning.
  const auto elsewhere = scopegate::check_source(
      "w.policy",
      "public {\n  allow_warning open-wildcard \"static files\"\n  GET /healthz\n}\n"
      "public { GET /static/** }\n");
  INFO(elsewhere.diagnostics.render());
  REQUIRE(codes_of(elsewhere.diagnostics) ==
          std::vector<std::string>{"unused-allow-warning", "open-wildcard"});
  CHECK(elsewhere.diagnostics.items()[0].message ==
        "`allow_warning open-wildcard` in the public block allows no warning");
}

TEST_CASE("the intended forms of those policies draw no warning") {
  const std::vector<const char*> clean = {
      "scope repos:read { GET /repos/{owner}/{repo} }\n"
      "scope issues:read { implies repos:read GET /repos/{owner}/{repo}/issues }\n",
      "scope repos:read {\n  allow_warning open-wildcard \"all of a repository\"\n"
      "  GET /repos/{owner}/** GET /repos/{owner}/{repo}\n}\n",
      "scope repos:write { DELETE /repos/{owner}/{repo} }\n"
      "forbid DELETE /repos/** when principal.kind == \"api_key\" { }\n",
      "scope audit:read { GET /audit-logs when request.ip in [10.0.0.0/8] }\n",
      "scope a:read { GET /a }\nrole guest { scopes a:read }\n",
      "scope a:read { GET /a }\nscope a:admin { implies a:read }\n",
      "scope a:read { GET /a/{id} }\nforbid * /a/{id}/x/** { }\nscope b:read { GET /a/{id}/x }\n",
      // The wildcard line carries the condition too, or names only the other formats.
      "scope reports:read {\n  GET /reports/{id}/pdf when request.ip in [10.0.0.0/8]\n"
      "  GET /reports/{id}/{format} when request.ip in [10.0.0.0/8]\n}\n",
      "scope reports:read when request.ip in [10.0.0.0/8] {\n  GET /reports/{id}/pdf\n"
      "  GET /reports/{id}/{format}\n}\n",
      "scope reports:read {\n  GET /reports/{id}/pdf when request.ip in [10.0.0.0/8]\n"
      "  GET /reports/{id}/csv\n}\n",
      // The path both match declared where it belongs: the most specific route decides it.
      "scope reports:admin { GET /api/{org}/reports/secret GET /api/acme/reports/secret }\n"
      "public { GET /api/acme/reports/{name} }\n",
      // Disjoint templates: nothing matches both.
      "user scope members:manage { DELETE /orgs/{org}/members/{id} }\n"
      "scope cache:purge { DELETE /orgs/acme/cache/{key} }\n",
      // The same grants on both, methods that never meet, or a stricter route carving
      // out an area (as the shipped policy's `/sessions/admin/**` beside `/sessions/{id}`).
      "scope a:read { GET /a/{id}/secret GET /a/x/{name} }\n",
      "scope a:read { GET /a/{id}/secret }\nscope a:write { POST /a/x/{name} }\n",
      "scope s:read { GET /s/{id} }\nuser scope s:admin {\n"
      "  allow_warning open-wildcard \"the admin area\"\n  GET /s/admin/**\n}\n",
      "public { GET /api/{org}/reports/secret }\nscope reports:read { GET /api/acme/reports/{name} "
      "}\n",
  };
  for (const char* policy : clean) {
    const auto checked = scopegate::check_source("w.policy", policy);
    INFO(policy << checked.diagnostics.render());
    CHECK(checked.policy.has_value());
    CHECK(checked.diagnostics.empty());
  }
}

TEST_CASE("a warning renders like an error, with its own word and count") {
  const auto checked =
      scopegate::check_source("w.policy", "scope a:read { GET /a }\nscope b:read { GET /a }\n");
  CHECK(checked.diagnostics.render() ==
        "w.policy:2:16: warning: route 'GET /a' is granted by scope 'a:read' and by scope "
        "'b:read' [shared-route]\n"
        "    2 | scope b:read { GET /a }\n"
        "      |                ^~~~~~\n"
        "      = help: holders of either scope may call it; keep the line in one scope (the other "
        "may `implies` it), or, if it is intended, say so in this block: `allow_warning "
        "shared-route \"why\"`\n"
        "w.policy:1:16: note: also granted by scope 'a:read' here\n"
        "    1 | scope a:read { GET /a }\n"
        "      |                ^~~~~~\n"
        "1 warning generated.\n");
}

TEST_CASE("errors stop the compile before warnings are looked for") {
  const auto checked = scopegate::check_source(
      "w.policy", "scope a:read { GET /a }\nscope b:read { GET /a }\nrole r { scopes c:read }\n");
  CHECK_FALSE(checked.policy.has_value());
  CHECK(codes_of(checked.diagnostics) == std::vector<std::string>{"unknown-scope"});
  // So the count never has both (docs/diagnostics.md): the shared route is not counted.
  CHECK_THAT(checked.diagnostics.render(), Catch::EndsWith("\n1 error generated.\n"));
}

TEST_CASE("a forbid rule no caller of its endpoints meets says who reaches them") {
  const std::string policy =
      "user scope u:x { GET /u/{id} }\nforbid * /u/** when principal.kind == \"api_key\" {\n"
      "  message \"no keys\"\n}\n";
  const auto checked = scopegate::check_source("w.policy", policy);
  INFO(checked.diagnostics.render());
  REQUIRE(checked.diagnostics.size() == 1);
  const auto& d = checked.diagnostics.items().front();
  CHECK_THAT(d.help, Catch::Contains("allow_warning forbid-matches-nothing"));
  REQUIRE(d.notes.size() == 1);
  CHECK(d.notes.front().message ==
        "only signed-in users reach the endpoints it matches: no plain scope grants them, so API "
        "keys never do");
  CHECK(d.notes.front().span.file->text.substr(d.notes.front().span.offset,
                                               d.notes.front().span.length) ==
        "principal.kind == \"api_key\"");
  // Where a plain scope grants an endpoint it matches, keys reach it: no warning.
  const auto reached = scopegate::check_source(
      "w.policy",
      "user scope u:x { GET /u/{id} }\nscope k:x { GET /u/me/keys }\n"
      "forbid * /u/** when principal.kind == \"api_key\" { message \"no keys\" }\n");
  INFO(reached.diagnostics.render());
  CHECK(reached.diagnostics.size() == 0);
  // Acknowledged in its block, it is silent.
  const auto acknowledged = scopegate::check_source(
      "w.policy",
      "user scope u:x { GET /u/{id} }\nforbid * /u/** when principal.kind == "
      "\"api_key\" {\n  allow_warning forbid-matches-nothing \"a guard for keys to "
      "come\"\n  message \"no keys\"\n}\n");
  INFO(acknowledged.diagnostics.render());
  CHECK(acknowledged.diagnostics.size() == 0);
}

TEST_CASE("a shared route in a scope that implies the other is called redundant") {
  const auto help_of = [](const char* policy) {
    const auto checked = scopegate::check_source("w.policy", policy);
    INFO(checked.diagnostics.render());
    REQUIRE(codes_of(checked.diagnostics) == std::vector<std::string>{"shared-route"});
    return checked.diagnostics.items().front().help;
  };
  const std::string implied = help_of("scope a:b { GET /x }\nscope c:d { implies a:b GET /x }\n");
  CHECK_THAT(implied, Catch::StartsWith("scope 'c:d' already implies scope 'a:b', which grants "
                                        "it: the route line in 'c:d' is redundant; remove it"));
  CHECK_THAT(implied, !Catch::Contains("may `implies`"));
  // Through another scope, and with the implying scope first.
  CHECK_THAT(help_of("scope c:d { implies e:f GET /x }\nscope e:f { implies a:b }\n"
                     "scope a:b { GET /x }\n"),
             Catch::StartsWith("scope 'c:d' already implies scope 'a:b'"));
  // A conditional line in the implied scope: the other line grants more, not nothing.
  CHECK_THAT(help_of("scope a:b { GET /x when request.query.q == \"1\" }\n"
                     "scope c:d { implies a:b GET /x }\n"),
             Catch::Contains("only grants it where `request.query.q == \"1\"` does not hold"));
  CHECK_THAT(help_of("scope a:b { GET /x }\nscope c:d { GET /x }\n"),
             Catch::Contains("the other may `implies` it"));
}

TEST_CASE("an overlap is acknowledged in the block of the route that loses the paths") {
  const std::string rest =
      "  GET /api/{org}/reports/secret\n}\npublic { GET /api/acme/reports/{name} }\n";
  const auto checked = scopegate::check_source(
      "w.policy",
      "scope reports:admin {\n  allow_warning overlapping-routes \"acme's are "
      "public\"\n" +
          rest);
  INFO(checked.diagnostics.render());
  CHECK(checked.diagnostics.empty());
  // The help says who reaches the path, the note where it goes.
  const auto warned = scopegate::check_source("w.policy", "scope reports:admin {\n" + rest);
  INFO(warned.diagnostics.render());
  REQUIRE(codes_of(warned.diagnostics) == std::vector<std::string>{"overlapping-routes"});
  const auto& d = warned.diagnostics.items().front();
  CHECK(d.span.offset == std::string("scope reports:admin {\n  ").size());
  CHECK_THAT(d.help, Catch::StartsWith("anyone, without credentials, may call it, whatever "
                                       "scope 'reports:admin' asks"));
  CHECK_THAT(d.help, Catch::Contains("allow_warning overlapping-routes"));
  REQUIRE(d.notes.size() == 1);
  CHECK(d.notes.front().message == "'GET /api/acme/reports/secret' goes to this route");
  // A user scope's route: the help says API keys reach it.
  const auto user =
      scopegate::check_source("w.policy",
                              "user scope members:manage { DELETE /orgs/{org}/members/{id} }\n"
                              "scope cache:purge { DELETE /orgs/acme/{kind}/{key} }\n");
  REQUIRE(user.diagnostics.size() == 1);
  CHECK_THAT(user.diagnostics.items().front().help,
             Catch::StartsWith("holders of 'cache:purge', API keys among them, may call it"));
  // Acknowledged in the winning block instead, it still warns, and the line is unused.
  const auto elsewhere = scopegate::check_source(
      "w.policy", "scope reports:admin {\n" + rest.substr(0, rest.find("public")) +
                      "public {\n  allow_warning overlapping-routes \"why\"\n"
                      "  GET /api/acme/reports/{name}\n}\n");
  INFO(elsewhere.diagnostics.render());
  CHECK(codes_of(elsewhere.diagnostics) ==
        std::vector<std::string>{"overlapping-routes", "unused-allow-warning"});
}

TEST_CASE("the overlap's example path is one the engine sends to the winning route") {
  // A third route more specific than both decides their common paths: no overlap
  // (each of the two grants it, which wildcard-grant says).
  const auto third =
      scopegate::check_source("w.policy",
                              "scope a:read { GET /a/{x}/b/c }\nscope a:write { GET /a/y/b/{z} }\n"
                              "scope a:admin { GET /a/y/b/c }\n");
  INFO(third.diagnostics.render());
  CHECK(codes_of(third.diagnostics) ==
        std::vector<std::string>{"wildcard-grant", "wildcard-grant"});
  // A parameter in both takes a value no literal of the policy has.
  const auto checked = scopegate::check_source(
      "w.policy",
      "scope a:read { GET /a/{x}/{y}/c }\nscope a:write { GET /a/1/{z}/{w} }\n"
      "public { GET /b/2 }\n");
  INFO(checked.diagnostics.render());
  REQUIRE(codes_of(checked.diagnostics) == std::vector<std::string>{"overlapping-routes"});
  CHECK_THAT(checked.diagnostics.items().front().message,
             Catch::Contains("'GET /a/1/3/c' matches both"));
}
