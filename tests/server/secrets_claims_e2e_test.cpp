// End-to-end checks of what docs/server.md claims about secrets, mail links and MFA sign-ins
// and that no other test asserts (docs-20 review, section 3): the shape of keys and tokens,
// the secrets key never in the database, a TOTP secret sealed for its own user's row only,
// recovery codes stored as Argon2id strings, a link token in plaintext only in its log line
// and outbox row, no USER_LOGIN entry for an MFA challenge, recovery codes with spaces, and
// the wrong-code throttle counted per client address; verify-mfa, disable and confirm
// answering 503 when the password workers are busy.
#include <catch2/catch.hpp>

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <functional>

#include "admin_fixture.hpp"
#include "database_sql.hpp"
#include "outbox.hpp"
#include "server/clock.hpp"
#include "server/secrets.hpp"
#include "server/totp.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

// Every row of every table but `skipped`, as text, on either store.
std::string rows_of_tables_but(const Harness& h, const std::string& skipped) {
  const auto tables = sql_rows(h, test_store() == StoreKind::postgres
                                      ? "SELECT tablename FROM pg_tables WHERE schemaname = "
                                        "'public'"
                                      : "SELECT name FROM sqlite_master WHERE type = 'table'");
  CHECK(std::find(tables.begin(), tables.end(), skipped) != tables.end());
  std::string out;
  for (const auto& table : tables) {
    if (table == skipped) continue;
    if (test_store() == StoreKind::postgres) {
      for (const auto& row : sql_rows(h, "SELECT t::text FROM " + table + " t")) out += row + "\n";
      continue;
    }
    // SQLite: every column of every row, concatenated.
    const auto columns =
        sql_rows(h, "SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid");
    std::string concatenated = "''";
    for (const auto& column : columns) {
      concatenated += " || '|' || COALESCE(CAST(\"" + column + "\" AS TEXT), '')";
    }
    for (const auto& row : sql_rows(h, "SELECT " + concatenated + " FROM " + table)) {
      out += row + "\n";
    }
  }
  return out;
}

// The TOTP code an authenticator app shows now, by the server's (shiftable) clock.
std::string authenticator_code(const std::string& secret) {
  const auto key = base32_decode(secret);
  REQUIRE(key);
  return totp(*key,
              std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count());
}

struct MfaOn {
  std::string secret;
  std::vector<std::string> recovery_codes;
};

// Setup and confirm for the bearer of `headers`.
MfaOn turn_mfa_on(const Harness& h, const Headers& headers) {
  const auto setup = h.client().post("/api/v1/mfa/setup", nlohmann::json::object(), headers);
  REQUIRE(setup.status == 200);
  MfaOn out;
  out.secret = setup.json().at("secret").get<std::string>();
  const auto confirmed =
      h.client().post("/api/v1/mfa/setup/confirm",
                      {{"secret", out.secret}, {"code", authenticator_code(out.secret)}}, headers);
  REQUIRE(confirmed.status == 200);
  const auto body = confirmed.json();
  for (const auto& code : body.at("recoveryCodes")) {
    out.recovery_codes.push_back(code.get<std::string>());
  }
  REQUIRE(out.recovery_codes.size() == 8);
  return out;
}

// The challenge of a password sign-in of a user with MFA.
std::string mfa_challenge(Harness& h, const std::string& email, const std::string& password) {
  const auto reply = sign_in(h, "default", email, password);
  REQUIRE(reply.status == 200);
  REQUIRE(reply.json().at("mfaRequired") == true);
  return reply.json().at("mfaChallengeToken").get<std::string>();
}

Reply send_mfa_code(const Harness& h, const std::string& challenge, const std::string& code,
                    const Headers& headers = {}) {
  return h.client().post("/api/v1/auth/verify-mfa",
                         {{"mfaChallengeToken", challenge}, {"code", code}}, headers);
}

std::int64_t audited_logins(Harness& h, const Headers& reader) {
  const auto page = h.client().get("/api/v1/audit-logs?eventType=USER_LOGIN", reader);
  REQUIRE(page.status == 200);
  return page.json().at("totalElements").get<std::int64_t>();
}

bool lower_alphanumeric(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

bool alphanumeric(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

TEST_CASE(
    "e2e: keys are egk_live_ and 48 characters from a-z and 0-9, access and refresh tokens 64 "
    "characters, passwords Argon2id") {
  Harness h([](Harness& server) { server.config.password_hash = PasswordHashCost{}; });
  const auto created = h.client().post("/api/v1/api-keys",
                                       {{"name", "k"}, {"scopes", {"sessions:read"}}}, h.bearer());
  REQUIRE(created.status == 201);
  const auto key = created.json().at("plainTextKey").get<std::string>();
  CHECK(key.size() == 57);
  CHECK(key.rfind("egk_live_", 0) == 0);
  CHECK(lower_alphanumeric(key.substr(9)));
  CHECK(created.json().at("keyPrefix") == key.substr(0, 15));
  // Only the SHA-256 of the whole key is stored.
  const auto hashes = sql_rows(h, "SELECT key_hash FROM api_keys");
  CHECK(hashes == std::vector<std::string>{sha256_hex(key)});

  // Passwords: Argon2id, t=2, m=19 MiB by default.
  const auto password_hashes =
      sql_rows(h, "SELECT password_hash FROM users WHERE email = 'admin@localhost'");
  REQUIRE(password_hashes.size() == 1);
  CHECK(password_hashes[0].rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0);

  const auto login = sign_in(h, "default", "admin@localhost", admin_password);
  REQUIRE(login.status == 200);
  for (const auto* field : {"accessToken", "refreshToken"}) {
    const auto token = login.json().at(field).get<std::string>();
    INFO(field << ": " << token);
    CHECK(token.size() == 64);
    CHECK(alphanumeric(token));
  }
  CHECK(read_file(h.config.log_file).find("below OWASP's floor") == std::string::npos);
}

TEST_CASE(
    "e2e: a password hash cost below OWASP's floor is used only when allowed, and warned of at "
    "start") {
  Harness h([](Harness& server) { server.config.password_hash = PasswordHashCost{1, 64}; });
  CHECK(read_file(h.config.log_file)
            .find("passwords are hashed below OWASP's floor for Argon2id (t=2, m=19456 KiB, or "
                  "an equivalent): [password_hash] iterations = 1, memory_kib = 64: fit for "
                  "tests only") != std::string::npos);
  // Every hash the server makes takes the configured cost: the bootstrap admin's, recovery
  // codes, a user created with a password, a changed password.
  const auto bootstrap = sql_rows(h, "SELECT password_hash FROM users");
  REQUIRE(bootstrap.size() == 1);
  CHECK(bootstrap[0].rfind("$argon2id$v=19$m=64,t=1,p=1$", 0) == 0);
  CHECK(sign_in(h, "default", "admin@localhost", admin_password).status == 200);
  const auto admin = h.bearer();
  turn_mfa_on(h, admin);
  REQUIRE(h.client()
              .post("/api/v1/users",
                    {{"email", "member@localhost"}, {"password", "Member-passw0rd-1"}}, admin)
              .status == 201);
  REQUIRE(h.client()
              .post("/api/v1/auth/change-password",
                    {{"currentPassword", admin_password}, {"newPassword", "Changed-passw0rd-2"}},
                    admin)
              .status == 200);
  auto hashes = sql_rows(h, "SELECT password_hash FROM users");
  const auto codes = sql_rows(h, "SELECT code_hash FROM mfa_recovery_codes");
  CHECK(hashes.size() == 2);
  CHECK(codes.size() == 8);
  hashes.insert(hashes.end(), codes.begin(), codes.end());
  for (const auto& hash : hashes) CHECK(hash.rfind("$argon2id$v=19$m=64,t=1,p=1$", 0) == 0);

  // Without the opt-in the server does not start on it.
  h.stop();
  h.config.password_hash_below_floor_allowed = false;
  std::ostringstream notices;
  const auto refused = Server::start(h.config, notices);
  REQUIRE_FALSE(refused);
  CHECK(refused.error() ==
        std::vector<std::string>{
            "error: [password_hash] iterations = 1, memory_kib = 64 is below OWASP's floor for "
            "Argon2id (19456 KiB with 2 passes, 47104 with 1, 12288 with 3, 9216 with 4, 7168 "
            "with 5): raise it, or set password_hash.allow_below_owasp_floor = true (for tests)"});
  // OWASP's other minimums are not below the floor.
  h.config.password_hash = PasswordHashCost{5, 7 * 1024};
  const auto logged_before = read_file(h.config.log_file).size();
  h.start();
  CHECK(read_file(h.config.log_file).substr(logged_before).find("below OWASP's floor") ==
        std::string::npos);
}

TEST_CASE("e2e: a password hashed at another cost is hashed again at its next sign-in") {
  Harness h;  // test_password_hash: 1 pass, 8 KiB
  const auto stored = [&h] {
    return sql_rows(h,
                    "SELECT password_hash || ' ' || password_changed_at FROM users WHERE "
                    "email = 'admin@localhost'");
  };
  const auto before = stored();
  REQUIRE(before.size() == 1);
  REQUIRE(before[0].rfind("$argon2id$v=19$m=8,t=1,p=1$", 0) == 0);
  h.stop();
  h.config.password_hash = PasswordHashCost{1, 64};
  h.start();
  // A wrong password changes nothing; the right one signs in on the old hash and leaves a
  // new one at the new cost, the password's change time kept, nothing audited as a change.
  CHECK(sign_in(h, "default", "admin@localhost", "not-the-password").status == 401);
  CHECK(stored() == before);
  CHECK(sign_in(h, "default", "admin@localhost", admin_password).status == 200);
  const auto after = stored();
  REQUIRE(after.size() == 1);
  CHECK(after[0].rfind("$argon2id$v=19$m=64,t=1,p=1$", 0) == 0);
  CHECK(after[0].substr(after[0].find(' ')) == before[0].substr(before[0].find(' ')));
  CHECK(sql_rows(h, "SELECT COUNT(*) FROM audit_logs WHERE event_type = 'USER_PASSWORD_CHANGE'") ==
        std::vector<std::string>{"0"});
  // It signs in again, and is not hashed again.
  CHECK(sign_in(h, "default", "admin@localhost", admin_password).status == 200);
  CHECK(stored() == after);
}

TEST_CASE("e2e: the secrets key is never written to the database") {
  Harness h;
  // Something sealed: a credential and a TOTP secret.
  h.credential();
  turn_mfa_on(h, h.bearer());
  const auto key_file = test_store() == StoreKind::postgres
                            ? h.config.secrets_key_file
                            : h.config.database_path + ".secrets-key";
  const auto key_text = read_file(key_file);
  const auto key = parse_secrets_key(key_text);
  REQUIRE(key);
  // The key as the file has it, and as raw bytes, hex and base64.
  const std::string raw(reinterpret_cast<const char*>(key->data()), key->size());
  std::string hex(2 * key->size() + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), key->data(), key->size());
  hex.resize(2 * key->size());
  std::string base64(sodium_base64_ENCODED_LEN(key->size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(base64.data(), base64.size(), key->data(), key->size(),
                    sodium_base64_VARIANT_ORIGINAL);
  base64.resize(base64.find('\0'));
  std::string trimmed = key_text;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) {
    trimmed.pop_back();
  }
  const std::vector<std::string> forms = {trimmed, raw, hex, base64};

  std::vector<std::pair<std::string, std::string>> seen;  // where, content
  const auto scan_database_files = [&] {
    for (const auto& entry : std::filesystem::directory_iterator(h.dir.path())) {
      const auto name = entry.path().filename().string();
      if (name.rfind("scopegate.db", 0) != 0 || entry.path() == key_file) continue;
      seen.emplace_back(name, read_file(entry.path()));
    }
  };
  scan_database_files();  // while it runs (the WAL holds the latest writes) and after
  h.stop();
  scan_database_files();
  if (test_store() == StoreKind::postgres) {
    const auto& cluster = PgCluster::shared();
    const auto rows = cluster.all_rows(cluster.database_of(h.config.database_path));
    CHECK(rows.find("xc20p1:") != std::string::npos);
    seen.emplace_back("rows", rows);
  } else {
    REQUIRE(seen.size() >= 2);
    CHECK(read_file(h.config.database_path).find("xc20p1:") != std::string::npos);
  }
  for (const auto& [where, content] : seen) {
    for (const auto& form : forms) {
      INFO(where);
      CHECK(content.find(form) == std::string::npos);
    }
  }
}

TEST_CASE(
    "e2e: a TOTP secret is sealed for its user's row: copied into another user's row it does "
    "not open") {
  Harness h;
  AdminFixture f(h);
  const auto mfa = turn_mfa_on(h, f.admin);
  const auto admin_id = h.client().get("/api/v1/auth/me", f.admin).json().at("id");
  const auto sealed =
      sql_rows(h, "SELECT mfa_secret FROM users WHERE id = '" + admin_id.get<std::string>() + "'");
  REQUIRE(sealed.size() == 1);
  CHECK(sealed[0].rfind("xc20p1:", 0) == 0);
  CHECK(sealed[0].find(mfa.secret) == std::string::npos);

  const auto mfa_secret_of = [&](const std::string& user_id) {
    return sql_rows(h, "SELECT mfa_secret FROM users WHERE id = '" + user_id + "'");
  };
  const auto put_mfa_secret = [&](const std::string& user_id, const std::string& value) {
    sql_rows(h, "UPDATE users SET mfa_secret = '" + value + "' WHERE id = '" + user_id + "'");
    REQUIRE(mfa_secret_of(user_id) == std::vector<std::string>{value});
  };
  const auto setup_secret = [&](const Headers& token) {
    const auto setup = h.client().post("/api/v1/mfa/setup", nlohmann::json::object(), token);
    REQUIRE(setup.status == 200);
    return setup.json().at("secret").get<std::string>();
  };
  const auto confirm = [&](const Headers& token, const std::string& secret) {
    return h.client().post("/api/v1/mfa/setup/confirm",
                           {{"secret", secret}, {"code", authenticator_code(secret)}}, token);
  };

  // The control: a sealed value written back into its own row by another program opens.
  const auto carol = f.member("carol@acme.test");
  const auto carol_token = f.member_token("carol@acme.test");
  const auto carol_first = setup_secret(carol_token);
  const auto carol_sealed = mfa_secret_of(carol);
  REQUIRE(carol_sealed.size() == 1);
  setup_secret(carol_token);  // replaces the pending secret
  put_mfa_secret(carol, carol_sealed[0]);
  CHECK(confirm(carol_token, carol_first).status == 200);

  // Bob starts a setup; his pending secret is replaced by the admin's sealed one, which
  // does not open in his row: as if there were no pending secret.
  const auto bob = f.member("bob@acme.test");
  const auto bob_token = f.member_token("bob@acme.test");
  setup_secret(bob_token);
  put_mfa_secret(bob, sealed[0]);
  const ClockShift next_step(std::chrono::seconds(30));
  const auto confirmed = confirm(bob_token, mfa.secret);
  CHECK(confirmed.status == 400);
  CHECK(message_of(confirmed) == "secret is not the one POST /api/v1/mfa/setup returned last");
  CHECK(h.client().get("/api/v1/auth/me", bob_token).json().at("mfaEnabled") == false);
  // In the admin's own row it still opens.
  const auto challenge = mfa_challenge(h, "admin@localhost", admin_password);
  CHECK(send_mfa_code(h, challenge, authenticator_code(mfa.secret)).status == 200);
}

TEST_CASE("e2e: recovery codes are stored as Argon2id strings") {
  Harness h([](Harness& server) { server.config.password_hash = PasswordHashCost{}; });
  const auto admin = h.bearer();
  const auto mfa = turn_mfa_on(h, admin);
  const auto stored = sql_rows(h, "SELECT code_hash FROM mfa_recovery_codes");
  REQUIRE(stored.size() == 8);
  for (const auto& hash : stored) {
    CHECK(hash.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0);
    for (const auto& code : mfa.recovery_codes) CHECK(hash.find(code) == std::string::npos);
  }
}

TEST_CASE(
    "e2e: a reset link's token is in plaintext only in its log line and its outbox row, the "
    "database keeps its SHA-256") {
  Harness h;
  const auto admin = h.bearer();
  REQUIRE(h.client()
              .post("/api/v1/auth/forgot-password",
                    {{"organizationSlug", "default"}, {"email", "admin@localhost"}})
              .status == 204);
  std::string token;
  REQUIRE(eventually([&] {
    token = link_token_from_log(h, "admin@localhost");
    return !token.empty();
  }));
  CHECK(token.size() == 64);
  const auto log = read_file(h.config.log_file);
  CHECK(log.find(token) == log.rfind(token));  // one line
  CHECK(log.find("mail queued in the outbox for \"admin@localhost\": \"Reset your Default "
                 "password\"; link: http://") != std::string::npos);
  const auto outbox = sql_rows(h, "SELECT body FROM mail_outbox");
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].find(token) != std::string::npos);
  CHECK(sql_rows(h, "SELECT subject FROM mail_outbox") ==
        std::vector<std::string>{"Reset your Default password"});

  const auto rows = rows_of_tables_but(h, "mail_outbox");
  CHECK(rows.find(sha256_hex(token)) != std::string::npos);  // the scan sees one_time_tokens
  CHECK(rows.find(token) == std::string::npos);
  CHECK(h.client().get("/api/v1/audit-logs?size=100", admin).body.find(token) == std::string::npos);
}

TEST_CASE("e2e: a sign-in answered with an MFA challenge writes no USER_LOGIN entry") {
  Harness h;
  const auto admin = h.bearer();
  const auto reader = with_key(h.key({"audit:read"}));
  const auto mfa = turn_mfa_on(h, admin);
  const auto before = audited_logins(h, reader);
  const auto challenge = mfa_challenge(h, "admin@localhost", admin_password);
  CHECK(audited_logins(h, reader) == before);
  const ClockShift next_step(std::chrono::seconds(30));  // the confirming code is spent
  REQUIRE(send_mfa_code(h, challenge, authenticator_code(mfa.secret)).status == 200);
  CHECK(audited_logins(h, reader) == before + 1);
  const auto entry =
      h.client().get("/api/v1/audit-logs?eventType=USER_LOGIN", reader).json().at("content").at(0);
  CHECK(entry.at("details").at("secondFactor") == "TOTP");
}

TEST_CASE("e2e: a recovery code is accepted with spaces and in upper case") {
  Harness h;
  const auto admin = h.bearer();
  const auto mfa = turn_mfa_on(h, admin);
  auto spaced = mfa.recovery_codes[2];
  std::transform(spaced.begin(), spaced.end(), spaced.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  spaced.insert(4, " ");
  const auto challenge = mfa_challenge(h, "admin@localhost", admin_password);
  const auto verified = send_mfa_code(h, challenge, spaced);
  INFO(spaced << ": " << verified.body);
  CHECK(verified.status == 200);
  const auto entry =
      h.client().get("/api/v1/audit-logs?eventType=USER_LOGIN", admin).json().at("content").at(0);
  CHECK(entry.at("details").at("secondFactor") == "RECOVERY_CODE");
  // Spent: the same code without the space is refused.
  const auto again =
      send_mfa_code(h, mfa_challenge(h, "admin@localhost", admin_password), mfa.recovery_codes[2]);
  CHECK(again.status == 401);
}

TEST_CASE("e2e: wrong MFA codes are throttled per client address: another address is not") {
  Harness h([](Harness& harness) {
    harness.config.trusted_proxies = {"127.0.0.1"};
    harness.config.login_base_delay_seconds = 60;
  });
  const auto admin = h.bearer();
  const auto mfa = turn_mfa_on(h, admin);
  const auto challenge = mfa_challenge(h, "admin@localhost", admin_password);
  const Headers first_address = {{"X-Forwarded-For", "10.1.2.3"}};
  const Headers second_address = {{"X-Forwarded-For", "10.9.8.7"}};
  const ClockShift next_step(std::chrono::seconds(30));  // the confirming code is spent
  const auto right = authenticator_code(mfa.secret);
  const auto wrong = right == "000000" ? "000001" : "000000";
  for (int i = 0; i < 5; ++i) {
    INFO("attempt " << i + 1);
    CHECK(send_mfa_code(h, challenge, wrong, first_address).status == 401);
  }
  const auto throttled = send_mfa_code(h, challenge, wrong, first_address);
  CHECK(throttled.status == 429);
  CHECK(throttled.headers.at("Retry-After") == "60");
  // The same user from another address: a wrong code is only wrong, the right one signs in.
  const auto elsewhere = send_mfa_code(h, challenge, wrong, second_address);
  CHECK(elsewhere.status == 401);
  CHECK(message_of(elsewhere) == "invalid or already used MFA code");
  CHECK(send_mfa_code(h, challenge, right, second_address).status == 200);
  // The first address is still throttled.
  CHECK(send_mfa_code(h, mfa_challenge(h, "admin@localhost", admin_password), right, first_address)
            .status == 429);
}

TEST_CASE(
    "e2e: verify-mfa, disable and confirm find every password worker busy and get 503 at once") {
  Harness h([](Harness& harness) {
    one_password_worker(harness);
    // Wrong codes are not throttled here.
    harness.config.login_free_failures = 1000;
    harness.config.login_free_address_failures = 1000;
  });
  const auto admin = h.bearer();
  // Confirming needs the worker too: the one right behind the sign-in may find it busy.
  const auto setup = h.client().post("/api/v1/mfa/setup", nlohmann::json::object(), admin);
  REQUIRE(setup.status == 200);
  const auto secret = setup.json().at("secret").get<std::string>();
  REQUIRE(eventually([&] {
    return h.client()
               .post("/api/v1/mfa/setup/confirm",
                     {{"secret", secret}, {"code", authenticator_code(secret)}}, admin)
               .status == 200;
  }));
  const auto challenge = sign_in_when_worker_free(h, "default", "admin@localhost", admin_password)
                             .at("mfaChallengeToken")
                             .get<std::string>();
  const auto wrong = authenticator_code(secret) == "000000" ? "000001" : "000000";
  // Bursts of wrong recovery-code-shaped codes (each checked against 8 Argon2id hashes):
  // one runs, the others are refused at once, until a burst has shown both.
  const auto burst = [](const std::function<Reply()>& send, int refused_status) {
    expect_busy_worker_refusals(send, refused_status, "MFA requests");
  };
  burst([&] { return send_mfa_code(h, challenge, "wxyz2345"); }, 401);
  burst([&] { return send_mfa_code(h, challenge, wrong); }, 401);
  burst([&] { return h.client().post("/api/v1/mfa/disable", {{"code", "wxyz2345"}}, admin); }, 400);

  // Confirm, for a user with a pending setup.
  REQUIRE(create_user_when_worker_free(
              h, {{"email", "bob@localhost"}, {"password", "Bob-passw0rd"}}, admin)
              .status == 201);
  const auto bob = bearer_of(sign_in_when_worker_free(h, "default", "bob@localhost", "Bob-passw0rd")
                                 .at("accessToken")
                                 .get<std::string>());
  const auto pending = h.client().post("/api/v1/mfa/setup", nlohmann::json::object(), bob);
  REQUIRE(pending.status == 200);
  const auto bob_secret = pending.json().at("secret").get<std::string>();
  const auto bob_wrong = authenticator_code(bob_secret) == "000000" ? "000001" : "000000";
  burst(
      [&] {
        return h.client().post("/api/v1/mfa/setup/confirm",
                               {{"secret", bob_secret}, {"code", bob_wrong}}, bob);
      },
      400);
}

TEST_CASE(
    "e2e: a reset link's outbox row is written in the transaction of its token: when the row "
    "cannot be written, no token is stored either") {
  Harness h;
  const auto admin = h.bearer();
  if (test_store() == StoreKind::postgres) {
    sql_rows(h,
             "CREATE FUNCTION refuse_mail() RETURNS trigger LANGUAGE plpgsql AS "
             "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$");
    sql_rows(h,
             "CREATE TRIGGER refuse_mail BEFORE INSERT ON mail_outbox FOR EACH ROW EXECUTE "
             "FUNCTION refuse_mail()");
  } else {
    sql_rows(h,
             "CREATE TRIGGER refuse_mail BEFORE INSERT ON mail_outbox BEGIN SELECT "
             "RAISE(ABORT, 'refused by the test'); END");
  }
  REQUIRE(h.client()
              .post("/api/v1/auth/forgot-password",
                    {{"organizationSlug", "default"}, {"email", "admin@localhost"}})
              .status == 204);
  REQUIRE(eventually([&] {
    return read_file(h.config.log_file).find("forgot-password: storage failed") !=
           std::string::npos;
  }));
  CHECK(sql_rows(h, "SELECT COUNT(*) FROM one_time_tokens") == std::vector<std::string>{"0"});
  CHECK(sql_rows(h, "SELECT COUNT(*) FROM mail_outbox") == std::vector<std::string>{"0"});
  CHECK(link_token_from_log(h, "admin@localhost").empty());
  const auto audit =
      h.client().get("/api/v1/audit-logs?eventType=USER_PASSWORD_RESET_REQUEST", admin);
  CHECK(audit.json().at("totalElements") == 0);
}

TEST_CASE(
    "e2e: a trusted proxy range that lets anyone choose their address, or a short metrics "
    "token, is warned of at start") {
  Harness loose([](Harness& server) {
    server.config.trusted_proxies = {"10.0.0.0/8", "0.0.0.0/0"};
    server.config.metrics_bearer_token = "short";
  });
  const auto log = read_file(loose.config.log_file);
  CHECK(log.find("network.trusted_proxies holds 0.0.0.0/0: every address in it may set "
                 "X-Forwarded-For") != std::string::npos);
  CHECK(log.find("holds 10.0.0.0/8") == std::string::npos);
  CHECK(log.find("metrics.bearer_token is 5 characters") != std::string::npos);
  Harness tight([](Harness& server) {
    server.config.trusted_proxies = {"10.0.0.0/8"};
    server.config.metrics_bearer_token = "0123456789abcdef0123456789abcdef";
  });
  const auto quiet = read_file(tight.config.log_file);
  CHECK(quiet.find("trusted_proxies holds") == std::string::npos);
  CHECK(quiet.find("metrics.bearer_token is") == std::string::npos);
}
