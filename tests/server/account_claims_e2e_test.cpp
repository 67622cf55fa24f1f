// End-to-end checks of what docs/server.md claims about passwords and that no other test
// asserts (docs-20 review, section 3): the order of change-password's refusals, the
// 128-character cap on new passwords and the 1024 one on current passwords, and
// change-expired-password's 300-second token, "must differ" rule and audit entry; a reused
// refresh token's warn line and racing refreshes; 503 for busy password workers; reset
// links of inactive users; the organization name's length.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <future>

#include "admin_fixture.hpp"
#include "outbox.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

// A member of the default organization with `password`, created by the admin; its id.
std::string member_with_password(Harness& h, const std::string& email,
                                 const std::string& password) {
  const auto created = create_user_when_worker_free(
      h, {{"email", email}, {"name", "Member"}, {"password", password}}, h.bearer());
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

std::int64_t audit_total(Harness& h, const Headers& reader, const std::string& event) {
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
        nlohmann::json::array({"passwordRequireUppercase", "passwordRequireDigit"}));
  const auto wrong = change_own_password(h, token, "Wrong-passw0rd", "N3w-password");
  CHECK(wrong.status == 401);
  CHECK(message_of(wrong) == "current password is incorrect");
  // Nothing changed.
  CHECK(sign_in(h, "default", "pat@localhost", "Old-passw0rd").status == 200);
  CHECK(audit_total(h, h.bearer(), "USER_PASSWORD_CHANGE") == 0);
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
    CHECK(audit_total(h, auditor, "USER_PASSWORD_CHANGE") == 0);
    // Still good shortly before its 300 seconds are over.
    {
      const ClockShift nearly(month + std::chrono::seconds(290));
      CHECK(change_expired_password(h, fresh, "Fr3sh-password").status == 200);
    }
  }
  CHECK(audit_total(h, auditor, "USER_PASSWORD_CHANGE") == 1);
  const auto entry = h.client()
                         .get("/api/v1/audit-logs?eventType=USER_PASSWORD_CHANGE", auditor)
                         .json()
                         .at("content")
                         .at(0);
  CHECK(entry.at("resourceId") == id);
  CHECK(entry.at("resourceName") == "old@localhost");
  CHECK(entry.at("actorEmail") == "old@localhost");
}

TEST_CASE("e2e: a reused refresh token is logged as a warn line naming the user") {
  Harness h;
  const auto first = sign_in(h, "default", "admin@localhost", admin_password);
  REQUIRE(first.status == 200);
  const auto refresh_token = first.json().at("refreshToken").get<std::string>();
  REQUIRE(h.client().post("/api/v1/auth/refresh", {{"refreshToken", refresh_token}}).status == 200);
  const auto me = h.client().get("/api/v1/auth/me",
                                 bearer_of(first.json().at("accessToken").get<std::string>()));
  const auto user_id = me.json().at("id").get<std::string>();
  REQUIRE(h.client().post("/api/v1/auth/refresh", {{"refreshToken", refresh_token}}).status == 401);
  h.stop();
  const auto log = read_file(h.config.log_file);
  const auto line_at = log.find("refresh token reused for user " + user_id);
  REQUIRE(line_at != std::string::npos);
  const auto line_start = log.rfind('\n', line_at) + 1;
  const auto line = log.substr(line_start, log.find('\n', line_at) - line_start);
  INFO(line);
  CHECK(line.find(" warning refresh token reused for user ") != std::string::npos);
  CHECK(line.find(refresh_token) == std::string::npos);
}

TEST_CASE("e2e: of two refreshes racing with one token, one wins and the other counts as reuse") {
  Harness h;
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    const auto signed_in_now = sign_in(h, "default", "admin@localhost", admin_password).json();
    const auto refresh_token = signed_in_now.at("refreshToken").get<std::string>();
    auto refresh = [&h, refresh_token] {
      return h.client().post("/api/v1/auth/refresh", {{"refreshToken", refresh_token}});
    };
    auto one = std::async(std::launch::async, refresh);
    auto two = std::async(std::launch::async, refresh);
    auto replies = std::vector<Reply>{one.get(), two.get()};
    std::sort(replies.begin(), replies.end(),
              [](const Reply& a, const Reply& b) { return a.status < b.status; });
    REQUIRE(replies[0].status == 200);
    REQUIRE(replies[1].status == 401);
    CHECK(message_of(replies[1]) == "refresh token has already been used; sign in again");
    // The reuse revokes the whole sign-in, the winner's new tokens included.
    CHECK(h.client()
              .get("/api/v1/auth/me",
                   bearer_of(replies[0].json().at("accessToken").get<std::string>()))
              .status == 401);
    CHECK(
        h.client()
            .post("/api/v1/auth/refresh", {{"refreshToken", replies[0].json().at("refreshToken")}})
            .status == 401);
  }
}

TEST_CASE("e2e: password changes that find every password worker busy get 503 with Retry-After") {
  Harness h(one_password_worker);
  member_with_password(h, "busy@localhost", "Old-passw0rd");
  const auto token =
      bearer_of(sign_in_when_worker_free(h, "default", "busy@localhost", "Old-passw0rd")
                    .at("accessToken")
                    .get<std::string>());
  // Wrong current passwords: each is checked on the worker (401) or refused at once (503).
  expect_busy_worker_refusals(
      [&] { return change_own_password(h, token, "Wrong-passw0rd", "N3w-password"); }, 401,
      "password changes");
}

TEST_CASE(
    "e2e: reset-password refuses the link of a user made inactive, and takes it again once "
    "the user is active") {
  Harness h;
  const auto id = member_with_password(h, "reset@localhost", "Old-passw0rd");
  REQUIRE(h.client()
              .post("/api/v1/auth/forgot-password",
                    {{"organizationSlug", "default"}, {"email", "reset@localhost"}})
              .status == 204);
  std::string token;
  REQUIRE(eventually([&] {
    token = link_token_from_log(h, "reset@localhost");
    return !token.empty();
  }));
  const auto reset = [&] {
    return h.client().post("/api/v1/auth/reset-password",
                           {{"token", token}, {"password", "R3set-password"}});
  };
  REQUIRE(patch(h, "/api/v1/users/" + id, {{"isActive", false}}, h.bearer()).status == 200);
  const auto refused = reset();
  CHECK(refused.status == 400);
  CHECK(message_of(refused) == "invalid or expired token");
  REQUIRE(patch(h, "/api/v1/users/" + id, {{"isActive", true}}, h.bearer()).status == 200);
  CHECK(reset().status == 200);
  CHECK(sign_in(h, "default", "reset@localhost", "R3set-password").status == 200);
}

TEST_CASE("e2e: the organization's name is 1 to 255 characters") {
  Harness h;
  const auto admin = h.bearer();
  const auto too_long =
      patch(h, "/api/v1/organization/settings", {{"name", std::string(256, 'n')}}, admin);
  CHECK(too_long.status == 400);
  CHECK(too_long.json().at("validationErrors").contains("name"));
  CHECK(h.client().get("/api/v1/organization/settings", admin).json().at("name") == "Default");
  const auto longest =
      patch(h, "/api/v1/organization/settings", {{"name", std::string(255, 'n')}}, admin);
  CHECK(longest.status == 200);
  CHECK(longest.json().at("name") == std::string(255, 'n'));
}

TEST_CASE("e2e: forgot-password answers 204 even while every password worker is busy") {
  Harness h(one_password_worker);
  member_with_password(h, "forgot@localhost", "Old-passw0rd");
  const auto token =
      bearer_of(sign_in_when_worker_free(h, "default", "forgot@localhost", "Old-passw0rd")
                    .at("accessToken")
                    .get<std::string>());
  // Password changes keep the worker busy (some get 503); every forgot-password beside
  // them gets its 204.
  int busy = 0;
  REQUIRE(eventually([&] {
    std::vector<std::future<Reply>> changes;
    std::vector<std::future<Reply>> forgets;
    for (int i = 0; i < 4; ++i) {
      changes.push_back(std::async(std::launch::async, [&h, &token] {
        return change_own_password(h, token, "Wrong-passw0rd", "N3w-password");
      }));
      forgets.push_back(std::async(std::launch::async, [&h] {
        return h.client().post("/api/v1/auth/forgot-password",
                               {{"organizationSlug", "default"}, {"email", "forgot@localhost"}});
      }));
    }
    for (auto& reply : forgets) CHECK(reply.get().status == 204);
    for (auto& reply : changes) busy += reply.get().status == 503 ? 1 : 0;
    return busy >= 1;
  }));
  // And the link still comes.
  CHECK(eventually([&] { return !link_token_from_log(h, "forgot@localhost").empty(); }));
}

TEST_CASE(
    "e2e: forgot-password makes at most accounts.password_resets_per_hour links per "
    "account and per address, answering 204 all the same") {
  Harness h([](Harness& harness) {
    harness.config.password_resets_per_hour = 2;
    harness.config.mail_link_base_url = "https://entryguard.example";
  });
  const auto forgot = [&](const std::string& email) {
    return h.client().post("/api/v1/auth/forgot-password",
                           {{"organizationSlug", "default"}, {"email", email}});
  };
  CHECK(forgot("admin@localhost").status == 204);
  REQUIRE(eventually([&] { return unsent_mail(h).size() == 1; }));
  CHECK(forgot("ADMIN@localhost").status == 204);  // the same account, another spelling
  REQUIRE(eventually([&] { return unsent_mail(h).size() == 2; }));
  // The third for the account and from the address: the same answer, no mail.
  const auto third = forgot("admin@localhost");
  CHECK(third.status == 204);
  CHECK(third.body.empty());
  CHECK(eventually([&] {
    return read_file(h.config.log_file).find("forgot-password: too many requests") !=
           std::string::npos;
  }));
  CHECK(unsent_mail(h).size() == 2);
  // Another account from the same address is over the address's count too.
  const auto refusals = [&] {
    const auto log = read_file(h.config.log_file);
    std::size_t count = 0;
    for (auto at = log.find("too many requests for any account"); at != std::string::npos;
         at = log.find("too many requests for any account", at + 1)) {
      ++count;
    }
    return count;
  };
  const auto before = refusals();
  CHECK(forgot("nobody@localhost").status == 204);
  CHECK(eventually([&] { return refusals() == before + 1; }));
}
