// Route resolution: template precedence, backtracking, methods (404/405) and path
// parameters, on policies built directly with PolicyBuilder (no dsl).
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
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

// An allowed request (the key holds `r:all`, which grants every route) and what it must
// resolve to: the winning route's description and the parameters it binds, in order.
struct Resolution {
  std::string method;
  std::string path;
  std::string winner;
  std::vector<std::pair<std::string, std::string>> params;
  std::string note = {};  // why the row is there, when the test's comment does not say
};

void check_resolutions(const Policy& policy, const Principal& key,
                       const std::vector<Resolution>& rows) {
  for (const Resolution& row : rows) {
    INFO(row.note << (row.note.empty() ? "" : ": ") << row.method << " " << row.path);
    const Decision d = policy.decide(key, row.method, row.path);
    INFO(describe(d));
    REQUIRE(d.allowed());
    CHECK(d.endpoint()->description == row.winner);
    CHECK(bound_params(d) == row.params);
  }
}

// A refused request: the reason and the methods its Allow header names (sorted).
struct Refusal {
  std::string method;
  std::string path;
  Reason reason;
  std::vector<std::string> allow;
};

void check_refusals(const Policy& policy, const Principal& key, const std::vector<Refusal>& rows) {
  for (const Refusal& row : rows) {
    INFO(row.method << " " << row.path);
    const Decision d = policy.decide(key, row.method, row.path);
    INFO(describe(d));
    CHECK(d.reason() == row.reason);
    CHECK(split_allow(d.allowed_methods()) == row.allow);
  }
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
      {"collection: PUT not allowed", "PUT", "/items", Reason::method_not_allowed, {"GET", "POST"}},
      {"collection: DELETE not allowed",
       "DELETE",
       "/items",
       Reason::method_not_allowed,
       {"GET", "POST"}},
      {"item: POST not allowed", "POST", "/items/7", Reason::method_not_allowed, {"DELETE", "GET"}},
      {"method names are case-sensitive",
       "get",
       "/items",
       Reason::method_not_allowed,
       {"GET", "POST"}},
      {"a method the language does not name",
       "TRACE",
       "/items/7/tags/x",
       Reason::method_not_allowed,
       {"PUT"}},
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
      {"encoded value kept as sent",
       "/orgs/a%20b/items/%41",
       {{"org", "a%20b"}, {"item_id", "%41"}}},
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
    CHECK(bound_params(d) == row.params);
    for (const auto& [name, value] : row.params) {
      CHECK(d.param(name) == std::optional<std::string_view>(value));
    }
    CHECK_FALSE(d.param("missing").has_value());
  }
}

// A name's length has no field of its own to overflow (the PolicyBuilder, unlike the
// language, puts no limit on it).
TEST_CASE("engine: a parameter name 70000 bytes long is bound whole") {
  const std::string name(70'000, 'n');
  PolicyInput in;
  in.scopes = {scope("r:all")};
  in.routes = {route(Method::get, "/x/{" + name + "}", "r:all")};
  const Policy policy = build(std::move(in));
  const Decision d = policy.decide(policy.principal_for_key({"r:all"}), "GET", "/x/42");
  REQUIRE(d.params().size() == 1);
  CHECK(d.params()[0].name.size() == name.size());
  CHECK(d.param(name) == std::optional<std::string_view>("42"));
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
      {"exact method on a param template beats any-method rest", "DELETE", "/z/1", "DELETE z/{id}"},
      {"any-method rest takes what the param template does not", "GET", "/z/1", "any-method z/**"},
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

TEST_CASE("engine: past a dead end the next most specific route wins and binds its params") {
  PolicyInput in;
  in.scopes = {scope("r:all")};
  in.routes = {
      route(Method::get, "/a/b/c/d", "r:all", "a/b/c/d"),
      route(Method::get, "/a/{x}/c/e", "r:all", "a/{x}/c/e"),
      route(Method::get, "/a/b/{y}/f", "r:all", "a/b/{y}/f"),
      route(Method::get, "/{z}/b/c/g", "r:all", "{z}/b/c/g"),
      route(Method::get, "/{z}/{w}/c/h", "r:all", "{z}/{w}/c/h"),
      route(Method::get, "/{z}/**", "r:all", "{z}/**"),
      route(Method::put, "/a/{x}/c/d", "r:all", "PUT a/{x}/c/d"),
      route(Method::delete_, "/{z}/b/c/d", "r:all", "DELETE {z}/b/c/d"),
      route(Method::patch, "/q/**", "r:all", "PATCH q/**"),
      route(Method::post, "/q/r/{s}", "r:all", "POST q/r/{s}"),
  };
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"r:all"});
  const std::vector<Resolution> allowed = {
      {"GET", "/a/b/c/d", "a/b/c/d", {}, "literal chain"},
      {"GET", "/a/b/c/f", "a/b/{y}/f", {{"y", "c"}}, "the deepest wildcard first"},
      {"GET", "/a/b/c/e", "a/{x}/c/e", {{"x", "b"}}, "back two levels"},
      {"GET", "/a/b/c/g", "{z}/b/c/g", {{"z", "a"}}, "back to the root's wildcard"},
      {"GET",
       "/a/b/c/h",
       "{z}/{w}/c/h",
       {{"z", "a"}, {"w", "b"}},
       "two wildcards after three dead ends"},
      {"GET", "/a/b/c/i", "{z}/**", {{"z", "a"}}, "nothing deeper: the root wildcard's rest"},
      {"PUT", "/a/b/c/d", "PUT a/{x}/c/d", {{"x", "b"}}, "a method only a wildcard template has"},
      {"DELETE",
       "/a/b/c/d",
       "DELETE {z}/b/c/d",
       {{"z", "a"}},
       "a method only the root wildcard has"},
      {"PATCH", "/q/r/s", "PATCH q/**", {}, "rest after the param's method fails"},
  };
  check_resolutions(policy, key, allowed);
  // A 405 names the methods of every template matching the path, wherever it is.
  const Decision d = policy.decide(key, "POST", "/a/b/c/d");
  INFO(describe(d));
  CHECK(d.reason() == Reason::method_not_allowed);
  CHECK(split_allow(d.allowed_methods()) == std::vector<std::string>{"DELETE", "GET", "PUT"});
  const Decision q = policy.decide(key, "HEAD", "/q/r/s");
  INFO(describe(q));
  CHECK(q.reason() == Reason::method_not_allowed);
  CHECK(split_allow(q.allowed_methods()) == std::vector<std::string>{"GET", "PATCH", "POST"});
}

// A node whose only child is a `{param}` (`/orders` with `/orders/{id}` below it) is
// passed without being read on the way down (see TrieEdge in engine/src/policy_impl.hpp):
// its own endpoints, its `**` and the 405 methods must still come out as if it were.
TEST_CASE("engine: /orders keeps its routes and methods when only /orders/{id} lies below it") {
  PolicyInput in;
  in.scopes = {scope("r:all")};
  in.routes = {
      route(Method::get, "/orders", "r:all", "orders"),
      route(Method::get, "/orders/{id}", "r:all", "orders/{id}"),
      route(Method::get, "/orders/{id}/items", "r:all", "orders/{id}/items"),
      route(Method::get, "/orders/{id}/items/{item}", "r:all", "orders/{id}/items/{item}"),
      route(Method::delete_, "/orders/**", "r:all", "DELETE orders/**"),
      route(Method::get, "/plain/{id}", "r:all", "plain/{id}"),
      route(Method::get, "/{any}/{id}/items", "r:all", "{any}/{id}/items"),
      route(Method::put, "/deep/{a}/{b}/{c}", "r:all", "PUT deep/{a}/{b}/{c}"),
  };
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"r:all"});
  const std::vector<Resolution> allowed = {
      {"GET", "/orders", "orders", {}},
      {"GET", "/orders/7", "orders/{id}", {{"id", "7"}}},
      {"GET", "/orders/7/items", "orders/{id}/items", {{"id", "7"}}},
      {"GET", "/orders/7/items/3", "orders/{id}/items/{item}", {{"id", "7"}, {"item", "3"}}},
      {"GET", "/or%64ers/7/items/3", "orders/{id}/items/{item}", {{"id", "7"}, {"item", "3"}}},
      {"DELETE", "/orders", "DELETE orders/**", {}},
      {"DELETE", "/orders/7", "DELETE orders/**", {}},
      {"DELETE", "/orders/7/items/3/x", "DELETE orders/**", {}},
      {"GET", "/plain/1/items", "{any}/{id}/items", {{"any", "plain"}, {"id", "1"}}},
      {"PUT", "/deep/1/2/3", "PUT deep/{a}/{b}/{c}", {{"a", "1"}, {"b", "2"}, {"c", "3"}}},
  };
  check_resolutions(policy, key, allowed);
  const std::vector<Refusal> refused = {
      {"POST",
       "/orders",
       Reason::method_not_allowed,
       {"DELETE", "GET"}},  // `**`: zero segments too
      {"POST", "/orders/7", Reason::method_not_allowed, {"DELETE", "GET"}},
      {"POST", "/orders/7/items/3", Reason::method_not_allowed, {"DELETE", "GET"}},
      {"GET", "/orders/7/nothing", Reason::method_not_allowed, {"DELETE"}},
      {"GET", "/plain", Reason::no_route, {}},
      {"GET", "/plain/1/2", Reason::no_route, {}},
      {"GET", "/deep/1/2/3", Reason::method_not_allowed, {"PUT"}},
  };
  check_refusals(policy, key, refused);
}

// The same pass-through when the wildcard child's literals are a hash table (more than
// linear_scan_limit of them): the edge to `/x` leads straight into `/x/{id}`'s table.
TEST_CASE("engine: many literal routes after a parameter each match and others fall back") {
  PolicyInput in;
  in.scopes = {scope("r:all")};
  in.routes = {
      route(Method::get, "/x", "r:all", "x"),
      route(Method::get, "/x/{id}", "r:all", "x/{id}"),
      route(Method::get, "/x/{id}/{k}", "r:all", "x/{id}/{k}"),
      route(Method::delete_, "/x/**", "r:all", "DELETE x/**"),
  };
  for (int i = 0; i < 40; ++i) {
    const std::string literal = "n" + std::to_string(i);
    in.routes.push_back(route(Method::get, "/x/{id}/" + literal, "r:all", "x/{id}/" + literal));
  }
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"r:all"});
  const std::vector<Resolution> allowed = {
      {"GET", "/x", "x", {}},
      {"GET", "/x/7", "x/{id}", {{"id", "7"}}},
      {"GET", "/x/7/n23", "x/{id}/n23", {{"id", "7"}}},
      {"GET", "/x/7/n0", "x/{id}/n0", {{"id", "7"}}},
      {"GET", "/x/7/n39", "x/{id}/n39", {{"id", "7"}}},
      {"GET", "/x/7/n%32%33", "x/{id}/n23", {{"id", "7"}}},
      {"GET", "/x/7/zz", "x/{id}/{k}", {{"id", "7"}, {"k", "zz"}}},
      {"GET", "/x/7/n40", "x/{id}/{k}", {{"id", "7"}, {"k", "n40"}}},
      {"DELETE", "/x/7/n5/q", "DELETE x/**", {}},
  };
  check_resolutions(policy, key, allowed);
  const std::vector<Refusal> refused = {
      {"POST", "/x/7/n5", Reason::method_not_allowed, {"DELETE", "GET"}},
      {"GET", "/x/7/n5/q", Reason::method_not_allowed, {"DELETE"}},
  };
  check_refusals(policy, key, refused);
}

// Paths of max_path_segments segments, where every level has a wildcard alternative (one
// remembered node a level, 64 in all) and the `(a/*)` chain passes through a node with
// only a wildcard child every other level.
TEST_CASE("engine: a path of the maximum segment count falls back to wildcards at every level") {
  const std::size_t max = max_path_segments;
  std::string literals, wildcards, alternating;
  for (std::size_t i = 0; i < max; ++i) {
    literals += "/a";
    alternating += i % 2 == 0 ? "/a" : "/*";
    wildcards += i + 4 < max ? "/*" : "/{p" + std::to_string(i + 4 - max) + "}";
  }
  PolicyInput in;
  in.scopes = {scope("r:all")};
  in.routes = {
      route(Method::get, literals, "r:all", "GET a^64"),
      route(Method::post, wildcards, "r:all", "POST *^60 p0..p3"),
      route(Method::put, alternating, "r:all", "PUT (a/*)^32"),
      route(Method::delete_, "/a/**", "r:all", "DELETE a/**"),
  };
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"r:all"});
  // The path of `max` segments `a`, with segment `at` replaced by `text` (none: at == max).
  const auto path = [max](std::size_t at, const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < max; ++i) out += "/" + (i == at ? text : std::string("a"));
    return out;
  };
  const std::vector<std::pair<std::string, std::string>> all_a = {
      {"p0", "a"}, {"p1", "a"}, {"p2", "a"}, {"p3", "a"}};
  const std::vector<Resolution> allowed = {
      {"GET", path(max, ""), "GET a^64", {}},
      {"GET", path(max - 1, "%61"), "GET a^64", {}},
      {"POST", path(max, ""), "POST *^60 p0..p3", all_a},
      {"PUT", path(max, ""), "PUT (a/*)^32", {}},
      {"PUT", path(41, "b"), "PUT (a/*)^32", {}},
      {"DELETE", path(max, ""), "DELETE a/**", {}},
      {"POST",
       path(62, "b"),
       "POST *^60 p0..p3",
       {{"p0", "a"}, {"p1", "a"}, {"p2", "b"}, {"p3", "a"}}},
  };
  check_resolutions(policy, key, allowed);
  const std::vector<Refusal> refused = {
      {"HEAD", path(max, ""), Reason::method_not_allowed, {"DELETE", "GET", "POST", "PUT"}},
      // Segment 41 is one of PUT's `*`s, segment 40 one of its literal `a`s.
      {"GET", path(41, "b"), Reason::method_not_allowed, {"DELETE", "POST", "PUT"}},
      {"GET", path(40, "b"), Reason::method_not_allowed, {"DELETE", "POST"}},
      {"GET", path(max, "").substr(2), Reason::method_not_allowed, {"DELETE"}},  // 63 segments
      {"GET", path(max, "") + "/a", Reason::invalid_path, {}},  // 65 segments: too many
  };
  check_refusals(policy, key, refused);
}
