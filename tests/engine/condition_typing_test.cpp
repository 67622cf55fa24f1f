// Conditions: the type checker — every operator on every type it accepts, the ill-typed
// conditions it refuses at the part that is wrong, and where conditions may not appear.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "condition_probe.hpp"

using namespace scopegate;
using namespace scopegate::test;
using namespace scopegate::test::cond;
using namespace scopegate::test::probe;

TEST_CASE("engine: every operator on every type it accepts") {
  const std::vector<Row> rows = {
      {"true", boolean(true), {}, true},
      {"false", boolean(false), {}, false},
      {"1 < 2", cmp(num(1), Op::lt, num(2)), {}, true},
      {"2 < 2", cmp(num(2), Op::lt, num(2)), {}, false},
      {"2 <= 2", cmp(num(2), Op::le, num(2)), {}, true},
      {"3 <= 2", cmp(num(3), Op::le, num(2)), {}, false},
      {"3 > 2", cmp(num(3), Op::gt, num(2)), {}, true},
      {"2 > 2", cmp(num(2), Op::gt, num(2)), {}, false},
      {"2 >= 2", cmp(num(2), Op::ge, num(2)), {}, true},
      {"1 >= 2", cmp(num(1), Op::ge, num(2)), {}, false},
      {"-3 < 2", cmp(num(-3), Op::lt, num(2)), {}, true},
      {"1 == 1", cmp(num(1), Op::eq, num(1)), {}, true},
      {"1 == 2", cmp(num(1), Op::eq, num(2)), {}, false},
      {"1 != 2", cmp(num(1), Op::ne, num(2)), {}, true},
      {"1 != 1", cmp(num(1), Op::ne, num(1)), {}, false},
      {"string ==", cmp(str("a"), Op::eq, str("a")), {}, true},
      {"string !=", cmp(str("a"), Op::ne, str("b")), {}, true},
      {"string == is exact", cmp(str("a"), Op::eq, str("A")), {}, false},
      {"attribute == attribute",
       cmp(attr("request.param.id"), Op::eq, query("id")),
       {.target = "/c/7?id=7"},
       true},
      {"attribute != attribute",
       cmp(attr("principal.id"), Op::ne, attr("principal.org")),
       {.id = "a", .org = "b"},
       true},
      {"ip == ip", cmp(ip("10.0.0.1"), Op::eq, ip("::ffff:10.0.0.1")), {}, true},
      {"ip != ip", cmp(ip("10.0.0.1"), Op::ne, ip("10.0.0.2")), {}, true},
      {"cidr == cidr", cmp(cidr("10.0.0.0/8"), Op::eq, cidr("::ffff:10.0.0.0/104")), {}, true},
      {"cidr != cidr", cmp(cidr("10.0.0.0/8"), Op::ne, cidr("10.0.0.0/16")), {}, true},
      {"boolean == boolean", cmp(boolean(true), Op::eq, cmp(num(1), Op::lt, num(2))), {}, true},
      {"boolean != boolean", cmp(boolean(false), Op::ne, boolean(true)), {}, true},
      {"boolean == boolean, false", cmp(boolean(false), Op::eq, boolean(true)), {}, false},
      {"time == time", cmp(attr("request.time"), Op::eq, attr("request.time")), {.time = 5}, true},
      {"time <= time", cmp(attr("request.time"), Op::le, attr("request.time")), {.time = 5}, true},
      {"time literal < time literal",
       cmp(cmp(attr("request.time"), Op::gt, str("2026-01-01T00:00:00Z")), Op::eq,
           cmp(attr("request.time"), Op::ge, str("2026-01-01T00:00:01Z"))),
       {.time = feb_18_2026_10_30},
       true},
      {"time != literal",
       cmp(attr("request.time"), Op::ne, str("2026-02-18T10:30:00Z")),
       {.time = feb_18_2026_10_30},
       false},
      {"time <= literal",
       cmp(attr("request.time"), Op::le, str("2026-02-18T10:30:00Z")),
       {.time = feb_18_2026_10_30},
       true},
      {"time >= literal",
       cmp(attr("request.time"), Op::ge, str("2026-02-18T10:30:01Z")),
       {.time = feb_18_2026_10_30},
       false},
      {"[] == []", cmp(list({}), Op::eq, list({})), {}, true},
      {"list of strings == []", cmp(list({str("a")}), Op::eq, list({})), {}, false},
      {"list of integers != []", cmp(list({num(1)}), Op::ne, list({})), {}, true},
      {"list of ranges != []", cmp(list({cidr("10.0.0.0/8")}), Op::ne, list({})), {}, true},
      {"string in list", in(attr("request.method"), list({str("GET"), str("POST")})), {}, true},
      {"string in list, none", in(attr("request.method"), list({str("PUT")})), {}, false},
      {"integer in list", in(num(2), list({num(1), num(2)})), {}, true},
      {"integer in list, none", in(num(3), list({num(1), num(2)})), {}, false},
      {"ip literal in range", in(ip("10.9.8.7"), cidr("10.0.0.0/8")), {}, true},
      {"ip literal in list of ranges",
       in(ip("2001:db8::1"), list({cidr("10.0.0.0/8"), cidr("2001:db8::/32")})),
       {},
       true},
      {"string in []", in(str("a"), list({})), {}, false},
      {"ip in []", in(attr("request.ip"), list({})), {.ip = "10.0.0.1"}, false},
      {"not true", not_(boolean(true)), {}, false},
      {"not false", not_(boolean(false)), {}, true},
      {"not not", not_(not_(boolean(true))), {}, true},
      {"and, all true", all({boolean(true), cmp(num(1), Op::lt, num(2)), boolean(true)}), {}, true},
      {"and, one false", all({boolean(true), boolean(true), boolean(false)}), {}, false},
      {"or, one true", any({boolean(false), boolean(false), boolean(true)}), {}, true},
      {"or, none true", any({boolean(false), cmp(num(2), Op::lt, num(1))}), {}, false},
      {"nested: (false or (true and not false)) and not (false or false)",
       all({any({boolean(false), all({boolean(true), not_(boolean(false))})}),
            not_(any({boolean(false), boolean(false)}))}),
       {},
       true},
      {"nested: not ((true and false) or (false and true))",
       not_(any({all({boolean(true), boolean(false)}), all({boolean(false), boolean(true)})})),
       {},
       true},
      {"nested with attributes",
       any({all({cmp(attr("principal.kind"), Op::eq, str("user")),
                 cmp(attr("principal.role"), Op::eq, str("admin"))}),
            all({cmp(attr("principal.kind"), Op::eq, str("api_key")),
                 cmp(query("size"), Op::le, num(10))})}),
       {.target = "/c/1?size=10"},
       true},
      {"nested with attributes, neither side",
       any({all({cmp(attr("principal.kind"), Op::eq, str("user")),
                 cmp(attr("principal.role"), Op::eq, str("admin"))}),
            all({cmp(attr("principal.kind"), Op::eq, str("api_key")),
                 cmp(query("size"), Op::le, num(10))})}),
       {.target = "/c/1?size=11"},
       false},
  };
  check_rows(rows);
}

TEST_CASE("engine: an ill-typed condition is refused at the part that is wrong") {
  struct BadRow {
    const char* note;
    ConditionSpec condition;  // tags: the root is 1, its children 2, 3, ...
    std::uint32_t tag;
    const char* detail = "";  // must appear in the message
    const char* help = "";    // must appear in the help
  };
  const auto two = [](ConditionSpec left, Op op, ConditionSpec right) {
    return tagged(cmp(tagged(std::move(left), 2), op, tagged(std::move(right), 3)), 1);
  };
  const auto member = [](ConditionSpec left, ConditionSpec right) {
    return tagged(in(tagged(std::move(left), 2), tagged(std::move(right), 3)), 1);
  };
  std::vector<BadRow> rows = {
      {"unknown attribute, a typo", two(attr("request.qurey.size"), Op::le, num(100)), 2,
       "unknown attribute", "request.query.size"},
      {"unknown attribute", two(attr("principal.email"), Op::eq, str("a@b")), 2, "principal.email"},
      {"attribute without its name", two(attr("request.query."), Op::eq, str("a")), 2,
       "unknown attribute"},
      {"attribute with two names", two(attr("request.header.a.b"), Op::eq, str("a")), 2,
       "unknown attribute"},
      {"attribute that is only a prefix", two(attr("request"), Op::eq, str("a")), 2,
       "unknown attribute"},
      {"attribute on the right", two(str("a"), Op::eq, attr("principal.nmae")), 3,
       "unknown attribute", "principal.name"},
      {"param the route does not bind", two(attr("request.param.name"), Op::eq, str("a")), 2,
       "name", "{id}"},
      {"invalid IPv4 literal", two(attr("request.ip"), Op::eq, ip("10.0.0.256")), 3, "10.0.0.256"},
      {"IPv4 literal with a leading zero", two(attr("request.ip"), Op::eq, ip("10.0.0.01")), 3,
       "10.0.0.01"},
      {"invalid IPv6 literal", two(attr("request.ip"), Op::eq, ip("2001:db8::1::2")), 3,
       "2001:db8::1::2"},
      {"a range written as an address", two(attr("request.ip"), Op::eq, ip("10.0.0.0/8")), 3},
      {"range with host bits", member(attr("request.ip"), cidr("10.0.0.1/8")), 3, "10.0.0.1/8"},
      {"range with a prefix too long", member(attr("request.ip"), cidr("10.0.0.0/33")), 3,
       "10.0.0.0/33"},
      {"IPv6 range with a prefix too long", member(attr("request.ip"), cidr("::/129")), 3,
       "::/129"},
      {"invalid range in a list",
       tagged(in(tagged(attr("request.ip"), 2),
                 tagged(list({tagged(cidr("10.0.0.0/8"), 4), tagged(cidr("192.0.2.1/24"), 5)}), 3)),
              1),
       5, "192.0.2.1/24"},
      {"invalid address in a list",
       tagged(in(tagged(attr("request.ip"), 2), tagged(list({tagged(ip("1.2.3"), 4)}), 3)), 1), 4,
       "1.2.3"},
      {"timestamp that is no timestamp", two(attr("request.time"), Op::lt, str("yesterday")), 3,
       "invalid timestamp"},
      {"timestamp on the left", two(str("2026-02-18"), Op::lt, attr("request.time")), 2,
       "invalid timestamp"},
      {"timestamp without Z", two(attr("request.time"), Op::lt, str("2026-02-18T10:30:00")), 3,
       "invalid timestamp"},
      {"timestamp with an offset",
       two(attr("request.time"), Op::lt, str("2026-02-18T10:30:00+01:00")), 3, "invalid timestamp"},
      {"timestamp with a space", two(attr("request.time"), Op::lt, str("2026-02-18 10:30:00Z")), 3,
       "invalid timestamp"},
      {"timestamp on a day that does not exist",
       two(attr("request.time"), Op::lt, str("2026-02-30T00:00:00Z")), 3, "invalid timestamp"},
      {"timestamp on a 29 February outside a leap year",
       two(attr("request.time"), Op::lt, str("2025-02-29T00:00:00Z")), 3, "invalid timestamp"},
      {"timestamp at hour 24", two(attr("request.time"), Op::lt, str("2026-02-18T24:00:00Z")), 3,
       "invalid timestamp"},
      {"timestamp in month 13", two(attr("request.time"), Op::lt, str("2026-13-01T00:00:00Z")), 3,
       "invalid timestamp"},
      {"list of a string then an integer",
       tagged(in(tagged(attr("request.method"), 2),
                 tagged(list({tagged(str("GET"), 4), tagged(num(1), 5)}), 3)),
              1),
       5},
      {"list of an integer then a string",
       tagged(in(tagged(num(1), 2), tagged(list({tagged(num(1), 4), tagged(str("a"), 5)}), 3)), 1),
       5},
      {"list of a range then a string",
       tagged(in(tagged(attr("request.ip"), 2),
                 tagged(list({tagged(cidr("10.0.0.0/8"), 4), tagged(str("x"), 5)}), 3)),
              1),
       5},
      {"list holding an attribute",
       tagged(in(tagged(attr("request.method"), 2),
                 tagged(list({tagged(attr("principal.id"), 4)}), 3)),
              1),
       4},
      {"list holding a boolean",
       tagged(in(tagged(attr("request.method"), 2), tagged(list({tagged(boolean(true), 4)}), 3)),
              1),
       4},
      {"list holding a list",
       tagged(in(tagged(attr("request.method"), 2), tagged(list({tagged(list({str("a")}), 4)}), 3)),
              1),
       4},
      {"root is an attribute", tagged(attr("request.method"), 1), 1},
      {"root is a string", tagged(str("yes"), 1), 1},
      {"root is an integer", tagged(num(1), 1), 1},
      {"root is a list", tagged(list({str("a")}), 1), 1},
      {"root is an address", tagged(ip("10.0.0.1"), 1), 1},
      {"root is principal.scopes", tagged(attr("principal.scopes"), 1), 1},
      {"unknown scope in principal.scopes", member(str("c:nope"), attr("principal.scopes")), 2,
       "c:nope"},
      {"bad scope name in principal.scopes", member(str("nope"), attr("principal.scopes")), 2,
       "nope"},
      {"attribute tested against principal.scopes",
       member(attr("request.method"), attr("principal.scopes")), 2},
      {"strings ordered", two(attr("request.method"), Op::lt, str("Z")), 1},
      {"identity ordered against an integer", two(attr("principal.id"), Op::gt, num(3)), 1},
      {"addresses ordered", two(attr("request.ip"), Op::lt, ip("10.0.0.1")), 1},
      {"booleans ordered", two(boolean(true), Op::lt, boolean(false)), 1},
      {"lists ordered", two(attr("principal.allowed_cidrs"), Op::gt, list({})), 1},
      {"time against an integer", two(attr("request.time"), Op::gt, num(5)), 1},
      {"time == integer", two(attr("request.time"), Op::eq, num(5)), 1},
      {"string literal against an integer", two(str("5"), Op::eq, num(5)), 1},
      {"method against an integer", two(attr("request.method"), Op::eq, num(5)), 1},
      {"string against an address", two(attr("request.ip"), Op::eq, str("10.0.0.1")), 1},
      {"address against a range", two(attr("request.ip"), Op::eq, cidr("10.0.0.0/8")), 1},
      {"boolean against an integer", two(boolean(true), Op::eq, num(1)), 1},
      {"list against a non-empty list",
       two(attr("principal.allowed_cidrs"), Op::eq, list({cidr("10.0.0.0/8")})), 1},
      {"list against itself",
       two(attr("principal.allowed_cidrs"), Op::ne, attr("principal.allowed_cidrs")), 1},
      {"scopes against a list of names",
       two(attr("principal.scopes"), Op::eq, list({str("c:use")})), 1},
      {"list against a string", two(list({str("a")}), Op::eq, str("a")), 1},
      {"[] against a string", two(list({}), Op::eq, str("a")), 1},
      {"address in a list of strings", member(attr("request.ip"), list({str("10.0.0.1")})), 1},
      {"string in a list of integers", member(attr("request.method"), list({num(1), num(2)})), 1},
      {"integer in a list of strings", member(num(1), list({str("1")})), 1},
      {"string in a range", member(attr("request.method"), cidr("10.0.0.0/8")), 1},
      {"integer in allowed_cidrs", member(num(5), attr("principal.allowed_cidrs")), 1},
      {"address in an address", member(attr("request.ip"), ip("10.0.0.1")), 1},
      {"in a string", member(attr("request.method"), str("GET")), 1},
      {"not of a string", tagged(not_(tagged(attr("request.method"), 2)), 1), 2, "not"},
      {"and with an integer", tagged(all({tagged(boolean(true), 2), tagged(num(1), 3)}), 1), 3,
       "and"},
      {"or with an attribute",
       tagged(any({tagged(attr("principal.id"), 2), tagged(boolean(true), 3)}), 1), 2, "or"},
      {"deeply nested unknown attribute",
       tagged(any({tagged(boolean(false), 2),
                   tagged(all({tagged(boolean(true), 4),
                               tagged(not_(tagged(cmp(tagged(attr("request.nope"), 7), Op::eq,
                                                      tagged(str("x"), 8)),
                                                  6)),
                                      5)}),
                          3)}),
              1),
       7, "request.nope"},
  };
  for (const BadRow& row : rows) {
    INFO(row.note << ": when " << render(row.condition));
    PolicyInput input = probe_input(std::nullopt);
    input.routes.push_back(when(route(Method::get, "/p/{id}", "c:use"), row.condition));
    const auto built = try_build(std::move(input));
    REQUIRE_FALSE(built.has_value());
    const std::vector<BuildError>& errors = built.error();
    INFO(describe(errors));
    REQUIRE(errors.size() == 1);
    const BuildError& e = errors.front();
    CHECK(e.kind == Kind::bad_condition);
    CHECK(e.subject == Subject::route);
    CHECK(e.first == 1);
    CHECK(e.condition_tag == row.tag);
    CHECK_FALSE(e.detail.empty());
    CHECK(e.detail.find(row.detail) != std::string::npos);
    CHECK(e.help.find(row.help) != std::string::npos);
    // Messages are lowercase and have no trailing period (STYLE.md).
    CHECK_FALSE((e.detail.front() >= 'A' && e.detail.front() <= 'Z'));
    CHECK(e.detail.back() != '.');
  }
}

TEST_CASE("engine: every well-typed condition is accepted") {
  const std::vector<ConditionSpec> rows = {
      boolean(true),
      cmp(attr("request.method"), Op::eq, str("GET")),
      cmp(str("GET"), Op::ne, attr("request.method")),
      cmp(attr("request.path"), Op::eq, attr("principal.org")),
      cmp(query("size"), Op::lt, num(1)),
      cmp(query("size"), Op::le, num(1)),
      cmp(query("size"), Op::gt, num(1)),
      cmp(query("size"), Op::ge, num(1)),
      cmp(query("size"), Op::eq, num(1)),
      cmp(query("size"), Op::ne, num(1)),
      cmp(num(1), Op::lt, query("size")),
      cmp(header("x-n"), Op::ge, num(3)),
      cmp(attr("request.param.id"), Op::lt, num(100)),
      cmp(query("size"), Op::eq, str("50")),
      cmp(num(1), Op::le, num(2)),
      cmp(attr("request.time"), Op::lt, str("2026-02-18T10:30:00Z")),
      cmp(str("2026-02-18T10:30:00Z"), Op::ge, attr("request.time")),
      cmp(attr("request.time"), Op::eq, attr("request.time")),
      cmp(attr("request.ip"), Op::eq, ip("::1")),
      cmp(ip("10.0.0.1"), Op::ne, attr("request.ip")),
      cmp(cidr("10.0.0.0/8"), Op::eq, cidr("10.0.0.0/8")),
      cmp(boolean(true), Op::ne, cmp(num(1), Op::eq, num(1))),
      cmp(attr("principal.allowed_cidrs"), Op::eq, list({})),
      cmp(list({}), Op::ne, attr("principal.scopes")),
      cmp(list({}), Op::eq, list({})),
      cmp(list({str("a")}), Op::eq, list({})),
      in(attr("request.method"), list({str("GET")})),
      in(num(1), list({num(1), num(2)})),
      in(attr("request.ip"), cidr("10.0.0.0/8")),
      in(attr("request.ip"), list({cidr("10.0.0.0/8"), ip("192.0.2.1"), cidr("2001:db8::/32")})),
      in(attr("request.ip"), attr("principal.allowed_cidrs")),
      in(str("c:use"), attr("principal.scopes")),
      in(attr("request.method"), list({})),
      not_(in(attr("request.ip"), attr("principal.allowed_cidrs"))),
      all({boolean(true), not_(boolean(false)),
           any({boolean(false), in(str("c:spare"), attr("principal.scopes"))})}),
  };
  for (const ConditionSpec& condition : rows) {
    INFO("when " << render(condition));
    const auto built = try_build(probe_input(condition));
    INFO((built ? std::string() : describe(built.error())));
    CHECK(built.has_value());
  }
}

TEST_CASE("engine: conditions on public and authenticated routes are refused") {
  for (const Access access : {Access::public_, Access::authenticated}) {
    INFO(to_string(access));
    PolicyInput input = probe_input(std::nullopt);
    RouteSpec open = open_route(access, Method::get, "/open");
    input.routes.push_back(
        when(std::move(open),
             tagged(cmp(tagged(attr("request.method"), 2), Op::eq, tagged(str("GET"), 3)), 9)));
    const auto built = try_build(std::move(input));
    REQUIRE_FALSE(built.has_value());
    INFO(describe(built.error()));
    REQUIRE(built.error().size() == 1);
    const BuildError& e = built.error().front();
    CHECK(e.kind == Kind::bad_condition);
    CHECK(e.subject == Subject::route);
    CHECK(e.first == 1);
    CHECK(e.condition_tag == 9);
    CHECK_FALSE(e.detail.empty());
    CHECK_FALSE(e.help.empty());
  }
}

TEST_CASE("engine: bad conditions are all reported, routes and forbid rules alike") {
  PolicyInput input = probe_input(std::nullopt);
  input.routes.push_back(when(route(Method::get, "/p", "c:use"), tagged(attr("request.nope"), 4)));
  input.routes.push_back(route(Method::get, "/q", "c:use"));
  input.routes.push_back(when(route(Method::get, "/r", "c:use"), tagged(str("x"), 5)));
  input.forbids = {
      forbid(Method::any, "/c/**", tagged(in(str("c:use"), attr("principal.scopes")), 6)),
      forbid(Method::any, "/c/**", cmp(tagged(attr("request.bad"), 7), Op::eq, str("x"))),
      forbid(Method::get, "/p", std::nullopt), forbid(Method::get, "p/no-slash", std::nullopt),
      forbid(Method::get, "/c/**",
             tagged(in(tagged(str("c:gone"), 8), attr("principal.scopes")), 3))};
  const auto built = try_build(std::move(input));
  REQUIRE_FALSE(built.has_value());
  const std::vector<BuildError>& errors = built.error();
  INFO(describe(errors));
  REQUIRE(errors.size() == 5);
  CHECK(errors[0].subject == Subject::route);
  CHECK(errors[0].first == 1);
  CHECK(errors[0].kind == Kind::bad_condition);
  CHECK(errors[0].condition_tag == 4);
  CHECK(errors[1].subject == Subject::route);
  CHECK(errors[1].first == 3);
  CHECK(errors[1].condition_tag == 5);
  CHECK(errors[2].subject == Subject::forbid);
  CHECK(errors[2].first == 1);
  CHECK(errors[2].kind == Kind::bad_condition);
  CHECK(errors[2].condition_tag == 7);
  CHECK(errors[3].subject == Subject::forbid);
  CHECK(errors[3].first == 3);
  CHECK(errors[3].kind == Kind::bad_template);
  CHECK(errors[4].subject == Subject::forbid);
  CHECK(errors[4].first == 4);
  CHECK(errors[4].kind == Kind::bad_condition);
  CHECK(errors[4].condition_tag == 8);
  CHECK(errors[4].detail.find("c:gone") != std::string::npos);
}

TEST_CASE("engine: a condition with a missing operand is refused and not read out of bounds") {
  // An embedder may build any tree; the builder must refuse a malformed one.
  const std::vector<std::pair<const char*, ConditionSpec>> rows = {
      {"compare with one operand",
       [] {
         ConditionSpec spec = tagged(node(ConditionSpec::Kind::compare), 1);
         spec.children.push_back(attr("request.method"));
         return spec;
       }()},
      {"compare with no operand", tagged(node(ConditionSpec::Kind::compare), 1)},
      {"in with one operand",
       [] {
         ConditionSpec spec = tagged(node(ConditionSpec::Kind::in), 1);
         spec.children.push_back(attr("request.ip"));
         return spec;
       }()},
      {"not with no operand", tagged(node(ConditionSpec::Kind::not_), 1)},
  };
  for (const auto& [note, condition] : rows) {
    INFO(note);
    const auto built = try_build(probe_input(condition));
    REQUIRE_FALSE(built.has_value());
    INFO(describe(built.error()));
    REQUIRE(built.error().size() == 1);
    CHECK(built.error().front().kind == Kind::bad_condition);
    CHECK(built.error().front().condition_tag == 1);
  }
}
