// End-to-end: the account routes of API-admin.md (register, refresh, logout, me,
// change/forgot/reset/change-expired password, organization settings) on the real server
// over HTTP, on each store (the postgres/ copies of these tests run them on PostgreSQL).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <set>

#include "harness.hpp"
#include "outbox.hpp"
#include "server/crypto.hpp"
#include "test_rows.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

using Headers = std::map<std::string, std::string>;

// Most tests register several organizations from 127.0.0.1.
void many_registrations(Harness& h) { h.config.registrations_per_hour = 1000; }

Headers bearer_of(const nlohmann::json& auth) {
  return {{"Authorization", "Bearer " + auth.at("accessToken").get<std::string>()}};
}

Reply register_org(Harness& h, const std::string& organization, const std::string& email,
                   const std::string& password = "Str0ng-password") {
  return h.client().post("/api/v1/auth/register", {{"organizationName", organization},
                                                   {"email", email},
                                                   {"name", "Founder"},
                                                   {"password", password}});
}

Reply login(Harness& h, const std::string& slug, const std::string& email,
            const std::string& password) {
  return h.client().post("/api/v1/auth/login",
                         {{"organizationSlug", slug}, {"email", email}, {"password", password}});
}

// A member of the default organization, with a password, created by its admin. (The body
// carries both shapes of POST /users: `role` and `isOrgAdmin`.)
Headers member(Harness& h, const std::string& email, const std::string& password) {
  const auto created = h.client().post("/api/v1/users",
                                       {{"email", email},
                                        {"name", "Member"},
                                        {"role", "member"},
                                        {"isOrgAdmin", false},
                                        {"password", password}},
                                       h.bearer());
  REQUIRE(created.status == 201);
  const auto signed_in = login(h, "default", email, password);
  REQUIRE(signed_in.status == 200);
  return bearer_of(signed_in.json());
}

// A disabled user of the default organization, stored directly (no route disables users
// here), with a sign-in whose refresh token is `refresh`.
void disabled_user(Harness& h, const std::string& email, const std::string& refresh) {
  auto store = h.open_store();
  const auto organization = store->find_organization_by_slug("default");
  REQUIRE(organization);
  REQUIRE(organization->has_value());
  User user;
  user.id = generate_uuid();
  user.organization_id = (*organization)->id;
  user.email = email;
  user.name = "Disabled";
  user.role = "member";
  user.password_hash = hash_password("Disabled-passw0rd", test_password_hash);
  user.active = false;
  user.created_at = format_stored(now());
  REQUIRE(store->create_user(user, {}, nullptr));
  const auto audit = user_audit(user.organization_id, "USER_LOGIN");
  const AccessToken token{
      sha256_hex(refresh), user.id,           TokenKind::refresh, "2999-01-01T00:00:00Z",
      user.created_at,     "disabled-family", std::nullopt};
  REQUIRE(store->record_login(user.id, user.created_at, {token}, audit));
}

nlohmann::json audit_events(Harness& h, const Headers& token, const std::string& type) {
  return h.client().get("/api/v1/audit-logs?eventType=" + type, token).json().at("content");
}

}  // namespace

TEST_CASE("e2e: register makes an organization and its first admin, signed in") {
  Harness h(many_registrations);
  const auto reply = register_org(h, "Acme Inc", "founder@acme.test");
  REQUIRE(reply.status == 201);
  const auto auth = reply.json();
  CHECK(key_set_of(auth) ==
        std::set<std::string>{"accessToken", "refreshToken", "expiresIn", "tokenType", "user"});
  CHECK(auth.at("expiresIn") == 3600);
  CHECK(auth.at("tokenType") == "Bearer");
  const auto user = auth.at("user");
  CHECK(key_set_of(user) == std::set<std::string>{"id", "email", "name", "isOrgAdmin",
                                                  "organizationId", "organizationName",
                                                  "organizationSlug", "subscriptionTier",
                                                  "mfaEnabled"});
  CHECK(user.at("email") == "founder@acme.test");
  CHECK(user.at("name") == "Founder");
  CHECK(user.at("isOrgAdmin") == true);
  CHECK(user.at("organizationName") == "Acme Inc");
  CHECK(user.at("organizationSlug") == "acme-inc");
  CHECK(user.at("subscriptionTier") == "FREE");
  CHECK(user.at("mfaEnabled") == false);

  const auto me = h.client().get("/api/v1/auth/me", bearer_of(auth));
  REQUIRE(me.status == 200);
  CHECK(me.json().at("organizationSlug") == "acme-inc");
  CHECK(me.json().at("maxUsers") == 3);
  CHECK(me.json().at("maxResources") == 5);
  // The new admin holds the admin role's scopes in its own organization only.
  CHECK(h.client().get("/api/v1/organization/settings", bearer_of(auth)).json().at("name") ==
        "Acme Inc");
  CHECK(h.client().get("/api/v1/api-keys", bearer_of(auth)).json().empty());
  CHECK(login(h, "acme-inc", "founder@acme.test", "Str0ng-password").status == 200);
  const auto created = audit_events(h, bearer_of(auth), "ORGANIZATION_CREATE");
  REQUIRE(created.size() == 1);
  CHECK(created[0].at("actorEmail") == "founder@acme.test");
  CHECK(created[0].at("resourceName") == "acme-inc");
  // Not visible from the default organization.
  CHECK(audit_events(h, h.bearer(), "ORGANIZATION_CREATE").empty());

  // The slug rule: lower case, every run of other characters one dash.
  const auto spaced = register_org(h, "  Globex -- Corp. 2 ", "a@globex.test");
  REQUIRE(spaced.status == 201);
  CHECK(spaced.json().at("user").at("organizationSlug") == "globex-corp-2");
}

TEST_CASE("e2e: register refuses bad bodies and a taken slug with 400") {
  Harness h(many_registrations);
  REQUIRE(register_org(h, "Acme", "a@acme.test").status == 201);
  const auto taken = register_org(h, "ACME", "b@acme.test");
  CHECK(taken.status == 400);
  CHECK(taken.json().at("validationErrors").at("organizationName") ==
        "an organization with the slug `acme` already exists");
  const auto bad =
      h.client().post("/api/v1/auth/register",
                      {{"organizationName", "!!!"}, {"email", "nobody"}, {"password", "short"}});
  CHECK(bad.status == 400);
  const auto errors = bad.json().at("validationErrors");
  CHECK(errors.at("organizationName") == "must contain a letter or digit (A-Z, a-z, 0-9)");
  CHECK(errors.at("email") == "must be an email address");
  CHECK(errors.at("password") == "must be at least 8 characters");
  CHECK(register_org(h, "Long", "l@long.test", std::string(129, 'a')).status == 400);
  CHECK(h.client()
            .post("/api/v1/auth/register", nlohmann::json::object())
            .json()
            .at("validationErrors")
            .size() == 3);
}

TEST_CASE("e2e: register allows 5 attempts per address per hour, and can be turned off") {
  {
    Harness h;  // the default limit
    for (int i = 0; i < 5; ++i) {
      // Failed attempts count too.
      CHECK(h.client().post("/api/v1/auth/register", nlohmann::json::object()).status == 400);
    }
    const auto refused = register_org(h, "Late", "late@late.test");
    CHECK(refused.status == 429);
    CHECK(refused.json().at("message").get<std::string>().rfind(
              "too many registrations from this address; retry in ", 0) == 0);
    const auto retry_after = std::stoi(refused.headers.at("Retry-After"));
    CHECK(retry_after > 3500);
    CHECK(retry_after <= 3600);
  }
  Harness off([](Harness& h) { h.config.registration_enabled = false; });
  const auto refused = register_org(off, "Acme", "a@acme.test");
  CHECK(refused.status == 403);
  CHECK(refused.json().at("message") == "registration is disabled on this server");
}

TEST_CASE("e2e: registrations that find every password worker busy get 503 with Retry-After") {
  Harness h([](Harness& harness) {
    harness.config.registrations_per_hour = 1000;
    one_password_worker(harness);
  });
  std::atomic<int> next{0};
  expect_busy_worker_refusals(
      [&] {
        const auto i = std::to_string(next++);
        return register_org(h, "Busy " + i, "a@busy" + i + ".test");
      },
      201, "registrations");
}

TEST_CASE("e2e: refresh rotates the tokens, and a reused refresh token revokes its sign-in") {
  Harness h;
  const auto first = login(h, "default", "admin@localhost", admin_password).json();
  const auto old_refresh = first.at("refreshToken").get<std::string>();
  const auto rotated = h.client().post("/api/v1/auth/refresh", {{"refreshToken", old_refresh}});
  REQUIRE(rotated.status == 200);
  const auto second = rotated.json();
  CHECK(key_set_of(second) ==
        std::set<std::string>{"accessToken", "refreshToken", "expiresIn", "tokenType", "user"});
  CHECK(second.at("refreshToken") != old_refresh);
  CHECK(second.at("accessToken") != first.at("accessToken"));
  CHECK(second.at("user").at("email") == "admin@localhost");
  CHECK(h.client().get("/api/v1/auth/me", bearer_of(second)).status == 200);
  // The first access token lives on until it expires.
  CHECK(h.client().get("/api/v1/auth/me", bearer_of(first)).status == 200);

  // A second sign-in is a family of its own: the reuse below leaves it alone.
  const auto other = login(h, "default", "admin@localhost", admin_password).json();

  const auto reused = h.client().post("/api/v1/auth/refresh", {{"refreshToken", old_refresh}});
  CHECK(reused.status == 401);
  CHECK(reused.json().at("message") == "refresh token has already been used; sign in again");
  // Every token of that sign-in is gone: the first and second access tokens, the second
  // refresh token.
  CHECK(h.client().get("/api/v1/auth/me", bearer_of(first)).status == 401);
  CHECK(h.client().get("/api/v1/auth/me", bearer_of(second)).status == 401);
  CHECK(h.client()
            .post("/api/v1/auth/refresh", {{"refreshToken", second.at("refreshToken")}})
            .status == 401);
  CHECK(h.client().get("/api/v1/auth/me", bearer_of(other)).status == 200);
  const auto audit = audit_events(h, bearer_of(other), "USER_TOKEN_REUSE");
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].at("result") == "FAILURE");
  CHECK(audit_events(h, bearer_of(other), "USER_TOKEN_REFRESH").size() == 1);

  // Refusals: missing (400), unknown or an access token (401).
  CHECK(h.client().post("/api/v1/auth/refresh", nlohmann::json::object()).status == 400);
  CHECK(h.client().post("/api/v1/auth/refresh", {{"refreshToken", "nonsense"}}).status == 401);
  CHECK(
      h.client().post("/api/v1/auth/refresh", {{"refreshToken", other.at("accessToken")}}).status ==
      401);
  // A disabled user's refresh token: 403.
  disabled_user(h, "off@localhost", "disabled-refresh-token");
  const auto disabled =
      h.client().post("/api/v1/auth/refresh", {{"refreshToken", "disabled-refresh-token"}});
  CHECK(disabled.status == 403);
  CHECK(disabled.json().at("message") == "user account is disabled");
  // A refresh token past its 7 days.
  {
    const ClockShift later(std::chrono::hours(24 * 7 + 1));
    const auto expired =
        h.client().post("/api/v1/auth/refresh", {{"refreshToken", other.at("refreshToken")}});
    CHECK(expired.status == 401);
    CHECK(expired.json().at("message") == "invalid or expired refresh token");
  }
}

TEST_CASE("e2e: the access token lives tokens.access_token_seconds") {
  Harness h([](Harness& h) { h.config.access_token_seconds = 120; });
  const auto auth = login(h, "default", "admin@localhost", admin_password).json();
  CHECK(auth.at("expiresIn") == 120);
  CHECK(h.client().get("/api/v1/auth/me", bearer_of(auth)).status == 200);
  {
    const ClockShift later(std::chrono::seconds(121));
    CHECK(h.client().get("/api/v1/auth/me", bearer_of(auth)).status == 401);
    // The refresh token outlives it and gets a new one.
    const auto refreshed =
        h.client().post("/api/v1/auth/refresh", {{"refreshToken", auth.at("refreshToken")}});
    REQUIRE(refreshed.status == 200);
    CHECK(h.client().get("/api/v1/auth/me", bearer_of(refreshed.json())).status == 200);
  }
}

TEST_CASE("e2e: logout revokes the refresh token and always answers 200") {
  Harness h;
  const auto auth = login(h, "default", "admin@localhost", admin_password).json();
  const auto out =
      h.client().post("/api/v1/auth/logout", {{"refreshToken", auth.at("refreshToken")}});
  CHECK(out.status == 200);
  CHECK(out.body == "{}");
  CHECK(
      h.client().post("/api/v1/auth/refresh", {{"refreshToken", auth.at("refreshToken")}}).status ==
      401);
  // Access tokens live until they expire.
  CHECK(h.client().get("/api/v1/auth/me", bearer_of(auth)).status == 200);
  CHECK(audit_events(h, bearer_of(auth), "USER_LOGOUT").size() == 1);
  // Again, unknown, or none at all: still 200. A refreshToken that is not a string: 400.
  CHECK(
      h.client().post("/api/v1/auth/logout", {{"refreshToken", auth.at("refreshToken")}}).status ==
      200);
  CHECK(h.client().post("/api/v1/auth/logout", {{"refreshToken", "unknown"}}).status == 200);
  CHECK(h.client().post("/api/v1/auth/logout", nlohmann::json::object()).status == 200);
  CHECK(h.client().post("/api/v1/auth/logout", {{"refreshToken", 5}}).status == 400);
  CHECK(audit_events(h, bearer_of(auth), "USER_LOGOUT").size() == 1);
}

TEST_CASE("e2e: GET /auth/me reports every Me field, for users and keys") {
  Harness h;
  const auto token = h.bearer();
  const auto me = h.client().get("/api/v1/auth/me", token).json();
  CHECK(key_set_of(me) ==
        std::set<std::string>{"id", "email", "name", "isOrgAdmin", "platformRole", "organizationId",
                              "organizationName", "organizationSlug", "subscriptionTier",
                              "maxUsers", "maxResources", "mfaEnabled", "organizationMfaRequired"});
  CHECK(me.at("email") == "admin@localhost");
  CHECK(me.at("isOrgAdmin") == true);
  CHECK(me.at("platformRole") == "CUSTOMER");
  CHECK(me.at("organizationSlug") == "default");
  // The bootstrap organization is the operator's own: no limits.
  CHECK(me.at("subscriptionTier") == "PLATFORM");
  CHECK(me.at("maxUsers").is_null());
  CHECK(me.at("maxResources").is_null());
  CHECK(me.at("mfaEnabled") == false);
  CHECK(me.at("organizationMfaRequired") == false);
  const auto member_token = member(h, "member@localhost", "member-password");
  const auto member_me = h.client().get("/api/v1/auth/me", member_token).json();
  CHECK(member_me.at("isOrgAdmin") == false);
  CHECK(member_me.at("email") == "member@localhost");
  // A key: its creator's profile.
  const auto key = h.key({"sessions:read"});
  CHECK(h.client().get("/api/v1/auth/me", with_key(key)).json() == me);
  CHECK(h.client()
            .send("PATCH", "/api/v1/organization/settings", token, R"({"mfaRequired": true})")
            .status == 200);
  CHECK(h.client().get("/api/v1/auth/me", token).json().at("organizationMfaRequired") == true);
  CHECK(h.client().get("/api/v1/auth/me").status == 401);
}

TEST_CASE("e2e: change-password checks the current password and the organization's policy") {
  Harness h;
  const auto token = member(h, "member@localhost", "member-password");
  const auto change = [&](const nlohmann::json& body) {
    return h.client().post("/api/v1/auth/change-password", body, token);
  };
  CHECK(change(nlohmann::json::object()).status == 400);
  const auto same =
      change({{"currentPassword", "member-password"}, {"newPassword", "member-password"}});
  CHECK(same.status == 400);
  CHECK(same.json().at("validationErrors").at("newPassword") ==
        "must differ from the current password");
  const auto wrong = change({{"currentPassword", "nope-nope"}, {"newPassword", "N3w-password"}});
  CHECK(wrong.status == 401);
  CHECK(wrong.json().at("message") == "current password is incorrect");
  const auto weak =
      change({{"currentPassword", "member-password"}, {"newPassword", "weakpassword"}});
  CHECK(weak.status == 422);
  CHECK(weak.json().at("error") == "Unprocessable Entity");
  CHECK(weak.json().at("violatedRules") ==
        nlohmann::json::array({"passwordRequireUppercase", "passwordRequireDigit"}));
  CHECK(weak.json().at("message") ==
        "the new password breaks the organization's password policy: it needs an uppercase "
        "letter (A-Z), a digit (0-9)");
  const auto done =
      change({{"currentPassword", "member-password"}, {"newPassword", "N3w-password"}});
  CHECK(done.status == 200);
  CHECK(done.body == "{}");
  CHECK(login(h, "default", "member@localhost", "member-password").status == 401);
  CHECK(login(h, "default", "member@localhost", "N3w-password").status == 200);
  CHECK(audit_events(h, h.bearer(), "USER_PASSWORD_CHANGE").size() == 1);
  // The policy of the moment applies to new passwords: a longer minimum refuses what
  // passed before.
  REQUIRE(h.client()
              .send("PATCH", "/api/v1/organization/settings", h.bearer(),
                    R"({"passwordMinLength": 16, "passwordRequireSpecialChar": true})")
              .status == 200);
  const auto short_one = change({{"currentPassword", "N3w-password"}, {"newPassword", "An0ther1"}});
  CHECK(short_one.status == 422);
  CHECK(short_one.json().at("violatedRules") ==
        nlohmann::json::array({"passwordMinLength", "passwordRequireSpecialChar"}));
  // Refusals: a key (even the admin's), nobody.
  const auto key = h.key({"sessions:read", "sessions:write"});
  const auto by_key =
      h.client().post("/api/v1/auth/change-password",
                      {{"currentPassword", "x"}, {"newPassword", "y"}}, with_key(key));
  CHECK(by_key.status == 403);
  CHECK(by_key.body == key_not_supported_body);
  CHECK(h.client().post("/api/v1/auth/change-password", nlohmann::json::object()).status == 401);
}

TEST_CASE("e2e: forgot-password mails a reset link through the outbox, reset-password signs in") {
  Harness h([](Harness& h) { h.config.mail_link_base_url = "https://entryguard.example"; });
  const auto member_token = member(h, "member@localhost", "member-password");
  const auto member_refresh =
      login(h, "default", "member@localhost", "member-password").json().at("refreshToken");
  const auto forgot = [&](const std::string& slug, const std::string& email) {
    return h.client().post("/api/v1/auth/forgot-password",
                           {{"organizationSlug", slug}, {"email", email}});
  };
  // Unknown email, unknown organization, a disabled user: the same 204, and no mail.
  disabled_user(h, "off@localhost", "unused");
  CHECK(forgot("default", "off@localhost").status == 204);
  CHECK(forgot("default", "nobody@localhost").status == 204);
  CHECK(forgot("nowhere", "member@localhost").status == 204);
  CHECK(forgot("default", "member@localhost").status == 204);
  REQUIRE(eventually([&] { return !link_token_from_log(h, "member@localhost").empty(); }));
  CHECK(unsent_mail(h) == std::vector<std::string>{"member@localhost"});
  CHECK(link_token_from_log(h, "nobody@localhost").empty());
  // Nor for a disabled user (asked before the member, so its mail would be there by now).
  CHECK(link_token_from_log(h, "off@localhost").empty());
  const auto token = link_token_from_log(h, "member@localhost");
  CHECK(token.size() == 64);
  CHECK(read_file(h.config.log_file)
            .find("https://entryguard.example/reset-password?token=" + token) != std::string::npos);
  CHECK(h.client().post("/api/v1/auth/forgot-password", {{"email", "x"}}).status == 400);

  const auto reset = [&](const std::string& value, const std::string& password) {
    return h.client().post("/api/v1/auth/reset-password",
                           {{"token", value}, {"password", password}});
  };
  CHECK(reset(token, "weakpassword").status == 422);
  CHECK(reset("not-a-token", "R3set-password").status == 400);
  const auto done = reset(token, "R3set-password");
  REQUIRE(done.status == 200);
  const auto body = done.json();
  CHECK(key_set_of(body) ==
        std::set<std::string>{"accessToken", "refreshToken", "expiresIn", "tokenType", "user",
                              "mfaRequired", "mfaChallengeToken", "mfaChallengeExpiresIn",
                              "passwordExpired", "passwordChangeToken", "mfaSetupRequired"});
  CHECK(body.at("user").at("email") == "member@localhost");
  CHECK(body.at("passwordExpired") == false);
  CHECK(h.client().get("/api/v1/auth/me", bearer_of(body)).status == 200);
  // Single use; every earlier sign-in of the user has ended.
  const auto again = reset(token, "Other-passw0rd");
  CHECK(again.status == 400);
  CHECK(again.json().at("message") == "invalid or expired token");
  CHECK(h.client().get("/api/v1/auth/me", member_token).status == 401);
  CHECK(h.client().post("/api/v1/auth/refresh", {{"refreshToken", member_refresh}}).status == 401);
  CHECK(login(h, "default", "member@localhost", "R3set-password").status == 200);
  CHECK(audit_events(h, h.bearer(), "USER_PASSWORD_RESET_REQUEST").size() == 1);
  CHECK(audit_events(h, h.bearer(), "USER_PASSWORD_RESET").size() == 1);

  // A link is good for an hour, and only the latest one works.
  CHECK(forgot("default", "member@localhost").status == 204);
  const auto first = next_link_from_log(h, "member@localhost", token);
  CHECK(forgot("default", "member@localhost").status == 204);
  const auto latest = next_link_from_log(h, "member@localhost", first);
  CHECK(reset(first, "Sup3rseded-pass").status == 400);
  {
    const ClockShift later(std::chrono::minutes(61));
    CHECK(reset(latest, "T00-late-password").status == 400);
  }
}

TEST_CASE("e2e: a one-time link dies when the password changes or a link of another kind comes") {
  Harness h;
  const auto token = member(h, "member@localhost", "member-password");
  const auto reset = [&](const std::string& value, const std::string& password) {
    return h.client().post("/api/v1/auth/reset-password",
                           {{"token", value}, {"password", password}});
  };
  const auto link = reset_link_for(h, "member@localhost");
  // The user remembers the password after all, and changes it signed in.
  REQUIRE(h.client()
              .post("/api/v1/auth/change-password",
                    {{"currentPassword", "member-password"}, {"newPassword", "Ch4nged-password"}},
                    token)
              .status == 200);
  const auto late = reset(link, "Th1ef-password");
  CHECK(late.status == 400);
  CHECK(late.json().at("message") == "invalid or expired token");
  CHECK(login(h, "default", "member@localhost", "Ch4nged-password").status == 200);
  CHECK(login(h, "default", "member@localhost", "Th1ef-password").status == 401);

  // An expired password's change token, then a reset link: only the later one works.
  REQUIRE(h.client()
              .send("PATCH", "/api/v1/organization/settings", h.bearer(),
                    R"({"passwordExpirationDays": 30})")
              .status == 200);
  const ClockShift later(std::chrono::hours(24 * 31));
  const auto expired = login(h, "default", "member@localhost", "Ch4nged-password");
  REQUIRE(expired.json().at("passwordExpired") == true);
  const auto second_link = reset_link_for(h, "member@localhost", link);
  // The reset link is the later one: it voided the change token, and works.
  const auto change_token = expired.json().at("passwordChangeToken").get<std::string>();
  CHECK(h.client()
            .post("/api/v1/auth/change-expired-password",
                  {{"passwordChangeToken", change_token}, {"newPassword", "Fr3sh-password"}})
            .status == 400);
  CHECK(reset(second_link, "R3set-password").status == 200);
}

TEST_CASE("e2e: an email in another letter case is the same user: taken, signs in, gets the link") {
  Harness h;
  member(h, "member@localhost", "member-password");
  // Taken: the same 400 as the exact address, naming the address as sent.
  const auto create = [&](const std::string& email) {
    return h.client().post("/api/v1/users", {{"email", email}, {"password", "member-password"}},
                           h.bearer());
  };
  for (const auto* email : {"member@localhost", "MEMBER@localhost", "Member@LocalHost"}) {
    INFO(email);
    const auto twice = create(email);
    CHECK(twice.status == 400);
    CHECK(twice.json().at("message") ==
          std::string("A user with email '") + email + "' already exists in this organization");
    CHECK(twice.json().at("validationErrors").at("email") == twice.json().at("message"));
  }
  const auto users = h.client().get("/api/v1/users", h.bearer()).json();
  REQUIRE(users.size() == 2);
  CHECK(users[1].at("email") == "member@localhost");
  // Signs in in any case, shown as it was created.
  const auto signed_in = login(h, "default", "Member@localhost", "member-password");
  REQUIRE(signed_in.status == 200);
  CHECK(signed_in.json().at("user").at("email") == "member@localhost");
  CHECK(h.client().get("/api/v1/auth/me", bearer_of(signed_in.json())).json().at("email") ==
        "member@localhost");
  CHECK(login(h, "default", "MEMBER@LOCALHOST", "wrong-password").status == 401);
  // The reset link goes to the stored address.
  REQUIRE(h.client()
              .post("/api/v1/auth/forgot-password",
                    {{"organizationSlug", "default"}, {"email", "MEMBER@LocalHost"}})
              .status == 204);
  REQUIRE(eventually([&] { return !link_token_from_log(h, "member@localhost").empty(); }));
  CHECK(unsent_mail(h) == std::vector<std::string>{"member@localhost"});
  const auto reset = h.client().post(
      "/api/v1/auth/reset-password",
      {{"token", link_token_from_log(h, "member@localhost")}, {"password", "R3set-password"}});
  REQUIRE(reset.status == 200);
  CHECK(reset.json().at("user").at("email") == "member@localhost");
  CHECK(login(h, "default", "mEmBeR@localhost", "R3set-password").status == 200);
}

TEST_CASE("e2e: an expired password signs in only to change it (change-expired-password)") {
  Harness h;
  member(h, "member@localhost", "member-password");
  REQUIRE(h.client()
              .send("PATCH", "/api/v1/organization/settings", h.bearer(),
                    R"({"passwordExpirationDays": 30})")
              .status == 200);
  CHECK(login(h, "default", "member@localhost", "member-password").json().at("passwordExpired") ==
        false);
  const auto auditor = with_key(h.key({"audit:read"}));  // the admin's password expires too
  const ClockShift later(std::chrono::hours(24 * 31));
  const auto expired = login(h, "default", "member@localhost", "member-password");
  REQUIRE(expired.status == 200);
  const auto body = expired.json();
  CHECK(body.at("passwordExpired") == true);
  for (const auto* field : {"accessToken", "refreshToken", "expiresIn", "tokenType", "user"}) {
    CHECK(body.at(field).is_null());
  }
  const auto change_token = body.at("passwordChangeToken").get<std::string>();
  const auto logins = audit_events(h, auditor, "USER_LOGIN");
  CHECK(logins[0].at("details") == nlohmann::json{{"passwordExpired", true}});
  const auto change = [&](const std::string& value, const std::string& password) {
    return h.client().post("/api/v1/auth/change-expired-password",
                           {{"passwordChangeToken", value}, {"newPassword", password}});
  };
  CHECK(change(change_token, "member-password").status == 422);  // the policy first
  CHECK(change("wrong", "Fr3sh-password").status == 400);
  const auto done = change(change_token, "Fr3sh-password");
  REQUIRE(done.status == 200);
  CHECK(done.json().at("passwordExpired") == false);
  CHECK(h.client().get("/api/v1/auth/me", bearer_of(done.json())).json().at("email") ==
        "member@localhost");
  CHECK(change(change_token, "Fr3sh-password2").status == 400);
  const auto fresh = login(h, "default", "member@localhost", "Fr3sh-password");
  CHECK(fresh.json().at("passwordExpired") == false);
  CHECK(!fresh.json().at("accessToken").is_null());
}

TEST_CASE("e2e: organization settings: GET and PATCH, for admins of that organization only") {
  Harness h(many_registrations);
  const auto token = h.bearer();
  const auto settings = h.client().get("/api/v1/organization/settings", token);
  REQUIRE(settings.status == 200);
  const auto expected_keys = std::set<std::string>{"id",
                                                   "name",
                                                   "subscriptionTier",
                                                   "mfaRequired",
                                                   "passwordMinLength",
                                                   "passwordRequireUppercase",
                                                   "passwordRequireLowercase",
                                                   "passwordRequireDigit",
                                                   "passwordRequireSpecialChar",
                                                   "passwordExpirationDays"};
  CHECK(key_set_of(settings.json()) == expected_keys);
  const auto before = settings.json();
  CHECK(before.at("name") == "Default");
  CHECK(before.at("passwordMinLength") == 8);
  CHECK(before.at("passwordRequireUppercase") == true);
  CHECK(before.at("passwordRequireLowercase") == true);
  CHECK(before.at("passwordRequireDigit") == true);
  CHECK(before.at("passwordRequireSpecialChar") == false);
  CHECK(before.at("passwordExpirationDays").is_null());

  const auto patch = [&](const std::string& body, const Headers& as) {
    return h.client().send("PATCH", "/api/v1/organization/settings", as, body);
  };
  const auto changed =
      patch(R"({"name": "Renamed", "passwordMinLength": 12, "passwordExpirationDays": 90})", token);
  REQUIRE(changed.status == 200);
  CHECK(key_set_of(changed.json()) == expected_keys);
  CHECK(changed.json().at("name") == "Renamed");
  CHECK(changed.json().at("passwordMinLength") == 12);
  CHECK(changed.json().at("passwordExpirationDays") == 90);
  CHECK(changed.json().at("mfaRequired") == false);  // untouched
  CHECK(h.client().get("/api/v1/organization/settings", token).json() == changed.json());
  // Sending back what GET returned (id and plan unchanged) is fine; null: never expire.
  auto round_trip = changed.json();
  round_trip["passwordExpirationDays"] = nullptr;
  const auto back = patch(round_trip.dump(), token);
  CHECK(back.status == 200);
  CHECK(back.json().at("passwordExpirationDays").is_null());
  // A body that changes nothing answers the settings and writes no entry.
  CHECK(patch(back.json().dump(), token).json() == back.json());
  CHECK(patch("{}", token).status == 200);
  const auto audit = audit_events(h, token, "ORGANIZATION_UPDATE");
  REQUIRE(audit.size() == 2);
  CHECK(audit[1].at("details") == nlohmann::json{{"name", "Renamed"},
                                                 {"passwordMinLength", 12},
                                                 {"passwordExpirationDays", 90}});

  const auto bad = patch(
      R"({"passwordMinLength": 7, "passwordExpirationDays": 366, "mfaRequired": "yes",
          "subscriptionTier": "ENTERPRISE", "name": ""})",
      token);
  CHECK(bad.status == 400);
  const auto errors = bad.json().at("validationErrors");
  CHECK(errors.at("passwordMinLength") == "must be an integer from 8 to 128");
  CHECK(errors.at("passwordExpirationDays") == "must be an integer from 1 to 365, or null (never)");
  CHECK(errors.at("mfaRequired") == "must be true or false");
  CHECK(errors.at("subscriptionTier") == "is set by the server operator, not through the API");
  CHECK(errors.at("name") == "is required");
  CHECK(patch("[]", token).status == 400);
  CHECK(h.client().get("/api/v1/organization/settings", token).json() == back.json());

  // Another organization's admin sees and changes only their own.
  const auto other = register_org(h, "Other Org", "boss@other.test").json();
  const auto theirs = h.client().get("/api/v1/organization/settings", bearer_of(other)).json();
  CHECK(theirs.at("name") == "Other Org");
  CHECK(theirs.at("id") != before.at("id"));
  CHECK(patch(R"({"id": ")" + before.at("id").get<std::string>() + R"("})", bearer_of(other))
            .json()
            .at("validationErrors")
            .at("id") == "cannot be changed");
  CHECK(h.client().get("/api/v1/organization", bearer_of(other)).json().at("slug") == "other-org");
  const auto ours = h.client().get("/api/v1/organization/settings", token).json();
  CHECK(patch(R"({"passwordMinLength": 10})", bearer_of(other)).status == 200);
  CHECK(h.client()
            .get("/api/v1/organization/settings", bearer_of(other))
            .json()
            .at("passwordMinLength") == 10);
  CHECK(h.client().get("/api/v1/organization/settings", token).json() == ours);

  // Refusals: a member, a key, nobody.
  const auto member_token = member(h, "member@localhost", "member-password");
  for (const auto& method : {"GET", "PATCH"}) {
    const auto refused = h.client().send(method, "/api/v1/organization/settings", member_token,
                                         R"({"mfaRequired": true})");
    CHECK(refused.status == 403);
    CHECK(refused.json().at("message") == "User does not have required scope: organization:manage");
    const auto key = h.key({"sessions:read"});
    const auto by_key =
        h.client().send(method, "/api/v1/organization/settings", with_key(key), "{}");
    CHECK(by_key.status == 403);
    CHECK(by_key.body == key_not_supported_body);
    CHECK(h.client().send(method, "/api/v1/organization/settings", {}, "{}").status == 401);
  }
}
