// Row locks that order writes racing on PostgreSQL (SQLite has one writer at a time). What
// docs/server.md claims about deleting a credential (docs-20 review, section 3): "the check
// and the delete are one transaction, and the credential's row lock makes a resource
// written meanwhile wait for it"; and that a password reset ends every sign-in of the user,
// also one a refresh was adding at the same moment. Each direction of the race is shown with
// the store on one side and another connection, holding the lock the other side takes, on
// the other: a resource write waits for a delete in progress and is then refused; a delete
// waits for a resource write in progress and then counts that resource.
#include <catch2/catch.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <future>
#include <memory>

#include "pg_cluster.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/store/open_store.hpp"
#include "server/store/store.hpp"
#include "test_rows.hpp"
#include "test_support.hpp"

using namespace scopegate::server;
using scopegate::server::testing::PgCluster;
using scopegate::server::testing::test_password_hash;
using scopegate::server::testing::user_audit;

namespace {

// A connection of its own, for one open transaction.
class HeldTransaction {
 public:
  explicit HeldTransaction(const std::string& url) : m_conn(PQconnectdb(url.c_str()), &PQfinish) {
    REQUIRE(PQstatus(m_conn.get()) == CONNECTION_OK);
  }
  void run(const std::string& sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(m_conn.get(), sql.c_str()),
                                                         &PQclear);
    const auto status = PQresultStatus(result.get());
    INFO(sql << ": " << PQresultErrorMessage(result.get()));
    REQUIRE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK));
  }

 private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> m_conn;
};

struct LockFixture {
  std::string url = PgCluster::shared().create_database();
  std::unique_ptr<Store> store;
  Organization org{generate_uuid(), "acme", "Acme", format_stored(now())};
  Credential credential;

  LockFixture() {
    REQUIRE(init_crypto());
    auto opened = open_store(url);
    REQUIRE(opened);
    store = std::move(*opened);
    REQUIRE(store->create_organization(org));
    credential.id = generate_uuid();
    credential.organization_id = org.id;
    credential.name = "aws";
    credential.provider = "AWS";
    credential.credential_type = "ACCESS_KEY";
    credential.sealed_data = "xc20p1:sealed";
    credential.created_at = credential.updated_at = format_stored(now());
    REQUIRE(store->create_credential(credential, user_audit(org.id, "CREDENTIAL_CREATE")));
  }

  Resource resource_on_credential(const std::string& name) const {
    Resource r;
    r.id = generate_uuid();
    r.organization_id = org.id;
    r.name = name;
    r.credential_id = credential.id;
    r.provider = "AWS";
    r.resource_type = "SECURITY_GROUP";
    r.resource_identifier = "sg-" + name;
    r.created_at = r.updated_at = format_stored(now());
    return r;
  }
};

constexpr auto still_waiting = std::chrono::milliseconds(100);

}  // namespace

TEST_CASE(
    "postgres: a resource written while its credential is being deleted waits, then is "
    "refused") {
  LockFixture f;
  HeldTransaction deleting(f.url);
  // What delete_credential does first: lock the credential's row.
  deleting.run("BEGIN");
  deleting.run("SELECT 1 FROM credentials WHERE id = '" + f.credential.id + "' FOR UPDATE");
  const auto resource = f.resource_on_credential("db");
  auto saved = std::async(std::launch::async, [&] {
    return f.store->create_resource(resource, user_audit(f.org.id, "RESOURCE_CREATE"));
  });
  CHECK(saved.wait_for(still_waiting) == std::future_status::timeout);
  deleting.run("DELETE FROM credentials WHERE id = '" + f.credential.id + "'");
  deleting.run("COMMIT");
  const auto result = saved.get();
  REQUIRE(result);
  CHECK(*result == Store::ResourceWrite::foreign_credential);  // its credential is gone
  CHECK_FALSE(*f.store->find_resource(resource.id));
}

TEST_CASE(
    "postgres: deleting a credential while a resource is written with it waits, then "
    "counts that resource and keeps the credential") {
  LockFixture f;
  HeldTransaction writing(f.url);
  // What create_resource does first: lock the credential's row for share.
  writing.run("BEGIN");
  writing.run("SELECT 1 FROM credentials WHERE id = '" + f.credential.id + "' FOR SHARE");
  auto deleted = std::async(std::launch::async, [&] {
    return f.store->delete_credential(f.credential.id, user_audit(f.org.id, "CREDENTIAL_DELETE"));
  });
  CHECK(deleted.wait_for(still_waiting) == std::future_status::timeout);
  const auto at = format_stored(now());
  writing.run(
      "INSERT INTO resources (id, organization_id, name, credential_id, provider, resource_type, "
      "resource_identifier, is_active, created_at, updated_at) VALUES ('" +
      generate_uuid() + "', '" + f.org.id + "', 'db', '" + f.credential.id +
      "', 'AWS', 'SECURITY_GROUP', 'sg-db', 0, '" + at + "', '" + at + "')");
  writing.run("COMMIT");
  const auto result = deleted.get();
  REQUIRE(result);
  CHECK(*result == 1);  // refused: one resource uses it
  CHECK(f.store->find_credential(f.credential.id)->has_value());
}

TEST_CASE(
    "postgres: a password change that ends a user's sign-ins waits for a refresh in progress, "
    "then ends the tokens that refresh added") {
  LockFixture f;
  User user;
  user.id = generate_uuid();
  user.organization_id = f.org.id;
  user.email = "bob@acme.test";
  user.name = "Bob";
  user.role = "member";
  user.password_hash = hash_password("old-password", test_password_hash);
  user.created_at = user.updated_at = format_stored(now());
  REQUIRE(f.store->create_user(user, {}, nullptr));
  HeldTransaction refreshing(f.url);
  // What rotate_refresh_token does first: lock the user's row for share.
  refreshing.run("BEGIN");
  refreshing.run("SELECT 1 FROM users WHERE id = '" + user.id + "' FOR SHARE");
  PasswordChange change;
  change.user_id = user.id;
  change.password_hash = hash_password("new-password", test_password_hash);
  change.at = format_stored(now());
  change.end_sign_ins = true;
  auto changed = std::async(std::launch::async, [&] {
    return f.store->change_password(change, user_audit(f.org.id, "USER_PASSWORD_RESET"));
  });
  CHECK(changed.wait_for(still_waiting) == std::future_status::timeout);
  // The refresh's successor pair, committed while the change waits.
  const auto expires = format_stored(now() + std::chrono::hours(1));
  refreshing.run(
      "INSERT INTO access_tokens (token_hash, user_id, kind, expires_at, created_at, family_id) "
      "VALUES ('successor', '" +
      user.id + "', 'access', '" + expires + "', '" + change.at + "', 'family')");
  refreshing.run("COMMIT");
  const auto result = changed.get();
  REQUIRE(result);
  CHECK(*result);
  // The successor is gone with every other token of the user.
  const auto successor = f.store->authenticate_token("successor");
  REQUIRE(successor);
  CHECK_FALSE(successor->has_value());
}
