// End-to-end checks of what docs/server.md claims about passwords and that no other test
// asserts (docs-20 review, section 3): the order of change-password's refusals, the
// 128-character cap on new passwords and the 1024 one on current passwords, and
// change-expired-password's 300-second token, "must differ" rule and audit entry.
#include <catch2/catch.hpp>

#include <chrono>

#include "admin_fixture.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

// A member of the default organization with `password`, created by the admin; its id.
std::string member_with_password(Harness& h, const std::string& email,
                                 const std::string& password) {
  const auto created = h.client().post(
      "/api/v1/users", {{"email", email}, {"name", "Member"}, {"password", password}}, h.bearer());
  REQUIRE(created.status == 201);
  return id_of(created);
}

Reply change_own_password(Harness& h, const Headers& token, const std::string& current,
                          const std::string& next) {
  return h.client().post("/api/v1/auth/change-password",
                         {{"currentPassword", current}, {"newPassword", next}}, token);
}

Reply change_expired_password(Harness& h, const std::string& change_token,
                              const std::string& next) {
  return h.client().post("/api/v1/auth/change-expired-password",
                         {{"passwordChangeToken", change_token}, {"newPassword", next}});
}

std::int64_t audit_count(Harness& h, const Headers& reader, const std::string& event) {
  const auto page = h.client().get("/api/v1/audit-logs?eventType=" + event, reader);
  REQUIRE(page.status == 200);
  return page.json().at("totalElements").get<std::int64_t>();
}

// A password of `length` characters that meets the default policy.
std::string compliant_password(std::size_t length) { return "Aa1-" + std::string(length - 4, 'x'); }

}  // namespace

TEST_CASE(
    "e2e: change-password answers 400 for an unchanged password, then 422 for the policy, "
    "and only then 401 for a wrong current password") {
  Harness h;
  member_with_password(h, "pat@localhost", "Old-passw0rd");
  const auto token = signed_in(h, "default", "pat@localhost", "Old-passw0rd");

  const auto same = change_own_password(h, token, "Wrong-passw0rd", "Wrong-passw0rd");
  CHECK(same.status == 400);
  CHECK(same.json().at("validationErrors").at("newPassword") ==
        "must differ from the current password");
  const auto weak = change_own_password(h, token, "Wrong-passw0rd", "weakpassword");
  CHECK(weak.status == 422);
  CHECK(weak.json().at("violatedRules") ==
        Json::array({"passwordRequireUppercase", "passwordRequireDigit"}));
  const auto wrong = change_own_password(h, token, "Wrong-passw0rd", "N3w-password");
  CHECK(wrong.status == 401);
  CHECK(message_of(wrong) == "current password is incorrect");
  // Nothing changed.
  CHECK(sign_in(h, "default", "pat@localhost", "Old-passw0rd").status == 200);
  CHECK(audit_count(h, h.bearer(), "USER_PASSWORD_CHANGE") == 0);
}

TEST_CASE("e2e: a new password is at most 128 characters, a current one up to 1024") {
  Harness h;
  // POST /users takes initial passwords of up to 1024 characters.
  const auto long_current = compliant_password(1024);
  member_with_password(h, "long@localhost", long_current);
  const auto token = signed_in(h, "default", "long@localhost", long_current);

  const auto too_long = change_own_password(h, token, long_current, compliant_password(129));
  CHECK(too_long.status == 400);
  CHECK(too_long.json().at("validationErrors").at("newPassword") ==
        "must be at most 128 characters");
  const auto current_too_long =
      change_own_password(h, token, compliant_password(1025), compliant_password(128));
  CHECK(current_too_long.status == 400);
  CHECK(current_too_long.json().at("validationErrors").at("currentPassword") ==
        "must be at most 1024 characters");

  const auto longest = compliant_password(128);
  CHECK(change_own_password(h, token, long_current, longest).status == 200);
  CHECK(sign_in(h, "default", "long@localhost", long_current).status == 401);
  CHECK(sign_in(h, "default", "long@localhost", longest).status == 200);
}

TEST_CASE(
    "e2e: change-expired-password takes its token for 300 seconds, refuses the expired "
    "password and over-long ones, and is audited as USER_PASSWORD_CHANGE") {
  Harness h;
  const auto id = member_with_password(h, "old@localhost", "Old-passw0rd");
  REQUIRE(patch(h, "/api/v1/organization/settings", {{"passwordExpirationDays", 30}}, h.bearer())
              .status == 200);
  const auto auditor = with_key(h.key({"audit:read"}));  // the admin's password expires too
  const auto month = std::chrono::hours(24 * 31);
  const auto change_token = [&] {
    const auto expired = sign_in(h, "default", "old@localhost", "Old-passw0rd");
    REQUIRE(expired.status == 200);
    REQUIRE(expired.json().at("passwordExpired") == true);
    return expired.json().at("passwordChangeToken").get<std::string>();
  };

  std::string stale;
  {
    const ClockShift later(month);
    stale = change_token();
  }
  {
    const ClockShift later(month + std::chrono::seconds(301));
    const auto late = change_expired_password(h, stale, "Fr3sh-password");
    CHECK(late.status == 400);
    CHECK(message_of(late) == "invalid or expired token");
  }
  {
    const ClockShift later(month);
    const auto fresh = change_token();
    const auto unchanged = change_expired_password(h, fresh, "Old-passw0rd");
    CHECK(unchanged.status == 400);
    CHECK(unchanged.json().at("validationErrors").at("newPassword") ==
          "must differ from the current password");
    const auto too_long = change_expired_password(h, fresh, compliant_password(129));
    CHECK(too_long.status == 400);
    CHECK(too_long.json().at("validationErrors").at("newPassword") ==
          "must be at most 128 characters");
    CHECK(audit_count(h, auditor, "USER_PASSWORD_CHANGE") == 0);
    // Still good shortly before its 300 seconds are over.
    {
      const ClockShift nearly(month + std::chrono::seconds(290));
      CHECK(change_expired_password(h, fresh, "Fr3sh-password").status == 200);
    }
  }
  CHECK(audit_count(h, auditor, "USER_PASSWORD_CHANGE") == 1);
  const auto entry = h.client()
                         .get("/api/v1/audit-logs?eventType=USER_PASSWORD_CHANGE", auditor)
                         .json()
                         .at("content")
                         .at(0);
  CHECK(entry.at("resourceId") == id);
  CHECK(entry.at("resourceName") == "old@localhost");
  CHECK(entry.at("actorEmail") == "old@localhost");
}
