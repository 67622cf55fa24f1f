// Forbid rules through PolicyBuilder: a matching rule refuses what would be allowed
// (whatever allowed it), only when its method, its template (against the concrete path)
// and its condition all match; it never turns one refusal into another.
#include <catch2/catch.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "support.hpp"

using namespace scopegate;
using namespace scopegate::test;
using namespace scopegate::test::cond;

namespace {

using Op = CompareOp;

struct Row {
  const char* note;
  const Principal* principal;
  const char* method;
  const char* target;
  Reason reason;
  const char* message = nullptr;  // checked when set
};

void check_rows(const Policy& policy, const std::vector<Row>& rows,
                std::span<const Header> headers = {}) {
  for (const Row& row : rows) {
    INFO(row.note << ": " << row.method << " " << row.target);
    const Request request{row.method, row.target, std::nullopt, headers, std::nullopt};
    const Decision d = policy.decide(*row.principal, request);
    INFO(describe(d));
    CHECK(d.reason() == row.reason);
    if (row.message != nullptr) CHECK(d.message() == row.message);
    if (row.reason == Reason::forbidden) {
      CHECK(d.status() == 403);
      CHECK(d.reason_code() == "forbidden");
      CHECK(d.forbid() != nullptr);
      CHECK_FALSE(d.granted_by().has_value());
    } else {
      CHECK(d.forbid() == nullptr);
    }
  }
}

}  // namespace

TEST_CASE("engine: forbid wins over an allow, and names its rule") {
  PolicyInput input;
  input.scopes = {scope("a:read"), scope("a:write")};
  input.routes = {route(Method::get, "/a/{x}/**", "a:read", "read under a"),
                  route(Method::post, "/a/{x}/**", "a:write")};
  input.forbids = {
      forbid(Method::get, "/a/b/**", std::nullopt, "b is off limits", at("f.policy", 30, 1))};
  const Policy policy = build(std::move(input));
  const Principal reader = policy.principal_for_key({"a:read", "a:write"});

  SECTION("the concrete path decides, not the endpoint's template") {
    const Decision other = policy.decide(reader, "GET", "/a/c/d");
    INFO(describe(other));
    CHECK(other.allowed());
    CHECK(other.granted_by() == "a:read");

    const Decision d = policy.decide(reader, "GET", "/a/b/d");
    INFO(describe(d));
    CHECK(d.reason() == Reason::forbidden);
    CHECK(d.reason_code() == "forbidden");
    CHECK(d.status() == 403);
    CHECK(d.message() == "b is off limits");
    REQUIRE(d.forbid() != nullptr);
    CHECK(d.forbid() == &policy.forbids()[0]);
    CHECK(d.forbid()->path_template == "/a/b/**");
    REQUIRE(d.rule() != nullptr);
    CHECK(*d.rule() == at("f.policy", 30, 1));
    CHECK_FALSE(d.granted_by().has_value());
    CHECK(d.failed_grant() == nullptr);
    REQUIRE(d.endpoint() != nullptr);
    CHECK(d.endpoint()->description == "read under a");
    CHECK(d.param("x") == "b");
  }
  SECTION("template matching: `**` matches zero segments, literals compare decoded") {
    check_rows(policy,
               {
                   {"zero segments after the prefix", &reader, "GET", "/a/b", Reason::forbidden,
                    "b is off limits"},
                   {"deeper", &reader, "GET", "/a/b/c/d/e", Reason::forbidden},
                   {"percent-encoded literal", &reader, "GET", "/a/%62/d", Reason::forbidden},
                   {"longer literal", &reader, "GET", "/a/bb/d", Reason::allowed},
                   {"other literal", &reader, "GET", "/a/c", Reason::allowed},
                   {"case differs", &reader, "GET", "/a/B/d", Reason::allowed},
                   {"with a query", &reader, "GET", "/a/b/d?x=1", Reason::forbidden},
               });
  }
  SECTION("another method is not forbidden") {
    check_rows(policy, {{"POST on the same path", &reader, "POST", "/a/b/d", Reason::allowed}});
  }
  SECTION("the rule is compiled with its method, message and location") {
    REQUIRE(policy.forbids().size() == 1);
    const ForbidRule& rule = policy.forbids()[0];
    CHECK(rule.method == Method::get);
    CHECK(rule.message == "b is off limits");
    CHECK(rule.condition == UINT32_MAX);
    CHECK(rule.location == at("f.policy", 30, 1));
  }
}

TEST_CASE("engine: forbid with a condition applies only while the condition holds") {
  PolicyInput input;
  input.scopes = {scope("r:read")};
  input.routes = {route(Method::any, "/r/{id}", "r:read"), route(Method::get, "/s", "r:read")};
  input.forbids = {
      forbid(Method::any, "/r/*", cmp(header("x-block"), Op::eq, str("1"))),
      forbid(Method::any, "/r/{id}", cmp(attr("request.param.id"), Op::eq, str("secret")),
             "secret is hidden"),
      forbid(Method::get, "/s", cmp(query("size"), Op::gt, num(100)), "too big"),
      forbid(Method::get, "/s", cmp(query("size"), Op::gt, num(10)), "big"),
  };
  const Policy policy = build(std::move(input));
  const Principal key = policy.principal_for_key({"r:read"});

  SECTION("without the header") {
    check_rows(policy, {
                           {"no header: allowed", &key, "GET", "/r/1", Reason::allowed},
                           {"param condition holds", &key, "GET", "/r/secret", Reason::forbidden,
                            "secret is hidden"},
                           {"param condition fails", &key, "DELETE", "/r/public", Reason::allowed},
                           {"first matching rule wins", &key, "GET", "/s?size=500",
                            Reason::forbidden, "too big"},
                           {"the first fails, the second holds", &key, "GET", "/s?size=50",
                            Reason::forbidden, "big"},
                           {"neither holds", &key, "GET", "/s?size=5", Reason::allowed},
                           {"missing attribute: no forbid", &key, "GET", "/s", Reason::allowed},
                       });
  }
  SECTION("with the header: every method, the default message") {
    const std::vector<Header> block = {{"X-Block", "1"}};
    check_rows(policy,
               {
                   {"GET", &key, "GET", "/r/1", Reason::forbidden, "Forbidden by policy"},
                   {"DELETE", &key, "DELETE", "/r/1", Reason::forbidden, "Forbidden by policy"},
                   {"a method outside the seven", &key, "TRACE", "/r/1", Reason::forbidden},
                   {"rules in order: the header rule first", &key, "GET", "/r/secret",
                    Reason::forbidden, "Forbidden by policy"},
               },
               block);
    const std::vector<Header> other = {{"X-Block", "0"}};
    check_rows(policy, {{"header with another value", &key, "GET", "/r/1", Reason::allowed}},
               other);
  }
  SECTION("the rules keep their condition text") {
    REQUIRE(policy.forbids().size() == 4);
    CHECK(policy.forbids()[0].condition_text == "request.header.x-block == \"1\"");
    CHECK(policy.forbids()[0].message == "Forbidden by policy");
    CHECK(policy.forbids()[0].method == Method::any);
    CHECK(policy.forbids()[0].condition != UINT32_MAX);
    CHECK(policy.forbids()[2].condition_text == "request.query.size > 100");
  }
}

TEST_CASE("engine: a forbid rule for one method on a `*` endpoint") {
  PolicyInput input;
  input.scopes = {scope("m:any")};
  input.routes = {route(Method::any, "/any/**", "m:any")};
  input.forbids = {forbid(Method::get, "/any/x", std::nullopt, "no GET of x"),
                   forbid(Method::delete_, "/any/{name}/**", std::nullopt, "no DELETE")};
  const Policy policy = build(std::move(input));
  const Principal key = policy.principal_for_key({"m:any"});
  check_rows(policy,
             {
                 {"GET /any/x", &key, "GET", "/any/x", Reason::forbidden, "no GET of x"},
                 {"POST /any/x", &key, "POST", "/any/x", Reason::allowed},
                 {"HEAD /any/x", &key, "HEAD", "/any/x", Reason::allowed},
                 {"GET /any/y", &key, "GET", "/any/y", Reason::allowed},
                 {"GET /any/x/y", &key, "GET", "/any/x/y", Reason::allowed},
                 {"DELETE /any/x/y", &key, "DELETE", "/any/x/y", Reason::forbidden, "no DELETE"},
                 {"DELETE /any/x", &key, "DELETE", "/any/x", Reason::forbidden, "no DELETE"},
                 {"DELETE /any: `{name}` needs a segment", &key, "DELETE", "/any", Reason::allowed},
                 {"TRACE /any/x", &key, "TRACE", "/any/x", Reason::allowed},
             });
}

TEST_CASE("engine: forbid never turns a refusal into another refusal") {
  PolicyInput input;
  input.scopes = {scope("d:read"), scope("d:user", ScopeKind::user), scope("d:cond")};
  input.routes = {
      route(Method::get, "/d/{id}", "d:read"),
      route(Method::get, "/d/{id}/private", "d:user"),
      when(route(Method::get, "/d/{id}/capped", "d:cond"), cmp(query("size"), Op::le, num(10))),
  };
  input.forbids = {forbid(Method::any, "/**", std::nullopt, "nothing at all")};
  const Policy policy = build(std::move(input));
  const Principal reader = policy.principal_for_key({"d:read"});
  const Principal capped = policy.principal_for_key({"d:cond"});
  const Principal nobody;
  check_rows(policy,
             {
                 {"allowed becomes forbidden", &reader, "GET", "/d/1", Reason::forbidden,
                  "nothing at all"},
                 {"missing scope stays", &capped, "GET", "/d/1", Reason::missing_scope},
                 {"user-only stays", &reader, "GET", "/d/1/private", Reason::api_key_not_supported},
                 {"condition_failed stays", &capped, "GET", "/d/1/capped?size=50",
                  Reason::condition_failed},
                 {"the condition holds: forbidden", &capped, "GET", "/d/1/capped?size=5",
                  Reason::forbidden},
                 {"unauthenticated stays", &nobody, "GET", "/d/1", Reason::unauthenticated},
                 {"no route stays", &reader, "GET", "/e", Reason::no_route},
                 {"method not allowed stays", &reader, "POST", "/d/1", Reason::method_not_allowed},
                 {"invalid path stays", &reader, "GET", "/d/../d/1", Reason::invalid_path},
             });
}

TEST_CASE("engine: forbid applies to public and authenticated endpoints too") {
  PolicyInput input;
  input.scopes = {scope("p:read")};
  input.routes = {open_route(Access::public_, Method::get, "/pub"),
                  open_route(Access::authenticated, Method::get, "/me")};
  input.forbids = {
      forbid(Method::any, "/pub",
             all({cmp(attr("principal.kind"), Op::eq, str("anonymous")),
                  cmp(query("block"), Op::eq, str("1"))}),
             "no anonymous blocking"),
      forbid(Method::get, "/me", cmp(attr("principal.id"), Op::eq, str("blocked")), "blocked key"),
  };
  const Policy policy = build(std::move(input));
  const Principal nobody;
  const Principal key = policy.principal_for_key({"p:read"});
  Principal blocked = policy.principal_for_key({"p:read"});
  blocked.set_identity("blocked", "", "");
  check_rows(
      policy,
      {
          {"anonymous, public", &nobody, "GET", "/pub", Reason::allowed},
          {"anonymous, public, condition holds", &nobody, "GET", "/pub?block=1", Reason::forbidden,
           "no anonymous blocking"},
          {"a key is not anonymous", &key, "GET", "/pub?block=1", Reason::allowed},
          {"authenticated", &key, "GET", "/me", Reason::allowed},
          {"authenticated, blocked id", &blocked, "GET", "/me", Reason::forbidden, "blocked key"},
          {"anonymous stays unauthenticated", &nobody, "GET", "/me", Reason::unauthenticated},
      });
}

TEST_CASE("engine: the allowed_cidrs forbid rule from DESIGN.md") {
  // forbid * /api/v1/** when principal.kind == "api_key" and principal.allowed_cidrs != []
  //                      and not request.ip in principal.allowed_cidrs { message "..." }
  PolicyInput input;
  input.scopes = {scope("sessions:read")};
  input.routes = {route(Method::get, "/api/v1/sessions", "sessions:read")};
  input.roles = {role("member", {"sessions:read"})};
  input.forbids = {forbid(Method::any, "/api/v1/**",
                          all({cmp(attr("principal.kind"), Op::eq, str("api_key")),
                               cmp(attr("principal.allowed_cidrs"), Op::ne, list({})),
                               not_(in(attr("request.ip"), attr("principal.allowed_cidrs")))}),
                          "API key is not allowed from this address", at("api.policy", 50, 1))};
  const Policy policy = build(std::move(input));
  REQUIRE(policy.forbids().size() == 1);
  CHECK(policy.forbids()[0].condition_text ==
        "principal.kind == \"api_key\" and principal.allowed_cidrs != [] and not (request.ip in "
        "principal.allowed_cidrs)");

  const Principal open_key = policy.principal_for_key({"sessions:read"});
  Principal fenced = policy.principal_for_key({"sessions:read"});
  fenced.set_allowed_cidrs({*parse_cidr("10.0.0.0/8"), *parse_cidr("2001:db8::/32")});
  Principal member = policy.principal_for_role("member");
  member.set_allowed_cidrs({*parse_cidr("10.0.0.0/8")});

  struct IpRow {
    const char* note;
    const Principal* principal;
    std::optional<const char*> ip;
    Reason reason;
  };
  const std::vector<IpRow> rows = {
      {"key without ranges, any address", &open_key, "192.0.2.1", Reason::allowed},
      {"key without ranges, no address", &open_key, std::nullopt, Reason::allowed},
      {"fenced key inside", &fenced, "10.20.30.40", Reason::allowed},
      {"fenced key inside, mapped form", &fenced, "::ffff:10.20.30.40", Reason::allowed},
      {"fenced key inside, IPv6", &fenced, "2001:db8::99", Reason::allowed},
      {"fenced key outside", &fenced, "192.0.2.1", Reason::forbidden},
      {"fenced key outside, IPv6", &fenced, "2001:db9::1", Reason::forbidden},
      {"fenced key, no address: fail closed", &fenced, std::nullopt, Reason::forbidden},
      {"a user is not fenced", &member, "192.0.2.1", Reason::allowed},
  };
  for (const IpRow& row : rows) {
    INFO(row.note);
    Request request{"GET", "/api/v1/sessions", std::nullopt, {}, std::nullopt};
    if (row.ip) request.ip = parse_ip(*row.ip);
    const Decision d = policy.decide(*row.principal, request);
    INFO(describe(d));
    CHECK(d.reason() == row.reason);
    if (row.reason == Reason::forbidden) {
      CHECK(d.message() == "API key is not allowed from this address");
      REQUIRE(d.rule() != nullptr);
      CHECK(*d.rule() == at("api.policy", 50, 1));
    }
  }
}

TEST_CASE("engine: forbid conditions read params as the application sees them") {
  // `/orgs/%61cme` is the application's `/orgs/acme`: a forbid on the decoded value
  // must not be sidestepped by encoding one character.
  PolicyInput input;
  input.scopes = {scope("o:read")};
  input.routes = {route(Method::get, "/orgs/{org}", "o:read")};
  input.forbids = {forbid(Method::any, "/orgs/{org}",
                          cmp(attr("request.param.org"), Op::eq, str("acme")), "acme is closed")};
  const Policy policy = build(std::move(input));
  const Principal key = policy.principal_for_key({"o:read"});
  check_rows(policy, {
                         {"plain", &key, "GET", "/orgs/acme", Reason::forbidden},
                         {"encoded", &key, "GET", "/orgs/%61cme", Reason::forbidden},
                         {"other org", &key, "GET", "/orgs/globex", Reason::allowed},
                     });
}

TEST_CASE("engine: forbid templates against the root and against wider endpoints") {
  PolicyInput input;
  input.scopes = {scope("t:read")};
  input.routes = {route(Method::get, "/", "t:read"), route(Method::get, "/a/{x}/**", "t:read"),
                  route(Method::get, "/w/**", "t:read")};
  input.forbids = {forbid(Method::get, "/a/c", std::nullopt, "exactly /a/c"),
                   forbid(Method::get, "/w", std::nullopt, "exactly /w"),
                   forbid(Method::get, "/w/{p}/q", std::nullopt, "q under w")};
  const Policy policy = build(std::move(input));
  const Principal key = policy.principal_for_key({"t:read"});
  check_rows(policy, {
                         {"root", &key, "GET", "/", Reason::allowed},
                         {"exact forbid on a wider endpoint", &key, "GET", "/a/c",
                          Reason::forbidden, "exactly /a/c"},
                         {"exact forbid, deeper path", &key, "GET", "/a/c/d", Reason::allowed},
                         {"`**` endpoint, zero segments", &key, "GET", "/w", Reason::forbidden,
                          "exactly /w"},
                         {"`**` endpoint, one segment", &key, "GET", "/w/x", Reason::allowed},
                         {"`**` endpoint, param in the forbid", &key, "GET", "/w/x/q",
                          Reason::forbidden, "q under w"},
                         {"`**` endpoint, longer", &key, "GET", "/w/x/q/r", Reason::allowed},
                     });

  PolicyInput everything;
  everything.scopes = {scope("t:read")};
  everything.routes = {route(Method::get, "/", "t:read"), route(Method::get, "/x", "t:read")};
  everything.forbids = {forbid(Method::any, "/**", std::nullopt, "all"),
                        forbid(Method::get, "/", std::nullopt, "root")};
  const Policy all_policy = build(std::move(everything));
  const Principal all_key = all_policy.principal_for_key({"t:read"});
  check_rows(all_policy,
             {
                 {"`/**` covers the root", &all_key, "GET", "/", Reason::forbidden, "all"},
                 {"`/**` covers the rest", &all_key, "GET", "/x", Reason::forbidden, "all"},
             });
}

TEST_CASE("engine: a forbid condition reads the parameters its own template binds") {
  // The forbid rule names `{org}`; the endpoint calls the same segment `{id}`. The rule
  // is written against its own template, so `request.param.org` is that segment.
  PolicyInput input;
  input.scopes = {scope("o:read")};
  input.routes = {route(Method::get, "/orgs/{id}", "o:read")};
  input.forbids = {forbid(Method::any, "/orgs/{org}",
                          cmp(attr("request.param.org"), Op::eq, str("acme")), "acme is closed")};
  const Policy policy = build(std::move(input));
  const Principal key = policy.principal_for_key({"o:read"});
  check_rows(policy, {
                         {"the rule's own parameter", &key, "GET", "/orgs/acme", Reason::forbidden,
                          "acme is closed"},
                         {"other org", &key, "GET", "/orgs/globex", Reason::allowed},
                     });
}

TEST_CASE("engine: a forbid condition naming a parameter its template does not bind is refused") {
  // Otherwise a typo would make the rule silently never match: a forbid that fails open.
  PolicyInput input;
  input.scopes = {scope("o:read")};
  input.routes = {route(Method::get, "/orgs/{org}", "o:read")};
  input.forbids = {forbid(Method::any, "/orgs/{org}",
                          cmp(tagged(attr("request.param.orgg"), 2), Op::eq, str("acme")),
                          "acme is closed")};
  const auto built = try_build(std::move(input));
  REQUIRE_FALSE(built.has_value());
  INFO(describe(built.error()));
  REQUIRE(built.error().size() == 1);
  CHECK(built.error()[0].kind == BuildError::Kind::bad_condition);
  CHECK(built.error()[0].subject == BuildError::Subject::forbid);
  CHECK(built.error()[0].first == 0);
  CHECK(built.error()[0].condition_tag == 2);
}

TEST_CASE("engine: a forbid rule with a bad template is a build error on the rule") {
  PolicyInput input;
  input.scopes = {scope("a:b")};
  input.routes = {route(Method::get, "/x", "a:b")};
  input.forbids = {forbid(Method::get, "/x"), forbid(Method::get, "/x/**/y"),
                   forbid(Method::get, "")};
  const auto built = try_build(std::move(input));
  REQUIRE_FALSE(built.has_value());
  INFO(describe(built.error()));
  REQUIRE(built.error().size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(built.error()[i].kind == BuildError::Kind::bad_template);
    CHECK(built.error()[i].subject == BuildError::Subject::forbid);
    CHECK(built.error()[i].first == i + 1);
    CHECK_FALSE(built.error()[i].detail.empty());
  }
}

// decide() skips the path check for a rule whose template covers the endpoint's (and
// binds the rule's params by position); these rows pin both kinds of pair down.
TEST_CASE("engine: forbid rules covering the endpoint and rules only overlapping it") {
  PolicyInput input;
  input.scopes = {scope("o:read")};
  input.routes = {route(Method::get, "/orgs/{id}/items/{item}", "o:read"),
                  route(Method::get, "/orgs/{id}", "o:read"), route(Method::get, "/w/**", "o:read"),
                  route(Method::any, "/m/{id}", "o:read"),
                  route(Method::get, "/lit/one/two", "o:read")};
  input.forbids = {
      forbid(Method::any, "/orgs/{org}/**", cmp(attr("request.param.org"), Op::eq, str("acme")),
             "acme is closed"),
      forbid(Method::get, "/orgs/*/items/{thing}",
             cmp(attr("request.param.thing"), Op::eq, str("secret")), "secret item"),
      forbid(Method::get, "/orgs/globex/**", std::nullopt, "globex literal"),
      forbid(Method::get, "/w/*", std::nullopt, "one segment under w"),
      forbid(Method::post, "/m/*", std::nullopt, "no POST on m"),
      forbid(Method::get, "/lit/{a}/two", cmp(attr("request.param.a"), Op::eq, str("one")),
             "param over a literal"),
  };
  const Policy policy = build(std::move(input));
  const Principal key = policy.principal_for_key({"o:read"});
  check_rows(
      policy,
      {
          {"covering rest, param at position 1", &key, "GET", "/orgs/acme/items/7",
           Reason::forbidden, "acme is closed"},
          {"covering rest on the shorter endpoint", &key, "GET", "/orgs/acme", Reason::forbidden,
           "acme is closed"},
          {"covering rest, encoded param value", &key, "GET", "/orgs/%61cme/items/7",
           Reason::forbidden, "acme is closed"},
          {"covering rest, condition false", &key, "GET", "/orgs/initech/items/7", Reason::allowed},
          {"covering template, param at position 3", &key, "GET", "/orgs/initech/items/secret",
           Reason::forbidden, "secret item"},
          {"covering template, condition false", &key, "GET", "/orgs/initech/items/public",
           Reason::allowed},
          {"a literal rule over a param endpoint: the path decides", &key, "GET",
           "/orgs/globex/items/1", Reason::forbidden, "globex literal"},
          {"a literal rule, zero segments after it", &key, "GET", "/orgs/globex", Reason::forbidden,
           "globex literal"},
          {"a literal rule, another value", &key, "GET", "/orgs/globexx/items/1", Reason::allowed},
          {"a one-segment rule over a rest endpoint: zero segments", &key, "GET", "/w",
           Reason::allowed},
          {"a one-segment rule over a rest endpoint: one segment", &key, "GET", "/w/x",
           Reason::forbidden, "one segment under w"},
          {"a one-segment rule over a rest endpoint: two segments", &key, "GET", "/w/x/y",
           Reason::allowed},
          {"covering template, another method on a `*` endpoint", &key, "GET", "/m/1",
           Reason::allowed},
          {"covering template, its method on a `*` endpoint", &key, "POST", "/m/1",
           Reason::forbidden, "no POST on m"},
          {"a param rule over a literal endpoint", &key, "GET", "/lit/one/two", Reason::forbidden,
           "param over a literal"},
      });
}
