// End-to-end MFA over real HTTP, on the suite's store: setup with its QR code, confirm,
// the login's challenge and POST /auth/verify-mfa with a TOTP or a recovery code (each
// spent once), regenerate, disable, an admin's reset, and every refusal: API keys,
// anonymous callers, members on the admin route, other organizations, bad input, wrong,
// reused and throttled codes, expired challenges; and the organization's mfaRequired. The
// codes are computed as an authenticator app would, from the secret setup returned and the
// server's clock.
#include <catch2/catch.hpp>

#include <sodium.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "admin_fixture.hpp"
#include "harness.hpp"
#include "outbox.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/totp.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

const char* const mfa_routes[] = {"/api/v1/mfa/setup", "/api/v1/mfa/setup/confirm",
                                  "/api/v1/mfa/disable", "/api/v1/mfa/recovery-codes/regenerate"};

// Every field of a LoginResponse (API-admin.md), and of its `user` (an AuthResponse's).
const std::set<std::string> login_fields{"accessToken",
                                         "refreshToken",
                                         "expiresIn",
                                         "tokenType",
                                         "user",
                                         "mfaRequired",
                                         "mfaChallengeToken",
                                         "mfaChallengeExpiresIn",
                                         "passwordExpired",
                                         "passwordChangeToken",
                                         "mfaSetupRequired"};
const std::set<std::string> login_user_fields{"id",
                                              "email",
                                              "name",
                                              "isOrgAdmin",
                                              "organizationId",
                                              "organizationName",
                                              "organizationSlug",
                                              "subscriptionTier",
                                              "mfaEnabled"};

// The code an authenticator app shows now (the server's clock, shifted or not).
std::string code_now(const std::string& secret) {
  const auto key = base32_decode(secret);
  REQUIRE(key);
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  return totp(*key, seconds);
}

// The clock offset that puts now() 100 ms into the next 30-second TOTP step: from there a
// test's codes stay in one step for 29 s, however slowly a loaded machine runs it.
std::chrono::microseconds start_of_next_step() {
  using namespace std::chrono;
  const auto into_step = duration_cast<microseconds>(now().time_since_epoch()) % seconds(30);
  return clock_offset_for_testing() + seconds(30) - into_step + milliseconds(100);
}

// A password sign-in, in organization "default" unless told.
Reply sign_in_to(Harness& h, const std::string& email, const std::string& password,
                 const std::string& slug = "default") {
  return sign_in(h, slug, email, password);
}

Reply verify(const Harness& h, const std::string& challenge, const std::string& code) {
  return h.client().post("/api/v1/auth/verify-mfa",
                         {{"mfaChallengeToken", challenge}, {"code", code}});
}

// A password sign-in of a user with MFA: the challenge token, after checking that the
// LoginResponse carries no token and no user.
std::string challenge_for(Harness& h, const std::string& email, const std::string& password,
                          const std::string& slug = "default") {
  const auto reply = sign_in_to(h, email, password, slug);
  REQUIRE(reply.status == 200);
  const auto body = reply.json();
  CHECK(key_set_of(body) == login_fields);
  CHECK(body.at("mfaRequired") == true);
  CHECK(body.at("mfaChallengeExpiresIn") == 300);
  CHECK(body.at("passwordExpired") == false);
  CHECK(body.at("passwordChangeToken").is_null());
  CHECK(body.at("accessToken").is_null());
  CHECK(body.at("refreshToken").is_null());
  CHECK(body.at("user").is_null());
  return body.at("mfaChallengeToken").get<std::string>();
}

struct Enabled {
  std::string secret;
  std::vector<std::string> recovery_codes;
};

// Setup and confirm for the bearer of `headers`, checking both answers' shapes.
Enabled enable_mfa(const Harness& h, const Headers& headers) {
  const auto setup = h.client().post("/api/v1/mfa/setup", nlohmann::json::object(), headers);
  REQUIRE(setup.status == 200);
  const auto body = setup.json();
  CHECK(body.size() == 2);
  Enabled out;
  out.secret = body.at("secret").get<std::string>();
  CHECK(out.secret.size() == 32);
  const auto png_base64 = body.at("qrCodeBase64").get<std::string>();
  std::string png(png_base64.size(), '\0');
  std::size_t png_size = 0;
  REQUIRE(sodium_base642bin(reinterpret_cast<unsigned char*>(png.data()), png.size(),
                            png_base64.data(), png_base64.size(), nullptr, &png_size, nullptr,
                            sodium_base64_VARIANT_ORIGINAL) == 0);
  CHECK(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));

  const auto confirmed =
      h.client().post("/api/v1/mfa/setup/confirm",
                      {{"secret", out.secret}, {"code", code_now(out.secret)}}, headers);
  REQUIRE(confirmed.status == 200);
  const auto codes = confirmed.json().at("recoveryCodes");
  for (const auto& code : codes) {
    out.recovery_codes.push_back(code.get<std::string>());
  }
  CHECK(out.recovery_codes.size() == 8);
  CHECK(std::set<std::string>(out.recovery_codes.begin(), out.recovery_codes.end()).size() == 8);
  for (const auto& code : out.recovery_codes) CHECK(code.size() == 8);
  return out;
}

// A user stored directly (as the users API would), in `organization_id`.
User add_user(const Harness& h, const std::string& organization_id, const std::string& email,
              const std::string& role, const std::string& password) {
  User user;
  user.id = generate_uuid();
  user.organization_id = organization_id;
  user.email = email;
  user.name = email;
  user.role = role;
  user.password_hash = hash_password(password, test_password_hash);
  user.created_at = user.updated_at = format_stored(now());
  REQUIRE(h.open_store()->create_user(user, {}, nullptr));
  return user;
}

std::string organization_id(Harness& h) {
  return h.client().get("/api/v1/auth/me", h.bearer()).json().at("organizationId");
}

// Once the admin has MFA, h.bearer() (a password sign-in) gets no token: tests keep the
// admin's headers from before.
std::vector<std::string> audit_events(const Harness& h, const Headers& admin) {
  std::vector<std::string> out;
  const auto page = h.client().get("/api/v1/audit-logs?size=100", admin).json();
  for (const auto& entry : page.at("content")) out.push_back(entry.at("eventType"));
  return out;
}

bool has(const std::vector<std::string>& events, const std::string& event) {
  return std::find(events.begin(), events.end(), event) != events.end();
}

}  // namespace

TEST_CASE("e2e: MFA from setup to sign-in with a TOTP code, then with a recovery code") {
  Harness h;
  // Confirmed and reused in one step (a step later the code would be a new one).
  const auto step_start = start_of_next_step();
  const ClockShift in_one_step(step_start);
  const auto admin = h.bearer();
  CHECK(h.client().get("/api/v1/auth/me", admin).json().at("mfaEnabled") == false);
  // A plain sign-in says so in its MFA fields.
  const auto plain = sign_in_to(h, "admin@localhost", admin_password).json();
  CHECK(key_set_of(plain) == login_fields);
  CHECK(key_set_of(plain.at("user")) == login_user_fields);
  CHECK(plain.at("mfaRequired") == false);
  CHECK(plain.at("mfaChallengeToken").is_null());
  CHECK(plain.at("mfaChallengeExpiresIn").is_null());
  CHECK(plain.at("user").at("mfaEnabled") == false);

  const auto mfa = enable_mfa(h, admin);
  CHECK(h.client().get("/api/v1/auth/me", admin).json().at("mfaEnabled") == true);
  // Enabled: neither setup nor confirm again.
  const auto again = h.client().post("/api/v1/mfa/setup", nlohmann::json::object(), admin);
  CHECK(again.status == 409);
  CHECK(again.json().at("message") == "MFA is already enabled");
  CHECK(h.client()
            .post("/api/v1/mfa/setup/confirm",
                  {{"secret", mfa.secret}, {"code", code_now(mfa.secret)}}, admin)
            .status == 409);

  // The code that confirmed the setup is spent: the next sign-in needs the next one.
  auto challenge = challenge_for(h, "admin@localhost", admin_password);
  const auto reused = verify(h, challenge, code_now(mfa.secret));
  CHECK(reused.status == 401);
  CHECK(reused.json().at("message") == "invalid or already used MFA code");
  {
    const ClockShift next_step(step_start + std::chrono::seconds(30));
    const auto signed_in = verify(h, challenge, code_now(mfa.secret));
    REQUIRE(signed_in.status == 200);
    const auto body = signed_in.json();
    CHECK(body.at("tokenType") == "Bearer");
    CHECK(body.at("expiresIn") == 3600);
    CHECK(body.at("mfaRequired") == false);
    CHECK(body.at("user").at("email") == "admin@localhost");
    CHECK(body.at("user").at("mfaEnabled") == true);
    const auto token = body.at("accessToken").get<std::string>();
    CHECK(h.client().get("/api/v1/auth/me", bearer_of(token)).status == 200);
    // The challenge is spent with the sign-in.
    const auto twice = verify(h, challenge, code_now(mfa.secret));
    CHECK(twice.status == 401);
    CHECK(twice.json().at("message") == "MFA challenge is invalid or expired; sign in again");
  }

  // A recovery code, in upper case with a dash, signs in once.
  std::string typed = mfa.recovery_codes[0].substr(0, 4) + "-" + mfa.recovery_codes[0].substr(4);
  for (auto& c : typed) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  challenge = challenge_for(h, "admin@localhost", admin_password);
  const auto recovered = verify(h, challenge, typed);
  REQUIRE(recovered.status == 200);
  CHECK_FALSE(recovered.json().at("accessToken").is_null());
  challenge = challenge_for(h, "admin@localhost", admin_password);
  CHECK(verify(h, challenge, mfa.recovery_codes[0]).status == 401);
  CHECK(verify(h, challenge, mfa.recovery_codes[1]).status == 200);

  // A recovery code also turns MFA off.
  CHECK(h.client().post("/api/v1/mfa/disable", {{"code", mfa.recovery_codes[2]}}, admin).status ==
        200);
  CHECK(h.client().get("/api/v1/auth/me", admin).json().at("mfaEnabled") == false);

  const auto events = audit_events(h, admin);
  CHECK(has(events, "MFA_SETUP"));
  CHECK(has(events, "MFA_ENABLE"));
  const auto logins =
      h.client().get("/api/v1/audit-logs?eventType=USER_LOGIN&size=100", admin).json();
  std::multiset<std::string> factors;
  for (const auto& entry : logins.at("content")) {
    if (entry.at("details").contains("secondFactor"))
      factors.insert(entry.at("details").at("secondFactor"));
  }
  CHECK(factors == std::multiset<std::string>{"TOTP", "RECOVERY_CODE", "RECOVERY_CODE"});
}

TEST_CASE(
    "e2e: new recovery codes void the old, and disabling MFA signs in with a password again") {
  Harness h;
  const auto admin = h.bearer();
  const auto mfa = enable_mfa(h, admin);

  const auto regenerated =
      h.client().post("/api/v1/mfa/recovery-codes/regenerate", nlohmann::json::object(), admin);
  REQUIRE(regenerated.status == 200);
  const auto fresh = regenerated.json().at("recoveryCodes");
  REQUIRE(fresh.size() == 8);
  auto challenge = challenge_for(h, "admin@localhost", admin_password);
  CHECK(verify(h, challenge, mfa.recovery_codes[2]).status == 401);
  CHECK(verify(h, challenge, fresh[0].get<std::string>()).status == 200);

  const auto pending = challenge_for(h, "admin@localhost", admin_password);
  // Disabling takes a valid code: a wrong one is a 400, a missing one a validation error.
  const auto wrong = h.client().post("/api/v1/mfa/disable", {{"code", "000000"}}, admin);
  CHECK(wrong.status == 400);
  CHECK(wrong.json().at("message") == "Invalid MFA code");
  const auto missing = h.client().post("/api/v1/mfa/disable", nlohmann::json::object(), admin);
  CHECK(missing.status == 400);
  CHECK(missing.json().at("validationErrors").at("code") == "is required");
  {
    const ClockShift next_step(std::chrono::seconds(30));
    const auto disabled =
        h.client().post("/api/v1/mfa/disable", {{"code", code_now(mfa.secret)}}, admin);
    CHECK(disabled.status == 200);
    CHECK(disabled.body.empty());
  }
  CHECK(h.client().get("/api/v1/auth/me", admin).json().at("mfaEnabled") == false);
  const auto off = h.client().post("/api/v1/mfa/disable", {{"code", "123456"}}, admin);
  CHECK(off.status == 404);
  CHECK(off.json().at("message") == "MFA is not enabled");
  CHECK(h.client()
            .post("/api/v1/mfa/recovery-codes/regenerate", nlohmann::json::object(), admin)
            .status == 404);
  // The challenge issued before is gone with the secret, and the password alone signs in.
  CHECK(verify(h, pending, fresh[1].get<std::string>()).status == 401);
  const auto plain = sign_in_to(h, "admin@localhost", admin_password).json();
  CHECK(key_set_of(plain) == login_fields);
  CHECK(key_set_of(plain.at("user")) == login_user_fields);
  CHECK(plain.at("mfaRequired") == false);
  CHECK_FALSE(plain.at("accessToken").is_null());

  const auto events = audit_events(h, admin);
  CHECK(has(events, "MFA_RECOVERY_CODES_REGENERATE"));
  CHECK(has(events, "MFA_DISABLE"));
}

TEST_CASE("e2e: MFA routes refuse API keys and anonymous callers, and check their bodies") {
  Harness h;
  const auto key = h.key({"sessions:read", "sessions:write", "resources:read", "audit:read"});
  for (const auto* route : mfa_routes) {
    INFO(route);
    const auto with_api_key = h.client().post(route, nlohmann::json::object(), with_key(key));
    CHECK(with_api_key.status == 403);
    CHECK(with_api_key.body == key_not_supported_body);
    CHECK(h.client().post(route, nlohmann::json::object()).status == 401);
  }
  const auto reset =
      h.client().post("/api/v1/users/x/reset-mfa", nlohmann::json::object(), with_key(key));
  CHECK(reset.status == 403);
  CHECK(reset.body == key_not_supported_body);
  CHECK(h.client().post("/api/v1/users/x/reset-mfa", nlohmann::json::object()).status == 401);

  const auto admin = h.bearer();
  // Confirm before any setup, with a wrong secret, with a wrong code, without fields.
  const auto early = h.client().post("/api/v1/mfa/setup/confirm",
                                     {{"secret", "JBSWY3DPEHPK3PXP"}, {"code", "123456"}}, admin);
  CHECK(early.status == 400);
  CHECK(early.json().at("message") == "secret is not the one POST /api/v1/mfa/setup returned last");
  const auto first = h.client().post("/api/v1/mfa/setup", nlohmann::json::object(), admin).json();
  const auto second = h.client().post("/api/v1/mfa/setup", nlohmann::json::object(), admin).json();
  CHECK(first.at("secret") != second.at("secret"));
  const auto secret = second.at("secret").get<std::string>();
  const auto stale = h.client().post(
      "/api/v1/mfa/setup/confirm",
      {{"secret", first.at("secret")}, {"code", code_now(first.at("secret"))}}, admin);
  CHECK(stale.status == 400);
  const auto wrong_code = h.client().post(
      "/api/v1/mfa/setup/confirm",
      {{"secret", secret}, {"code", code_now(secret) == "000000" ? "000001" : "000000"}}, admin);
  CHECK(wrong_code.status == 400);
  CHECK(wrong_code.json().at("message") == "Invalid MFA code");
  const auto empty = h.client().post("/api/v1/mfa/setup/confirm", nlohmann::json::object(), admin);
  CHECK(empty.status == 400);
  CHECK(empty.json().at("validationErrors").size() == 2);
  const auto short_code =
      h.client().post("/api/v1/mfa/setup/confirm", {{"secret", secret}, {"code", "123"}}, admin);
  CHECK(short_code.json().at("validationErrors").at("code") ==
        "must be a 6-digit code or a recovery code");
  // Still off after all that.
  CHECK(h.client().get("/api/v1/auth/me", admin).json().at("mfaEnabled") == false);
  // verify-mfa: a malformed body is a 400, an unknown challenge a 401.
  const auto malformed = h.client().post("/api/v1/auth/verify-mfa", {{"code", "123456"}});
  CHECK(malformed.status == 400);
  CHECK(malformed.json().at("validationErrors").at("mfaChallengeToken") == "is required");
  CHECK(verify(h, "not-a-challenge", "123456").status == 401);
}

TEST_CASE("e2e: an admin resets a member's MFA, a member cannot, another organization's is 404") {
  Harness h;
  const auto org = organization_id(h);
  const auto member = add_user(h, org, "member@localhost", "member", "member-password");
  const auto member_token = sign_in_to(h, "member@localhost", "member-password")
                                .json()
                                .at("accessToken")
                                .get<std::string>();
  const auto mfa = enable_mfa(h, bearer_of(member_token));  // members manage their own MFA

  const auto admin = h.bearer();
  const auto admin_id = h.client().get("/api/v1/auth/me", admin).json().at("id").get<std::string>();
  const auto by_member = h.client().post("/api/v1/users/" + admin_id + "/reset-mfa",
                                         nlohmann::json::object(), bearer_of(member_token));
  CHECK(by_member.status == 403);
  CHECK(by_member.json().at("message") == "User does not have required scope: users:manage");

  const auto listed = h.client().get("/api/v1/users", admin).json();
  for (const auto& user : listed) {
    CHECK(user.at("mfaEnabled") == (user.at("email") == "member@localhost"));
  }
  const auto reset =
      h.client().post("/api/v1/users/" + member.id + "/reset-mfa", nlohmann::json::object(), admin);
  REQUIRE(reset.status == 200);
  CHECK(reset.body == R"({"message":"MFA reset successfully"})");
  const auto twice =
      h.client().post("/api/v1/users/" + member.id + "/reset-mfa", nlohmann::json::object(), admin);
  CHECK(twice.status == 400);
  CHECK(twice.json().at("message") == "MFA is not enabled for this user");
  CHECK(h.client().get("/api/v1/users/" + member.id, admin).json().at("mfaEnabled") == false);
  // The member signs in with the password alone again; the old secret is worthless.
  const auto plain = sign_in_to(h, "member@localhost", "member-password").json();
  CHECK(plain.at("mfaRequired") == false);
  CHECK(plain.at("user").at("mfaEnabled") == false);
  CHECK(h.client()
            .post("/api/v1/mfa/disable", {{"code", code_now(mfa.secret)}},
                  bearer_of(plain.at("accessToken")))
            .status == 404);

  const auto unknown =
      h.client().post("/api/v1/users/00000000-0000-4000-8000-000000000000/reset-mfa",
                      nlohmann::json::object(), admin);
  CHECK(unknown.status == 404);
  CHECK(unknown.json().at("message") ==
        "User not found with id: 00000000-0000-4000-8000-000000000000");
  // Another organization's user, with MFA on, is not found either, and keeps its MFA.
  const Organization other{generate_uuid(), "other", "Other Org", format_stored(now())};
  REQUIRE(h.open_store()->create_organization(other));
  const auto boss = add_user(h, other.id, "boss@other.test", "admin", "boss-password");
  const auto boss_token =
      sign_in_to(h, "boss@other.test", "boss-password", "other").json().at("accessToken");
  enable_mfa(h, bearer_of(boss_token));
  const auto foreign =
      h.client().post("/api/v1/users/" + boss.id + "/reset-mfa", nlohmann::json::object(), admin);
  CHECK(foreign.status == 404);
  CHECK(foreign.json().at("message") == "User not found with id: " + boss.id);
  CHECK(sign_in_to(h, "boss@other.test", "boss-password", "other").json().at("mfaRequired") ==
        true);
  // A deleted user, whose kept row still has MFA on, is not found either.
  const auto gone = add_user(h, org, "gone@localhost", "member", "gone-password");
  enable_mfa(h, bearer_of(sign_in_to(h, "gone@localhost", "gone-password")
                              .json()
                              .at("accessToken")
                              .get<std::string>()));
  REQUIRE(del(h, "/api/v1/users/" + gone.id, admin).status == 204);
  const auto deleted =
      h.client().post("/api/v1/users/" + gone.id + "/reset-mfa", nlohmann::json::object(), admin);
  CHECK(deleted.status == 404);
  CHECK(deleted.json().at("message") == "User not found with id: " + gone.id);
  CHECK(has(audit_events(h, admin), "MFA_RESET"));
}

TEST_CASE("e2e: wrong MFA codes are audited and throttled, and a challenge expires") {
  Harness h([](Harness& harness) { harness.config.login_base_delay_seconds = 60; });
  const auto admin = h.bearer();
  const auto mfa = enable_mfa(h, admin);
  const auto challenge = challenge_for(h, "admin@localhost", admin_password);
  const auto wrong = code_now(mfa.secret) == "000000" ? "000001" : "000000";
  for (int i = 0; i < 5; ++i) {
    INFO("attempt " << i + 1);
    CHECK(verify(h, challenge, wrong).status == 401);
  }
  const auto throttled = verify(h, challenge, wrong);
  CHECK(throttled.status == 429);
  CHECK(throttled.headers.at("Retry-After") == "60");
  CHECK(throttled.json().at("message") == "too many wrong MFA codes; retry in 60 s");
  REQUIRE(eventually([&] {
    const auto page =
        h.client().get("/api/v1/audit-logs?eventType=USER_LOGIN&size=100", admin).json();
    int failures = 0;
    for (const auto& entry : page.at("content")) {
      if (entry.at("errorMessage") == "invalid MFA code") {
        CHECK(entry.at("result") == "FAILURE");
        failures += entry.at("details").value("count", 1);
      }
    }
    return failures == 5;
  }));

  // A challenge lives 300 seconds.
  Harness fresh;
  const auto second = enable_mfa(fresh, fresh.bearer());
  const auto pending = challenge_for(fresh, "admin@localhost", admin_password);
  const ClockShift later(std::chrono::seconds(301));
  const auto expired = verify(fresh, pending, code_now(second.secret));
  CHECK(expired.status == 401);
  CHECK(expired.json().at("message") == "MFA challenge is invalid or expired; sign in again");
}

TEST_CASE(
    "e2e: the TOTP secret and recovery codes never reach the log, the audit log or the database "
    "in the clear") {
  Harness h;
  const auto admin = h.bearer();
  const auto mfa = enable_mfa(h, admin);
  const auto challenge = challenge_for(h, "admin@localhost", admin_password);
  REQUIRE(verify(h, challenge, mfa.recovery_codes[3]).status == 200);
  const auto audit = h.client().get("/api/v1/audit-logs?size=100", admin).body;
  h.stop();
  const auto log = read_file(h.config.log_file);
  CHECK(log.find("/api/v1/mfa/setup/confirm 200") != std::string::npos);
  const std::vector<std::string> secrets = {mfa.secret, mfa.recovery_codes[0],
                                            mfa.recovery_codes[3], challenge};
  for (const auto& text : secrets) {
    INFO(text);
    CHECK(log.find(text) == std::string::npos);
    CHECK(audit.find(text) == std::string::npos);
  }
  // Every file the server wrote (the database, its WAL, the log, the key file), and on
  // PostgreSQL every row.
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(h.dir.path())) {
    const auto content = read_file(entry.path());
    for (const auto& text : secrets) {
      INFO(entry.path() << ": " << text);
      CHECK(content.find(text) == std::string::npos);
    }
    ++files;
  }
  CHECK(files >= 2);
  if (test_store() == StoreKind::postgres) {
    const auto& cluster = PgCluster::shared();
    const auto rows = cluster.all_rows(cluster.database_of(h.config.database_path));
    CHECK(rows.find("xc20p1:") != std::string::npos);  // the sealed secret is there
    for (const auto& text : secrets) CHECK(rows.find(text) == std::string::npos);
  }
}

TEST_CASE("e2e: MFA routes that hash find every password worker busy and get 503 at once") {
  Harness h(one_password_worker);
  const auto admin = h.bearer();
  const auto secret = h.client()
                          .post("/api/v1/mfa/setup", nlohmann::json::object(), admin)
                          .json()
                          .at("secret")
                          .get<std::string>();
  // The worker marks itself free just after it answers: a request right behind the
  // sign-in may still find it busy, and is repeated then.
  REQUIRE(eventually([&] {
    return h.client()
               .post("/api/v1/mfa/setup/confirm", {{"secret", secret}, {"code", code_now(secret)}},
                     admin)
               .status == 200;
  }));
  // Regenerations at once (8 Argon2id hashes each) on one worker: one runs, the others are
  // refused at once.
  expect_busy_worker_refusals(
      [&] {
        return h.client().post("/api/v1/mfa/recovery-codes/regenerate", nlohmann::json::object(),
                               admin);
      },
      200, "MFA requests");
}

TEST_CASE(
    "e2e: when the organization requires MFA, a user without it signs in told to set it "
    "up and may do nothing else until then, and nobody can turn it off but an admin's reset") {
  Harness h;
  const auto admin = h.bearer();
  const auto org = organization_id(h);
  const auto member = add_user(h, org, "member@localhost", "member", "member-password");
  CHECK(sign_in_to(h, "member@localhost", "member-password").json().at("mfaSetupRequired") ==
        false);
  enable_mfa(h, admin);  // an admin without MFA would lock themselves out of all but setup
  REQUIRE(patch(h, "/api/v1/organization/settings", {{"mfaRequired", true}}, admin).status == 200);
  CHECK(h.client().get("/api/v1/auth/me", admin).json().at("organizationMfaRequired") == true);

  // Signed in (how else would they set it up), and told.
  const auto told = sign_in_to(h, "member@localhost", "member-password");
  REQUIRE(told.status == 200);
  const auto body = told.json();
  CHECK(body.at("mfaSetupRequired") == true);
  CHECK(body.at("mfaRequired") == false);
  CHECK(body.at("user").at("mfaEnabled") == false);
  const auto headers = bearer_of(body.at("accessToken").get<std::string>());
  // Until it is set up, the tokens reach MFA setup and the profile, nothing else.
  for (const auto& refused :
       {h.client().get("/api/v1/sessions", headers),
        h.client().post("/api/v1/auth/change-password",
                        {{"currentPassword", "member-password"}, {"newPassword", "N3w-password"}},
                        headers)}) {
    CHECK(refused.status == 403);
    CHECK(refused.json().at("message") ==
          "the organization requires MFA: set it up first (POST /api/v1/mfa/setup)");
  }
  CHECK(h.client().get("/api/v1/auth/me", headers).status == 200);
  const auto mfa = enable_mfa(h, headers);
  CHECK(h.client().get("/api/v1/auth/me", headers).json().at("mfaEnabled") == true);
  // Set up: the same token has the member's rights at once.
  CHECK(h.client().get("/api/v1/sessions", headers).status == 200);

  // With MFA on, the password gets a challenge; the tokens say nothing is missing.
  const auto challenge = challenge_for(h, "member@localhost", "member-password");
  // (A recovery code: confirm spent this time step's TOTP code.)
  const auto verified = verify(h, challenge, mfa.recovery_codes.back());
  REQUIRE(verified.status == 200);
  CHECK(verified.json().at("mfaSetupRequired") == false);
  CHECK(verified.json().at("user").at("mfaEnabled") == true);

  // The member cannot turn it off, even with a good code.
  const auto refused =
      h.client().post("/api/v1/mfa/disable", {{"code", mfa.recovery_codes.front()}}, headers);
  CHECK(refused.status == 400);
  CHECK(refused.json().at("message") ==
        "MFA is required by the organization and cannot be disabled");
  CHECK(h.client().get("/api/v1/users/" + member.id, admin).json().at("mfaEnabled") == true);

  // An admin's reset still works; the next sign-in asks for a new setup.
  REQUIRE(h.client()
              .post("/api/v1/users/" + member.id + "/reset-mfa", nlohmann::json::object(), admin)
              .status == 200);
  const auto again = sign_in_to(h, "member@localhost", "member-password").json();
  CHECK(again.at("mfaRequired") == false);
  CHECK(again.at("mfaSetupRequired") == true);

  // Turned off again, disabling works as before.
  REQUIRE(patch(h, "/api/v1/organization/settings", {{"mfaRequired", false}}, admin).status == 200);
  const auto second = enable_mfa(h, bearer_of(again.at("accessToken").get<std::string>()));
  const auto fresh = verify(h, challenge_for(h, "member@localhost", "member-password"),
                            second.recovery_codes.front());
  REQUIRE(fresh.status == 200);
  CHECK(h.client()
            .post("/api/v1/mfa/disable", {{"code", second.recovery_codes.back()}},
                  bearer_of(fresh.json().at("accessToken").get<std::string>()))
            .status == 200);
}

TEST_CASE("e2e: a password reset link does not skip a user's second factor") {
  Harness h([](Harness& h) { h.config.mail_link_base_url = "https://entryguard.example"; });
  const auto org = organization_id(h);
  add_user(h, org, "member@localhost", "member", "member-password");
  const auto mfa = enable_mfa(h, bearer_of(sign_in_to(h, "member@localhost", "member-password")
                                               .json()
                                               .at("accessToken")
                                               .get<std::string>()));
  const auto link = reset_link_for(h, "member@localhost");
  REQUIRE(link.size() == 64);

  // Whoever holds the link sets the password, and gets the challenge, not tokens.
  const auto reset = h.client().post("/api/v1/auth/reset-password",
                                     {{"token", link}, {"password", "New-passw0rd"}});
  REQUIRE(reset.status == 200);
  const auto body = reset.json();
  CHECK(key_set_of(body) == login_fields);
  CHECK(body.at("mfaRequired") == true);
  CHECK(body.at("accessToken").is_null());
  CHECK(body.at("refreshToken").is_null());
  CHECK(body.at("user").is_null());
  const auto verified =
      verify(h, body.at("mfaChallengeToken").get<std::string>(), mfa.recovery_codes.front());
  REQUIRE(verified.status == 200);
  CHECK(verified.json().at("user").at("email") == "member@localhost");
  // The new password is the password now; the link is spent.
  CHECK(sign_in_to(h, "member@localhost", "member-password").status == 401);
  challenge_for(h, "member@localhost", "New-passw0rd");
  CHECK(h.client()
            .post("/api/v1/auth/reset-password", {{"token", link}, {"password", "Other-passw0rd"}})
            .status == 400);
}
