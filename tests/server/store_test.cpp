#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "scopegate/dsl.hpp"
#include "server/audit_writer.hpp"
#include "server/auth.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/store/commit_watch.hpp"
#include "server/store/migrations.hpp"
#include "server/store/open_store.hpp"
#include "server/store/sqlite_store.hpp"
#include "server/store/store.hpp"
#include "test_rows.hpp"
#include "test_store.hpp"
#include "test_support.hpp"

using namespace scopegate::server;
using scopegate::server::testing::active_session;
using scopegate::server::testing::new_test_database;
using scopegate::server::testing::TempDir;

namespace {

// A key of `creator`'s in `organization_id`; `secret` is the plaintext whose hash
// authenticates.
ApiKey make_key(const std::string& organization_id, const std::string& creator,
                const std::string& secret, std::vector<std::string> scopes) {
  ApiKey key;
  key.id = generate_uuid();
  key.organization_id = organization_id;
  key.created_by = creator;
  key.name = "k " + secret;
  key.key_prefix = "egk_live_000000";
  key.key_hash = sha256_hex(secret);
  key.scopes = std::move(scopes);
  key.created_at = format_stored(now());
  return key;
}

// A fresh database of the suite's store (test_store.hpp); the tests not tagged [store]
// run on SQLite only, and may open `database` as a file.
struct Fixture {
  TempDir dir;
  std::string database = new_test_database(dir);
  std::unique_ptr<Store> store;
  Organization org;
  User admin;

  Fixture() {
    REQUIRE(init_crypto());
    auto opened = open_store(database);
    REQUIRE(opened);
    store = std::move(*opened);
    org = Organization{generate_uuid(), "acme", "Acme", format_stored(now())};
    REQUIRE(store->create_organization(org));
    admin = User{generate_uuid(),      org.id,      "admin@acme.test", "Admin", "admin", "x", true,
                 format_stored(now()), std::nullopt};
    REQUIRE(store->create_user(admin, {}, nullptr));
  }

  // A key of the admin's, stored; `secret` is the plaintext whose hash authenticates.
  ApiKey add_key(const std::string& secret, std::vector<std::string> scopes = {"sessions:read"}) {
    const ApiKey key = make_key(org.id, admin.id, secret, std::move(scopes));
    REQUIRE(store->create_key(key, nullptr));
    return key;
  }

  // An ACTIVE session of the admin's, stored.
  // The key's row as authentication reads it; the key must exist.
  std::shared_ptr<const Store::KeyActor> authenticated(const ApiKey& key) {
    auto found = store->authenticate_key(key.key_hash);
    REQUIRE(found);
    REQUIRE(*found != nullptr);
    return *found;
  }

  Session add_session() {
    const auto session = active_session(org.id, admin.id);
    REQUIRE(store->save_session(session, std::nullopt, nullptr));
    return session;
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

// A plain SQLite connection of its own, as another program (the sqlite3 shell, an older
// binary) would open the same file: it writes without going through Store at all.
class RawConnection {
 public:
  explicit RawConnection(const std::string& path) {
    REQUIRE(sqlite3_open(path.c_str(), &m_db) == SQLITE_OK);
    sqlite3_busy_timeout(m_db, 5000);
  }
  ~RawConnection() { sqlite3_close(m_db); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void exec(const std::string& sql) {
    char* error = nullptr;
    const int code = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &error);
    INFO(sql << ": " << (error != nullptr ? error : ""));
    sqlite3_free(error);
    REQUIRE(code == SQLITE_OK);
  }

  std::int64_t epoch() {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(m_db, "SELECT epoch FROM credential_epoch", -1, &statement,
                               nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
    const auto value = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return value;
  }

 private:
  sqlite3* m_db = nullptr;
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

TEST_CASE("a key is found by the hash of the whole key, with its creator and organization",
          "[store]") {
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
  REQUIRE(*found != nullptr);
  CHECK((*found)->key.scopes == key.scopes);
  CHECK((*found)->key.allowed_cidrs == key.allowed_cidrs);
  CHECK((*found)->user.email == "admin@acme.test");
  CHECK((*found)->organization.slug == "acme");
  const auto missing = f.store->authenticate_key(sha256_hex("egk_live_other"));
  REQUIRE(missing);
  CHECK(*missing == nullptr);
}

TEST_CASE("revoking a key twice keeps the first revokedAt, and both audits are written",
          "[store]") {
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
  REQUIRE(f.store->revoke_key(key.id, "2026-01-01T00:00:00.000000Z",
                              f.audit("API_KEY_REVOKE", "a", format_stored(now()))));
  REQUIRE(f.store->revoke_key(key.id, "2026-02-01T00:00:00.000000Z",
                              f.audit("API_KEY_REVOKE", "a", format_stored(now()))));
  const auto found = f.store->find_key(key.id);
  REQUIRE(found);
  CHECK((*found)->revoked_at == "2026-01-01T00:00:00.000000Z");
}

TEST_CASE("a duplicate user email in one organization is a conflict", "[store]") {
  Fixture f;
  auto copy = f.admin;
  copy.id = generate_uuid();
  const auto created = f.store->create_user(copy, {}, nullptr);
  REQUIRE_FALSE(created);
  CHECK(created.error().kind == StoreError::Kind::conflict);
}

TEST_CASE("a session update only applies when the status is still the expected one", "[store]") {
  Fixture f;
  Session session = f.add_session();
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

TEST_CASE("of two extensions computed from one session, only the first applies", "[store]") {
  Fixture f;
  const Session session = f.add_session();
  const Store::SessionVersion read{session.status, session.expires_at};
  Session first = session;
  first.expires_at = "2099-01-01T01:00:00.000000Z";
  Session second = session;
  second.expires_at = "2099-01-01T02:00:00.000000Z";
  const auto applied = f.store->save_session(first, read, nullptr);
  REQUIRE(applied);
  CHECK(*applied);
  // The second was computed from the end time the first has just replaced.
  const auto lost = f.store->save_session(second, read, nullptr);
  REQUIRE(lost);
  CHECK_FALSE(*lost);
  const auto stored = f.store->find_session(session.id);
  REQUIRE(stored);
  REQUIRE(*stored);
  CHECK((*stored)->expires_at == first.expires_at);
}

TEST_CASE("audit queries filter, page and sort newest first", "[store]") {
  Fixture f;
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"SESSION_START", "2026-01-01T10:00:00.000000Z"},
      {"SESSION_STOP", "2026-01-01T11:00:00.000000Z"},
      {"SESSION_START", "2026-01-01T12:00:00.000000Z"},
      {"USER_LOGIN", "2026-01-01T13:00:00.000000Z"},
      {"SESSION_START", "2026-01-01T14:00:00.000000Z"}};
  std::vector<AuditEntry> entries;
  for (const auto& [event, at] : rows)
    entries.push_back(f.audit(event, event == "USER_LOGIN" ? "b@x" : "a@x", at));
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

  AuditFilter starts{f.org.id,
                     std::string("SESSION_START"),
                     std::nullopt,
                     std::string("2026-01-01T12:00:00.000000Z"),
                     std::string("2026-01-01T14:00:00.000000Z"),
                     0,
                     20};
  page = f.store->query_audit(starts);
  REQUIRE(page->total == 1);
  CHECK(page->content[0].created_at == "2026-01-01T12:00:00.000000Z");

  AuditFilter by_actor{f.org.id, std::nullopt, std::string("b@x"), std::nullopt, std::nullopt, 0,
                       20};
  page = f.store->query_audit(by_actor);
  REQUIRE(page->total == 1);
  CHECK(page->content[0].event_type == "USER_LOGIN");

  AuditFilter other_org{
      generate_uuid(), std::nullopt, std::nullopt, std::nullopt, std::nullopt, 0, 20};
  CHECK(f.store->query_audit(other_org)->total == 0);
}

TEST_CASE("identical denials pending in one interval are written once with a count", "[store]") {
  Fixture f;
  {
    AuditWriter writer(*f.store, std::chrono::seconds(60),
                       spdlog::null_logger_mt("audit-writer-test"));
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
    // A repeat counted by identity alone (the request path's shortcut) joins them.
    std::string identity;
    AuditWriter::append_identity(identity, denial.event_type, denial.organization_id,
                                 denial.ip_address.value_or(""), denial.details_json,
                                 *denial.resource_name, denial.error_message.value_or(""));
    CHECK(writer.count_repeat(identity, *parse_iso("2026-01-01T10:00:05Z")));
    CHECK(writer.count_repeat(identity, *parse_iso("2026-01-01T10:00:04Z")));  // not the last
    CHECK_FALSE(writer.count_repeat(identity + "x", *parse_iso("2026-01-01T10:00:06Z")));
    auto other = denial;
    other.id = generate_uuid();
    other.resource_name = "GET /api/v1/audit-logs";
    writer.submit_audit(other);
    AuditFilter before{f.org.id, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 0, 20};
    CHECK(f.store->query_audit(before)->total == 0);  // nothing written on submit
    writer.flush();
  }
  AuditFilter filter{
      f.org.id, std::string("ACCESS_DENIED"), std::nullopt, std::nullopt, std::nullopt, 0, 20};
  const auto page = f.store->query_audit(filter);
  REQUIRE(page);
  REQUIRE(page->total == 2);
  bool counted = false;
  for (const auto& entry : page->content) {
    const auto details = nlohmann::json::parse(entry.details_json);
    if (entry.resource_name == "GET /api/v1/sessions") {
      CHECK(details.at("count") == 5);
      CHECK(details.at("lastAt") == "2026-01-01T10:00:05Z");
      CHECK(details.at("apiKeyId") == "k1");
      counted = true;
    } else {
      CHECK_FALSE(details.contains("count"));
    }
  }
  CHECK(counted);
}

TEST_CASE("a key revoked by another process is refused by the very next authentication") {
  // The child process is forked before this process opens the database, so that it starts
  // with no SQLite state for the file; it revokes the key when told to, through a Store of
  // its own, as a second `scopegate serve` on the same file would.
  REQUIRE(init_crypto());
  TempDir dir;
  const auto path = dir.file("shared.db");
  int go[2];
  int done[2];
  REQUIRE(pipe(go) == 0);
  REQUIRE(pipe(done) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(go[1]);
    close(done[0]);
    char id[64] = {};
    int status = 1;
    if (read(go[0], id, sizeof id - 1) > 0) {
      auto other = open_sqlite_store(path);
      if (other) {
        const auto key = (*other)->find_key(id);
        if (key && *key) {
          AuditEntry audit;
          audit.id = generate_uuid();
          audit.organization_id = (*key)->organization_id;
          audit.event_type = "API_KEY_REVOKE";
          audit.actor_type = "USER";
          audit.created_at = format_stored(now());
          if ((*other)->revoke_key((*key)->id, format_stored(now()), audit)) status = 0;
        }
      }
    }
    const char ack = status == 0 ? 'y' : 'n';
    [[maybe_unused]] const auto written = write(done[1], &ack, 1);
    _exit(status);
  }
  close(go[0]);
  close(done[1]);

  auto opened = open_sqlite_store(path);
  REQUIRE(opened);
  auto& store = **opened;
  const Organization org{generate_uuid(), "acme", "Acme", format_stored(now())};
  REQUIRE(store.create_organization(org));
  const User admin{
      generate_uuid(),      org.id,      "admin@acme.test", "Admin", "admin", "x", true,
      format_stored(now()), std::nullopt};
  REQUIRE(store.create_user(admin, {}, nullptr));
  const ApiKey key = make_key(org.id, admin.id, "egk_live_cross_process", {"sessions:read"});
  REQUIRE(store.create_key(key, nullptr));
  for (int i = 0; i < 3; ++i) {  // the first read fills the cache, the others use it
    const auto found = store.authenticate_key(key.key_hash);
    REQUIRE(found);
    REQUIRE(*found != nullptr);
    CHECK_FALSE((*found)->key.revoked_at);
  }

  REQUIRE(write(go[1], key.id.data(), key.id.size()) == static_cast<ssize_t>(key.id.size()));
  close(go[1]);
  char ack = 0;
  REQUIRE(read(done[0], &ack, 1) == 1);
  close(done[0]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(ack == 'y');

  const auto after = store.authenticate_key(key.key_hash);
  REQUIRE(after);
  REQUIRE(*after != nullptr);
  CHECK((*after)->key.revoked_at);
}

TEST_CASE(
    "changes written by another connection reach the next authentication, whatever wrote them") {
  Fixture f;
  const auto path = f.database;
  const auto key = f.add_key("egk_live_raw", {"sessions:read", "sessions:write"});
  const auto read = [&] {
    auto found = f.store->authenticate_key(key.key_hash);
    REQUIRE(found);
    return std::move(*found);
  };
  REQUIRE(read() != nullptr);
  REQUIRE(read() != nullptr);  // served from the cache now
  RawConnection raw(path);

  raw.exec("UPDATE api_keys SET scopes = 'sessions:read' WHERE id = '" + key.id + "'");
  CHECK(read()->key.scopes == std::vector<std::string>{"sessions:read"});
  raw.exec("UPDATE api_keys SET expires_at = '2020-01-01T00:00:00.000000Z' WHERE id = '" + key.id +
           "'");
  CHECK(read()->key.expires_at == "2020-01-01T00:00:00.000000Z");
  raw.exec("UPDATE api_keys SET expires_at = NULL WHERE id = '" + key.id + "'");
  CHECK_FALSE(read()->key.expires_at);
  raw.exec("UPDATE users SET is_active = 0 WHERE id = '" + f.admin.id + "'");
  CHECK_FALSE(read()->user.active);
  raw.exec("UPDATE users SET is_active = 1, role = 'member' WHERE id = '" + f.admin.id + "'");
  CHECK(read()->user.role == "member");
  raw.exec("UPDATE organizations SET slug = 'renamed' WHERE id = '" + f.org.id + "'");
  CHECK(read()->organization.slug == "renamed");
  raw.exec("UPDATE api_keys SET revoked_at = '2026-01-01T00:00:00.000000Z' WHERE id = '" + key.id +
           "'");
  CHECK(read()->key.revoked_at == "2026-01-01T00:00:00.000000Z");
  raw.exec("DELETE FROM api_keys WHERE id = '" + key.id + "'");
  CHECK(read() == nullptr);

  // A second Store on the same file (a second server): its revocation is seen at once.
  const auto second_key = f.add_key("egk_live_second");
  auto other = open_sqlite_store(path);
  REQUIRE(other);
  REQUIRE(*f.store->authenticate_key(second_key.key_hash) != nullptr);
  REQUIRE((*other)->revoke_key(second_key.id, format_stored(now()),
                               f.audit("API_KEY_REVOKE", "a", format_stored(now()))));
  const auto revoked = f.store->authenticate_key(second_key.key_hash);
  REQUIRE(revoked);
  REQUIRE(*revoked != nullptr);
  CHECK((*revoked)->key.revoked_at);
}

TEST_CASE("the commit watch sees every commit, by any connection, and nothing else") {
  Fixture f;
  const auto path = f.database;
  const auto watch = CommitWatch::open(path);
  REQUIRE(watch);
  const auto before = watch->read();
  REQUIRE(before);
  CHECK(watch->read() == before);  // reading changes nothing
  REQUIRE(f.store->find_session(generate_uuid()));
  REQUIRE(f.store->authenticate_key(sha256_hex("egk_live_nobody")));
  CHECK(watch->read() == before);  // neither do reads through the store

  RawConnection raw(path);
  raw.exec("UPDATE organizations SET name = 'Renamed' WHERE id = '" + f.org.id + "'");
  const auto after_raw = watch->read();
  REQUIRE(after_raw);
  CHECK(after_raw != before);
  raw.exec("BEGIN; UPDATE organizations SET name = 'Again' WHERE id = '" + f.org.id +
           "'; ROLLBACK");
  CHECK(watch->read() == after_raw);  // a rolled-back transaction commits nothing

  // After a checkpoint the next commit restarts the log from its first frame: the
  // header must differ all the same.
  raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const auto checkpointed = watch->read();
  REQUIRE(checkpointed);
  f.add_key("egk_live_after_checkpoint");
  const auto after_restart = watch->read();
  REQUIRE(after_restart);
  CHECK(after_restart != checkpointed);
  CHECK(after_restart != after_raw);
  CHECK(after_restart != before);
}

TEST_CASE("the commit watch stays off where there is no WAL index to read") {
  CHECK_FALSE(CommitWatch::open(":memory:"));
  TempDir dir;
  CHECK_FALSE(CommitWatch::open(dir.file("missing.db")));
  const auto rollback_journal = dir.file("journal.db");
  {
    RawConnection raw(rollback_journal);
    raw.exec("CREATE TABLE t (x INTEGER)");
  }
  CHECK_FALSE(CommitWatch::open(rollback_journal));
}

TEST_CASE("a cached session is never served after another connection changed it") {
  Fixture f;
  const auto path = f.database;
  Session session = f.add_session();
  const auto read = [&] {
    auto found = f.store->find_session(session.id);
    REQUIRE(found);
    return std::move(*found);
  };
  REQUIRE(read()->status == "ACTIVE");
  REQUIRE(read()->status == "ACTIVE");  // served from memory now

  RawConnection raw(path);
  raw.exec("UPDATE sessions SET status = 'EXPIRING' WHERE id = '" + session.id + "'");
  CHECK(read()->status == "EXPIRING");
  CHECK(read()->status == "EXPIRING");
  raw.exec("UPDATE sessions SET expires_at = '2030-01-01T00:00:00.000000Z' WHERE id = '" +
           session.id + "'");
  CHECK(read()->expires_at == "2030-01-01T00:00:00.000000Z");
  // Its resource IP entries are part of it: added, changed and removed behind its back.
  raw.exec(
      "INSERT INTO session_resource_ips (id, session_id, resource_id, resource_name, "
      "ip_version, ip_address, status) VALUES ('e1', '" +
      session.id + "', 'r1', 'db', 'IPV4', '192.0.2.1', 'PENDING')");
  REQUIRE(read()->resource_ips.size() == 1);
  CHECK(read()->resource_ips[0].status == "PENDING");
  raw.exec("UPDATE session_resource_ips SET status = 'APPLIED' WHERE id = 'e1'");
  CHECK(read()->resource_ips[0].status == "APPLIED");
  raw.exec("DELETE FROM session_resource_ips WHERE id = 'e1'");
  CHECK(read()->resource_ips.empty());

  // A second Store on the same file (a second server) stops it.
  auto other = open_sqlite_store(path);
  REQUIRE(other);
  auto stopped = *read();
  stopped.status = "CANCELLED";
  stopped.ended_reason = "MANUAL";
  REQUIRE((*other)->save_session(stopped, std::string("EXPIRING"), nullptr));
  CHECK(read()->status == "CANCELLED");
  CHECK(read()->ended_reason == "MANUAL");

  // Inside one read scope, a write and the read after it.
  {
    ReadScope scope(*f.store);
    REQUIRE(read()->status == "CANCELLED");
    auto expired = *read();
    expired.status = "EXPIRED";
    REQUIRE(f.store->save_session(expired, std::string("CANCELLED"), nullptr));
    CHECK(read()->status == "EXPIRED");
  }
  CHECK(read()->status == "EXPIRED");

  raw.exec("DELETE FROM sessions WHERE id = '" + session.id + "'");
  CHECK(read() == nullptr);
}

TEST_CASE("authentication reuses a key's actor and principal until its row or the policy changes") {
  Fixture f;
  const auto key = f.add_key("egk_live_memo", {"sessions:read", "sessions:write"});
  const auto compile = [] {
    auto policy = scopegate::compile_files({SCOPEGATE_SOURCE_DIR "/policies"});
    REQUIRE(policy);
    return std::move(*policy);
  };
  const auto policy = compile();
  HttpRequest request;
  request.method = "GET";
  request.path = "/api/v1/sessions";
  request.headers = {{"x-api-key", "egk_live_memo"}};

  const auto first = authenticate(request, *f.store, policy);
  REQUIRE(first);
  const auto second = authenticate(request, *f.store, policy);
  REQUIRE(second);
  CHECK(second->actor == first->actor);
  CHECK(second->principal == first->principal);
  CHECK(first->principal->policy_id() == policy.id());
  CHECK(policy.decide(*first->principal, "POST", "/api/v1/sessions").allowed());

  RawConnection raw(f.database);
  raw.exec("UPDATE api_keys SET scopes = 'sessions:read' WHERE id = '" + key.id + "'");
  const auto narrowed = authenticate(request, *f.store, policy);
  REQUIRE(narrowed);
  CHECK(narrowed->actor != first->actor);
  CHECK(narrowed->actor->key->scopes == std::vector<std::string>{"sessions:read"});
  CHECK(policy.decide(*narrowed->principal, "GET", "/api/v1/sessions").allowed());
  CHECK_FALSE(policy.decide(*narrowed->principal, "POST", "/api/v1/sessions").allowed());

  // A reloaded policy: the same row, a principal made for the new policy.
  const auto reloaded = compile();
  REQUIRE(reloaded.id() != policy.id());
  const auto rebound = authenticate(request, *f.store, reloaded);
  REQUIRE(rebound);
  CHECK(rebound->principal != narrowed->principal);
  CHECK(rebound->principal->policy_id() == reloaded.id());
  CHECK_FALSE(reloaded.decide(*rebound->principal, "POST", "/api/v1/sessions").allowed());

  raw.exec("UPDATE api_keys SET revoked_at = '2026-01-01T00:00:00.000000Z' WHERE id = '" + key.id +
           "'");
  const auto revoked = authenticate(request, *f.store, reloaded);
  REQUIRE_FALSE(revoked);
  CHECK(revoked.error().message == "API key has been revoked");
}

TEST_CASE(
    "the credential epoch changes with every key, user or organization change but not with a last "
    "use") {
  Fixture f;
  const auto key = f.add_key("egk_live_epoch");
  RawConnection raw(f.database);
  auto epoch = raw.epoch();
  const auto changed = [&] {
    const auto now_epoch = raw.epoch();
    const bool different = now_epoch != epoch;
    epoch = now_epoch;
    return different;
  };
  REQUIRE(f.store->record_key_uses({{key.id, format_stored(now()), "10.0.0.1"}}, {}));
  CHECK_FALSE(changed());
  REQUIRE(f.store->create_key(
      [&] {
        auto other = key;
        other.id = generate_uuid();
        other.key_hash = sha256_hex("egk_live_epoch_2");
        return other;
      }(),
      nullptr));
  CHECK(changed());  // an insert too: a REPLACE is a delete (no delete trigger) and an insert
  REQUIRE(f.store->record_login(f.admin.id, format_stored(now()), {},
                                f.audit("USER_LOGIN", "a", format_stored(now()))));
  CHECK(changed());
  REQUIRE(f.store->revoke_key(key.id, format_stored(now()),
                              f.audit("API_KEY_REVOKE", "a", format_stored(now()))));
  CHECK(changed());
  // Revoking an already revoked key changes no row, so nothing to see.
  REQUIRE(f.store->revoke_key(key.id, format_stored(now()),
                              f.audit("API_KEY_REVOKE", "a", format_stored(now()))));
  CHECK_FALSE(changed());
  // Another program replacing rows: INSERT OR REPLACE fires no delete trigger.
  raw.exec(
      "INSERT OR REPLACE INTO organizations (id, slug, name, created_at) SELECT id, slug, "
      "'Replaced', created_at FROM organizations WHERE id = '" +
      f.org.id + "'");
  CHECK(changed());
  raw.exec("INSERT OR REPLACE INTO api_keys SELECT * FROM api_keys WHERE id = '" + key.id + "'");
  CHECK(changed());
}

TEST_CASE("a key replaced by another program with INSERT OR REPLACE is refused at once") {
  Fixture f;
  const auto key = f.add_key("egk_live_replaced");
  REQUIRE_FALSE(f.authenticated(key)->key.revoked_at);
  REQUIRE_FALSE(f.authenticated(key)->key.revoked_at);  // served from memory now
  RawConnection raw(f.database);
  raw.exec(
      "INSERT OR REPLACE INTO api_keys SELECT id, organization_id, created_by, name, "
      "description, key_prefix, key_hash, scopes, expires_at, '2026-01-01T00:00:00.000000Z', "
      "last_used_at, last_used_ip, created_at, allowed_cidrs FROM api_keys WHERE id = '" +
      key.id + "'");
  CHECK(f.authenticated(key)->key.revoked_at);
}

TEST_CASE("without its epoch row, nothing is cached behind that epoch") {
  Fixture f;
  const auto key = f.add_key("egk_live_no_epoch");
  RawConnection raw(f.database);
  raw.exec("DELETE FROM credential_epoch");
  REQUIRE_FALSE(f.authenticated(key)->key.revoked_at);
  // The triggers can no longer change a missing epoch: a cache behind it would never
  // see this revocation.
  raw.exec("UPDATE api_keys SET revoked_at = '2026-01-01T00:00:00.000000Z' WHERE id = '" + key.id +
           "'");
  CHECK(f.authenticated(key)->key.revoked_at);
}
