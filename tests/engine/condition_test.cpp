// Conditions through PolicyBuilder: the attribute table, what each attribute reads, the
// type checker (every combination it accepts and the ones it refuses, with the node at
// fault), the missing-attribute rule, and condition_failed decisions.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support.hpp"

using namespace scopegate;
using namespace scopegate::test;
using namespace scopegate::test::cond;

namespace {

using Op = CompareOp;
using Kind = BuildError::Kind;
using Subject = BuildError::Subject;

constexpr std::int64_t feb_18_2026_10_30 = 1771410600;  // 2026-02-18T10:30:00Z

// Who asks and what they send. The probe policy grants `* /c/{id}/**` through c:use
// only while the condition under test holds, so allowed means "true" and
// condition_failed means "false".
struct Probe {
  PrincipalKind kind = PrincipalKind::api_key;
  std::vector<std::string> scopes = {"c:use"};  // for a key
  std::string role = "member";                  // for a user
  std::string id = {};
  std::string name = {};
  std::string org = {};
  std::vector<std::string> cidrs = {};
  std::string method = "GET";
  std::string target = "/c/42";
  std::optional<std::string> ip = std::nullopt;
  std::vector<std::pair<std::string, std::string>> headers = {};
  std::optional<std::int64_t> time = std::nullopt;
};

PolicyInput probe_input(std::optional<ConditionSpec> condition) {
  PolicyInput in;
  in.scopes = {scope("c:use"), scope("c:other"), scope("c:admin", ScopeKind::plain, {"c:other"}),
               scope("c:spare")};
  RouteSpec granted = route(Method::any, "/c/{id}/**", "c:use");
  in.routes = {condition
                   ? when(std::move(granted), std::move(*condition), at("probe.policy", 3, 20))
                   : std::move(granted)};
  in.roles = {role("member", {"c:use"}), role("admin", {"c:use", "c:admin"})};
  return in;
}

Principal principal_for(const Policy& policy, const Probe& probe) {
  Principal principal;
  if (probe.kind == PrincipalKind::api_key) principal = policy.principal_for_key(probe.scopes);
  if (probe.kind == PrincipalKind::user) principal = policy.principal_for_role(probe.role);
  principal.set_identity(probe.id, probe.name, probe.org);
  std::vector<Cidr> cidrs;
  for (const std::string& text : probe.cidrs) {
    const auto parsed = parse_cidr(text);
    REQUIRE(parsed.has_value());
    cidrs.push_back(*parsed);
  }
  principal.set_allowed_cidrs(std::move(cidrs));
  return principal;
}

// Decides `probe` against `policy`; `headers` keeps the Header views alive.
Decision decide_probe(const Policy& policy, const Probe& probe, std::vector<Header>& headers) {
  for (const auto& [name, value] : probe.headers) headers.push_back({name, value});
  Request request;
  request.method = probe.method;
  request.target = probe.target;
  if (probe.ip) {
    request.ip = parse_ip(*probe.ip);
    REQUIRE(request.ip.has_value());
  }
  request.headers = headers;
  request.time = probe.time;
  return policy.decide(principal_for(policy, probe), request);
}

// Does `condition` hold for `probe`?
bool holds(const ConditionSpec& condition, const Probe& probe) {
  const Policy policy = build(probe_input(condition));
  std::vector<Header> headers;
  const Decision d = decide_probe(policy, probe, headers);
  INFO(describe(d));
  REQUIRE((d.reason() == Reason::allowed || d.reason() == Reason::condition_failed));
  return d.allowed();
}

struct Row {
  const char* note;
  ConditionSpec condition;
  Probe probe;
  bool expected;
};

void check_rows(const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    INFO(row.note << ": when " << render(row.condition) << " (" << row.probe.method << " "
                  << row.probe.target << ")");
    CHECK(holds(row.condition, row.probe) == row.expected);
  }
}

}  // namespace

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
      {"header repeated: the first counts",
       cmp(header("x-source"), Op::eq, str("batch")),
       {.headers = {{"X-Source", "batch"}, {"x-source", "web"}}},
       true},
      {"header repeated: the second does not",
       cmp(header("x-source"), Op::eq, str("web")),
       {.headers = {{"X-Source", "batch"}, {"x-source", "web"}}},
       false},
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
      {"repeated: the first value",
       cmp(query("size"), Op::eq, num(5)),
       {.target = "/c/1?size=5&size=500"},
       true},
      {"repeated: not the second",
       cmp(query("size"), Op::eq, num(500)),
       {.target = "/c/1?size=5&size=500"},
       false},
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

TEST_CASE("engine: a text value that is no number compares false with an integer") {
  const std::vector<const char*> targets = {
      "/c/1?size=abc", "/c/1?size=5x", "/c/1?size=",     "/c/1?size=%20%35",
      "/c/1?size=1.5", "/c/1?size=-",  "/c/1?size=0x10", "/c/1?size=--5"};
  for (const char* target : targets) {
    for (const Op op : {Op::eq, Op::ne, Op::lt, Op::le, Op::gt, Op::ge}) {
      INFO(target << " with " << to_string(op));
      CHECK_FALSE(holds(cmp(query("size"), op, num(100)), {.target = target}));
    }
    INFO(target);
    // So `not (x > 100)` lets such a value through, and `x <= 100` does not.
    CHECK(holds(not_(cmp(query("size"), Op::gt, num(100))), {.target = target}));
    CHECK_FALSE(holds(cmp(query("size"), Op::le, num(100)), {.target = target}));
  }
  // A number too large for 64 bits is no number either: refused by `<=`.
  CHECK_FALSE(
      holds(cmp(query("size"), Op::le, num(100)), {.target = "/c/1?size=99999999999999999999"}));
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

TEST_CASE("engine: condition_failed when every held grant's condition fails") {
  PolicyInput in;
  in.scopes = {scope("audit:read"), scope("audit:all"), scope("logs:read"), scope("audit:tight")};
  RouteSpec capped = route(Method::get, "/api/v1/audit-logs", "audit:read", "List audit logs");
  capped.location = at("api.policy", 10, 3);
  RouteSpec tight = route(Method::get, "/api/v1/audit-logs", "audit:tight");
  tight.location = at("api.policy", 20, 3);
  RouteSpec open = route(Method::get, "/api/v1/audit-logs", "audit:all");
  open.location = at("api.policy", 30, 3);
  in.routes = {
      when(std::move(capped), cmp(query("size"), Op::le, num(100)), at("api.policy", 10, 42)),
      when(std::move(tight), cmp(query("size"), Op::le, num(10)), at("api.policy", 20, 42)),
      std::move(open),
      route(Method::get, "/api/v1/logs", "logs:read"),
  };
  in.roles = {role("auditor", {"audit:read"})};
  const Policy policy = build(std::move(in));
  const Principal capped_key = policy.principal_for_key({"audit:read"});
  const Principal tight_key = policy.principal_for_key({"audit:tight"});
  const Principal both_key = policy.principal_for_key({"audit:tight", "audit:read"});
  const Principal open_key = policy.principal_for_key({"audit:read", "audit:all"});
  const Principal logs_key = policy.principal_for_key({"logs:read"});
  const Principal auditor = policy.principal_for_role("auditor");

  SECTION("a held grant whose condition holds allows, and is the deciding rule") {
    const Decision d = policy.decide(capped_key, "GET", "/api/v1/audit-logs?size=50");
    INFO(describe(d));
    REQUIRE(d.allowed());
    CHECK(d.granted_by() == "audit:read");
    REQUIRE(d.rule() != nullptr);
    CHECK(*d.rule() == at("api.policy", 10, 3));
    CHECK(d.failed_grant() == nullptr);
    CHECK(d.forbid() == nullptr);
  }
  SECTION("the only held grant fails: condition_failed, naming the condition") {
    for (const Principal* who : {&capped_key, &auditor}) {
      for (const char* target :
           {"/api/v1/audit-logs?size=500", "/api/v1/audit-logs", "/api/v1/audit-logs?size=lots"}) {
        INFO(target);
        const Decision d = policy.decide(*who, "GET", target);
        INFO(describe(d));
        CHECK(d.reason() == Reason::condition_failed);
        CHECK(d.reason_code() == "condition_failed");
        CHECK(d.status() == 403);
        CHECK_FALSE(d.allowed());
        CHECK(d.message() == "Condition not met: request.query.size <= 100");
        REQUIRE(d.failed_grant() != nullptr);
        CHECK(policy.scopes()[d.failed_grant()->scope].name == "audit:read");
        CHECK(d.failed_grant()->condition->text == "request.query.size <= 100");
        CHECK(d.failed_grant()->condition->location == at("api.policy", 10, 42));
        CHECK(d.failed_grant()->location == at("api.policy", 10, 3));
        CHECK(d.failed_grant()->has_condition());
        REQUIRE(d.rule() != nullptr);
        CHECK(*d.rule() == at("api.policy", 10, 42));
        CHECK_FALSE(d.granted_by().has_value());
        CHECK(d.forbid() == nullptr);
        REQUIRE(d.endpoint() != nullptr);
        CHECK(d.endpoint()->description == "List audit logs");
      }
    }
  }
  SECTION("of several failing held grants, the first in policy order is named") {
    const Decision d = policy.decide(both_key, "GET", "/api/v1/audit-logs?size=500");
    INFO(describe(d));
    CHECK(d.reason() == Reason::condition_failed);
    REQUIRE(d.failed_grant() != nullptr);
    CHECK(d.failed_grant()->condition->location == at("api.policy", 10, 42));
    const Decision tight_only = policy.decide(tight_key, "GET", "/api/v1/audit-logs?size=50");
    INFO(describe(tight_only));
    CHECK(tight_only.reason() == Reason::condition_failed);
    CHECK(tight_only.message() == "Condition not met: request.query.size <= 10");
    REQUIRE(tight_only.failed_grant() != nullptr);
    CHECK(tight_only.failed_grant()->condition->location == at("api.policy", 20, 42));
  }
  SECTION("one held grant that holds is enough, even after one that fails") {
    const Decision d = policy.decide(both_key, "GET", "/api/v1/audit-logs?size=50");
    INFO(describe(d));
    REQUIRE(d.allowed());
    CHECK(d.granted_by() == "audit:read");
    CHECK(d.failed_grant() == nullptr);
  }
  SECTION("a second grant without a condition still allows") {
    for (const char* target : {"/api/v1/audit-logs?size=500", "/api/v1/audit-logs"}) {
      INFO(target);
      const Decision d = policy.decide(open_key, "GET", target);
      INFO(describe(d));
      REQUIRE(d.allowed());
      CHECK(d.granted_by() == "audit:all");
      REQUIRE(d.rule() != nullptr);
      CHECK(*d.rule() == at("api.policy", 30, 3));
      CHECK(d.failed_grant() == nullptr);
    }
  }
  SECTION("no held grant at all stays missing_scope") {
    const Decision d = policy.decide(logs_key, "GET", "/api/v1/audit-logs?size=500");
    INFO(describe(d));
    CHECK(d.reason() == Reason::missing_scope);
    CHECK(d.failed_grant() == nullptr);
    CHECK(d.message().find("audit:read") != std::string_view::npos);
  }
  SECTION("the grants carry their conditions") {
    const Endpoint* endpoint = policy.find_endpoint(Method::get, "/api/v1/audit-logs");
    REQUIRE(endpoint != nullptr);
    REQUIRE(endpoint->grants.size() == 3);
    CHECK(endpoint->grants[0].has_condition());
    CHECK(endpoint->grants[0].condition->message == "Condition not met: request.query.size <= 100");
    CHECK(endpoint->grants[1].has_condition());
    CHECK_FALSE(endpoint->grants[2].has_condition());
    CHECK(endpoint->grants[2].condition == nullptr);
  }
}

TEST_CASE("engine: a conditional wildcard grant and a user-only conditional grant") {
  PolicyInput in;
  in.scopes = {scope("w:all"), scope("w:one"), scope("u:manage", ScopeKind::user)};
  in.routes = {
      when(route(Method::get, "/w/**", "w:all"), cmp(header("x-internal"), Op::eq, str("yes")),
           at("w.policy", 2, 30)),
      route(Method::get, "/w/{id}", "w:one"),
      when(route(Method::get, "/u", "u:manage"), cmp(attr("principal.org"), Op::eq, str("acme")),
           at("w.policy", 5, 30)),
  };
  in.roles = {role("manager", {"u:manage"})};
  const Policy policy = build(std::move(in));
  const Principal wild = policy.principal_for_key({"w:all"});
  const std::vector<Header> internal = {{"X-Internal", "yes"}};

  Request request{"GET", "/w/7", std::nullopt, internal, std::nullopt};
  const Decision allowed = policy.decide(wild, request);
  INFO(describe(allowed));
  CHECK(allowed.allowed());
  CHECK(allowed.granted_by() == "w:all");
  CHECK(allowed.param("id") == "7");

  const Decision failed = policy.decide(wild, "GET", "/w/7");
  INFO(describe(failed));
  CHECK(failed.reason() == Reason::condition_failed);
  REQUIRE(failed.failed_grant() != nullptr);
  CHECK(failed.failed_grant()->path_template == "/w/**");
  REQUIRE(failed.rule() != nullptr);
  CHECK(*failed.rule() == at("w.policy", 2, 30));

  // A key never counts a user scope, so its condition is never the reason.
  Principal key = policy.principal_for_key({"u:manage"});
  key.set_identity("k", "key", "globex");
  const Decision key_refused = policy.decide(key, "GET", "/u");
  INFO(describe(key_refused));
  CHECK(key_refused.reason() == Reason::api_key_not_supported);
  CHECK(key_refused.failed_grant() == nullptr);

  Principal manager = policy.principal_for_role("manager");
  manager.set_identity("u-1", "Ann", "globex");
  const Decision user_refused = policy.decide(manager, "GET", "/u");
  INFO(describe(user_refused));
  CHECK(user_refused.reason() == Reason::condition_failed);
  manager.set_identity("u-1", "Ann", "acme");
  CHECK(policy.decide(manager, "GET", "/u").allowed());
}

TEST_CASE("engine: a principal of another policy holds no scope in conditions") {
  // Bits of another policy mean nothing here: fail closed, before any condition.
  const Policy first = build(probe_input(in(str("c:use"), attr("principal.scopes"))));
  const Policy second = build(probe_input(in(str("c:use"), attr("principal.scopes"))));
  const Principal stale = first.principal_for_key({"c:use"});
  CHECK(first.decide(stale, "GET", "/c/1").allowed());
  const Decision d = second.decide(stale, "GET", "/c/1");
  INFO(describe(d));
  CHECK_FALSE(d.allowed());
  CHECK(second.decide(second.rebind(stale), "GET", "/c/1").allowed());
}
