// PolicyBuilder's structural checks (each BuildError kind from a minimal bad input),
// route templates (parse_template, shape, covers) and scope names.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "support.hpp"

using namespace scopegate;
using namespace scopegate::test;

namespace {

using Kind = BuildError::Kind;
using Subject = BuildError::Subject;

struct ErrorRow {
  const char* note;
  PolicyInput input;
  Kind kind;
  Subject subject;
  std::size_t first;
  std::optional<std::size_t> second = std::nullopt;
  std::optional<std::string> detail = std::nullopt;  // must appear in detail
};

}  // namespace

TEST_CASE("engine: every kind of build error comes from a minimal bad input") {
  std::vector<ErrorRow> rows;
  rows.push_back({"scope name with a space",
                  {{scope("sessions read")}, {}, {}},
                  Kind::bad_scope_name,
                  Subject::scope,
                  0});
  rows.push_back({"scope name with a non-ASCII letter",
                  {{scope("ok:ok"), scope("caf\xC3\xA9:read")}, {}, {}},
                  Kind::bad_scope_name,
                  Subject::scope,
                  1});
  rows.push_back({"scope declared twice",
                  {{scope("a:b"), scope("c:d"), scope("a:b")}, {}, {}},
                  Kind::duplicate_scope,
                  Subject::scope,
                  2,
                  0});
  rows.push_back(
      {"route granted by an undeclared scope",
       {{scope("a:b")}, {route(Method::get, "/x", "a:b"), route(Method::get, "/y", "a:c")}, {}},
       Kind::unknown_scope,
       Subject::route,
       1,
       std::nullopt,
       "a:c"});
  rows.push_back({"implies an undeclared scope",
                  {{scope("a:b", ScopeKind::plain, {"a:zz"})}, {}, {}},
                  Kind::unknown_scope,
                  Subject::scope,
                  0,
                  std::nullopt,
                  "a:zz"});
  rows.push_back({"role lists an undeclared scope",
                  {{scope("a:b")}, {}, {role("member", {"a:b", "a:typo"})}},
                  Kind::unknown_scope,
                  Subject::role,
                  0,
                  std::nullopt,
                  "a:typo"});
  rows.push_back({"scope implies itself",
                  {{scope("a:b", ScopeKind::plain, {"a:b"})}, {}, {}},
                  Kind::implies_cycle,
                  Subject::scope,
                  0,
                  std::nullopt,
                  "a:b"});
  rows.push_back(
      {"two scopes imply each other",
       {{scope("a:b", ScopeKind::plain, {"a:c"}), scope("a:c", ScopeKind::plain, {"a:b"})}, {}, {}},
       Kind::implies_cycle,
       Subject::scope,
       0,
       std::nullopt,
       "a:c"});
  rows.push_back({"future scope with a route",
                  {{scope("a:b", ScopeKind::future)}, {route(Method::get, "/x", "a:b")}, {}},
                  Kind::future_scope_routes,
                  Subject::route,
                  0});
  rows.push_back({"template not starting with a slash",
                  {{scope("a:b")}, {route(Method::get, "x/y", "a:b")}, {}},
                  Kind::bad_template,
                  Subject::route,
                  0});
  rows.push_back(
      {"same route twice in one scope",
       {{scope("a:b")}, {route(Method::get, "/x", "a:b"), route(Method::get, "/x", "a:b")}, {}},
       Kind::duplicate_route,
       Subject::route,
       1,
       0});
  rows.push_back({"params with different names tie",
                  {{scope("a:b"), scope("a:c")},
                   {route(Method::get, "/x/{id}", "a:b"), route(Method::get, "/x/{name}", "a:c")},
                   {}},
                  Kind::route_tie,
                  Subject::route,
                  1,
                  0});
  rows.push_back({"param and star tie",
                  {{scope("a:b"), scope("a:c")},
                   {route(Method::get, "/x/*", "a:b"), route(Method::get, "/x/{id}", "a:c")},
                   {}},
                  Kind::route_tie,
                  Subject::route,
                  1,
                  0});
  rows.push_back(
      {"public route also in a scope",
       {{scope("a:b")},
        {open_route(Access::public_, Method::get, "/x"), route(Method::get, "/x", "a:b")},
        {}},
       Kind::access_conflict,
       Subject::route,
       1,
       0});
  rows.push_back({"public route also authenticated",
                  {{},
                   {open_route(Access::public_, Method::get, "/x"),
                    open_route(Access::authenticated, Method::get, "/x")},
                   {}},
                  Kind::access_conflict,
                  Subject::route,
                  1,
                  0});
  rows.push_back(
      {"plain wildcard covers a user endpoint",
       {{scope("u:manage", ScopeKind::user), scope("p:read")},
        {route(Method::get, "/u/{id}", "u:manage"), route(Method::get, "/u/**", "p:read")},
        {}},
       Kind::plain_covers_user,
       Subject::route,
       1,
       0});
  rows.push_back({"plain any-method covers a user endpoint",
                  {{scope("u:manage", ScopeKind::user), scope("p:read")},
                   {route(Method::delete_, "/u", "u:manage"), route(Method::any, "/**", "p:read")},
                   {}},
                  Kind::plain_covers_user,
                  Subject::route,
                  1,
                  0});
  rows.push_back({"role declared twice",
                  {{scope("a:b")}, {}, {role("member", {"a:b"}), role("member", {})}},
                  Kind::duplicate_role,
                  Subject::role,
                  1,
                  0});

  for (ErrorRow& row : rows) {
    INFO(row.note);
    auto built = try_build(std::move(row.input));
    REQUIRE_FALSE(built.has_value());
    const std::vector<BuildError>& errors = built.error();
    INFO(describe(errors));
    REQUIRE(errors.size() >= 1);
    const auto it = std::find_if(errors.begin(), errors.end(),
                                 [&](const BuildError& e) { return e.kind == row.kind; });
    REQUIRE(it != errors.end());
    CHECK(it->subject == row.subject);
    if (row.kind == Kind::route_tie || row.kind == Kind::access_conflict) {
      // Which of the pair is "first" is not part of the contract; the pair is.
      CHECK(std::minmax(it->first, it->second) ==
            std::minmax(row.first, row.second.value_or(row.first)));
    } else {
      CHECK(it->first == row.first);
      if (row.second) CHECK(it->second == *row.second);
    }
    if (row.detail) CHECK_THAT(it->detail, Catch::Contains(*row.detail));
    if (row.kind == Kind::bad_template) CHECK_FALSE(it->template_error.message.empty());
  }
}

TEST_CASE("engine: the builder reports every error at once, sorted by subject and index") {
  PolicyInput in;
  in.scopes = {scope(""), scope("ok:ok"), scope("ok:ok")};
  in.routes = {route(Method::get, "nope", "ok:ok"), route(Method::get, "/x", "ok:missing")};
  in.roles = {role("r", {"ok:gone"})};
  auto built = try_build(std::move(in));
  REQUIRE_FALSE(built.has_value());
  const auto& errors = built.error();
  INFO(describe(errors));
  REQUIRE(errors.size() == 5);
  CHECK(errors[0].kind == Kind::bad_scope_name);
  CHECK(errors[1].kind == Kind::duplicate_scope);
  CHECK(errors[2].kind == Kind::bad_template);
  CHECK(errors[3].kind == Kind::unknown_scope);
  CHECK(errors[3].subject == Subject::route);
  CHECK(errors[4].kind == Kind::unknown_scope);
  CHECK(errors[4].subject == Subject::role);
}

TEST_CASE("engine: distinct methods on one template and disjoint templates build") {
  PolicyInput in;
  in.scopes = {scope("a:read"), scope("a:write"), scope("u:manage", ScopeKind::user)};
  in.routes = {
      route(Method::get, "/a/{id}", "a:read"),
      route(Method::put, "/a/{id}", "u:manage"),
      route(Method::get, "/a/lit", "a:read"),
      route(Method::any, "/a/{id}/sub/**", "a:write"),
      route(Method::get, "/b/**", "u:manage"),
      route(Method::get, "/b/{id}", "a:read"),
      open_route(Access::public_, Method::get, "/"),
  };
  in.roles = {all_scopes_role("admin")};
  auto built = try_build(std::move(in));
  INFO((built ? std::string() : describe(built.error())));
  REQUIRE(built.has_value());
  CHECK(built->endpoints().size() == 7);
  CHECK(built->scopes().size() == 3);
  CHECK(built->roles().size() == 1);
}

TEST_CASE("engine: scope names are OAuth 2.0 scope tokens") {
  struct Row {
    const char* name;
    bool valid;
  };
  // RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
  const std::vector<Row> rows = {
      {"sessions:read", true},
      {"repo", true},
      {"admin:repo_hook", true},
      {"read:org", true},
      {"chat:write.public", true},
      {"admin.users:read", true},
      {"User.Read.All", true},
      {"https://www.googleapis.com/auth/drive.readonly", true},
      {"!#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~", true},
      {"", false},
      {"sessions read", false},
      {"sessions:read ", false},
      {"a\"b", false},
      {"a\\b", false},
      {"a\tb", false},
      {"a\x7f", false},
      {"a\x1f", false},
      {"caf\xC3\xA9:read", false},
  };
  for (const Row& row : rows) {
    INFO("'" << row.name << "'");
    CHECK(is_valid_scope_name(row.name) == row.valid);
  }
}

TEST_CASE("engine: parse_template accepts and rejects templates") {
  struct Row {
    const char* text;
    bool valid;
    std::size_t segments = 0;
    std::size_t params = 0;
  };
  std::string long_ok = "";
  for (std::size_t i = 0; i < max_path_segments; ++i) long_ok += "/s";
  std::string too_long = long_ok + "/s";
  std::string eight_params;
  for (int i = 0; i < 8; ++i) eight_params += "/{p" + std::to_string(i) + "}";
  std::string nine_params = eight_params + "/{p8}";

  const std::vector<Row> rows = {
      {"/", true, 0, 0},
      {"/a", true, 1, 0},
      {"/api/v1/sessions/{id}/stop", true, 5, 1},
      {"/a/*", true, 2, 0},
      {"/a/**", true, 2, 0},
      {"/**", true, 1, 0},
      {"/a/{x}/b/{y}", true, 4, 2},
      {"/{_x}", true, 1, 1},
      {"/{item_Id9}", true, 1, 1},
      {"/v1.2/a-b_c~d", true, 2, 0},
      {"/a:b/...@c", true, 2, 0},
      {"/a/*/{x}/**", true, 4, 1},
      {long_ok.c_str(), true, max_path_segments, 0},
      {eight_params.c_str(), true, 8, 8},
      {"", false},
      {"a", false},
      {"a/b", false},
      {"/a/", false},
      {"//", false},
      {"/a//b", false},
      {"/a/..", false},
      {"/./a", false},
      {"/a/..;x", false},  // requests with a `;` are refused: it could never match
      {"/a/.;", false},
      {"/a;b", false},
      {"/**/a", false},
      {"/a/**/**", false},
      {"/{}", false},
      {"/{1x}", false},
      {"/{X}", false},
      {"/{a-b}", false},
      {"/{x}/{x}", false},
      {"/a{x}", false},
      {"/{x}b", false},
      {"/{x", false},
      {"/x}", false},
      {"/a%20b", false},
      {"/a?b", false},
      {"/a#b", false},
      {"/.", false},
      {"/..", false},
      {"/a/./b", false},
      {"/a/../b", false},
      {"/a b", false},
      {too_long.c_str(), false},
      {nine_params.c_str(), false},
  };
  for (const Row& row : rows) {
    INFO("'" << row.text << "'");
    const auto parsed = parse_template(row.text);
    INFO("error: " << (parsed ? std::string("none") : parsed.error().message));
    REQUIRE(parsed.has_value() == row.valid);
    if (row.valid) {
      CHECK(parsed->segments.size() == row.segments);
      CHECK(parsed->param_count() == row.params);
    } else {
      const TemplateError& e = parsed.error();
      CHECK_FALSE(e.message.empty());
      CHECK(e.offset <= std::string_view(row.text).size());
      CHECK(e.message.back() != '.');
    }
  }
}

TEST_CASE("engine: parse_template names the character it refuses") {
  const auto space = parse_template("/a b");
  REQUIRE_FALSE(space.has_value());
  CHECK(space.error().message == "character ' ' is not allowed in a route template");
  CHECK(space.error().offset == 2);
  const auto tab = parse_template("/a\tb");
  REQUIRE_FALSE(tab.has_value());
  CHECK(tab.error().message == "a control character is not allowed in a route template");
}

TEST_CASE("engine: parse_template splits segments by kind") {
  const auto parsed = parse_template("/api/{id}/*/**");
  REQUIRE(parsed);
  const std::vector<Segment> expected = {
      {SegmentKind::literal, "api"},
      {SegmentKind::param, "id"},
      {SegmentKind::any, ""},
      {SegmentKind::rest, ""},
  };
  CHECK(parsed->segments == expected);
}

TEST_CASE("engine: two templates tie exactly when they differ only in how parameters are named") {
  struct Row {
    const char* a;
    const char* b;
    bool tie;
  };
  const std::vector<Row> rows = {
      {"/a/{x}", "/a/{y}", true},    {"/a/{x}", "/a/*", true},  {"/a/{x}/b", "/a/*/b", true},
      {"/a/b", "/a/b", true},        {"/a/{x}", "/a/b", false}, {"/a/*", "/a/**", false},
      {"/a/{x}", "/a/{x}/b", false}, {"/", "/**", false},
  };
  for (const Row& row : rows) {
    INFO(row.a << " vs " << row.b);
    const auto a = parse_template(row.a);
    const auto b = parse_template(row.b);
    REQUIRE(a);
    REQUIRE(b);
    CHECK((a->shape() == b->shape()) == row.tie);
  }
  const auto t = parse_template("/a/{x}");
  REQUIRE(t);
  CHECK(t->shape() == "/a/*");
}

TEST_CASE("engine: covers says whether one template matches every path of another") {
  struct Row {
    const char* general;
    const char* specific;
    bool covers;
  };
  const std::vector<Row> rows = {
      {"/a/b", "/a/b", true},      {"/a/**", "/a/**", true},     {"/**", "/", true},
      {"/**", "/a/b/{c}", true},   {"/**", "/a/**", true},       {"/a/**", "/a", true},
      {"/a/**", "/a/b", true},     {"/a/**", "/a/{x}", true},    {"/a/**", "/a/*", true},
      {"/a/**", "/a/b/c", true},   {"/a/**", "/a/b/**", true},   {"/a/*", "/a/b", true},
      {"/a/*", "/a/{x}", true},    {"/a/{x}", "/a/*", true},     {"/a/{x}", "/a/{y}", true},
      {"/a/{x}", "/a/b", true},    {"/a/*/c", "/a/{x}/c", true}, {"/a/*/c", "/a/b/c", true},
      {"/a/b", "/a/{x}", false},   {"/a/b", "/a/*", false},      {"/a/b", "/a/b/c", false},
      {"/a/b/c", "/a/b", false},   {"/a/*", "/a", false},        {"/a/*", "/a/b/c", false},
      {"/a/*", "/a/**", false},    {"/a/{x}", "/a/**", false},   {"/a/b/**", "/a/**", false},
      {"/a/**", "/b", false},      {"/a/**", "/ab", false},      {"/a/**", "/", false},
      {"/a/*/c", "/a/b/d", false}, {"/", "/**", false},          {"/a", "/b", false},
  };
  for (const Row& row : rows) {
    INFO(row.general << " covers " << row.specific << "? expected " << row.covers);
    const auto general = parse_template(row.general);
    const auto specific = parse_template(row.specific);
    REQUIRE(general);
    REQUIRE(specific);
    CHECK(covers(*general, *specific) == row.covers);
  }
}
