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

namespace {

// The path copied into a buffer of exactly its size, so that an ASan build reports a
// read past the end of the caller's text.
class ExactPath {
 public:
  explicit ExactPath(std::string_view path) : m_bytes(new char[path.size()]), m_size(path.size()) {
    std::copy(path.begin(), path.end(), m_bytes.get());
  }
  std::string_view view() const { return {m_bytes.get(), m_size}; }

 private:
  std::unique_ptr<char[]> m_bytes;
  std::size_t m_size;
};

// Literal children compared by their first 8 bytes as one word: sizes around 8 and 16,
// literals sharing their first 8 bytes, and segments that are prefixes of literals.
// Every literal has a `{param}` sibling, so a literal that wrongly fails to match shows
// as the param endpoint, and one that wrongly matches shows as the literal's.
Policy literal_policy() {
  PolicyInput in;
  in.scopes = {scope("r:all")};
  in.routes = {
      route(Method::get, "/k/abcdefg", "r:all", "7 bytes"),
      route(Method::get, "/k/abcdefgh", "r:all", "8 bytes"),
      route(Method::get, "/k/abcdefghi", "r:all", "9 bytes"),
      route(Method::get, "/k/abcdefghabcdefgh", "r:all", "16 bytes"),
      route(Method::get, "/k/abcdefghabcdefghi", "r:all", "17 bytes"),
      route(Method::get, "/k/abcdefghabcdefgX", "r:all", "16 bytes, last differs"),
      route(Method::get, "/k/abcdefghXbcdefgh", "r:all", "16 bytes, ninth differs"),
      route(Method::get, "/k/a", "r:all", "1 byte"),
      route(Method::get, "/k/{x}", "r:all", "param"),
      route(Method::get, "/k/abcdefgh/z", "r:all", "8 bytes then z"),
      route(Method::get, "/s", "r:all", "short s"),
      route(Method::get, "/sh/{x}", "r:all", "param under sh"),
      route(Method::get, "/sh/ab", "r:all", "literal ab under sh"),
  };
  return build(std::move(in));
}

}  // namespace

TEST_CASE("engine: literal segments match by their bytes whatever their length") {
  const Policy policy = literal_policy();
  const Principal key = policy.principal_for_key({"r:all"});
  struct Row {
    const char* note;
    const char* path;
    const char* winner;
  };
  const std::vector<Row> rows = {
      {"7 bytes", "/k/abcdefg", "7 bytes"},
      {"8 bytes", "/k/abcdefgh", "8 bytes"},
      {"9 bytes", "/k/abcdefghi", "9 bytes"},
      {"16 bytes", "/k/abcdefghabcdefgh", "16 bytes"},
      {"17 bytes", "/k/abcdefghabcdefghi", "17 bytes"},
      {"16 bytes sharing 15 with another", "/k/abcdefghabcdefgX", "16 bytes, last differs"},
      {"16 bytes sharing the first 8 with others", "/k/abcdefghXbcdefgh",
       "16 bytes, ninth differs"},
      {"1 byte", "/k/a", "1 byte"},
      {"a prefix of the 7-byte literal", "/k/abcdef", "param"},
      {"the 7-byte literal with another last byte", "/k/abcdefX", "param"},
      {"the first 8 bytes of the 9-byte literal plus another", "/k/abcdefghX", "param"},
      {"10 bytes extending the 9-byte literal", "/k/abcdefghij", "param"},
      {"15 bytes, a prefix of the 16-byte literals", "/k/abcdefghabcdefg", "param"},
      {"16 bytes differing in the 9th byte only", "/k/abcdefghYbcdefgh", "param"},
      {"17 bytes differing in the last byte only", "/k/abcdefghabcdefghj", "param"},
      {"18 bytes extending the 17-byte literal", "/k/abcdefghabcdefghij", "param"},
      {"8 bytes differing in the first byte", "/k/Xbcdefgh", "param"},
      {"8 bytes differing in the 8th byte", "/k/abcdefgX", "param"},
      {"the 8-byte literal before another segment", "/k/abcdefgh/z", "8 bytes then z"},
      {"the 16-byte literal before a query", "/k/abcdefghabcdefgh?q=abcdefgh", "16 bytes"},
      {"a prefix of the literal before a query", "/k/abcdefgh?i", "8 bytes"},
      {"a whole path shorter than 8 bytes", "/s", "short s"},
      {"a short last segment in a short path", "/sh/ab", "literal ab under sh"},
      {"a prefix of a literal in a short path", "/sh/a", "param under sh"},
      {"a short path extending a literal", "/sh/abc", "param under sh"},
      {"encoded byte in the first 8", "/k/%61bcdefgh", "8 bytes"},
      {"encoded byte past the first 8", "/k/abcdefghabcdefg%68", "16 bytes"},
      {"encoded 17-byte literal, all bytes encoded at the end", "/k/abcdefghabcdef%67%68%69",
       "17 bytes"},
      {"encoded segment that decodes to no literal", "/k/abcdefg%58", "param"},
      {"encoded 1-byte literal", "/k/%61", "1 byte"},
  };
  for (const Row& row : rows) {
    INFO(row.note << ": GET " << row.path);
    const ExactPath path(row.path);
    const Decision d = policy.decide(key, "GET", path.view());
    INFO(describe(d));
    REQUIRE(d.allowed());
    CHECK(d.endpoint()->description == row.winner);
  }
  const ExactPath unknown("/s/x");
  CHECK(policy.decide(key, "GET", unknown.view()).reason() == Reason::no_route);
}

TEST_CASE("engine: among many sibling literal routes a path reaches exactly the one it spells") {
  // More children than a linear scan takes: sizes 1 to 24, many sharing their first 8
  // bytes, so the lookup compares by word, size and the bytes after 8.
  std::vector<std::string> literals;
  for (std::size_t size = 1; size <= 24; ++size) {
    for (const char first : {'a', 'm', 'z'}) {
      std::string text(size, 'q');
      text[0] = first;
      literals.push_back(text);
      if (size > 8) {
        text[size - 1] = 'r';
        literals.push_back(text);
        text[8] = 'b';
        literals.push_back(text);
      }
    }
  }
  PolicyInput in;
  in.scopes = {scope("r:all")};
  for (const std::string& text : literals)
    in.routes.push_back(route(Method::get, "/n/" + text, "r:all", text));
  in.routes.push_back(route(Method::get, "/n/{x}", "r:all", "param"));
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"r:all"});

  const auto winner = [&](const std::string& segment) {
    const ExactPath path("/n/" + segment);
    const Decision d = policy.decide(key, "GET", path.view());
    INFO(describe(d));
    REQUIRE(d.allowed());
    return std::string(d.endpoint()->description);
  };
  const std::set<std::string> known(literals.begin(), literals.end());
  for (const std::string& text : literals) {
    INFO("literal " << text);
    CHECK(winner(text) == text);
    // One byte more, one byte less, and each byte changed: the literal's own endpoint
    // never answers, another literal only if it is exactly that text.
    std::vector<std::string> near = {text + "q", text.substr(0, text.size() - 1)};
    for (std::size_t i = 0; i < text.size(); ++i) {
      std::string changed = text;
      changed[i] = 'x';
      near.push_back(changed);
    }
    for (const std::string& other : near) {
      if (other.empty()) continue;
      INFO("near miss " << other);
      CHECK(winner(other) == (known.count(other) != 0 ? other : "param"));
    }
    std::string encoded = "%" +
                          std::string(text[0] == 'a'   ? "61"
                                      : text[0] == 'm' ? "6D"
                                                       : "7a") +
                          text.substr(1);
    INFO("encoded " << encoded);
    CHECK(winner(encoded) == text);
  }
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

namespace {

// About 500 literals for one node, so it is looked up through its hash table, chosen to
// collide there: many share their first 8 bytes, many share head and size, and 40 share
// head, size and last 8 bytes (everything the table hashes), so they queue behind one
// another from the same home slot.
std::vector<std::string> hashed_node_literals() {
  std::vector<std::string> out;
  // 1 to 8 bytes: the head alone tells them apart.
  for (std::size_t size = 1; size <= 8; ++size) {
    for (const char first : std::string_view("abcdefghij"))
      out.push_back(first + std::string(size - 1, 's'));
  }
  // The same first 8 bytes, sizes 9 to 24, three texts of each size.
  for (const std::string head : {"billing-", "customer"}) {
    for (std::size_t size = 9; size <= 24; ++size) {
      for (const char fill : {'a', 'k', 'z'}) out.push_back(head + std::string(size - 8, fill));
    }
  }
  // Equal in head, size and last 8 bytes; they differ in bytes 9 and 10 only.
  for (const char first : std::string_view("abcdefghijklmnopqrst")) {
    for (const char second : {'a', 'b'})
      out.push_back(std::string("internal") + first + second + "mm-endings");
  }
  // Equal but for the last byte, at sizes 9, 16 and 17.
  for (const std::size_t size : {9, 16, 17}) {
    for (const char last : std::string_view("abcdefghij"))
      out.push_back("regional" + std::string(size - 9, 'r') + last);
  }
  // Names like the benchmark's resources.
  for (const std::string_view qualifier : {"archive", "build", "cloud", "edge", "export", "fleet",
                                           "import", "legacy", "mobile", "partner"}) {
    for (const std::string_view noun :
         {"accounts",  "alerts",      "backups", "buckets", "certificates", "clusters", "contacts",
          "databases", "deployments", "devices", "domains", "events",       "files",    "firewalls",
          "images",    "invoices",    "jobs",    "keys",    "networks",     "nodes",    "orders",
          "pipelines", "projects",    "queues",  "reports"}) {
      out.push_back(std::string(qualifier) + "-" + std::string(noun));
    }
  }
  return out;
}

// `text` with its byte `at` percent-encoded.
std::string encode_byte(const std::string& text, std::size_t at) {
  static constexpr std::string_view digits = "0123456789ABCDEF";
  const auto byte = static_cast<unsigned char>(text[at]);
  return text.substr(0, at) + '%' + digits[byte >> 4U] + digits[byte & 15U] + text.substr(at + 1);
}

}  // namespace

TEST_CASE("engine: hundreds of look-alike sibling literal routes each match only their own path") {
  const std::vector<std::string> literals = hashed_node_literals();
  const std::set<std::string> known(literals.begin(), literals.end());
  REQUIRE(known.size() == literals.size());
  PolicyInput in;
  in.scopes = {scope("r:all")};
  for (std::size_t i = 0; i < literals.size(); ++i) {
    in.routes.push_back(route(Method::get, "/h/" + literals[i], "r:all", literals[i]));
    if (i % 2 == 0)
      in.routes.push_back(route(Method::get, "/h/" + literals[i] + "/deep", "r:all", "deep"));
  }
  in.routes.push_back(route(Method::get, "/h/{x}", "r:all", "param"));
  in.routes.push_back(route(Method::get, "/h/{x}/tail", "r:all", "param tail"));
  in.routes.push_back(route(Method::get, "/h/**", "r:all", "rest"));
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"r:all"});

  const auto winner = [&](const std::string& path) {
    const ExactPath exact(path);
    const Decision d = policy.decide(key, "GET", exact.view());
    INFO(describe(d));
    REQUIRE(d.allowed());
    return std::string(d.endpoint()->description);
  };
  for (std::size_t i = 0; i < literals.size(); ++i) {
    const std::string& text = literals[i];
    INFO("literal " << text);
    CHECK(winner("/h/" + text) == text);
    // One byte more, one byte less, each byte changed: only a literal that is exactly
    // that text answers, else the parameter.
    std::vector<std::string> near = {text + "s", text.substr(0, text.size() - 1)};
    for (std::size_t at = 0; at < text.size(); ++at) {
      std::string changed = text;
      changed[at] = 'X';
      near.push_back(changed);
      changed[at] = static_cast<char>(text[at] + 1);
      near.push_back(changed);
    }
    for (const std::string& other : near) {
      if (other.empty()) continue;
      INFO("near miss " << other);
      CHECK(winner("/h/" + other) == (known.count(other) != 0 ? other : "param"));
    }
    // Percent-encoded segments compare their decoded bytes.
    CHECK(winner("/h/" + encode_byte(text, 0)) == text);
    CHECK(winner("/h/" + encode_byte(text, text.size() - 1)) == text);
    CHECK(winner("/h/" + encode_byte(text + "s", 0)) ==
          (known.count(text + "s") != 0 ? text + "s" : "param"));
    // Below the hashed node: the literal's own child, else back to the wildcards.
    CHECK(winner("/h/" + text + "/deep") == (i % 2 == 0 ? "deep" : "rest"));
    CHECK(winner("/h/" + text + "/tail") == "param tail");
    CHECK(winner("/h/" + text + "/other/more") == "rest");
  }
  const ExactPath tail("/h/" + literals.back() + "/tail");
  const Decision bound = policy.decide(key, "GET", tail.view());
  REQUIRE(bound.params().size() == 1);
  CHECK(bound.params()[0].value == literals.back());
  const Decision post = policy.decide(key, "POST", "/h/" + literals.front());
  CHECK(post.reason() == Reason::method_not_allowed);
  CHECK(split_allow(post.allowed_methods()) == std::vector<std::string>{"GET"});
}

TEST_CASE("engine: sibling literal routes match alike whether there are 7 or 33 of them") {
  // Up to linear_scan_limit (16) children are scanned, more hashed: each count finds every
  // child and nothing else.
  for (const std::size_t count : {7, 8, 9, 10, 16, 17, 33}) {
    std::vector<std::string> literals;
    for (std::size_t i = 0; i < count; ++i)
      literals.push_back(std::string(1 + i % 12, 'k') + std::to_string(i));
    PolicyInput in;
    in.scopes = {scope("r:all")};
    for (const std::string& text : literals)
      in.routes.push_back(route(Method::get, "/t/" + text, "r:all", text));
    in.routes.push_back(route(Method::get, "/t/{x}", "r:all", "param"));
    const Policy policy = build(std::move(in));
    const Principal key = policy.principal_for_key({"r:all"});
    for (const std::string& text : literals) {
      INFO(count << " children, literal " << text);
      for (const auto& [path, expected] :
           {std::pair{"/t/" + text, text}, std::pair{"/t/" + text + "k", std::string("param")},
            std::pair{"/t/" + text.substr(1), std::string("param")}}) {
        INFO("path " << path);
        const Decision d = policy.decide(key, "GET", path);
        REQUIRE(d.allowed());
        CHECK(d.endpoint()->description == expected);
      }
    }
  }
}

TEST_CASE("engine: a request method reaches its own route only when it is one of the seven names") {
  PolicyInput in;
  in.scopes = {scope("r:all")};
  for (std::size_t m = 0; m < static_cast<std::size_t>(Method::any); ++m) {
    in.routes.push_back(route(static_cast<Method>(m), "/m", "r:all", std::string(method_names[m])));
  }
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"r:all"});
  const std::vector<std::string> all = {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"};

  // parse_method() (a plain loop over the names) is the reference for what decide() reads.
  const auto check = [&](const std::string& method) {
    INFO("method \"" << method << "\" (" << method.size() << " bytes)");
    const Decision d = policy.decide(key, method, "/m");
    const std::optional<Method> parsed = parse_method(method);
    if (parsed && *parsed != Method::any) {
      REQUIRE(d.allowed());
      CHECK(d.endpoint()->description == method);
    } else {
      CHECK(d.reason() == Reason::method_not_allowed);
      CHECK(split_allow(d.allowed_methods()) == all);
    }
  };
  for (const std::string method :
       {"GET",    "POST",     "PUT",   "PATCH",   "DELETE", "HEAD",   "OPTIONS", "",
        "*",      "G",        "GE",    "GETS",    "get",    "Get",    "HEAT",    "PEAD",
        "QUT",    "PUTS",     "POS",   "POSTS",   "PATC",   "PATCHY", "DELET",   "DELETED",
        "OPTION", "OPTIONSS", "TRACE", "CONNECT", "GET ",   " GET",   "OPTIONs", "dELETE"}) {
    check(method);
  }
  check(std::string("GET\0", 4));
  check(std::string("G\0T", 3));
  // Every name with one byte changed, and random strings over the names' letters.
  for (const std::string_view name : all) {
    for (std::size_t at = 0; at < name.size(); ++at) {
      for (int byte = 0; byte < 256; ++byte) {
        std::string changed(name);
        changed[at] = static_cast<char>(byte);
        check(changed);
      }
    }
  }
  std::mt19937 random(7);
  const std::string letters = "ACDEGHILNOPSTU";
  for (int i = 0; i < 20000; ++i) {
    std::string method(std::uniform_int_distribution<std::size_t>(0, 9)(random), 'A');
    for (char& c : method)
      c = letters[std::uniform_int_distribution<std::size_t>(0, letters.size() - 1)(random)];
    check(method);
  }
}

TEST_CASE("engine: routes with parameters at the same places each bind their own names") {
  // The compiled policy keeps one copy of each list of parameter slots: endpoints with the
  // same names at the same places share it, and no other endpoint may read it.
  PolicyInput in;
  in.scopes = {scope("a:read")};
  in.routes = {
      route(Method::get, "/a/{id}", "a:read"),
      route(Method::get, "/b/{id}", "a:read"),
      route(Method::get, "/c/{name}", "a:read"),
      route(Method::get, "/d/*/{id}", "a:read"),
      route(Method::get, "/e/{id}/x/{sub}", "a:read"),
      route(Method::get, "/f/{sub}/x/{id}", "a:read"),
      route(Method::get, "/g/{id}/x/{sub}", "a:read"),
  };
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"a:read"});
  const std::vector<std::pair<const char*, std::vector<std::pair<std::string, std::string>>>> rows =
      {
          {"/a/1", {{"id", "1"}}},
          {"/b/2", {{"id", "2"}}},
          {"/c/3", {{"name", "3"}}},
          {"/d/skip/4", {{"id", "4"}}},
          {"/e/5/x/6", {{"id", "5"}, {"sub", "6"}}},
          {"/f/7/x/8", {{"sub", "7"}, {"id", "8"}}},
          {"/g/9/x/10", {{"id", "9"}, {"sub", "10"}}},
      };
  for (const auto& [path, expected] : rows) {
    INFO(path);
    const Decision d = policy.decide(key, "GET", path);
    INFO(describe(d));
    REQUIRE(d.allowed());
    CHECK(bound_params(d) == expected);
  }
}
