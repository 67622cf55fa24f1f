// SqliteStore: the Store on SQLite, as queries. Each method runs its statements on a
// connection from SqlitePool (sqlite_pool.hpp: connections, read scopes, write
// transactions, SQLite errors as StoreError) and maps rows with sqlite_rows.hpp; every
// change is one BEGIN IMMEDIATE transaction with its audit entry. authenticate_key() and
// find_session() answer from EpochCaches while EpochTracker shows the epoch their rows
// were read at is still current (sqlite_caches.hpp). The store owns its pool, caches and
// tracker; it is thread-safe as they are.
#include "server/store/sqlite_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <mutex>

#include "server/clock.hpp"
#include "server/store/commit_watch.hpp"
#include "server/store/migrations.hpp"
#include "server/store/sqlite_accounts.hpp"
#include "server/store/sqlite_caches.hpp"
#include "server/store/sqlite_credentials.hpp"
#include "server/store/sqlite_mfa.hpp"
#include "server/store/sqlite_pool.hpp"
#include "server/store/sqlite_resources.hpp"
#include "server/store/sqlite_roles.hpp"
#include "server/store/sqlite_rows.hpp"
#include "server/store/sqlite_static_ip_rules.hpp"

namespace scopegate::server {

namespace sqlite {
namespace {

void load_resource_ips(Conn& db, Session& session) {
  SQLite::Statement& s = db.prepare(
      "SELECT id, session_id, resource_id, resource_name, ip_version, ip_address, "
      "status, provider_rule_id, applied_at, removed_at, error_message "
      "FROM session_resource_ips WHERE session_id = ? ORDER BY resource_name, "
      "ip_version, id");
  s.bind(1, session.id);
  while (s.executeStep()) session.resource_ips.push_back(read_resource_ip(s, 0));
}

class SqliteStore final : public SqliteMfaStore {
 public:
  SqliteStore(std::string path, std::chrono::milliseconds busy_timeout)
      : m_pool(std::move(path), busy_timeout) {}

  void enable_commit_watch(std::unique_ptr<CommitWatch> watch) {
    m_pool.enable_commit_watch(std::move(watch));
  }

  SqlitePool& pool() override { return m_pool; }
  void begin_read_scope() override { m_pool.begin_read_scope(); }
  void end_read_scope() noexcept override { m_pool.end_read_scope(); }

  std::string describe() const override {
    return fmt::format("SQLite {}, WAL, commit watch {}", sqlite3_libversion(),
                       m_pool.has_commit_watch()
                           ? "on"
                           : "off (every authenticated request reads in a transaction)");
  }

  StoreResult<Done> migrate() {
    return m_pool.run<Done>([](Conn& db) {
      db.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
          "description TEXT NOT NULL, applied_at TEXT NOT NULL)");
      for (const auto& migration : migrations()) {
        WriteTransaction tx(db);
        SQLite::Statement& check = db.prepare("SELECT 1 FROM schema_migrations WHERE version = ?");
        check.bind(1, migration.version);
        if (check.executeStep()) continue;
        for (const auto statement : migration.statements) db.exec(std::string(statement));
        SQLite::Statement& mark = db.prepare("INSERT INTO schema_migrations VALUES (?, ?, ?)");
        mark.bind(1, migration.version);
        mark.bind(2, std::string(migration.description));
        mark.bind(3, format_stored(now()));
        mark.exec();
        tx.commit();
      }
      return Done{};
    });
  }

  StoreResult<std::int64_t> count_users() override {
    return m_pool.run<std::int64_t>([](Conn& db) {
      SQLite::Statement& s = db.prepare("SELECT COUNT(*) FROM users");
      s.executeStep();
      return s.getColumn(0).getInt64();
    });
  }

  StoreResult<Done> create_organization(const Organization& o) override {
    return m_pool.run<Done>([&](Conn& db) {
      insert_organization(db, o);
      return Done{};
    });
  }

  StoreResult<std::optional<Organization>> find_organization(const std::string& id) override {
    return find_org_by("id", id);
  }
  StoreResult<std::optional<Organization>> find_organization_by_slug(
      const std::string& slug) override {
    return find_org_by("slug", slug);
  }

  StoreResult<std::optional<Organization>> find_org_by(std::string_view column,
                                                       const std::string& value) {
    return m_pool.run<std::optional<Organization>>([&](Conn& db) -> std::optional<Organization> {
      SQLite::Statement& s = db.prepare(fmt::format("SELECT {} FROM organizations o WHERE o.{} = ?",
                                                    organization_columns, column));
      s.bind(1, value);
      if (!s.executeStep()) return std::nullopt;
      return read_organization(s, 0);
    });
  }

  StoreResult<bool> create_user(const User& u, const std::vector<std::string>& resource_ids,
                                const AuditEntry* audit,
                                std::optional<std::int64_t> max_users) override {
    return m_pool.run<bool>([&](Conn& db) {
      WriteTransaction tx(db);  // BEGIN IMMEDIATE: no other writer until the commit
      if (max_users) {
        SQLite::Statement& count = db.prepare(
            "SELECT COUNT(*) FROM users WHERE organization_id = ? AND deleted_at IS NULL");
        count.bind(1, u.organization_id);
        count.executeStep();
        const std::int64_t users = count.getColumn(0).getInt64();
        count.reset();
        if (users >= *max_users) return false;
      }
      insert_user(db, u);
      for (const auto& resource_id : resource_ids) {
        SQLite::Statement& a =
            db.prepare("INSERT INTO user_resources (user_id, resource_id) VALUES (?, ?)");
        a.bind(1, u.id);
        a.bind(2, resource_id);
        a.exec();
      }
      if (audit != nullptr) insert_audit(db, *audit);
      tx.commit();
      return true;
    });
  }

  StoreResult<std::optional<User>> find_user(const std::string& id) override {
    return m_pool.run<std::optional<User>>([&](Conn& db) -> std::optional<User> {
      static const std::string sql = fmt::format("SELECT {} FROM users WHERE id = ?", user_columns);
      SQLite::Statement& s = db.prepare(sql);
      s.bind(1, id);
      if (!s.executeStep()) return std::nullopt;
      return read_user(s);
    });
  }

  StoreResult<std::optional<User>> find_user_by_email(const std::string& organization_id,
                                                      const std::string& email) override {
    return m_pool.run<std::optional<User>>(
        [&](Conn& db) { return sqlite::find_user_by_email(db, organization_id, email); });
  }

  StoreResult<std::vector<User>> list_users(const std::string& organization_id) override {
    return m_pool.run<std::vector<User>>([&](Conn& db) {
      SQLite::Statement& s = db.prepare(
          fmt::format("SELECT {} FROM users WHERE organization_id = ? AND deleted_at IS NULL "
                      "ORDER BY email",
                      user_columns));
      s.bind(1, organization_id);
      std::vector<User> out;
      while (s.executeStep()) out.push_back(read_user(s));
      return out;
    });
  }

  StoreResult<Done> record_login(const std::string& user_id, const std::string& at,
                                 const std::vector<AccessToken>& tokens,
                                 const AuditEntry& audit) override {
    return m_pool.run<Done>([&](Conn& db) {
      WriteTransaction tx(db);
      SQLite::Statement& u = db.prepare("UPDATE users SET last_login_at = ? WHERE id = ?");
      u.bind(1, at);
      u.bind(2, user_id);
      u.exec();
      insert_tokens(db, tokens);
      SQLite::Statement& purge = db.prepare("DELETE FROM access_tokens WHERE expires_at <= ?");
      purge.bind(1, at);
      purge.exec();
      insert_audit(db, audit);
      tx.commit();
      return Done{};
    });
  }

  StoreResult<std::optional<TokenActor>> authenticate_token(
      const std::string& token_hash) override {
    return m_pool.run<std::optional<TokenActor>>([&](Conn& db) -> std::optional<TokenActor> {
      static const std::string sql = fmt::format(
          "SELECT {}, {}, {} FROM access_tokens t JOIN users u ON u.id = t.user_id JOIN "
          "organizations o ON o.id = u.organization_id WHERE t.token_hash = ?",
          token_columns, prefixed_user_columns, organization_columns);
      SQLite::Statement& s = db.prepare(sql);
      s.bind(1, token_hash);
      if (!s.executeStep()) return std::nullopt;
      constexpr int user_at = column_count(token_columns);
      return TokenActor{read_token(s, 0), read_user(s, user_at),
                        read_organization(s, user_at + column_count(user_columns))};
    });
  }

  StoreResult<Done> register_organization(const Organization& organization, const User& admin,
                                          const std::vector<AccessToken>& tokens,
                                          const AuditEntry& audit) override {
    return m_pool.run<Done>([&](Conn& db) {
      return sqlite::register_organization(db, organization, admin, tokens, audit);
    });
  }
  StoreResult<bool> update_organization(const Organization& before, const Organization& after,
                                        const AuditEntry& audit) override {
    return m_pool.run<bool>(
        [&](Conn& db) { return sqlite::update_organization(db, before, after, audit); });
  }
  StoreResult<bool> rotate_refresh_token(const std::string& token_hash, const std::string& at,
                                         const std::vector<AccessToken>& tokens,
                                         const AuditEntry& audit) override {
    return m_pool.run<bool>(
        [&](Conn& db) { return sqlite::rotate_refresh_token(db, token_hash, at, tokens, audit); });
  }
  StoreResult<Done> revoke_token_family(const std::string& family_id, bool access_too,
                                        const AuditEntry* audit) override {
    return m_pool.run<Done>(
        [&](Conn& db) { return sqlite::revoke_token_family(db, family_id, access_too, audit); });
  }
  StoreResult<Done> create_one_time_token(const OneTimeToken& token, const OutboxMail* mail,
                                          const AuditEntry* audit) override {
    return m_pool.run<Done>(
        [&](Conn& db) { return sqlite::create_one_time_token(db, token, mail, audit); });
  }
  StoreResult<std::optional<OneTimeToken>> find_one_time_token(
      const std::string& token_hash) override {
    return m_pool.run<std::optional<OneTimeToken>>(
        [&](Conn& db) { return sqlite::find_one_time_token(db, token_hash); });
  }
  StoreResult<bool> change_password(const PasswordChange& change,
                                    const AuditEntry& audit) override {
    return m_pool.run<bool>([&](Conn& db) { return sqlite::change_password(db, change, audit); });
  }
  StoreResult<bool> rehash_password(const std::string& user_id, const std::string& old_hash,
                                    const std::string& new_hash) override {
    return m_pool.run<bool>(
        [&](Conn& db) { return sqlite::rehash_password(db, user_id, old_hash, new_hash); });
  }

  StoreResult<Done> create_key(const ApiKey& k, const AuditEntry* audit) override {
    return m_pool.run<Done>([&](Conn& db) {
      WriteTransaction tx(db);
      SQLite::Statement& s = db.prepare(
          "INSERT INTO api_keys (id, organization_id, created_by, name, "
          "description, key_prefix, key_hash, scopes, expires_at, revoked_at, "
          "last_used_at, last_used_ip, created_at, allowed_cidrs) "
          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
      s.bind(1, k.id);
      s.bind(2, k.organization_id);
      s.bind(3, k.created_by);
      s.bind(4, k.name);
      bind_text(s, 5, k.description);
      s.bind(6, k.key_prefix);
      s.bind(7, k.key_hash);
      s.bind(8, join_scopes(k.scopes));
      bind_text(s, 9, k.expires_at);
      bind_text(s, 10, k.revoked_at);
      bind_text(s, 11, k.last_used_at);
      bind_text(s, 12, k.last_used_ip);
      s.bind(13, k.created_at);
      s.bind(14, join_scopes(k.allowed_cidrs));
      s.exec();
      if (audit != nullptr) insert_audit(db, *audit);
      tx.commit();
      return Done{};
    });
  }

  StoreResult<std::optional<ApiKey>> find_key_where(std::string_view column,
                                                    const std::string& value) {
    return m_pool.run<std::optional<ApiKey>>([&](Conn& db) -> std::optional<ApiKey> {
      SQLite::Statement& s =
          db.prepare(fmt::format("SELECT {} FROM api_keys k JOIN users u ON "
                                 "u.id = k.created_by WHERE k.{} = ?",
                                 key_columns, column));
      s.bind(1, value);
      if (!s.executeStep()) return std::nullopt;
      return read_key(s);
    });
  }

  StoreResult<std::optional<ApiKey>> find_key(const std::string& id) override {
    return find_key_where("id", id);
  }
  // The per-request path. A cached row is served only if the credential epoch now equals
  // the one read in the same statement as the row: nothing authentication reads changed
  // since, whichever connection or process wrote (see migrations.cpp). The epoch comes from
  // the CommitWatch while nothing was committed since its last read, else from this request.
  StoreResult<std::shared_ptr<const KeyActor>> authenticate_key(
      const std::string& key_hash) override {
    using Found = std::shared_ptr<const KeyActor>;
    if (const auto epochs = m_epochs.known()) {
      if (auto cached = m_key_cache.find(key_hash, epochs->credential)) return cached;
    }
    return m_pool.run<Found>([&](Conn& db, const SqlitePool::Lease& lease) -> Found {
      const auto epoch = m_epochs.read(db, lease).credential;
      if (auto cached = m_key_cache.find(key_hash, epoch)) return cached;

      static const std::string row_sql = fmt::format(
          "SELECT (SELECT epoch FROM credential_epoch WHERE id = 1), {}, {}, {} FROM api_keys k "
          "JOIN users u ON u.id = k.created_by JOIN organizations o ON o.id = k.organization_id "
          "WHERE k.key_hash = ?",
          key_columns, prefixed_user_columns, organization_columns);
      SQLite::Statement& s = db.prepare(row_sql);
      s.bind(1, key_hash);
      if (!s.executeStep()) return nullptr;
      KeyActor actor;
      constexpr int user_at = 1 + column_count(key_columns);
      actor.key = read_key(s, 1);
      actor.user = read_user(s, user_at);
      actor.organization = read_organization(s, user_at + column_count(user_columns));
      return m_key_cache.put(key_hash, optional_integer(s, 0), std::move(actor));
    });
  }

  StoreResult<std::vector<ApiKey>> list_keys(const std::string& organization_id) override {
    return m_pool.run<std::vector<ApiKey>>([&](Conn& db) {
      SQLite::Statement& s =
          db.prepare(fmt::format("SELECT {} FROM api_keys k JOIN users u ON "
                                 "u.id = k.created_by WHERE k.organization_id = ? "
                                 "ORDER BY k.created_at DESC, k.id",
                                 key_columns));
      s.bind(1, organization_id);
      std::vector<ApiKey> out;
      while (s.executeStep()) out.push_back(read_key(s));
      return out;
    });
  }

  StoreResult<Done> revoke_key(const std::string& id, const std::string& at,
                               const AuditEntry& audit) override {
    return m_pool.run<Done>([&](Conn& db) {
      WriteTransaction tx(db);
      SQLite::Statement& s =
          db.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
      s.bind(1, at);
      s.bind(2, id);
      s.exec();
      insert_audit(db, audit);
      tx.commit();
      return Done{};
    });
  }

  StoreResult<Done> record_key_uses(const std::vector<KeyUse>& uses,
                                    const std::vector<AuditEntry>& audits) override {
    return m_pool.run<Done>([&](Conn& db) {
      WriteTransaction tx(db);
      for (const auto& use : uses) {
        SQLite::Statement& s = db.prepare(
            "UPDATE api_keys SET last_used_at = ?, last_used_ip = ? WHERE id = ? "
            "AND (last_used_at IS NULL OR last_used_at < ?)");
        s.bind(1, use.at);
        s.bind(2, use.ip);
        s.bind(3, use.key_id);
        s.bind(4, use.at);
        s.exec();
      }
      for (const auto& audit : audits) insert_audit(db, audit);
      tx.commit();
      return Done{};
    });
  }

  StoreResult<std::vector<Resource>> list_resources(const std::string& organization_id) override {
    return m_pool.run<std::vector<Resource>>([&](Conn& db) {
      SQLite::Statement& s =
          db.prepare(fmt::format("SELECT {} FROM {} WHERE r.organization_id = ? "
                                 "ORDER BY r.name, r.id",
                                 resource_columns, resource_tables));
      s.bind(1, organization_id);
      std::vector<Resource> out;
      while (s.executeStep()) out.push_back(read_resource(s));
      return out;
    });
  }

  StoreResult<std::optional<Resource>> find_resource(const std::string& id) override {
    return m_pool.run<std::optional<Resource>>([&](Conn& db) -> std::optional<Resource> {
      SQLite::Statement& s = db.prepare(
          fmt::format("SELECT {} FROM {} WHERE r.id = ?", resource_columns, resource_tables));
      s.bind(1, id);
      if (!s.executeStep()) return std::nullopt;
      return read_resource(s);
    });
  }

  StoreResult<ResourceWrite> create_resource(const Resource& r, const AuditEntry& audit,
                                             std::optional<std::int64_t> max_resources) override {
    return m_pool.run<ResourceWrite>(
        [&](Conn& db) { return sqlite::create_resource(db, r, audit, max_resources); });
  }

  StoreResult<ResourceWrite> update_resource(const Resource& r, const AuditEntry& audit) override {
    return m_pool.run<ResourceWrite>(
        [&](Conn& db) { return sqlite::update_resource(db, r, audit); });
  }

  StoreResult<ResourceInUse> delete_resource(const std::string& id,
                                             const AuditEntry& audit) override {
    return m_pool.run<ResourceInUse>([&](Conn& db) {
      WriteTransaction tx(db);
      SQLite::Statement& using_it = db.prepare(
          "SELECT (SELECT COUNT(DISTINCT s.id) FROM sessions s JOIN session_resource_ips i ON "
          "i.session_id = s.id WHERE i.resource_id = ?1 AND s.status IN ('PENDING', 'ACTIVE', "
          "'PARTIAL', 'EXPIRING')), (SELECT COUNT(*) FROM static_ip_rule_targets WHERE "
          "resource_id = ?1 AND status IN ('PENDING', 'APPLIED'))");
      using_it.bind(1, id);
      using_it.executeStep();
      const ResourceInUse in_use{using_it.getColumn(0).getInt64(),
                                 using_it.getColumn(1).getInt64()};
      if (!in_use.deleted()) return in_use;
      SQLite::Statement& s = db.prepare("DELETE FROM resources WHERE id = ?");
      s.bind(1, id);
      s.exec();
      insert_audit(db, audit);
      tx.commit();
      return in_use;
    });
  }

  StoreResult<Done> create_credential(const Credential& credential,
                                      const AuditEntry& audit) override {
    return sqlite::create_credential(m_pool, credential, audit);
  }
  StoreResult<std::vector<Credential>> list_credentials(
      const std::string& organization_id) override {
    return sqlite::list_credentials(m_pool, organization_id);
  }
  StoreResult<std::optional<Credential>> find_credential(const std::string& id) override {
    return sqlite::find_credential(m_pool, id);
  }
  StoreResult<std::int64_t> delete_credential(const std::string& id,
                                              const AuditEntry& audit) override {
    return sqlite::delete_credential(m_pool, id, audit);
  }
  StoreResult<std::vector<Credential>> list_unchecked_credentials() override {
    return sqlite::list_unchecked_credentials(m_pool);
  }
  StoreResult<Done> record_credential_check(const Credential& checked,
                                            const AuditEntry& audit) override {
    return sqlite::record_credential_check(m_pool, checked, audit);
  }

  StoreResult<Done> create_static_ip_rule(const StaticIpRule& rule,
                                          const AuditEntry& audit) override {
    return sqlite::create_static_ip_rule(m_pool, rule, audit);
  }
  StoreResult<std::vector<StaticIpRule>> list_static_ip_rules(
      const std::string& organization_id) override {
    return sqlite::list_static_ip_rules(m_pool, organization_id);
  }
  StoreResult<std::optional<StaticIpRule>> find_static_ip_rule(const std::string& id) override {
    return sqlite::find_static_ip_rule(m_pool, id);
  }
  StoreResult<bool> delete_static_ip_rule(const std::string& id, const AuditEntry& audit) override {
    return sqlite::delete_static_ip_rule(m_pool, id, audit);
  }
  StoreResult<std::vector<StaticIpRule>> find_unsettled_static_ip_rules() override {
    return sqlite::find_unsettled_static_ip_rules(m_pool);
  }
  StoreResult<Done> save_static_ip_rule_progress(const StaticIpRule& rule) override {
    return sqlite::save_static_ip_rule_progress(m_pool, rule);
  }
  StoreResult<Done> purge_static_ip_rule(const std::string& id) override {
    return sqlite::purge_static_ip_rule(m_pool, id);
  }

  StoreResult<std::string> claim_secrets_check(const std::string& sealed) override {
    return sqlite::claim_secrets_check(m_pool, sealed);
  }

  StoreResult<std::vector<Session>> list_sessions(const std::string& user_id) override {
    return sessions_where("user_id", user_id);
  }
  StoreResult<std::vector<Session>> list_organization_sessions(
      const std::string& organization_id) override {
    return sessions_where("organization_id", organization_id);
  }

  StoreResult<std::vector<Session>> sessions_where(std::string_view column,
                                                   const std::string& value) {
    return m_pool.run<std::vector<Session>>([&](Conn& db) {
      SQLite::Statement& s =
          db.prepare(fmt::format("SELECT {} FROM sessions WHERE {} = ? "
                                 "ORDER BY created_at DESC, id",
                                 session_columns, column));
      s.bind(1, value);
      std::vector<Session> out;
      while (s.executeStep()) out.push_back(read_session(s));
      for (auto& session : out) load_resource_ips(db, session);
      return out;
    });
  }

  // One statement for the session and its entries: the per-request read of GET
  // /sessions/{id}, served from memory while the session epoch is the one the cached copy
  // was read under (known as authenticate_key() knows the credential epoch).
  StoreResult<std::shared_ptr<const Session>> find_session(const std::string& id) override {
    using Found = std::shared_ptr<const Session>;
    if (const auto epochs = m_epochs.known()) {
      if (auto cached = m_session_cache.find(id, epochs->session)) return cached;
    }
    return m_pool.run<Found>([&](Conn& db, const SqlitePool::Lease& lease) -> Found {
      const auto epoch = m_epochs.read(db, lease).session;
      if (auto cached = m_session_cache.find(id, epoch)) return cached;

      static const std::string sql = fmt::format(
          "SELECT {}, i.id, i.session_id, i.resource_id, i.resource_name, i.ip_version, "
          "i.ip_address, i.status, i.provider_rule_id, i.applied_at, i.removed_at, "
          "i.error_message FROM sessions s LEFT JOIN session_resource_ips i ON i.session_id = "
          "s.id WHERE s.id = ? ORDER BY i.resource_name, i.ip_version, i.id",
          prefixed_session_columns);
      SQLite::Statement& s = db.prepare(sql);
      s.bind(1, id);
      if (!s.executeStep()) return nullptr;
      auto session = read_session(s);
      do {
        if (s.getColumn(11).isNull()) break;
        session.resource_ips.push_back(read_resource_ip(s, 11));
      } while (s.executeStep());
      return m_session_cache.put(id, epoch, std::move(session));
    });
  }

  StoreResult<bool> save_session(const Session& x, const std::optional<SessionVersion>& expected,
                                 const AuditEntry* audit) override {
    return m_pool.run<bool>([&](Conn& db) {
      WriteTransaction tx(db);
      if (expected) {
        SQLite::Statement& s = db.prepare(
            "UPDATE sessions SET ipv4_address = ?, ipv6_address = ?, status = ?, expires_at = ?, "
            "ended_at = ?, ended_reason = ? WHERE id = ? AND status = ? AND (?9 IS NULL OR "
            "expires_at = ?9)");
        bind_text(s, 1, x.ipv4_address);
        bind_text(s, 2, x.ipv6_address);
        s.bind(3, x.status);
        s.bind(4, x.expires_at);
        bind_text(s, 5, x.ended_at);
        bind_text(s, 6, x.ended_reason);
        s.bind(7, x.id);
        s.bind(8, expected->status);
        bind_text(s, 9, expected->expires_at);
        if (s.exec() == 0) return false;
      } else {
        SQLite::Statement& s = db.prepare(fmt::format(
            "INSERT INTO sessions ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", session_columns));
        s.bind(1, x.id);
        s.bind(2, x.organization_id);
        s.bind(3, x.user_id);
        bind_text(s, 4, x.ipv4_address);
        bind_text(s, 5, x.ipv6_address);
        s.bind(6, x.status);
        s.bind(7, x.started_at);
        s.bind(8, x.expires_at);
        bind_text(s, 9, x.ended_at);
        bind_text(s, 10, x.ended_reason);
        s.bind(11, x.created_at);
        s.exec();
      }
      for (const auto& ip : x.resource_ips) {
        SQLite::Statement& e = db.prepare(
            "INSERT INTO session_resource_ips (id, session_id, resource_id, resource_name, "
            "ip_version, ip_address, status, provider_rule_id, applied_at, removed_at, "
            "error_message) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET "
            "status = excluded.status, provider_rule_id = excluded.provider_rule_id, applied_at = "
            "excluded.applied_at, removed_at = excluded.removed_at, error_message = "
            "excluded.error_message");
        e.bind(1, ip.id);
        e.bind(2, x.id);
        e.bind(3, ip.resource_id);
        e.bind(4, ip.resource_name);
        e.bind(5, ip.ip_version);
        e.bind(6, ip.ip_address);
        e.bind(7, ip.status);
        bind_text(e, 8, ip.provider_rule_id);
        bind_text(e, 9, ip.applied_at);
        bind_text(e, 10, ip.removed_at);
        bind_text(e, 11, ip.error_message);
        e.exec();
      }
      if (audit != nullptr) insert_audit(db, *audit);
      tx.commit();
      return true;
    });
  }

  StoreResult<std::vector<Session>> find_sessions_by_status(
      const std::vector<std::string>& statuses, const OptionalText& expires_before) override {
    return m_pool.run<std::vector<Session>>([&](Conn& db) {
      std::string marks;
      for (std::size_t i = 0; i < statuses.size(); ++i) marks += i == 0 ? "?" : ", ?";
      SQLite::Statement& s = db.prepare(
          fmt::format("SELECT {} FROM sessions WHERE status IN ({}){} "
                      "ORDER BY expires_at",
                      session_columns, marks, expires_before ? " AND expires_at <= ?" : ""));
      int index = 1;
      for (const auto& status : statuses) s.bind(index++, status);
      if (expires_before) s.bind(index, *expires_before);
      std::vector<Session> out;
      while (s.executeStep()) out.push_back(read_session(s));
      for (auto& session : out) load_resource_ips(db, session);
      return out;
    });
  }

  // One server per database file is the deployment: it holds every duty.
  StoreResult<bool> hold_duty(const std::string&) override { return true; }

  StoreResult<AuditPage> query_audit(const AuditFilter& f) override {
    return m_pool.run<AuditPage>([&](Conn& db) {
      std::string where = "organization_id = ?";
      if (f.event_type) where += " AND event_type = ?";
      if (f.actor_email) where += " AND actor_email = ?";
      if (f.from) where += " AND created_at >= ?";
      if (f.to) where += " AND created_at < ?";
      const auto bind_filters = [&](SQLite::Statement& s) {
        int index = 1;
        s.bind(index++, f.organization_id);
        if (f.event_type) s.bind(index++, *f.event_type);
        if (f.actor_email) s.bind(index++, *f.actor_email);
        if (f.from) s.bind(index++, *f.from);
        if (f.to) s.bind(index++, *f.to);
        return index;
      };
      AuditPage page;
      SQLite::Statement& count =
          db.prepare(fmt::format("SELECT COUNT(*) FROM audit_logs WHERE {}", where));
      bind_filters(count);
      count.executeStep();
      page.total = count.getColumn(0).getInt64();
      SQLite::Statement& s =
          db.prepare(fmt::format("SELECT {} FROM audit_logs WHERE {} ORDER BY created_at "
                                 "DESC, id DESC LIMIT ? OFFSET ?",
                                 audit_columns, where));
      int index = bind_filters(s);
      s.bind(index++, static_cast<std::int64_t>(f.size));
      s.bind(index, static_cast<std::int64_t>(f.page * f.size));
      while (s.executeStep()) page.content.push_back(read_audit(s));
      return page;
    });
  }

 private:
  SqlitePool m_pool;
  EpochCache<KeyActor> m_key_cache{50'000};
  EpochCache<Session> m_session_cache{10'000};
  EpochTracker m_epochs{m_pool};
};

}  // namespace
}  // namespace sqlite

StoreResult<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                      std::chrono::milliseconds busy_timeout) {
  // Before SQLite initializes: no allocation statistics, whose global mutex every
  // allocation of every connection would otherwise take. Refused (harmlessly) if SQLite
  // was already initialized.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  try {
    auto store = std::make_unique<sqlite::SqliteStore>(path, busy_timeout);
    auto migrated = store->migrate();
    if (!migrated) return unexpected(migrated.error());
    store->enable_commit_watch(CommitWatch::open(path));
    return std::unique_ptr<Store>(std::move(store));
  } catch (const SQLite::Exception& error) {
    return unexpected(sqlite::to_error(error));
  }
}

}  // namespace scopegate::server
