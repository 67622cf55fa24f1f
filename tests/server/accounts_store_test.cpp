// The Store's accounts methods on each store (the postgres/ copies run them on
// PostgreSQL): registration in one transaction, settings, token rotation and families,
// one-time tokens with their mail, password changes.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/store/migrations.hpp"
#include "server/store/postgres_migrations.hpp"
#include "server/store/store.hpp"
#include "test_rows.hpp"
#include "test_store.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

struct Accounts {
  TempDir dir;
  std::unique_ptr<Store> store;
  Organization org;
  User admin;

  Accounts() {
    REQUIRE(init_crypto());
    auto opened = open_store(new_test_database(dir));
    REQUIRE(opened);
    store = std::move(*opened);
    org.id = generate_uuid();
    org.slug = "acme";
    org.name = "Acme";
    org.created_at = format_stored(now());
    admin.id = generate_uuid();
    admin.organization_id = org.id;
    admin.email = "admin@acme.test";
    admin.name = "Admin";
    admin.role = "admin";
    admin.password_hash = "old-hash";
    admin.created_at = org.created_at;
    REQUIRE(store->register_organization(
        org, admin, {token("a1", TokenKind::access, "f1"), token("r1", TokenKind::refresh, "f1")},
        audit("ORGANIZATION_CREATE")));
  }

  AccessToken token(const std::string& secret, TokenKind kind, const std::string& family) const {
    return AccessToken{sha256_hex(secret),   admin.id, kind,        "2999-01-01T00:00:00Z",
                       format_stored(now()), family,   std::nullopt};
  }

  AuditEntry audit(const std::string& event) const { return user_audit(org.id, event); }

  // A member of the organization, stored.
  User add_member(const std::string& email, const std::string& name, const std::string& at) const {
    User user{generate_uuid(), org.id, email, name, "member", "x", true, at, std::nullopt};
    REQUIRE(store->create_user(user, {}, nullptr));
    return user;
  }

  // An unspent one-time link of `user_id` for `purpose`, valid for ever, stored.
  void add_link(const std::string& secret, const std::string& purpose, const std::string& user_id,
                const std::string& at) const {
    const OneTimeToken token{sha256_hex(secret),     user_id,      purpose,
                             "2999-01-01T00:00:00Z", std::nullopt, at};
    REQUIRE(store->create_one_time_token(token, nullptr, nullptr));
  }

  bool token_exists(const std::string& secret) const {
    const auto found = store->authenticate_token(sha256_hex(secret));
    REQUIRE(found);
    return found->has_value();
  }

  std::int64_t audits(const std::string& event) const {
    AuditFilter filter{org.id, event, std::nullopt, std::nullopt, std::nullopt, 0, 20};
    return store->query_audit(filter)->total;
  }
};

// Runs `sql` on the test's database as another program would; the first row's first
// column, or "".
std::string accounts_raw_query(const std::string& location, const std::string& sql) {
  if (test_store() == StoreKind::postgres) {
    return PgCluster::shared().query(PgCluster::database_of(location), sql);
  }
  SQLite::Database db(location, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  SQLite::Statement s(db, sql);
  if (!s.executeStep() || s.getColumnCount() == 0) return "";
  return s.getColumn(0).getString();
}

}  // namespace

TEST_CASE("registration stores the organization, its admin, tokens and audit together", "[store]") {
  Accounts a;
  const auto org = a.store->find_organization_by_slug("acme");
  REQUIRE(org);
  REQUIRE(org->has_value());
  CHECK((*org)->subscription_tier == "FREE");
  CHECK((*org)->password_min_length == 8);
  CHECK((*org)->password_require_uppercase);
  CHECK_FALSE((*org)->password_require_special);
  CHECK_FALSE((*org)->password_expiration_days);
  const auto found = a.store->authenticate_token(sha256_hex("r1"));
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK((*found)->token.kind == TokenKind::refresh);
  CHECK((*found)->token.family_id == "f1");
  CHECK_FALSE((*found)->token.used_at);
  CHECK((*found)->user.password_changed_at == a.admin.created_at);
  CHECK((*found)->organization.slug == "acme");
  CHECK(a.audits("ORGANIZATION_CREATE") == 1);
  // A taken slug is a conflict, and nothing of the second registration is kept.
  Organization again = a.org;
  again.id = generate_uuid();
  User other = a.admin;
  other.id = generate_uuid();
  other.organization_id = again.id;
  const auto refused = a.store->register_organization(again, other, {}, a.audit("X"));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == StoreError::Kind::conflict);
  CHECK_FALSE(a.store->find_user(other.id)->has_value());
}

TEST_CASE(
    "organization settings are saved, but not the plan, and only over the row they were "
    "read from",
    "[store]") {
  Accounts a;
  Organization changed = a.org;
  changed.name = "Acme 2";
  changed.subscription_tier = "BUSINESS";  // the operator's: not written
  changed.mfa_required = true;
  changed.password_min_length = 14;
  changed.password_require_uppercase = false;
  changed.password_require_lowercase = false;
  changed.password_require_digit = false;
  changed.password_require_special = true;
  changed.password_expiration_days = 30;
  REQUIRE(*a.store->update_organization(a.org, changed, a.audit("ORGANIZATION_UPDATE")));
  const auto found = a.store->find_organization(a.org.id);
  REQUIRE(found);
  REQUIRE(found->has_value());
  const auto& o = **found;
  CHECK(o.slug == "acme");
  CHECK(o.name == "Acme 2");
  CHECK(o.subscription_tier == a.org.subscription_tier);
  CHECK(o.mfa_required);
  CHECK(o.password_min_length == 14);
  CHECK_FALSE(o.password_require_uppercase);
  CHECK_FALSE(o.password_require_lowercase);
  CHECK_FALSE(o.password_require_digit);
  CHECK(o.password_require_special);
  CHECK(o.password_expiration_days == 30);
  CHECK(a.audits("ORGANIZATION_UPDATE") == 1);
  // A change computed from the row before the first one is refused: it would undo it.
  Organization stale = a.org;
  stale.password_min_length = 20;
  CHECK_FALSE(*a.store->update_organization(a.org, stale, a.audit("ORGANIZATION_UPDATE")));
  CHECK((*a.store->find_organization(a.org.id))->mfa_required);
  CHECK(a.audits("ORGANIZATION_UPDATE") == 1);
  Organization later = o;
  later.password_expiration_days.reset();
  REQUIRE(*a.store->update_organization(o, later, a.audit("ORGANIZATION_UPDATE")));
  CHECK_FALSE((*a.store->find_organization(a.org.id))->password_expiration_days);
  // A null expiry compares as equal to a null expiry.
  later.password_min_length = 16;
  CHECK(*a.store->update_organization(**a.store->find_organization(a.org.id), later,
                                      a.audit("ORGANIZATION_UPDATE")));
}

TEST_CASE("a refresh token rotates once, and families are revoked whole", "[store]") {
  Accounts a;
  const auto at = format_stored(now());
  const std::vector<AccessToken> next = {a.token("a2", TokenKind::access, "f1"),
                                         a.token("r2", TokenKind::refresh, "f1")};
  const auto rotated = a.store->rotate_refresh_token(sha256_hex("r1"), at, next, a.audit("R"));
  REQUIRE(rotated);
  CHECK(*rotated);
  CHECK((*a.store->authenticate_token(sha256_hex("r1")))->token.used_at == at);
  CHECK(a.token_exists("r2"));
  // The second rotation of one token writes nothing.
  const std::vector<AccessToken> thief = {a.token("r3", TokenKind::refresh, "f1")};
  const auto twice = a.store->rotate_refresh_token(sha256_hex("r1"), at, thief, a.audit("R"));
  REQUIRE(twice);
  CHECK_FALSE(*twice);
  CHECK_FALSE(a.token_exists("r3"));
  CHECK(a.audits("R") == 1);
  // An access token is never rotated.
  CHECK_FALSE(*a.store->rotate_refresh_token(sha256_hex("a1"), at, thief, a.audit("R")));

  // Another family survives both revocations below.
  REQUIRE(a.store->record_login(
      a.admin.id, at,
      {a.token("a9", TokenKind::access, "f9"), a.token("r9", TokenKind::refresh, "f9")},
      a.audit("USER_LOGIN")));
  // Logout: the family's refresh tokens go, its access tokens stay.
  REQUIRE(a.store->revoke_token_family("f1", false, nullptr));
  CHECK_FALSE(a.token_exists("r1"));
  CHECK_FALSE(a.token_exists("r2"));
  CHECK(a.token_exists("a1"));
  CHECK(a.token_exists("a2"));
  // Reuse: everything of the family goes.
  const auto reuse = a.audit("USER_TOKEN_REUSE");
  REQUIRE(a.store->revoke_token_family("f1", true, &reuse));
  CHECK_FALSE(a.token_exists("a1"));
  CHECK_FALSE(a.token_exists("a2"));
  CHECK(a.token_exists("a9"));
  CHECK(a.token_exists("r9"));
  CHECK(a.audits("USER_TOKEN_REUSE") == 1);
}

TEST_CASE("one-time tokens: the latest of a user, with its mail, spent once", "[store]") {
  Accounts a;
  const auto at = format_stored(now());
  const auto one_time = [&](const std::string& secret, const std::string& purpose,
                            const std::string& expires) {
    return OneTimeToken{sha256_hex(secret), a.admin.id, purpose, expires, std::nullopt, at};
  };
  const OutboxMail mail{generate_uuid(), a.org.id, a.admin.email, "Reset",
                        "body",          at,       std::nullopt};
  REQUIRE(a.store->create_one_time_token(one_time("t1", "PASSWORD_RESET", "2999-01-01T00:00:00Z"),
                                         &mail, nullptr));
  const auto first = a.store->find_one_time_token(sha256_hex("t1"));
  REQUIRE(first);
  REQUIRE(first->has_value());
  CHECK((*first)->purpose == "PASSWORD_RESET");
  CHECK((*first)->user_id == a.admin.id);
  CHECK_FALSE((*first)->used_at);
  // A new token replaces the unused ones, of every purpose (each sets a password).
  REQUIRE(a.store->create_one_time_token(one_time("c1", "PASSWORD_CHANGE", "2999-01-01T00:00:00Z"),
                                         nullptr, nullptr));
  CHECK_FALSE(a.store->find_one_time_token(sha256_hex("t1"))->has_value());
  CHECK(a.store->find_one_time_token(sha256_hex("c1"))->has_value());
  const auto request = a.audit("USER_PASSWORD_RESET_REQUEST");
  REQUIRE(a.store->create_one_time_token(one_time("t2", "PASSWORD_RESET", "2999-01-01T00:00:00Z"),
                                         nullptr, &request));
  CHECK_FALSE(a.store->find_one_time_token(sha256_hex("c1"))->has_value());
  CHECK(a.store->find_one_time_token(sha256_hex("t2"))->has_value());
  CHECK(a.audits("USER_PASSWORD_RESET_REQUEST") == 1);

  PasswordChange change;
  change.user_id = a.admin.id;
  change.password_hash = "new-hash";
  change.at = format_stored(now());
  change.spend_token_hash = sha256_hex("t2");
  change.end_sign_ins = true;
  change.tokens = {a.token("a5", TokenKind::access, "f5")};
  const auto changed = a.store->change_password(change, a.audit("USER_PASSWORD_RESET"));
  REQUIRE(changed);
  CHECK(*changed);
  const auto user = a.store->find_user(a.admin.id);
  CHECK((*user)->password_hash == "new-hash");
  CHECK((*user)->password_changed_at == change.at);
  CHECK((*user)->last_login_at == change.at);
  CHECK((*a.store->find_one_time_token(sha256_hex("t2")))->used_at == change.at);
  // Every earlier sign-in ended; the new one is there.
  CHECK_FALSE(a.token_exists("a1"));
  CHECK_FALSE(a.token_exists("r1"));
  CHECK(a.token_exists("a5"));
  // Spent: a second change with it writes nothing.
  change.password_hash = "third-hash";
  change.tokens = {a.token("a6", TokenKind::access, "f6")};
  CHECK_FALSE(*a.store->change_password(change, a.audit("USER_PASSWORD_RESET")));
  CHECK((*a.store->find_user(a.admin.id))->password_hash == "new-hash");
  CHECK_FALSE(a.token_exists("a6"));
  CHECK(a.audits("USER_PASSWORD_RESET") == 1);
  // Expired by the time of the change: nothing either.
  REQUIRE(a.store->create_one_time_token(one_time("t3", "PASSWORD_RESET", at), nullptr, nullptr));
  change.spend_token_hash = sha256_hex("t3");
  CHECK_FALSE(*a.store->change_password(change, a.audit("USER_PASSWORD_RESET")));
  // Without a token, a signed-in change keeps the sessions and the last login.
  PasswordChange plain;
  plain.user_id = a.admin.id;
  plain.password_hash = "fourth-hash";
  plain.at = format_stored(now());
  CHECK(*a.store->change_password(plain, a.audit("USER_PASSWORD_CHANGE")));
  CHECK((*a.store->find_user(a.admin.id))->last_login_at == change.at);
  CHECK(a.token_exists("a5"));
}

TEST_CASE("deleting a user drops its token families and one-time tokens, no one else's",
          "[store]") {
  Accounts a;
  const auto at = format_stored(now());
  const User bob = a.add_member("bob@acme.test", "Bob", at);
  const auto bobs = [&](const std::string& secret, TokenKind kind, const std::string& family) {
    auto t = a.token(secret, kind, family);
    t.user_id = bob.id;
    return t;
  };
  REQUIRE(a.store->record_login(
      bob.id, at, {bobs("ba", TokenKind::access, "bf"), bobs("br", TokenKind::refresh, "bf")},
      a.audit("USER_LOGIN")));
  // A rotated family: the spent refresh token and its successor are both the user's.
  REQUIRE(*a.store->rotate_refresh_token(sha256_hex("br"), at,
                                         {bobs("br2", TokenKind::refresh, "bf")}, a.audit("R")));
  a.add_link("bo", "SET_PASSWORD", bob.id, at);
  a.add_link("ao", "PASSWORD_RESET", a.admin.id, at);
  REQUIRE(a.token_exists("br2"));
  REQUIRE(a.store->find_one_time_token(sha256_hex("bo"))->has_value());

  REQUIRE(a.store->delete_user(bob, at, a.audit("USER_DELETE")).value() == Store::UserChange::done);
  for (const auto* secret : {"ba", "br", "br2"}) {
    INFO(secret);
    CHECK_FALSE(a.token_exists(secret));
  }
  CHECK_FALSE(a.store->find_one_time_token(sha256_hex("bo"))->has_value());
  // The admin's sign-in and link are untouched.
  CHECK(a.token_exists("a1"));
  CHECK(a.token_exists("r1"));
  CHECK(a.store->find_one_time_token(sha256_hex("ao"))->has_value());
}

TEST_CASE("a new link voids the user's other unused links, and a password change voids them all",
          "[store]") {
  Accounts a;
  const auto at = format_stored(now());
  const User bob = a.add_member("bob@acme.test", "Bob", at);
  const auto link = [&](const std::string& secret, const std::string& purpose,
                        const std::string& user_id) { a.add_link(secret, purpose, user_id, at); };
  const auto live = [&](const std::string& secret) {
    const auto found = a.store->find_one_time_token(sha256_hex(secret));
    REQUIRE(found);
    return found->has_value() && !(*found)->used_at;
  };
  // Bob's link and the admin's live side by side: each user has their own latest.
  link("invite", "SET_PASSWORD", bob.id);
  link("admins", "PASSWORD_RESET", a.admin.id);
  CHECK(live("invite"));
  // The invitation dies when a reset link comes, and the reset link when an
  // expired-password change token comes.
  link("reset", "PASSWORD_RESET", bob.id);
  CHECK_FALSE(live("invite"));
  CHECK(live("reset"));
  link("expired", "PASSWORD_CHANGE", bob.id);
  CHECK_FALSE(live("reset"));
  CHECK(live("expired"));
  CHECK(live("admins"));

  // A signed-in change (no token spent) voids Bob's links, not the admin's.
  link("reset2", "PASSWORD_RESET", bob.id);
  PasswordChange change;
  change.user_id = bob.id;
  change.password_hash = "bobs-new-hash";
  change.at = format_stored(now());
  REQUIRE(*a.store->change_password(change, a.audit("USER_PASSWORD_CHANGE")));
  CHECK_FALSE(live("reset2"));
  CHECK(live("admins"));
  // A token of a purpose that sets no password (none exists yet: "OTHER") survives a new
  // link, but not a password change. A change that spends a link marks it used.
  link("other", "OTHER", bob.id);
  link("reset3", "PASSWORD_RESET", bob.id);
  CHECK(live("other"));
  change.spend_token_hash = sha256_hex("reset3");
  change.at = format_stored(now());
  REQUIRE(*a.store->change_password(change, a.audit("USER_PASSWORD_RESET")));
  CHECK_FALSE(live("other"));
  CHECK((*a.store->find_one_time_token(sha256_hex("reset3")))->used_at == change.at);
  CHECK(live("admins"));
}

TEST_CASE("emails are unique in an organization and find their user without regard to ASCII case",
          "[store]") {
  Accounts a;
  const auto at = format_stored(now());
  const auto user = [&](const std::string& email, const std::string& organization_id) {
    return User{generate_uuid(), organization_id, email, "U", "member", "x", true, at,
                std::nullopt};
  };
  const auto found = [&](const std::string& organization_id, const std::string& email) {
    const auto row = a.store->find_user_by_email(organization_id, email);
    REQUIRE(row);
    return row->has_value() ? (*row)->id : std::string("none");
  };
  // Another spelling of the admin's address: the same user, shown as it was typed.
  CHECK(found(a.org.id, "Admin@ACME.test") == a.admin.id);
  CHECK((*a.store->find_user_by_email(a.org.id, "ADMIN@acme.test"))->email == "admin@acme.test");
  const auto taken = a.store->create_user(user("ADMIN@Acme.Test", a.org.id), {}, nullptr);
  REQUIRE_FALSE(taken);
  CHECK(taken.error().kind == StoreError::Kind::conflict);
  // Letters beyond ASCII are compared as they are, on both stores alike.
  const auto lower = user("\xC3\xA9mile@acme.test", a.org.id);  // émile
  const auto upper = user("\xC3\x89mile@acme.test", a.org.id);  // Émile
  REQUIRE(a.store->create_user(lower, {}, nullptr));
  REQUIRE(a.store->create_user(upper, {}, nullptr));
  CHECK(found(a.org.id, "\xC3\xA9MILE@acme.test") == lower.id);
  CHECK(found(a.org.id, "\xC3\x89MILE@ACME.TEST") == upper.id);
  // Another organization has its own users.
  const Organization other{generate_uuid(), "other", "Other", at};
  REQUIRE(a.store->create_organization(other));
  const auto theirs = user("ADMIN@acme.test", other.id);
  REQUIRE(a.store->create_user(theirs, {}, nullptr));
  CHECK(found(other.id, "admin@acme.test") == theirs.id);
  CHECK(found(a.org.id, "ADMIN@acme.test") == a.admin.id);
  // A deleted user's address is free again, in any case.
  const auto bob = user("Bob@acme.test", a.org.id);
  REQUIRE(a.store->create_user(bob, {}, nullptr));
  REQUIRE(*a.store->delete_user(bob, at, a.audit("USER_DELETE")) == Store::UserChange::done);
  CHECK(found(a.org.id, "bob@acme.test") == "none");
  const auto again = user("BOB@acme.test", a.org.id);
  REQUIRE(a.store->create_user(again, {}, nullptr));
  CHECK(found(a.org.id, "bob@ACME.TEST") == again.id);
  CHECK((*a.store->find_user(bob.id))->email == "Bob@acme.test (deleted " + bob.id + ")");
}

TEST_CASE(
    "an older database whose emails differ only in case migrates, each user keeping its sign-in",
    "[store]") {
  REQUIRE(init_crypto());
  TempDir dir;
  const auto location = new_test_database(dir);
  const auto run = [&](const std::string& sql) { return accounts_raw_query(location, sql); };
  // The schema of version 11, as the store applies it.
  run("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
      "applied_at TEXT NOT NULL)");
  const auto& schema = test_store() == StoreKind::postgres ? postgres::migrations() : migrations();
  for (const auto& migration : schema) {
    if (migration.version > 11) break;
    for (const auto statement : migration.statements) run(std::string(statement));
    run(fmt::format("INSERT INTO schema_migrations VALUES ({}, 'old', '2026-01-01T00:00:00Z')",
                    migration.version));
  }
  run("INSERT INTO organizations (id, slug, name, created_at) VALUES ('org', 'acme', 'Acme', "
      "'2026-01-01T00:00:00.000000Z')");
  const auto user = [&](const std::string& id, const std::string& email, const std::string& day,
                        const std::string& deleted = "NULL") {
    run(fmt::format(
        "INSERT INTO users (id, organization_id, email, name, role, password_hash, is_active, "
        "created_at, updated_at, deleted_at) VALUES ('{}', 'org', '{}', 'U', 'member', 'x', 1, "
        "'2026-01-{}T00:00:00.000000Z', '2026-01-{}T00:00:00.000000Z', {})",
        id, email, day, day, deleted));
  };
  // Three spellings of one address: u1 and u2 made at the same moment (the id decides),
  // u3 later; a deleted user and the live one that took its address.
  user("u3", "CAROL@ACME.TEST", "05");
  user("u2", "carol@acme.test", "02");
  user("u1", "Carol@Acme.test", "02");
  user("u4", "dave@acme.test (deleted u4)", "03", "'2026-01-04T00:00:00.000000Z'");
  user("u5", "Dave@acme.test", "04");

  auto opened = open_store(location);
  INFO((opened ? "" : opened.error().message));
  REQUIRE(opened);
  auto& store = **opened;
  const auto found = [&](const std::string& email) {
    const auto row = store.find_user_by_email("org", email);
    REQUIRE(row);
    return row->has_value() ? (*row)->id : std::string("none");
  };
  // The oldest keeps the key: any other spelling finds it. The others keep their exact one.
  CHECK(run("SELECT email_key FROM users WHERE id = 'u1'") == "carol@acme.test");
  CHECK(run("SELECT email_key FROM users WHERE id = 'u2'") == "carol@acme.test (duplicate u2)");
  CHECK(run("SELECT email_key FROM users WHERE id = 'u3'") == "carol@acme.test (duplicate u3)");
  CHECK(found("carol@ACME.test") == "u1");
  CHECK(found("Carol@Acme.test") == "u1");
  CHECK(found("carol@acme.test") == "u2");
  CHECK(found("CAROL@ACME.TEST") == "u3");
  CHECK((*store.find_user("u3"))->email == "CAROL@ACME.TEST");
  CHECK(found("DAVE@ACME.TEST") == "u5");
  // No new spelling of the address can be taken.
  const User another{generate_uuid(),      "org",       "cArol@acme.test", "U", "member", "x", true,
                     format_stored(now()), std::nullopt};
  const auto taken = store.create_user(another, {}, nullptr);
  REQUIRE_FALSE(taken);
  CHECK(taken.error().kind == StoreError::Kind::conflict);
}
