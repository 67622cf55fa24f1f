// Unit checks of what docs/server.md's "Storage and secrets", "Mail" and "Accounts"
// sections claim and that no other test asserts (docs-20 review, section 3): the shape of
// generated keys, the Argon2id parameters, an IPv6 client counted by its /64, the index a
// mail sender reads the outbox by, SQLite's WAL mode, and which sessions keep a resource from
// being deleted; what the accounts migration gives organizations and users that existed
// before it.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <set>

#include "pg_cluster.hpp"
#include "server/crypto.hpp"
#include "server/handlers/accounts.hpp"
#include "server/store/migrations.hpp"
#include "server/store/postgres_migrations.hpp"
#include "server/store/store.hpp"
#include "test_rows.hpp"
#include "test_store.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

// The first column of every row `sql` returns on a SQLite file (NULL as "").
std::vector<std::string> sqlite_column(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  std::vector<std::string> out;
  while (sqlite3_step(statement) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(statement, 0);
    out.emplace_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return out;
}

}  // namespace

TEST_CASE("keys are egk_live_ and 48 characters from a-z and 0-9, their prefix 15 characters") {
  REQUIRE(init_crypto());
  std::set<char> seen;
  std::set<std::string> keys;
  for (int i = 0; i < 200; ++i) {
    const auto key = generate_api_key();
    REQUIRE(key.size() == 57);
    REQUIRE(key.rfind("egk_live_", 0) == 0);
    for (const char c : key.substr(9)) {
      INFO(key);
      REQUIRE(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')));
      seen.insert(c);
    }
    CHECK(key_prefix(key) == key.substr(0, 15));
    keys.insert(key);
  }
  CHECK(keys.size() == 200);
  CHECK(seen.size() == 36);  // 9600 draws from 36 characters reach every one
}

TEST_CASE("passwords are hashed with Argon2id, t=2 and m=19 MiB unless configured otherwise") {
  REQUIRE(init_crypto());
  const auto hash = hash_password("correct horse", PasswordHashCost{});
  CHECK(hash.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0);
  CHECK(verify_password(hash, "correct horse"));
  CHECK_FALSE(verify_password(hash, "correct horsE"));
  CHECK(hash_password("correct horse", PasswordHashCost{}) != hash);  // a random salt each time
  // A hash names its cost: one made at another cost verifies as well.
  const auto cheap = hash_password("correct horse", PasswordHashCost{1, 64});
  CHECK(cheap.rfind("$argon2id$v=19$m=64,t=1,p=1$", 0) == 0);
  CHECK(verify_password(cheap, "correct horse"));
  CHECK_FALSE(verify_password(cheap, "correct horsE"));
  CHECK(password_needs_rehash(cheap, PasswordHashCost{}));
  CHECK_FALSE(password_needs_rehash(cheap, PasswordHashCost{1, 64}));
  CHECK_FALSE(password_needs_rehash(hash, PasswordHashCost{}));
  // OWASP's equally strong minimums (passes, KiB), and just below each.
  for (const auto& [iterations, memory_kib] :
       std::vector<std::pair<int, int>>{{1, 47104}, {2, 19456}, {3, 12288}, {4, 9216}, {5, 7168}}) {
    INFO(iterations << " passes, " << memory_kib << " KiB");
    CHECK_FALSE(PasswordHashCost{iterations, memory_kib}.below_owasp_floor());
    CHECK(PasswordHashCost{iterations, memory_kib - 1}.below_owasp_floor());
  }
  CHECK(PasswordHashCost{1, 19456}.below_owasp_floor());
  CHECK(PasswordHashCost{1, 64}.below_owasp_floor());
  CHECK_FALSE(PasswordHashCost{100, 1024 * 1024}.below_owasp_floor());
}

TEST_CASE("the throttles count an IPv6 client by its /64 and an IPv4 client by its address") {
  CHECK(client_address_key("2001:db8:1:2::1") == client_address_key("2001:db8:1:2::2"));
  CHECK(client_address_key("2001:db8:1:2::1") ==
        client_address_key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
  CHECK(client_address_key("2001:db8:1:2::1") != client_address_key("2001:db8:1:3::1"));
  CHECK(client_address_key("192.0.2.1") != client_address_key("192.0.2.2"));
}

TEST_CASE("a mail sender finds the unsent outbox rows through the index mail_outbox_unsent",
          "[store]") {
  REQUIRE(init_crypto());
  TempDir dir;
  const auto database = new_test_database(dir);
  REQUIRE(open_store(database));  // migrated
  const auto indexes =
      test_store() == StoreKind::postgres
          ? PgCluster::shared().column(
                PgCluster::database_of(database),
                "SELECT indexname FROM pg_indexes WHERE tablename = 'mail_outbox'")
          : sqlite_column(database,
                          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = "
                          "'mail_outbox'");
  CHECK(std::find(indexes.begin(), indexes.end(), "mail_outbox_unsent") != indexes.end());
}

TEST_CASE("a SQLite database is in WAL mode once the store opened it") {
  TempDir dir;
  const auto database = dir.file("scopegate.db");
  {
    auto store = open_store(database);
    REQUIRE(store);
    CHECK(sqlite_column(database, "PRAGMA journal_mode") == std::vector<std::string>{"wal"});
  }
}

TEST_CASE(
    "a resource is not deleted while a PENDING, ACTIVE, PARTIAL or EXPIRING session covers it",
    "[store]") {
  REQUIRE(init_crypto());
  TempDir dir;
  auto opened = open_store(new_test_database(dir));
  REQUIRE(opened);
  auto& store = **opened;
  const auto at = format_stored(now());
  const Organization org{generate_uuid(), "acme", "Acme", at};
  REQUIRE(store.create_organization(org));
  const User user{generate_uuid(), org.id, "u@acme.test", "U", "admin", "x", true, at,
                  std::nullopt};
  REQUIRE(store.create_user(user, {}, nullptr));
  Credential credential;
  credential.id = generate_uuid();
  credential.organization_id = org.id;
  credential.name = "aws";
  credential.provider = "AWS";
  credential.credential_type = "ACCESS_KEY";
  credential.sealed_data = "xc20p1:sealed";
  credential.created_at = credential.updated_at = at;
  REQUIRE(store.create_credential(credential, user_audit(org.id, "CREDENTIAL_CREATE")));

  for (const auto* status : {"PENDING", "ACTIVE", "PARTIAL", "EXPIRING", "EXPIRED", "CANCELLED"}) {
    INFO(status);
    Resource resource;
    resource.id = generate_uuid();
    resource.organization_id = org.id;
    resource.name = std::string("db-") + status;
    resource.credential_id = credential.id;
    resource.provider = "AWS";
    resource.resource_type = "SECURITY_GROUP";
    resource.resource_identifier = "sg-" + resource.name;
    resource.created_at = resource.updated_at = at;
    REQUIRE(store.create_resource(resource, user_audit(org.id, "RESOURCE_CREATE")));
    auto session = active_session(org.id, user.id);
    session.status = status;
    session.resource_ips.push_back({generate_uuid(), session.id, resource.id, resource.name, "IPV4",
                                    "192.0.2.1", "APPLIED", std::nullopt, std::nullopt,
                                    std::nullopt, std::nullopt});
    REQUIRE(*store.save_session(session, std::nullopt, nullptr));
    const bool over = std::string(status) == "EXPIRED" || std::string(status) == "CANCELLED";
    const auto in_use = store.delete_resource(resource.id, user_audit(org.id, "RESOURCE_DELETE"));
    REQUIRE(in_use);
    CHECK(in_use->sessions == (over ? 0 : 1));
    CHECK(in_use->static_ip_rules == 0);
    CHECK(store.find_resource(resource.id)->has_value() == !over);
  }
}

TEST_CASE(
    "an organization that existed before the accounts migration is PLATFORM, and its users' "
    "passwords count as set when they were created",
    "[store]") {
  REQUIRE(init_crypto());
  TempDir dir;
  const auto database = new_test_database(dir);
  const bool postgres = test_store() == StoreKind::postgres;
  // The schema as the version before accounts (migration 11) left it, with one organization
  // and one user in it, written as that version would have.
  std::vector<std::string> statements = {
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
      "applied_at TEXT NOT NULL)"};
  for (const auto& migration : postgres ? postgres::migrations() : migrations()) {
    if (migration.version >= 11) break;
    for (const auto statement : migration.statements) statements.emplace_back(statement);
    statements.push_back("INSERT INTO schema_migrations VALUES (" +
                         std::to_string(migration.version) + ", 'old', '2025-01-01T00:00:00Z')");
  }
  const std::string organization_id = generate_uuid();
  const std::string user_id = generate_uuid();
  const std::string created = "2025-01-02T03:04:05Z";
  statements.push_back("INSERT INTO organizations (id, slug, name, created_at) VALUES ('" +
                       organization_id + "', 'old', 'Old', '" + created + "')");
  statements.push_back(
      "INSERT INTO users (id, organization_id, email, name, role, password_hash, is_active, "
      "created_at, updated_at) VALUES ('" +
      user_id + "', '" + organization_id + "', 'old@old.test', 'Old', 'admin', 'x', 1, '" +
      created + "', '" + created + "')");
  if (postgres) {
    const auto name = PgCluster::database_of(database);
    for (const auto& statement : statements) PgCluster::shared().query(name, statement);
  } else {
    for (const auto& statement : statements) {
      INFO(statement);
      sqlite_column(database, statement);
    }
  }

  auto opened = open_store(database);  // migrates to the current version
  REQUIRE(opened);
  const auto organization = (*opened)->find_organization(organization_id);
  REQUIRE(organization);
  REQUIRE(organization->has_value());
  CHECK((*organization)->subscription_tier == "PLATFORM");
  const auto user = (*opened)->find_user(user_id);
  REQUIRE(user);
  REQUIRE(user->has_value());
  CHECK((*user)->password_changed_at == created);
}
