// Every error the PolicyBuilder reports lands on the exact item it is about, also when
// the same name is written several times: which `implies` entry, which `scopes` entry of
// a role, which route line, which block. One test per kind of builder error; each policy
// repeats the name at fault and lists where each diagnostic (and its notes) must point.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "scopegate/dsl.hpp"

namespace {

// "LINE:COL code" for each diagnostic, in the order reported, followed by
// "  note LINE:COL" for each of its notes.
std::vector<std::string> where(const char* text) {
  auto compiled = scopegate::compile_source("where.policy", text);
  REQUIRE_FALSE(compiled.has_value());
  std::vector<std::string> out;
  for (const scopegate::Diagnostic& d : compiled.error().items()) {
    out.push_back(std::to_string(d.span.line) + ":" + std::to_string(d.span.column) + " " + d.code);
    for (const auto& note : d.notes) {
      out.push_back("  note " + std::to_string(note.span.line) + ":" +
                    std::to_string(note.span.column));
    }
  }
  return out;
}

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("an unknown scope in a role is reported at each of its mentions") {
  const char* const text = R"(scope a:read { GET /a }
role viewer {
  scopes billing:view a:read export:run
  scopes billing:view
}
)";
  CHECK(where(text) == Lines{"3:10 unknown-scope", "3:30 unknown-scope", "4:10 unknown-scope"});
}

TEST_CASE("an unknown implied scope is reported at each of its mentions") {
  const char* const text = R"(scope a:read { GET /a }
scope a:admin {
  implies billing:view a:read
  implies export:run billing:view
}
)";
  CHECK(where(text) == Lines{"3:11 unknown-scope", "4:11 unknown-scope", "4:22 unknown-scope"});
}

TEST_CASE("an implies cycle is reported at the implies entry that closes it") {
  // a:read's first entry leads off the cycle, its second closes it.
  const char* const text = R"(scope a:other { GET /o }
scope a:read {
  implies a:other a:admin
  GET /a
}
scope a:admin { implies a:read }
scope b:read { implies a:read }
)";
  CHECK(where(text) == Lines{"3:19 implies-cycle", "  note 6:7"});
}

TEST_CASE("a scope that implies itself twice is reported at each entry") {
  const char* const text = R"(scope a:read {
  GET /a
  implies a:read
  implies a:read
}
)";
  CHECK(where(text) == Lines{"3:11 implies-cycle", "4:11 implies-cycle"});
}

TEST_CASE("an invalid scope name is reported at each declaration, at the character at fault") {
  const std::string text = std::string(R"(scope "B d" { GET /a }
scope a:read { implies "B d" }
)") + "scope caf\xC3\xA9:read { GET /b }\n" +
                           R"(scope "" { GET /c }
scope "a\"b" { GET /d }
)";
  CHECK(where(text.c_str()) == Lines{"1:9 bad-scope-name", "3:10 bad-scope-name",
                                     "4:7 bad-scope-name", "5:9 bad-scope-name"});
}

TEST_CASE("a scope declared three times is reported at the second and third") {
  const char* const text = R"(scope a:read { GET /a }
scope a:read { GET /b }
role viewer { scopes a:read }
scope a:read { GET /c }
)";
  CHECK(where(text) ==
        Lines{"2:7 duplicate-scope", "  note 1:7", "4:7 duplicate-scope", "  note 1:7"});
}

TEST_CASE("a role declared three times is reported at the second and third") {
  const char* const text = R"(scope a:read { GET /a }
role viewer { scopes a:read }
role viewer { scopes a:read }
role viewer { scopes a:read }
)";
  CHECK(where(text) ==
        Lines{"3:6 duplicate-role", "  note 2:6", "4:6 duplicate-role", "  note 2:6"});
}

TEST_CASE("each route of a future scope is reported at its own line") {
  const char* const text = R"(future scope a:write {
  POST /a
  POST /a
}
scope a:read { GET /a }
)";
  CHECK(where(text) ==
        Lines{"2:3 future-scope-routes", "  note 1:14", "3:3 future-scope-routes", "  note 1:14"});
}

TEST_CASE("a bad template written twice is reported at each") {
  const char* const text = R"(scope a:read { GET /a//b }
scope a:write { POST /a//b }
forbid * /a//b { message "no" }
)";
  CHECK(where(text) == Lines{"1:22 bad-template", "2:24 bad-template", "3:12 bad-template"});
}

TEST_CASE("a route listed three times in one scope is reported at the second and third") {
  const char* const text = R"(scope a:read {
  GET /a
  GET /a
  GET /a
}
)";
  CHECK(where(text) ==
        Lines{"3:3 duplicate-route", "  note 2:3", "4:3 duplicate-route", "  note 2:3"});
}

TEST_CASE("routes that tie with an earlier one are each reported at their own line") {
  const char* const text = R"(scope a:read {
  GET /a/{id}
  GET /a/{x}
}
scope a:write { GET /a/{y} }
)";
  CHECK(where(text) == Lines{"3:3 route-tie", "  note 2:3", "5:17 route-tie", "  note 2:3"});
}

TEST_CASE("a route listed in two more blocks is reported in each") {
  const char* const text = R"(public { GET /a }
authenticated { GET /a }
scope a:read { GET /a }
)";
  CHECK(where(text) ==
        Lines{"2:17 access-conflict", "  note 1:10", "3:16 access-conflict", "  note 1:10"});
}

TEST_CASE("each plain route covering a user route is reported at its own line") {
  const char* const text = R"(user scope users:manage { GET /u/{id} }
scope a:read { GET /u/** }
scope a:write { GET /u/** }
)";
  CHECK(where(text) ==
        Lines{"2:16 plain-covers-user", "  note 1:27", "3:17 plain-covers-user", "  note 1:27"});
}

TEST_CASE("the same faulty condition on two routes is reported on each") {
  const char* const text = R"(scope a:read {
  GET /a when request.qurey.size == "1"
  GET /b when request.qurey.size == "1"
}
)";
  CHECK(where(text) == Lines{"2:15 unknown-attribute", "3:15 unknown-attribute"});
}
