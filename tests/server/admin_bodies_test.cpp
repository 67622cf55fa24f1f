// The bodies of the admin routes (users, roles), through their pure parse_* functions
// (server/handlers/bodies.hpp): what isOrgAdmin, role and password mean on POST /users,
// the optional fields of PATCH /users/{id}, and the role fields.
#include <catch2/catch.hpp>

#include "validation_rows.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

const std::vector<std::string> assignable_roles = {"admin", "member"};

}  // namespace

TEST_CASE("user body: isOrgAdmin chooses the role unless role says it, and must agree with it") {
  const auto role_of = [](const nlohmann::json& body) {
    const auto parsed = parse_user_body(body, assignable_roles);
    REQUIRE(parsed);
    return parsed->role;
  };
  CHECK(role_of(nlohmann::json{{"email", "a@b"}}) == "member");
  CHECK(role_of(nlohmann::json{{"email", "a@b"}, {"isOrgAdmin", true}}) == "admin");
  CHECK(role_of(nlohmann::json{{"email", "a@b"}, {"isOrgAdmin", false}}) == "member");
  CHECK(role_of(nlohmann::json{{"email", "a@b"}, {"role", "admin"}, {"isOrgAdmin", true}}) ==
        "admin");
  CHECK(refusal(parse_user_body(
                    nlohmann::json{{"email", "a@b"}, {"role", "admin"}, {"isOrgAdmin", false}},
                    assignable_roles),
                "isOrgAdmin") == "contradicts role `admin`");
  CHECK(refusal(
            parse_user_body(nlohmann::json{{"email", "a@b"}, {"isOrgAdmin", 1}}, assignable_roles),
            "isOrgAdmin") == "must be true or false");
  const auto without_password = parse_user_body(nlohmann::json{{"email", "a@b"}}, assignable_roles);
  REQUIRE(without_password);
  CHECK_FALSE(without_password->password);
}

TEST_CASE("user changes body: name, isOrgAdmin and isActive, each optional") {
  const auto all = parse_user_changes_body(
      nlohmann::json{{"name", "N"}, {"isOrgAdmin", true}, {"isActive", false}});
  REQUIRE(all);
  CHECK(all->name == "N");
  CHECK(all->is_org_admin == true);
  CHECK(all->active == false);
  const auto none = parse_user_changes_body(nlohmann::json::object());
  REQUIRE(none);
  CHECK_FALSE(none->name);
  CHECK_FALSE(none->is_org_admin);
  CHECK_FALSE(none->active);
  CHECK(refusal(parse_user_changes_body(nlohmann::json{{"name", ""}}), "name") ==
        "must not be empty");
  CHECK(refusal(parse_user_changes_body(nlohmann::json{{"isActive", "no"}}), "isActive") ==
        "must be true or false");
}

TEST_CASE("role body: name required on create, description and cap nullable") {
  CHECK(refusal(parse_role_body(nlohmann::json::object(), NameRequired::yes), "name") ==
        "name is required");
  CHECK(refusal(parse_role_body(nlohmann::json{{"name", ""}}, NameRequired::no), "name") ==
        "name is required");
  const auto none = parse_role_body(nlohmann::json::object(), NameRequired::no);
  REQUIRE(none);
  CHECK_FALSE(none->name);
  CHECK_FALSE(none->description);
  CHECK_FALSE(none->max_session_hours);
  const auto cleared = parse_role_body(
      nlohmann::json{{"description", nullptr}, {"maxSessionDurationHours", nullptr}},
      NameRequired::no);
  REQUIRE(cleared);
  CHECK(cleared->description == std::optional<OptionalText>(OptionalText()));
  CHECK(cleared->max_session_hours ==
        std::optional<std::optional<std::int64_t>>(std::optional<std::int64_t>()));
  for (const auto& [hours, problem] :
       {std::pair{0, "must be between 1 and 8760"}, std::pair{1, ""}, std::pair{8760, ""},
        std::pair{8761, "must be between 1 and 8760"}}) {
    INFO(hours);
    CHECK(refusal(parse_role_body(nlohmann::json{{"name", "R"}, {"maxSessionDurationHours", hours}},
                                  NameRequired::yes),
                  "maxSessionDurationHours")
              .value_or("") == problem);
  }
  check_rows(text_rows(100, Controls::none, "DevOps"), [](const std::string& text) {
    return refusal(parse_role_body(nlohmann::json{{"name", text}}, NameRequired::yes), "name");
  });
  check_rows(text_rows(1000, Controls::tab_and_line_breaks, "Prod\naccess"),
             [](const std::string& text) {
               return refusal(parse_role_body(nlohmann::json{{"name", "R"}, {"description", text}},
                                              NameRequired::yes),
                              "description");
             });
}
