#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "server/audit_writer.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/store/migrations.hpp"
#include "server/store/store.hpp"
#include "test_support.hpp"

using namespace scopegate::server;
using scopegate::server::testing::TempDir;

namespace {

struct Fixture {
  TempDir dir;
  std::unique_ptr<Store> store;
  Organization org;
  User admin;

  Fixture() {
    REQUIRE(init_crypto());
    auto opened = open_sqlite_store(dir.file("test.db"));
    REQUIRE(opened);
    store = std::move(*opened);
    org = Organization{generate_uuid(), "acme", "Acme", format_stored(now())};
    REQUIRE(store->create_organization(org));
    admin = User{generate_uuid(), org.id, "admin@acme.test", "Admin", "admin", "x", true,
                 format_stored(now()), std::nullopt};
    REQUIRE(store->create_user(admin, {}, nullptr));
  }

  AuditEntry audit(std::string event, std::string email, std::string at) const {
    AuditEntry entry;
    entry.id = generate_uuid();
    entry.organization_id = org.id;
    entry.event_type = std::move(event);
    entry.actor_email = std::move(email);
    entry.actor_type = "USER";
    entry.created_at = std::move(at);
    return entry;
  }
};

}  // namespace

TEST_CASE("migrations apply once and reopening the database keeps the data") {
  TempDir dir;
  REQUIRE(init_crypto());
  const auto path = dir.file("m.db");
  {
    auto store = open_sqlite_store(path);
    REQUIRE(store);
    REQUIRE((*store)->create_organization({generate_uuid(), "a", "A", format_stored(now())}));
  }
  auto again = open_sqlite_store(path);
  REQUIRE(again);
  const auto org = (*again)->find_organization_by_slug("a");
  REQUIRE(org);
  REQUIRE(org->has_value());
  CHECK((*org)->name == "A");
  CHECK_FALSE(migrations().empty());
}

TEST_CASE("a key is found by the hash of the whole key, with its creator and organization") {
  Fixture f;
  ApiKey key;
  key.id = generate_uuid();
  key.organization_id = f.org.id;
  key.created_by = f.admin.id;
  key.name = "ci";
  key.key_prefix = "egk_live_abcdef";
  key.key_hash = sha256_hex("egk_live_secret");
  key.scopes = {"sessions:read", "sessions:write"};
  key.allowed_cidrs = {"10.0.0.0/8", "2001:db8::/32"};
  key.created_at = format_stored(now());
  REQUIRE(f.store->create_key(key, nullptr));
  const auto found = f.store->authenticate_key(sha256_hex("egk_live_secret"));
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK((*found)->key.scopes == key.scopes);
  CHECK((*found)->key.allowed_cidrs == key.allowed_cidrs);
  CHECK((*found)->user.email == "admin@acme.test");
  CHECK((*found)->organization.slug == "acme");
  const auto missing = f.store->authenticate_key(sha256_hex("egk_live_other"));
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
}

TEST_CASE("revoking a key twice keeps the first revokedAt, and both audits are written") {
  Fixture f;
  ApiKey key;
  key.id = generate_uuid();
  key.organization_id = f.org.id;
  key.created_by = f.admin.id;
  key.name = "k";
  key.key_prefix = "egk_live_000000";
  key.key_hash = sha256_hex("k");
  key.scopes = {"audit:read"};
  key.created_at = format_stored(now());
  REQUIRE(f.store->create_key(key, nullptr));
  REQUIRE(f.store->revoke_key(key.id, "2026-01-01T00:00:00.000000Z", f.audit("API_KEY_REVOKE", "a", format_stored(now()))));
  REQUIRE(f.store->revoke_key(key.id, "2026-02-01T00:00:00.000000Z", f.audit("API_KEY_REVOKE", "a", format_stored(now()))));
  const auto found = f.store->find_key(key.id);
  REQUIRE(found);
  CHECK((*found)->revoked_at == "2026-01-01T00:00:00.000000Z");
}

TEST_CASE("a duplicate user email in one organization is a conflict") {
  Fixture f;
  auto copy = f.admin;
  copy.id = generate_uuid();
  const auto created = f.store->create_user(copy, {}, nullptr);
  REQUIRE_FALSE(created);
  CHECK(created.error().kind == StoreError::Kind::conflict);
}

TEST_CASE("a session update only applies when the status is still the expected one") {
  Fixture f;
  Session session;
  session.id = generate_uuid();
  session.organization_id = f.org.id;
  session.user_id = f.admin.id;
  session.status = "ACTIVE";
  session.started_at = format_stored(now());
  session.expires_at = session.started_at;
  session.created_at = session.started_at;
  REQUIRE(f.store->save_session(session, std::nullopt, nullptr));
  session.status = "EXPIRING";
  const auto stale = f.store->save_session(session, std::string("PENDING"), nullptr);
  REQUIRE(stale);
  CHECK_FALSE(*stale);
  const auto fresh = f.store->save_session(session, std::string("ACTIVE"), nullptr);
  REQUIRE(fresh);
  CHECK(*fresh);
  const auto due = f.store->find_sessions_by_status({"EXPIRING"}, std::nullopt);
  REQUIRE(due);
  CHECK(due->size() == 1);
}

TEST_CASE("audit queries filter, page and sort newest first") {
  Fixture f;
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"SESSION_START", "2026-01-01T10:00:00.000000Z"}, {"SESSION_STOP", "2026-01-01T11:00:00.000000Z"},
      {"SESSION_START", "2026-01-01T12:00:00.000000Z"}, {"USER_LOGIN", "2026-01-01T13:00:00.000000Z"},
      {"SESSION_START", "2026-01-01T14:00:00.000000Z"}};
  std::vector<AuditEntry> entries;
  for (const auto& [event, at] : rows) entries.push_back(f.audit(event, event == "USER_LOGIN" ? "b@x" : "a@x", at));
  REQUIRE(f.store->record_key_uses({}, entries));

  AuditFilter all{f.org.id, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 0, 2};
  auto page = f.store->query_audit(all);
  REQUIRE(page);
  CHECK(page->total == 5);
  REQUIRE(page->content.size() == 2);
  CHECK(page->content[0].created_at == "2026-01-01T14:00:00.000000Z");
  all.page = 2;
  page = f.store->query_audit(all);
  REQUIRE(page->content.size() == 1);
  CHECK(page->content[0].created_at == "2026-01-01T10:00:00.000000Z");

  AuditFilter starts{f.org.id, std::string("SESSION_START"), std::nullopt,
                     std::string("2026-01-01T12:00:00.000000Z"), std::string("2026-01-01T14:00:00.000000Z"), 0, 20};
  page = f.store->query_audit(starts);
  REQUIRE(page->total == 1);
  CHECK(page->content[0].created_at == "2026-01-01T12:00:00.000000Z");

  AuditFilter by_actor{f.org.id, std::nullopt, std::string("b@x"), std::nullopt, std::nullopt, 0, 20};
  page = f.store->query_audit(by_actor);
  REQUIRE(page->total == 1);
  CHECK(page->content[0].event_type == "USER_LOGIN");

  AuditFilter other_org{generate_uuid(), std::nullopt, std::nullopt, std::nullopt, std::nullopt, 0, 20};
  CHECK(f.store->query_audit(other_org)->total == 0);
}

TEST_CASE("identical denials pending in one interval are written once with a count") {
  Fixture f;
  {
    AuditWriter writer(*f.store, std::chrono::seconds(60), spdlog::null_logger_mt("audit-writer-test"));
    auto denial = f.audit("ACCESS_DENIED", "a@x", "2026-01-01T10:00:00.000000Z");
    denial.result = "FAILURE";
    denial.resource_name = "GET /api/v1/sessions";
    denial.details_json = R"({"apiKeyId":"k1","keyPrefix":"egk_live_aaaaaa"})";
    for (int i = 0; i < 3; ++i) {
      auto copy = denial;
      copy.id = generate_uuid();
      copy.created_at = fmt::format("2026-01-01T10:00:0{}.000000Z", i);
      writer.submit_audit(copy);
    }
    auto other = denial;
    other.id = generate_uuid();
    other.resource_name = "GET /api/v1/audit-logs";
    writer.submit_audit(other);
    AuditFilter before{f.org.id, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 0, 20};
    CHECK(f.store->query_audit(before)->total == 0);  // nothing written on submit
    writer.flush();
  }
  AuditFilter filter{f.org.id, std::string("ACCESS_DENIED"), std::nullopt, std::nullopt, std::nullopt, 0, 20};
  const auto page = f.store->query_audit(filter);
  REQUIRE(page);
  REQUIRE(page->total == 2);
  bool counted = false;
  for (const auto& entry : page->content) {
    const auto details = nlohmann::json::parse(entry.details_json);
    if (entry.resource_name == "GET /api/v1/sessions") {
      CHECK(details.at("count") == 3);
      CHECK(details.at("lastAt") == "2026-01-01T10:00:02Z");
      CHECK(details.at("apiKeyId") == "k1");
      counted = true;
    } else {
      CHECK_FALSE(details.contains("count"));
    }
  }
  CHECK(counted);
}
