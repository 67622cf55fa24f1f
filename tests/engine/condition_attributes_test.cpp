// Conditions: the attribute table, and what each request and principal attribute reads
// (percent-decoded, by value, missing), through the probe policy.
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

TEST_CASE("engine: every attribute a condition may name is known with its type") {
  struct AttributeRow {
    const char* dotted;
    Attribute attribute;
    ValueType type;
    const char* key;
  };
  const std::vector<AttributeRow> rows = {
      {"request.method", Attribute::request_method, ValueType::string, ""},
      {"request.path", Attribute::request_path, ValueType::string, ""},
      {"request.ip", Attribute::request_ip, ValueType::ip, ""},
      {"request.param.id", Attribute::request_param, ValueType::string, "id"},
      {"request.query.size", Attribute::request_query, ValueType::string, "size"},
      {"request.header.X-Request-Id", Attribute::request_header, ValueType::string, "X-Request-Id"},
      {"request.time", Attribute::request_time, ValueType::time, ""},
      {"principal.kind", Attribute::principal_kind, ValueType::string, ""},
      {"principal.id", Attribute::principal_id, ValueType::string, ""},
      {"principal.name", Attribute::principal_name, ValueType::string, ""},
      {"principal.org", Attribute::principal_org, ValueType::string, ""},
      {"principal.role", Attribute::principal_role, ValueType::string, ""},
      {"principal.scopes", Attribute::principal_scopes, ValueType::scope_set, ""},
      {"principal.allowed_cidrs", Attribute::principal_allowed_cidrs, ValueType::cidr_list, ""},
  };
  for (const AttributeRow& row : rows) {
    INFO(row.dotted);
    const auto info = find_attribute(row.dotted);
    REQUIRE(info.has_value());
    CHECK(info->attribute == row.attribute);
    CHECK(info->type == row.type);
    CHECK(info->key == row.key);
  }
  const std::vector<const char*> unknown = {"",
                                            "request",
                                            "request.",
                                            "request.query",
                                            "request.query.",
                                            "request.header.a.b",
                                            "request.ip.v4",
                                            "principal",
                                            "principal.email",
                                            "Request.method",
                                            "request.methods",
                                            "principal.scope"};
  for (const char* dotted : unknown) {
    INFO("'" << dotted << "'");
    CHECK_FALSE(find_attribute(dotted).has_value());
  }
  const auto names = attribute_names();
  CHECK(names.size() == 14);
  for (const char* name :
       {"request.method", "request.path", "request.ip", "request.param.NAME", "request.query.NAME",
        "request.header.NAME", "request.time", "principal.kind", "principal.id", "principal.name",
        "principal.org", "principal.role", "principal.scopes", "principal.allowed_cidrs"}) {
    INFO(name);
    CHECK(std::find(names.begin(), names.end(), std::string_view(name)) != names.end());
  }
  CHECK(to_string(CompareOp::eq) == "==");
  CHECK(to_string(CompareOp::ne) == "!=");
  CHECK(to_string(CompareOp::lt) == "<");
  CHECK(to_string(CompareOp::le) == "<=");
  CHECK(to_string(CompareOp::gt) == ">");
  CHECK(to_string(CompareOp::ge) == ">=");
}

TEST_CASE("engine: request attributes read the method, path, ip, param, header and time") {
  const std::vector<Row> rows = {
      {"method", cmp(attr("request.method"), Op::eq, str("GET")), {}, true},
      {"method, other", cmp(attr("request.method"), Op::eq, str("GET")), {.method = "POST"}, false},
      {"method POST", cmp(attr("request.method"), Op::eq, str("POST")), {.method = "POST"}, true},
      {"method outside the seven, on a `*` route",
       cmp(attr("request.method"), Op::eq, str("TRACE")),
       {.method = "TRACE"},
       true},
      {"path without its query",
       cmp(attr("request.path"), Op::eq, str("/c/42/x")),
       {.target = "/c/42/x?size=1"},
       true},
      {"path never includes the query",
       cmp(attr("request.path"), Op::eq, str("/c/42/x?size=1")),
       {.target = "/c/42/x?size=1"},
       false},
      {"ip equal", cmp(attr("request.ip"), Op::eq, ip("192.0.2.1")), {.ip = "192.0.2.1"}, true},
      {"ip not equal", cmp(attr("request.ip"), Op::ne, ip("192.0.2.2")), {.ip = "192.0.2.1"}, true},
      {"ip equal, other",
       cmp(attr("request.ip"), Op::eq, ip("192.0.2.2")),
       {.ip = "192.0.2.1"},
       false},
      {"ip given mapped equals the IPv4 literal",
       cmp(attr("request.ip"), Op::eq, ip("192.0.2.1")),
       {.ip = "::ffff:192.0.2.1"},
       true},
      {"ip IPv6",
       cmp(attr("request.ip"), Op::eq, ip("2001:db8::1")),
       {.ip = "2001:db8:0::1"},
       true},
      {"ip in a CIDR", in(attr("request.ip"), cidr("192.0.2.0/24")), {.ip = "192.0.2.77"}, true},
      {"ip not in a CIDR",
       in(attr("request.ip"), cidr("192.0.2.0/24")),
       {.ip = "192.0.3.1"},
       false},
      {"IPv6 ip in a CIDR",
       in(attr("request.ip"), cidr("2001:db8::/32")),
       {.ip = "2001:db8:1::5"},
       true},
      {"ip in a list of ranges",
       in(attr("request.ip"), list({cidr("10.0.0.0/8"), cidr("192.0.2.0/24")})),
       {.ip = "192.0.2.9"},
       true},
      {"ip in a list of ranges, none",
       in(attr("request.ip"), list({cidr("10.0.0.0/8")})),
       {.ip = "192.0.2.9"},
       false},
      {"ip in a list holding a bare address",
       in(attr("request.ip"), list({ip("192.0.2.9")})),
       {.ip = "192.0.2.9"},
       true},
      {"ip in a list holding a bare address, other",
       in(attr("request.ip"), list({ip("192.0.2.9")})),
       {.ip = "192.0.2.10"},
       false},
      {"param as text", cmp(attr("request.param.id"), Op::eq, str("42")), {}, true},
      {"param as text, other", cmp(attr("request.param.id"), Op::eq, str("43")), {}, false},
      {"param as a number", cmp(attr("request.param.id"), Op::eq, num(42)), {}, true},
      {"param as a number, ordered", cmp(attr("request.param.id"), Op::gt, num(41)), {}, true},
      {"param not a number",
       cmp(attr("request.param.id"), Op::eq, num(42)),
       {.target = "/c/abc"},
       false},
      {"param not a number, !=",
       cmp(attr("request.param.id"), Op::ne, num(42)),
       {.target = "/c/abc"},
       false},
      {"header",
       cmp(header("x-source"), Op::eq, str("batch")),
       {.headers = {{"x-source", "batch"}}},
       true},
      {"header name is case-insensitive",
       cmp(header("x-source"), Op::eq, str("batch")),
       {.headers = {{"X-Source", "batch"}}},
       true},
      {"header name is case-insensitive, both ways",
       cmp(header("X-SOURCE"), Op::eq, str("batch")),
       {.headers = {{"x-Source", "batch"}}},
       true},
      {"header value is case-sensitive",
       cmp(header("x-source"), Op::eq, str("Batch")),
       {.headers = {{"x-source", "batch"}}},
       false},
      {"header among others",
       cmp(header("x-source"), Op::eq, str("batch")),
       {.headers = {{"accept", "*/*"}, {"x-source", "batch"}, {"x-other", "1"}}},
       true},
      // Servers differ on which of two values counts: none is read, and a grant fails.
      {"header repeated with another value: the first does not count",
       cmp(header("x-source"), Op::eq, str("batch")),
       {.headers = {{"X-Source", "batch"}, {"x-source", "web"}}},
       false},
      {"header repeated with another value: nor the second",
       not_(cmp(header("x-source"), Op::eq, str("batch"))),
       {.headers = {{"X-Source", "batch"}, {"x-source", "web"}}},
       false},
      {"header repeated with the same value",
       cmp(header("x-source"), Op::eq, str("batch")),
       {.headers = {{"X-Source", "batch"}, {"x-source", "batch"}}},
       true},
      {"header with a similar name is another header",
       cmp(header("x-source"), Op::eq, str("batch")),
       {.headers = {{"x-sources", "batch"}}},
       false},
      {"header present but empty",
       cmp(header("x-source"), Op::eq, str("")),
       {.headers = {{"x-source", ""}}},
       true},
      {"header as a number",
       cmp(header("x-count"), Op::ge, num(3)),
       {.headers = {{"X-Count", "3"}}},
       true},
      {"header as a number, below",
       cmp(header("x-count"), Op::ge, num(3)),
       {.headers = {{"X-Count", "2"}}},
       false},
      {"time at",
       cmp(attr("request.time"), Op::eq, str("2026-02-18T10:30:00Z")),
       {.time = feb_18_2026_10_30},
       true},
      {"time at, one second later",
       cmp(attr("request.time"), Op::eq, str("2026-02-18T10:30:00Z")),
       {.time = feb_18_2026_10_30 + 1},
       false},
      {"time after",
       cmp(attr("request.time"), Op::gt, str("2026-02-18T10:29:59Z")),
       {.time = feb_18_2026_10_30},
       true},
      {"time before",
       cmp(attr("request.time"), Op::lt, str("2026-02-18T10:30:00Z")),
       {.time = feb_18_2026_10_30},
       false},
      {"time, literal on the left",
       cmp(str("2026-01-01T00:00:00Z"), Op::lt, attr("request.time")),
       {.time = feb_18_2026_10_30},
       true},
      {"time across a leap day",
       cmp(attr("request.time"), Op::ge, str("2024-02-29T23:59:59Z")),
       {.time = 1709251199},
       true},
      {"time across a leap day, one second short",
       cmp(attr("request.time"), Op::ge, str("2024-02-29T23:59:59Z")),
       {.time = 1709251198},
       false},
      {"time at the epoch",
       cmp(attr("request.time"), Op::eq, str("1970-01-01T00:00:00Z")),
       {.time = 0},
       true},
      {"time before the epoch",
       cmp(attr("request.time"), Op::eq, str("1969-12-31T23:59:59Z")),
       {.time = -1},
       true},
      {"time far ahead",
       cmp(attr("request.time"), Op::eq, str("2100-03-01T00:00:00Z")),
       {.time = 4107542400},
       true},
  };
  check_rows(rows);
}

TEST_CASE("engine: request.query.NAME reads the first value of that key") {
  const std::vector<Row> rows = {
      {"one key", cmp(query("size"), Op::eq, num(50)), {.target = "/c/1?size=50"}, true},
      {"after another key",
       cmp(query("size"), Op::eq, num(50)),
       {.target = "/c/1?a=1&size=50"},
       true},
      {"the other key", cmp(query("a"), Op::eq, str("1")), {.target = "/c/1?a=1&size=50"}, true},
      {"the other key as a number",
       cmp(query("a"), Op::eq, num(1)),
       {.target = "/c/1?a=1&size=50"},
       true},
      {"as text", cmp(query("size"), Op::eq, str("50")), {.target = "/c/1?size=50"}, true},
      {"ordered", cmp(query("size"), Op::le, num(100)), {.target = "/c/1?a=1&size=50"}, true},
      {"ordered, above", cmp(query("size"), Op::le, num(100)), {.target = "/c/1?size=101"}, false},
      {"integer on the left",
       cmp(num(100), Op::ge, query("size")),
       {.target = "/c/1?size=100"},
       true},
      {"negative", cmp(query("size"), Op::lt, num(0)), {.target = "/c/1?size=-5"}, true},
      // Servers differ on which of two values counts (the first, the last, a list): none
      // is read, and a grant fails whatever it compares.
      {"repeated with another value: not the first",
       cmp(query("size"), Op::eq, num(5)),
       {.target = "/c/1?size=5&size=500"},
       false},
      {"repeated with another value: not the second",
       cmp(query("size"), Op::eq, num(500)),
       {.target = "/c/1?size=5&size=500"},
       false},
      {"repeated with another value: not under not",
       not_(cmp(query("size"), Op::gt, num(100))),
       {.target = "/c/1?size=1&size=500"},
       false},
      {"repeated with the same value, however encoded",
       cmp(query("size"), Op::eq, num(5)),
       {.target = "/c/1?size=5&size=%35"},
       true},
      {"on a longer path", cmp(query("size"), Op::eq, num(7)), {.target = "/c/1/x/y?size=7"}, true},
      {"key without a value is present and empty",
       cmp(query("size"), Op::eq, str("")),
       {.target = "/c/1?size"},
       true},
      {"key with an empty value",
       cmp(query("size"), Op::eq, str("")),
       {.target = "/c/1?size=&a=1"},
       true},
      {"key without a value is no number",
       cmp(query("size"), Op::le, num(100)),
       {.target = "/c/1?size"},
       false},
      {"missing key", cmp(query("size"), Op::eq, num(50)), {.target = "/c/1?a=1"}, false},
      {"missing key, !=", cmp(query("size"), Op::ne, num(50)), {.target = "/c/1?a=1"}, false},
      {"no query at all", cmp(query("size"), Op::le, num(100)), {.target = "/c/1"}, false},
      {"empty query", cmp(query("size"), Op::le, num(100)), {.target = "/c/1?"}, false},
      {"a longer key is another key",
       cmp(query("size"), Op::eq, num(5)),
       {.target = "/c/1?sizes=5"},
       false},
      {"a key ending in the name is another key",
       cmp(query("size"), Op::eq, num(5)),
       {.target = "/c/1?xsize=5"},
       false},
      {"a value containing the key",
       cmp(query("size"), Op::eq, num(50)),
       {.target = "/c/1?a=size=50"},
       false},
      {"a value containing '='",
       cmp(query("a"), Op::eq, str("size=50")),
       {.target = "/c/1?a=size=50"},
       true},
      {"empty pairs are skipped",
       cmp(query("size"), Op::eq, num(3)),
       {.target = "/c/1?&&size=3&"},
       true},
  };
  check_rows(rows);
}

TEST_CASE(
    "engine: a value that is no plain integer, compared with one, refuses: no grant, and "
    "the forbid rule applies") {
  // What servers behind may still read as a number (`+500`, `500.0`, ` 500`, `1e3`,
  // `500abc` to parseInt), or as nothing: no reading of them is safe.
  const std::vector<const char*> targets = {"/c/1?size=abc",
                                            "/c/1?size=5x",
                                            "/c/1?size=",
                                            "/c/1?size=%20%35",
                                            "/c/1?size=1.5",
                                            "/c/1?size=-",
                                            "/c/1?size=0x10",
                                            "/c/1?size=--5",
                                            "/c/1?size=%2B500",
                                            "/c/1?size=500.0",
                                            "/c/1?size=1e3",
                                            "/c/1?size=500abc",
                                            "/c/1?size=99999999999999999999"};
  for (const char* target : targets) {
    for (const Op op : {Op::eq, Op::ne, Op::lt, Op::le, Op::gt, Op::ge}) {
      INFO(target << " with " << to_string(op));
      CHECK_FALSE(holds(cmp(query("size"), op, num(100)), {.target = target}));
      CHECK(forbids(cmp(query("size"), op, num(100)), {.target = target}));
    }
    INFO(target);
    // Also under `not` and inside `or`: `not x > 100` no longer lets such a value through.
    CHECK_FALSE(holds(not_(cmp(query("size"), Op::gt, num(100))), {.target = target}));
    CHECK_FALSE(
        holds(any({cmp(query("size"), Op::le, num(100)), cmp(query("size"), Op::gt, num(100))}),
              {.target = target}));
    CHECK(forbids(not_(cmp(query("size"), Op::le, num(100))), {.target = target}));
  }
  // A missing value is not unreadable: it makes its comparisons false, as before.
  CHECK(holds(not_(cmp(query("size"), Op::gt, num(100))), {.target = "/c/1"}));
  CHECK_FALSE(forbids(cmp(query("size"), Op::gt, num(100)), {.target = "/c/1"}));
}

TEST_CASE("engine: large query numbers compare by value") {
  // 19-digit values are valid 64-bit integers.
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t min = std::numeric_limits<std::int64_t>::min();
  const std::vector<Row> rows = {
      {"18 digits",
       cmp(query("n"), Op::eq, num(999999999999999999)),
       {.target = "/c/1?n=999999999999999999"},
       true},
      {"19 digits",
       cmp(query("n"), Op::eq, num(1000000000000000000)),
       {.target = "/c/1?n=1000000000000000000"},
       true},
      {"19 digits, greater",
       cmp(query("n"), Op::gt, num(100)),
       {.target = "/c/1?n=1000000000000000000"},
       true},
      {"int64 max",
       cmp(query("n"), Op::eq, num(max)),
       {.target = "/c/1?n=9223372036854775807"},
       true},
      {"int64 min",
       cmp(query("n"), Op::eq, num(min)),
       {.target = "/c/1?n=-9223372036854775808"},
       true},
      {"one above int64 max is no number",
       cmp(query("n"), Op::gt, num(0)),
       {.target = "/c/1?n=9223372036854775808"},
       false},
  };
  check_rows(rows);
}

TEST_CASE(
    "engine: request.query and request.param compare percent-decoded, as the application sees "
    "them") {
  // The application decodes `%61dmin` to `admin`; a condition that compared the raw
  // text could be sidestepped by encoding one character.
  const std::vector<Row> rows = {
      {"query value",
       cmp(query("mode"), Op::eq, str("admin")),
       {.target = "/c/1?mode=%61dmin"},
       true},
      {"query value as a number",
       cmp(query("size"), Op::eq, num(50)),
       {.target = "/c/1?size=%350"},
       true},
      {"query key",
       cmp(query("mode"), Op::eq, str("admin")),
       {.target = "/c/1?m%6Fde=admin"},
       true},
      {"param", cmp(attr("request.param.id"), Op::eq, str("a b")), {.target = "/c/a%20b"}, true},
      {"param, encoded letter",
       cmp(attr("request.param.id"), Op::eq, str("admin")),
       {.target = "/c/%61dmin"},
       true},
  };
  check_rows(rows);
}

TEST_CASE("engine: principal attributes read kind, identity, role, scopes and allowed_cidrs") {
  const std::vector<Row> rows = {
      {"kind of a key", cmp(attr("principal.kind"), Op::eq, str("api_key")), {}, true},
      {"kind of a key is not user", cmp(attr("principal.kind"), Op::eq, str("user")), {}, false},
      {"kind of a user",
       cmp(attr("principal.kind"), Op::eq, str("user")),
       {.kind = PrincipalKind::user},
       true},
      {"id", cmp(attr("principal.id"), Op::eq, str("k-1")), {.id = "k-1"}, true},
      {"id, other", cmp(attr("principal.id"), Op::eq, str("k-2")), {.id = "k-1"}, false},
      {"name", cmp(attr("principal.name"), Op::eq, str("ci key")), {.name = "ci key"}, true},
      {"org", cmp(attr("principal.org"), Op::eq, str("acme")), {.org = "acme"}, true},
      {"org in a list",
       in(attr("principal.org"), list({str("acme"), str("globex")})),
       {.org = "globex"},
       true},
      {"org in a list, none",
       in(attr("principal.org"), list({str("acme")})),
       {.org = "globex"},
       false},
      {"role of a user",
       cmp(attr("principal.role"), Op::eq, str("member")),
       {.kind = PrincipalKind::user},
       true},
      {"role of a user, other",
       cmp(attr("principal.role"), Op::eq, str("admin")),
       {.kind = PrincipalKind::user},
       false},
      {"role of another user",
       cmp(attr("principal.role"), Op::eq, str("admin")),
       {.kind = PrincipalKind::user, .role = "admin"},
       true},
      {"scope held", in(str("c:use"), attr("principal.scopes")), {}, true},
      {"scope not held", in(str("c:other"), attr("principal.scopes")), {}, false},
      {"scope held through implies",
       in(str("c:other"), attr("principal.scopes")),
       {.scopes = {"c:use", "c:admin"}},
       true},
      {"scope held through a role",
       in(str("c:other"), attr("principal.scopes")),
       {.kind = PrincipalKind::user, .role = "admin"},
       true},
      {"scope not held through a role",
       in(str("c:spare"), attr("principal.scopes")),
       {.kind = PrincipalKind::user, .role = "admin"},
       false},
      {"scopes not empty", cmp(attr("principal.scopes"), Op::ne, list({})), {}, true},
      {"scopes empty", cmp(attr("principal.scopes"), Op::eq, list({})), {}, false},
      {"no allowed_cidrs", cmp(attr("principal.allowed_cidrs"), Op::eq, list({})), {}, true},
      {"no allowed_cidrs, written the other way",
       cmp(list({}), Op::eq, attr("principal.allowed_cidrs")),
       {},
       true},
      {"no allowed_cidrs, !=", cmp(attr("principal.allowed_cidrs"), Op::ne, list({})), {}, false},
      {"allowed_cidrs set",
       cmp(attr("principal.allowed_cidrs"), Op::ne, list({})),
       {.cidrs = {"10.0.0.0/8"}},
       true},
      {"ip in allowed_cidrs",
       in(attr("request.ip"), attr("principal.allowed_cidrs")),
       {.cidrs = {"10.0.0.0/8", "2001:db8::/32"}, .ip = "10.1.2.3"},
       true},
      {"IPv6 ip in allowed_cidrs",
       in(attr("request.ip"), attr("principal.allowed_cidrs")),
       {.cidrs = {"10.0.0.0/8", "2001:db8::/32"}, .ip = "2001:db8::7"},
       true},
      {"ip outside allowed_cidrs",
       in(attr("request.ip"), attr("principal.allowed_cidrs")),
       {.cidrs = {"10.0.0.0/8", "2001:db8::/32"}, .ip = "192.0.2.1"},
       false},
      {"ip in no allowed_cidrs",
       in(attr("request.ip"), attr("principal.allowed_cidrs")),
       {.ip = "10.1.2.3"},
       false},
  };
  check_rows(rows);
}

// principal.kind ==/!= "..." and principal.allowed_cidrs ==/!= [] are evaluated by a
// shortcut (no Value per side): every combination of operator, operand order, literal
// and principal must give what the general comparison gives.
TEST_CASE("engine: principal.kind and allowed_cidrs comparisons hold exactly as written") {
  const Probe key{};
  const Probe user{.kind = PrincipalKind::user};
  const Probe limited{.cidrs = {"10.0.0.0/8"}};
  const std::vector<Row> rows = {
      {"key, != api_key", cmp(attr("principal.kind"), Op::ne, str("api_key")), key, false},
      {"user, != api_key", cmp(attr("principal.kind"), Op::ne, str("api_key")), user, true},
      {"user, == user, literal first", cmp(str("user"), Op::eq, attr("principal.kind")), user,
       true},
      {"key, == user, literal first", cmp(str("user"), Op::eq, attr("principal.kind")), key, false},
      {"key, == anonymous", cmp(attr("principal.kind"), Op::eq, str("anonymous")), key, false},
      {"user, != anonymous", cmp(attr("principal.kind"), Op::ne, str("anonymous")), user, true},
      {"no such kind, ==", cmp(attr("principal.kind"), Op::eq, str("robot")), key, false},
      {"no such kind, !=", cmp(attr("principal.kind"), Op::ne, str("robot")), user, true},
      {"case matters", cmp(attr("principal.kind"), Op::eq, str("API_KEY")), key, false},
      {"cidrs set, == []", cmp(attr("principal.allowed_cidrs"), Op::eq, list({})), limited, false},
      {"cidrs set, [] != cidrs", cmp(list({}), Op::ne, attr("principal.allowed_cidrs")), limited,
       true},
      {"no cidrs, [] != cidrs", cmp(list({}), Op::ne, attr("principal.allowed_cidrs")), key, false},
      {"user without cidrs, == []", cmp(attr("principal.allowed_cidrs"), Op::eq, list({})), user,
       true},
  };
  check_rows(rows);
}

TEST_CASE("engine: a missing attribute makes == and != both false") {
  struct MissingRow {
    const char* note;
    ConditionSpec left;
    ConditionSpec right;
    Probe probe;
  };
  const std::vector<MissingRow> rows = {
      {"request.ip, none given", attr("request.ip"), ip("192.0.2.1"), {}},
      {"request.time, none given", attr("request.time"), str("2026-02-18T10:30:00Z"), {}},
      {"request.query, no such key", query("size"), num(50), {.target = "/c/1?a=1"}},
      {"request.query, as text", query("size"), str("50"), {.target = "/c/1"}},
      {"request.header, none such",
       header("x-source"),
       str("batch"),
       {.headers = {{"x-other", "batch"}}}},
      {"principal.id, unset", attr("principal.id"), str("k-1"), {}},
      {"principal.name, unset", attr("principal.name"), str("ci key"), {}},
      {"principal.org, unset", attr("principal.org"), str("acme"), {}},
      {"principal.role of a key", attr("principal.role"), str("member"), {}},
      {"principal.id against a literal equal to the empty text", attr("principal.id"), str(""), {}},
  };
  for (const MissingRow& row : rows) {
    INFO(row.note);
    CHECK_FALSE(holds(cmp(row.left, Op::eq, row.right), row.probe));
    CHECK_FALSE(holds(cmp(row.left, Op::ne, row.right), row.probe));
    CHECK_FALSE(holds(cmp(row.right, Op::eq, row.left), row.probe));
    CHECK_FALSE(holds(cmp(row.right, Op::ne, row.left), row.probe));
    // `not` of a comparison that could not be made is true.
    CHECK(holds(not_(cmp(row.left, Op::eq, row.right)), row.probe));
  }
  // Ordered comparisons and `in` too.
  CHECK_FALSE(holds(cmp(query("size"), Op::gt, num(100)), {.target = "/c/1"}));
  CHECK_FALSE(holds(cmp(query("size"), Op::le, num(100)), {.target = "/c/1"}));
  CHECK(holds(not_(cmp(query("size"), Op::gt, num(100))), {.target = "/c/1"}));
  CHECK_FALSE(holds(cmp(attr("request.time"), Op::lt, str("2026-02-18T10:30:00Z")), {}));
  CHECK_FALSE(holds(cmp(attr("request.time"), Op::ge, str("2026-02-18T10:30:00Z")), {}));
  CHECK_FALSE(holds(in(attr("request.ip"), cidr("::/0")), {}));
  CHECK(holds(not_(in(attr("request.ip"), cidr("::/0"))), {}));
  CHECK_FALSE(holds(in(attr("principal.org"), list({str("acme")})), {}));
}
