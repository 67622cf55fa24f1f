// Route resolution: template precedence, backtracking, methods (404/405) and path
// parameters, on policies built directly with PolicyBuilder (no dsl).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support.hpp"

using namespace scopegate;
using namespace scopegate::test;

namespace {

// Every route is granted by `r:all`, so a key holding it reaches whichever endpoint
// the request resolves to, and the endpoint's description names the route that won.
Policy precedence_policy() {
  PolicyInput in;
  in.scopes = {scope("r:all")};
  in.routes = {
      route(Method::get, "/", "r:all", "root"),
      route(Method::get, "/a/b", "r:all", "literal a/b"),
      route(Method::get, "/a/{x}", "r:all", "param a/{x}"),
      route(Method::get, "/a/**", "r:all", "rest a/**"),
      route(Method::get, "/w/*", "r:all", "any w/*"),
      route(Method::get, "/w/**", "r:all", "rest w/**"),
      route(Method::get, "/w/lit", "r:all", "literal w/lit"),
      route(Method::get, "/a/b/c", "r:all", "literal a/b/c"),
      route(Method::get, "/a/{x}/d", "r:all", "param a/{x}/d"),
      route(Method::get, "/p/{x}/{y}", "r:all", "params p/{x}/{y}"),
      route(Method::get, "/p/q/**", "r:all", "rest p/q/**"),
      route(Method::get, "/m", "r:all", "GET m"),
      route(Method::any, "/m", "r:all", "any-method m"),
      route(Method::get, "/**", "r:all", "catch-all /**"),
  };
  return build(std::move(in));
}

}  // namespace

TEST_CASE("engine: the most specific template wins, segment by segment from the left") {
  const Policy policy = precedence_policy();
  const Principal key = policy.principal_for_key({"r:all"});

  struct Row {
    const char* note;
    const char* method;
    const char* path;
    const char* winner;  // the description of the endpoint that must be chosen
  };
  const std::vector<Row> rows = {
      {"root path matches the root template", "GET", "/", "root"},
      {"literal beats param and rest", "GET", "/a/b", "literal a/b"},
      {"param beats rest", "GET", "/a/zz", "param a/{x}"},
      {"rest matches zero segments below its prefix", "GET", "/a", "rest a/**"},
      {"rest matches many segments", "GET", "/a/zz/yy/xx", "rest a/**"},
      {"literal beats any", "GET", "/w/lit", "literal w/lit"},
      {"any beats rest", "GET", "/w/other", "any w/*"},
      {"rest below any for deeper paths", "GET", "/w/other/deeper", "rest w/**"},
      {"literal chain to the end", "GET", "/a/b/c", "literal a/b/c"},
      {"backtracking: literal b dead-ends, param x then d matches", "GET", "/a/b/d",
       "param a/{x}/d"},
      {"backtracking from a/b/c falls to a/** when nothing else matches", "GET", "/a/b/e",
       "rest a/**"},
      {"compared from the left: literal q at segment 2 wins although rest follows it", "GET",
       "/p/q/r", "rest p/q/**"},
      {"two params when the literal does not apply", "GET", "/p/other/r", "params p/{x}/{y}"},
      {"catch-all for unknown prefixes", "GET", "/unknown/path", "catch-all /**"},
      {"exact method beats any method", "GET", "/m", "GET m"},
      {"any method takes other methods", "POST", "/m", "any-method m"},
      {"any method takes methods the language does not name", "TRACE", "/m", "any-method m"},
  };
  for (const Row& row : rows) {
    INFO(row.note << ": " << row.method << " " << row.path);
    const Decision d = policy.decide(key, row.method, row.path);
    INFO(describe(d));
    REQUIRE(d.allowed());
    REQUIRE(d.endpoint() != nullptr);
    CHECK(d.endpoint()->description == row.winner);
  }
}

TEST_CASE("engine: unknown path is no_route 404 and known path with another method is 405") {
  PolicyInput in;
  in.scopes = {scope("r:read"), scope("r:write")};
  in.routes = {
      route(Method::get, "/items", "r:read"),
      route(Method::post, "/items", "r:write"),
      route(Method::get, "/items/{id}", "r:read"),
      route(Method::delete_, "/items/{id}", "r:write"),
      route(Method::put, "/items/{id}/tags/*", "r:write"),
  };
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"r:read", "r:write"});

  struct Row {
    const char* note;
    const char* method;
    const char* path;
    Reason reason;
    std::vector<std::string> allow;  // sorted
  };
  const std::vector<Row> rows = {
      {"unknown first segment", "GET", "/nothing", Reason::no_route, {}},
      {"root is not a route here", "GET", "/", Reason::no_route, {}},
      {"one segment too many", "GET", "/items/1/2", Reason::no_route, {}},
      {"prefix of a route is not a route", "PUT", "/items/1/tags", Reason::no_route, {}},
      {"case-sensitive literals", "GET", "/Items", Reason::no_route, {}},
      {"collection: PUT not allowed", "PUT", "/items", Reason::method_not_allowed,
       {"GET", "POST"}},
      {"collection: DELETE not allowed", "DELETE", "/items", Reason::method_not_allowed,
       {"GET", "POST"}},
      {"item: POST not allowed", "POST", "/items/7", Reason::method_not_allowed,
       {"DELETE", "GET"}},
      {"method names are case-sensitive", "get", "/items", Reason::method_not_allowed,
       {"GET", "POST"}},
      {"a method the language does not name", "TRACE", "/items/7/tags/x",
       Reason::method_not_allowed, {"PUT"}},
  };
  for (const Row& row : rows) {
    INFO(row.note << ": " << row.method << " " << row.path);
    const Decision d = policy.decide(key, row.method, row.path);
    INFO(describe(d));
    CHECK_FALSE(d.allowed());
    CHECK(d.reason() == row.reason);
    CHECK(d.status() == (row.reason == Reason::no_route ? 404 : 405));
    CHECK(d.endpoint() == nullptr);
    CHECK(d.params().empty());
    CHECK(split_allow(d.allowed_methods()) == row.allow);
    CHECK_FALSE(d.message().empty());
  }
}

TEST_CASE("engine: path parameters are bound by name and stay percent-encoded") {
  PolicyInput in;
  in.scopes = {scope("r:all")};
  in.routes = {
      route(Method::get, "/orgs/{org}/items/{item_id}", "r:all"),
      route(Method::get, "/files/*/{name}", "r:all"),
      route(Method::get, "/docs/{doc}/**", "r:all"),
      route(Method::get, "/A/{x}", "r:all"),
  };
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"r:all"});

  struct Row {
    const char* note;
    const char* path;
    std::vector<std::pair<std::string, std::string>> params;  // in template order
  };
  const std::vector<Row> rows = {
      {"two params", "/orgs/acme/items/42", {{"org", "acme"}, {"item_id", "42"}}},
      {"encoded value kept as sent", "/orgs/a%20b/items/%41", {{"org", "a%20b"}, {"item_id", "%41"}}},
      {"a wildcard segment is not bound", "/files/dir/readme", {{"name", "readme"}}},
      {"param before rest, rest empty", "/docs/guide", {{"doc", "guide"}}},
      {"param before rest, rest deep", "/docs/guide/a/b/c", {{"doc", "guide"}}},
      {"encoded literal segment still routes", "/%41/v", {{"x", "v"}}},
      {"query string is not part of a param", "/A/v?x=1", {{"x", "v"}}},
  };
  for (const Row& row : rows) {
    INFO(row.note << ": GET " << row.path);
    const Decision d = policy.decide(key, "GET", row.path);
    INFO(describe(d));
    REQUIRE(d.allowed());
    REQUIRE(d.params().size() == row.params.size());
    for (std::size_t i = 0; i < row.params.size(); ++i) {
      CHECK(d.params()[i].name == row.params[i].first);
      CHECK(d.params()[i].value == row.params[i].second);
      CHECK(d.param(row.params[i].first) == std::optional<std::string_view>(row.params[i].second));
    }
    CHECK_FALSE(d.param("missing").has_value());
  }
}

// A template that matches the path but not the method does not hide a less specific
// template that matches both: the request resolves among the templates that accept its
// method, and 405 is only for a path that no template accepts with that method.
TEST_CASE("engine: a template without the method falls back to a less specific one") {
  PolicyInput in;
  in.scopes = {scope("r:all")};
  in.routes = {
      route(Method::any, "/z/**", "r:all", "any-method z/**"),
      route(Method::delete_, "/z/{id}", "r:all", "DELETE z/{id}"),
      route(Method::post, "/y/lit", "r:all", "POST y/lit"),
      route(Method::get, "/y/{id}", "r:all", "GET y/{id}"),
  };
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"r:all"});
  struct Row {
    const char* note;
    const char* method;
    const char* path;
    const char* winner;
  };
  const std::vector<Row> rows = {
      {"exact method on a param template beats any-method rest", "DELETE", "/z/1",
       "DELETE z/{id}"},
      {"any-method rest takes what the param template does not", "GET", "/z/1",
       "any-method z/**"},
      {"literal with the method wins", "POST", "/y/lit", "POST y/lit"},
      {"param takes the method the literal lacks", "GET", "/y/lit", "GET y/{id}"},
  };
  for (const Row& row : rows) {
    INFO(row.note << ": " << row.method << " " << row.path);
    const Decision d = policy.decide(key, row.method, row.path);
    INFO(describe(d));
    REQUIRE(d.allowed());
    CHECK(d.endpoint()->description == row.winner);
  }
  const Decision d = policy.decide(key, "PUT", "/y/lit");
  INFO(describe(d));
  CHECK(d.reason() == Reason::method_not_allowed);
  CHECK(split_allow(d.allowed_methods()) == std::vector<std::string>{"GET", "POST"});
}
