// End-to-end: what POST /api/v1/users does through the accounts part: a user created
// without a password is invited (a set-password link, valid 7 days, in the outbox and
// the log, spent by reset-password), and the organization's plan caps its users.
#include <catch2/catch.hpp>

#include <chrono>

#include "admin_fixture.hpp"
#include "outbox.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

TEST_CASE("e2e: a user created without a password is invited, and sets it by the link") {
  Harness h([](Harness& h) { h.config.mail_link_base_url = "https://entryguard.example"; });
  AdminFixture f(h);
  // With a password: no invitation.
  f.member("bob@acme.test");
  CHECK(link_token_from_log(h, "bob@acme.test").empty());
  CHECK(unsent_mail(h).empty());

  const auto created =
      h.client().post("/api/v1/users", {{"email", "carol@acme.test"}, {"name", "Carol"}}, f.admin);
  REQUIRE(created.status == 201);
  const auto token = link_token_from_log(h, "carol@acme.test");
  REQUIRE(token.size() == 64);
  CHECK(unsent_mail(h) == std::vector<std::string>{"carol@acme.test"});
  CHECK(
      read_file(h.config.log_file).find("https://entryguard.example/set-password?token=" + token) !=
      std::string::npos);
  CHECK(sign_in(h, "default", "carol@acme.test", "Carol-passw0rd").status == 401);

  const auto reset = [&](const std::string& value, const std::string& password) {
    return h.client().post("/api/v1/auth/reset-password",
                           {{"token", value}, {"password", password}});
  };
  const auto set = reset(token, "Carol-passw0rd");
  REQUIRE(set.status == 200);
  CHECK(set.json().at("user").at("email") == "carol@acme.test");
  CHECK(sign_in(h, "default", "carol@acme.test", "Carol-passw0rd").status == 200);
  CHECK(reset(token, "Other-passw0rd").status == 400);  // spent

  // The link lives 7 days.
  REQUIRE(h.client().post("/api/v1/users", {{"email", "dave@acme.test"}}, f.admin).status == 201);
  const auto late = link_token_from_log(h, "dave@acme.test");
  REQUIRE(late.size() == 64);
  {
    const ClockShift week(std::chrono::hours(7 * 24) + std::chrono::minutes(1));
    CHECK(reset(late, "Dave-passw0rd").status == 400);
  }
  // Deleting the invited user ends the link too.
  const auto erin = h.client().post("/api/v1/users", {{"email", "erin@acme.test"}}, f.admin);
  REQUIRE(erin.status == 201);
  const auto erins = link_token_from_log(h, "erin@acme.test");
  REQUIRE(del(h, "/api/v1/users/" + id_of(erin), f.admin).status == 204);
  CHECK(reset(erins, "Erin-passw0rd").status == 400);
}

TEST_CASE("e2e: a reset link asked for after the invitation voids the invitation") {
  Harness h;
  AdminFixture f(h);
  REQUIRE(h.client().post("/api/v1/users", {{"email", "carol@acme.test"}}, f.admin).status == 201);
  const auto invitation = link_token_from_log(h, "carol@acme.test");
  REQUIRE(invitation.size() == 64);
  // Carol lost the invitation mail, and asks for a reset link instead.
  const auto reset_link = reset_link_for(h, "carol@acme.test", invitation);
  const auto reset = [&](const std::string& value, const std::string& password) {
    return h.client().post("/api/v1/auth/reset-password",
                           {{"token", value}, {"password", password}});
  };
  const auto old = reset(invitation, "Carol-passw0rd");
  CHECK(old.status == 400);
  CHECK(old.json().at("message") == "invalid or expired token");
  REQUIRE(reset(reset_link, "Carol-passw0rd").status == 200);
  // Neither link sets the password again.
  CHECK(reset(invitation, "Other-passw0rd").status == 400);
  CHECK(reset(reset_link, "Other-passw0rd").status == 400);
  CHECK(sign_in(h, "default", "carol@acme.test", "Carol-passw0rd").status == 200);
  CHECK(sign_in(h, "default", "carol@acme.test", "Other-passw0rd").status == 401);
}

TEST_CASE("e2e: POST /users refuses a user over the plan's limit with 400") {
  Harness h;
  const auto admin = register_free_organization(h);  // 3 users
  const auto create = [&](const std::string& email) {
    return h.client().post("/api/v1/users", {{"email", email}, {"password", "member-password"}},
                           admin);
  };
  const auto second = create("second@small.test");
  REQUIRE(second.status == 201);
  REQUIRE(create("third@small.test").status == 201);
  const auto fourth = create("fourth@small.test");
  CHECK(fourth.status == 400);
  CHECK(fourth.json().at("message") == "User limit of the plan reached: FREE allows 3 users");
  CHECK(h.client().get("/api/v1/users", admin).json().size() == 3);
  // A deleted user frees its place.
  REQUIRE(del(h, "/api/v1/users/" + id_of(second), admin).status == 204);
  CHECK(create("fourth@small.test").status == 201);
  // The bootstrap organization is PLATFORM: no limit.
  AdminFixture f(h);
  for (int i = 0; i < 4; ++i) f.member("m" + std::to_string(i) + "@acme.test");
  CHECK(h.client().get("/api/v1/users", f.admin).json().size() == 5);
}
