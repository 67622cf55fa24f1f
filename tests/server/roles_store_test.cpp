// The Store's roles and an admin's changes to users, below HTTP, on the suite's store
// (test_store.hpp: SQLite, and PostgreSQL as postgres/...): the last-admin rule under
// concurrent demotions, links added and removed once, a deleted user's freed email.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <atomic>
#include <thread>

#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/store/open_store.hpp"
#include "server/store/store.hpp"
#include "test_rows.hpp"
#include "test_store.hpp"
#include "test_support.hpp"

using namespace scopegate::server;
using scopegate::server::testing::new_test_database;
using scopegate::server::testing::TempDir;

namespace {

struct Org {
  TempDir dir;
  std::string database = new_test_database(dir);
  std::unique_ptr<Store> store;
  Organization org{generate_uuid(), "acme", "Acme", format_stored(now())};

  Org() {
    auto opened = open_store(database);
    REQUIRE(opened);
    store = std::move(*opened);
    REQUIRE(store->create_organization(org));
  }

  User user(const std::string& email, const std::string& role) {
    User u{generate_uuid(),      org.id,      email, email, role, "x", true,
           format_stored(now()), std::nullopt};
    REQUIRE(store->create_user(u, {}, nullptr));
    return u;
  }

  AuditEntry audit(const std::string& event) const {
    return scopegate::server::testing::user_audit(org.id, event);
  }
};

}  // namespace

TEST_CASE(
    "a change to a user writes only its own fields: another admin's change meanwhile "
    "stays, and a deleted user is not written",
    "[store]") {
  Org o;
  o.user("boss@acme.test", "admin");
  auto loaded = o.user("bob@acme.test", "member");  // as one admin's PATCH {name} loaded it
  auto deactivated = loaded;                        // another admin's PATCH {isActive:false}
  deactivated.active = false;
  REQUIRE(*o.store->update_user(deactivated, {.active = true}, o.audit("USER_UPDATE")) ==
          Store::UserChange::done);
  loaded.name = "Bob";
  REQUIRE(*o.store->update_user(loaded, {.name = true}, o.audit("USER_UPDATE")) ==
          Store::UserChange::done);
  const auto stored = o.store->find_user(loaded.id);
  REQUIRE(stored);
  REQUIRE(*stored);
  CHECK((*stored)->name == "Bob");
  CHECK_FALSE((*stored)->active);  // not undone by the stale copy
  REQUIRE(o.store->delete_user(loaded, format_stored(now()), o.audit("USER_DELETE")));
  CHECK(*o.store->update_user(loaded, {.name = true}, o.audit("USER_UPDATE")) ==
        Store::UserChange::gone);
}

TEST_CASE("two admins demoting each other at once leave one admin", "[store]") {
  Org o;
  for (int round = 0; round < 10; ++round) {
    INFO("round " << round);
    auto a = o.user(fmt::format("a{}@acme.test", round), "admin");
    auto b = o.user(fmt::format("b{}@acme.test", round), "admin");
    // Only a and b are admins: earlier rounds' survivors step down first.
    const auto before = o.store->list_users(o.org.id);
    REQUIRE(before);
    for (const auto& other : *before) {
      if (other.id == a.id || other.id == b.id || other.role != "admin") continue;
      auto demoted = other;
      demoted.role = "member";
      REQUIRE(o.store->update_user(demoted, {.role = true}, o.audit("USER_UPDATE")).value() ==
              Store::UserChange::done);
    }
    a.role = b.role = "member";
    a.updated_at = b.updated_at = format_stored(now());
    // A second handle, as another instance would have.
    auto second = open_store(o.database);
    REQUIRE(second);
    std::atomic<int> done{0};
    std::thread first([&] {
      if (o.store->update_user(a, {.role = true}, o.audit("USER_UPDATE")).value() ==
          Store::UserChange::done)
        ++done;
    });
    if ((*second)->update_user(b, {.role = true}, o.audit("USER_UPDATE")).value() ==
        Store::UserChange::done)
      ++done;
    first.join();
    CHECK(done == 1);
    int admins = 0;
    const auto after = o.store->list_users(o.org.id);
    REQUIRE(after);
    for (const auto& user : *after) admins += user.role == "admin";
    CHECK(admins == 1);
  }
}

TEST_CASE("a role's links are added once and removed once, and go with the role", "[store]") {
  Org o;
  const auto bob = o.user("bob@acme.test", "member");
  OrgRole role;
  role.id = generate_uuid();
  role.organization_id = o.org.id;
  role.name = "Backend";
  role.created_at = role.updated_at = format_stored(now());
  REQUIRE(o.store->create_role(role, o.audit("ROLE_CREATE")));
  auto twin = role;
  twin.id = generate_uuid();
  const auto taken = o.store->create_role(twin, o.audit("ROLE_CREATE"));
  REQUIRE_FALSE(taken);
  CHECK(taken.error().kind == StoreError::Kind::conflict);
  // An edit writes the role's own fields; one of a role deleted meanwhile writes nothing
  // and does not bring it back.
  auto renamed = role;
  renamed.name = "Platform";
  CHECK(o.store->update_role(renamed, o.audit("ROLE_UPDATE")).value());
  CHECK(o.store->find_role(role.id).value()->name == "Platform");
  auto ghost = role;
  ghost.id = generate_uuid();
  ghost.name = "Ghost";
  CHECK_FALSE(o.store->update_role(ghost, o.audit("ROLE_UPDATE")).value());
  CHECK_FALSE(o.store->find_role(ghost.id).value());

  CHECK(o.store->link_role(role.id, RoleLink::user, bob.id, o.audit("ROLE_ASSIGN")).value());
  CHECK_FALSE(o.store->link_role(role.id, RoleLink::user, bob.id, o.audit("ROLE_ASSIGN")).value());
  CHECK(o.store->find_role(role.id).value()->user_ids == std::vector<std::string>{bob.id});
  CHECK(o.store->unlink_role(role.id, RoleLink::user, bob.id, o.audit("ROLE_UNASSIGN")).value());
  CHECK_FALSE(
      o.store->unlink_role(role.id, RoleLink::user, bob.id, o.audit("ROLE_UNASSIGN")).value());
  CHECK(o.store->link_role(role.id, RoleLink::user, bob.id, o.audit("ROLE_ASSIGN")).value());
  REQUIRE(o.store->delete_role(role.id, o.audit("ROLE_DELETE")));
  CHECK_FALSE(o.store->find_role(role.id).value());
  CHECK(o.store->list_roles(o.org.id).value().empty());
  // Audited: the changes that happened (the create, the rename, the links, the delete),
  // not the refused create nor the update of a role that is not there.
  AuditFilter all{o.org.id, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 0, 50};
  CHECK(o.store->query_audit(all)->total == 6);
}

TEST_CASE("a deleted user frees its email and keeps its row", "[store]") {
  Org o;
  o.user("admin@acme.test", "admin");
  const auto bob = o.user("bob@acme.test", "member");
  REQUIRE(o.store->delete_user(bob, format_stored(now()), o.audit("USER_DELETE")).value() ==
          Store::UserChange::done);
  const auto kept = o.store->find_user(bob.id).value();
  REQUIRE(kept);
  CHECK(kept->deleted_at);
  CHECK_FALSE(kept->active);
  CHECK(kept->email == "bob@acme.test (deleted " + bob.id + ")");
  CHECK(o.store->list_users(o.org.id).value().size() == 1);
  CHECK_FALSE(o.store->find_user_by_email(o.org.id, "bob@acme.test").value());
  o.user("bob@acme.test", "member");
}
