// Two PostgreSQL stores on one fresh database of the test process's cluster, as two
// instances would open it, with an organization and its admin; and the rows the
// PostgreSQL tests write. Shared by postgres_store_test.cpp and postgres_notify_test.cpp.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "pg_cluster.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/store/open_store.hpp"
#include "server/store/store.hpp"
#include "test_rows.hpp"

namespace scopegate::server::testing {

inline std::unique_ptr<Store> open(const std::string& url, const StoreOptions& options = {}) {
  auto store = open_store(url, options);
  INFO((store ? "" : store.error().message));
  REQUIRE(store);
  return std::move(*store);
}

// `one` opened with `one_options`, `two` with the defaults (epochs read on every request).
struct TwoInstances {
  explicit TwoInstances(const StoreOptions& one_options = {})
      : one(open(url, one_options)), two(open(url)) {
    REQUIRE(init_crypto());
    REQUIRE(one->create_organization(org));
    REQUIRE(one->create_user(admin, {}, nullptr));
  }

  std::string url = PgCluster::shared().create_database();
  std::unique_ptr<Store> one;
  std::unique_ptr<Store> two;
  Organization org{generate_uuid(), "acme", "Acme", format_stored(now())};
  User admin{generate_uuid(),      org.id,      "admin@acme.test", "Admin", "admin", "x", true,
             format_stored(now()), std::nullopt};

  ApiKey key(const std::string& secret) const {
    ApiKey k;
    k.id = generate_uuid();
    k.organization_id = org.id;
    k.created_by = admin.id;
    k.name = secret;
    k.key_prefix = "egk_live_000000";
    k.key_hash = sha256_hex(secret);
    k.scopes = {"sessions:read"};
    k.created_at = format_stored(now());
    return k;
  }

  Session session() const { return active_session(org.id, admin.id); }
  AuditEntry audit(const std::string& event) const { return user_audit(org.id, event); }

  // Runs `sql` in this database as the superuser; the first value.
  std::string query(const std::string& sql) const {
    return PgCluster::shared().query(PgCluster::database_of(url), sql);
  }
};

}  // namespace scopegate::server::testing
