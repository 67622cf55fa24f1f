// PostgresStore: the Store on PostgreSQL, as queries. Each method runs its statements on a
// connection from PgPool (postgres_pool.hpp: connections, prepared statements, libpq
// errors as StoreError) and maps rows with postgres_rows.hpp; every change is one
// transaction with its audit entry, at READ COMMITTED. A session's state changes are
// conditional updates (`WHERE status = expected`): of two instances stopping one session
// at once, the second waits for the first's row lock, re-reads the row, and changes
// nothing. authenticate_key() and find_session() answer from EpochCaches (epoch_cache.hpp) while
// the epochs now are those their cached row was read at. With Revocation::every_request the
// epochs are read (one round trip to two one-row tables) once per request's read scope, or
// on every call outside one: a revocation committed by any instance is refused by every other
// on its next request. With Revocation::notify an EpochWatch (postgres_epoch_watch.hpp) holds
// them, so a cached row costs no round trip, and another instance's change is honoured within
// 1 s; whenever the watch cannot vouch for its epochs, they are read as with every_request.
// Every write to a table behind an epoch (keys, users, organizations, sessions, and
// resources, whose removal may touch sessions) goes through write(), which has the watch
// re-read them (the roles and MFA parts, PostgresRoles and PostgresMfaStore, call the same
// hooks); a key's last use changes no epoch.
// hold_duty() is PgDuties (postgres_duties.hpp). Text is compared and sorted with COLLATE
// "C", as SQLite does, whatever the database's collation.
#include "server/store/postgres_store.hpp"

#include <fmt/format.h>

#include "server/clock.hpp"
#include "server/store/epoch_cache.hpp"
#include "server/store/postgres_accounts.hpp"
#include "server/store/postgres_credentials.hpp"
#include "server/store/postgres_duties.hpp"
#include "server/store/postgres_epoch_watch.hpp"
#include "server/store/postgres_mfa.hpp"
#include "server/store/postgres_migrations.hpp"
#include "server/store/postgres_pool.hpp"
#include "server/store/postgres_resources.hpp"
#include "server/store/postgres_roles.hpp"
#include "server/store/postgres_rows.hpp"
#include "server/store/postgres_static_ip_rules.hpp"

namespace scopegate::server {

namespace postgres {
namespace {

// pg_advisory_xact_lock key held while migrating: "scopegat" in ASCII.
constexpr std::string_view migration_lock = "7233174019374884980";

void load_resource_ips(PgConn& db, Session& session) {
  static const std::string sql = fmt::format(
      "SELECT {} FROM session_resource_ips WHERE session_id = $1 ORDER BY resource_name "
      "COLLATE \"C\", ip_version COLLATE \"C\", id COLLATE \"C\"",
      resource_ip_columns);
  const auto rows = db.exec(sql, {session.id});
  for (int i = 0; i < rows.size(); ++i)
    session.resource_ips.push_back(read_resource_ip(rows.row(i), 0));
}

// The calling thread's read scope (Store::begin_read_scope): the store it belongs to, its
// nesting depth, and the epochs read at its first read. A request's reads share those
// epochs, as SQLite's share a snapshot; the scope's first write forgets them, so that
// what is read after it is current.
struct ReadScopeState {
  const void* store = nullptr;
  int depth = 0;
  std::optional<Epochs> epochs;
};
thread_local ReadScopeState t_scope;

// "$first, $first+1, ..." for `count` parameters.
std::string placeholders(int first, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i)
    out += fmt::format("{}${}", i == 0 ? "" : ", ", first + static_cast<int>(i));
  return out;
}

class PostgresStore final : public PostgresAccounts {
 public:
  PostgresStore(const std::string& url, const StoreOptions& options)
      : m_url(url),
        m_options(options),
        m_pool(url, options.timeout),
        m_duties(url, options.timeout) {}

  std::string describe() const override { return m_description; }
  PgPool& pool() override { return m_pool; }

  void begin_read_scope() override {
    if (t_scope.depth == 0) t_scope = ReadScopeState{this, 0, std::nullopt};
    if (t_scope.store == this) ++t_scope.depth;
  }
  void end_read_scope() noexcept override {
    if (t_scope.store != this || t_scope.depth == 0) return;
    if (--t_scope.depth == 0) t_scope = ReadScopeState{};
  }

  // Every pending migration, in one transaction under an advisory lock: an instance that
  // starts meanwhile waits, then finds them applied.
  void migrate() {
    auto lease = m_pool.acquire();
    PgConn& db = *lease;
    // Unbounded: a migration may wait for another instance's, and take its time.
    db.set_timeout(std::chrono::milliseconds(0));
    PgTransaction tx(db);
    db.exec_plain(fmt::format("SELECT pg_advisory_xact_lock({})", migration_lock));
    db.exec_plain(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "description TEXT NOT NULL, applied_at TEXT NOT NULL)");
    for (const auto& migration : postgres::migrations()) {
      const auto version = std::to_string(migration.version);
      if (!db.exec("SELECT 1 FROM schema_migrations WHERE version = $1", {version}).empty())
        continue;
      for (const auto statement : migration.statements) db.exec_plain(std::string(statement));
      db.exec("INSERT INTO schema_migrations VALUES ($1, $2, $3)",
              {version, std::string(migration.description), format_stored(now())});
    }
    tx.commit();
    db.set_timeout(m_options.timeout);
    m_description = describe_connection(db, m_options.revocation);
    if (m_options.revocation == Revocation::notify)
      m_watch = std::make_unique<EpochWatch>(m_url, m_options.timeout);
  }

  StoreResult<std::int64_t> count_users() override {
    return m_pool.run<std::int64_t>(
        [](PgConn& db) { return db.exec("SELECT COUNT(*) FROM users").row(0).integer(0); });
  }

  StoreResult<Done> create_organization(const Organization& o) override {
    return write<Done>([&](PgConn& db) {
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
    return m_pool.run<std::optional<Organization>>([&](PgConn& db) -> std::optional<Organization> {
      const auto rows = db.exec(fmt::format("SELECT {} FROM organizations o WHERE o.{} = $1",
                                            organization_columns, column),
                                {value});
      if (rows.empty()) return std::nullopt;
      return read_organization(rows.row(0), 0);
    });
  }

  StoreResult<bool> create_user(const User& u, const std::vector<std::string>& resource_ids,
                                const AuditEntry* audit,
                                std::optional<std::int64_t> max_users) override {
    return write<bool>([&](PgConn& db) {
      PgTransaction tx(db);
      if (max_users) {
        // The organization's row locked: creations in it wait for this commit, and then
        // count what it added.
        db.exec("SELECT id FROM organizations WHERE id = $1 FOR UPDATE", {u.organization_id});
        const auto users = db.exec(
                                 "SELECT COUNT(*) FROM users WHERE organization_id = $1 AND "
                                 "deleted_at IS NULL",
                                 {u.organization_id})
                               .row(0)
                               .integer(0);
        if (users >= *max_users) return false;
      }
      insert_user(db, u);
      for (const auto& resource_id : resource_ids) {
        db.exec("INSERT INTO user_resources (user_id, resource_id) VALUES ($1, $2)",
                {u.id, resource_id});
      }
      if (audit != nullptr) insert_audit(db, *audit);
      tx.commit();
      return true;
    });
  }

  StoreResult<std::optional<User>> find_user(const std::string& id) override {
    return m_pool.run<std::optional<User>>([&](PgConn& db) -> std::optional<User> {
      static const std::string sql =
          fmt::format("SELECT {} FROM users WHERE id = $1", user_columns);
      const auto rows = db.exec(sql, {id});
      if (rows.empty()) return std::nullopt;
      return read_user(rows.row(0));
    });
  }

  StoreResult<std::optional<User>> find_user_by_email(const std::string& organization_id,
                                                      const std::string& email) override {
    return m_pool.run<std::optional<User>>([&](PgConn& db) -> std::optional<User> {
      static const std::string sql = fmt::format(
          "SELECT {} FROM users WHERE organization_id = $1 AND (email_key = $2 OR email = $3) "
          "ORDER BY email = $3 DESC LIMIT 1",
          user_columns);
      const auto rows = db.exec(sql, {organization_id, email_key(email), email});
      if (rows.empty()) return std::nullopt;
      return read_user(rows.row(0));
    });
  }

  StoreResult<std::vector<User>> list_users(const std::string& organization_id) override {
    return m_pool.run<std::vector<User>>([&](PgConn& db) {
      static const std::string sql = fmt::format(
          "SELECT {} FROM users WHERE organization_id = $1 AND deleted_at IS NULL ORDER BY email "
          "COLLATE \"C\"",
          user_columns);
      const auto rows = db.exec(sql, {organization_id});
      std::vector<User> out;
      for (int i = 0; i < rows.size(); ++i) out.push_back(read_user(rows.row(i)));
      return out;
    });
  }

  StoreResult<Done> record_login(const std::string& user_id, const std::string& at,
                                 const std::vector<AccessToken>& tokens,
                                 const AuditEntry& audit) override {
    return write<Done>([&](PgConn& db) {
      PgTransaction tx(db);
      db.exec("UPDATE users SET last_login_at = $1 WHERE id = $2", {at, user_id});
      insert_tokens(db, tokens);
      db.exec("DELETE FROM access_tokens WHERE expires_at COLLATE \"C\" <= $1", {at});
      insert_audit(db, audit);
      tx.commit();
      return Done{};
    });
  }

  StoreResult<std::optional<TokenActor>> authenticate_token(
      const std::string& token_hash) override {
    return m_pool.run<std::optional<TokenActor>>([&](PgConn& db) -> std::optional<TokenActor> {
      static const std::string sql = fmt::format(
          "SELECT {}, {}, {} FROM access_tokens t JOIN users u ON u.id = t.user_id JOIN "
          "organizations o ON o.id = u.organization_id WHERE t.token_hash = $1",
          token_columns, prefixed_user_columns, organization_columns);
      const auto rows = db.exec(sql, {token_hash});
      if (rows.empty()) return std::nullopt;
      const auto row = rows.row(0);
      constexpr int user_at = column_count(token_columns);
      return TokenActor{read_token(row, 0), read_user(row, user_at),
                        read_organization(row, user_at + column_count(user_columns))};
    });
  }

  StoreResult<Done> create_key(const ApiKey& k, const AuditEntry* audit) override {
    return write<Done>([&](PgConn& db) {
      PgTransaction tx(db);
      db.exec(
          "INSERT INTO api_keys (id, organization_id, created_by, name, description, key_prefix, "
          "key_hash, scopes, expires_at, revoked_at, last_used_at, last_used_ip, created_at, "
          "allowed_cidrs) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)",
          {k.id, k.organization_id, k.created_by, k.name, k.description, k.key_prefix, k.key_hash,
           join_words(k.scopes), k.expires_at, k.revoked_at, k.last_used_at, k.last_used_ip,
           k.created_at, join_words(k.allowed_cidrs)});
      if (audit != nullptr) insert_audit(db, *audit);
      tx.commit();
      return Done{};
    });
  }

  StoreResult<std::optional<ApiKey>> find_key(const std::string& id) override {
    return m_pool.run<std::optional<ApiKey>>([&](PgConn& db) -> std::optional<ApiKey> {
      static const std::string sql = fmt::format(
          "SELECT {} FROM api_keys k JOIN users u ON u.id = k.created_by WHERE k.id = $1",
          key_columns);
      const auto rows = db.exec(sql, {id});
      if (rows.empty()) return std::nullopt;
      return read_key(rows.row(0));
    });
  }

  // The per-request path: the credential epoch now, then the cached row if it was read
  // at that epoch, else the row with its epoch in one statement (one snapshot).
  StoreResult<std::shared_ptr<const KeyActor>> authenticate_key(
      const std::string& key_hash) override {
    using Found = std::shared_ptr<const KeyActor>;
    if (const auto known = known_epochs()) {
      if (auto cached = m_key_cache.find(key_hash, known->credential)) return cached;
    }
    return m_pool.run<Found>([&](PgConn& db) -> Found {
      if (auto cached = m_key_cache.find(key_hash, epochs(db).credential)) return cached;
      static const std::string sql = fmt::format(
          "SELECT (SELECT epoch FROM credential_epoch WHERE id = 1), {}, {}, {} FROM api_keys k "
          "JOIN users u ON u.id = k.created_by JOIN organizations o ON o.id = k.organization_id "
          "WHERE k.key_hash = $1",
          key_columns, prefixed_user_columns, organization_columns);
      const auto rows = db.exec(sql, {key_hash});
      if (rows.empty()) return nullptr;
      const auto row = rows.row(0);
      KeyActor actor;
      constexpr int user_at = 1 + column_count(key_columns);
      actor.key = read_key(row, 1);
      actor.user = read_user(row, user_at);
      actor.organization = read_organization(row, user_at + column_count(user_columns));
      return m_key_cache.put(key_hash, row.optional_integer(0), std::move(actor));
    });
  }

  StoreResult<std::vector<ApiKey>> list_keys(const std::string& organization_id) override {
    return m_pool.run<std::vector<ApiKey>>([&](PgConn& db) {
      static const std::string sql = fmt::format(
          "SELECT {} FROM api_keys k JOIN users u ON u.id = k.created_by WHERE "
          "k.organization_id = $1 ORDER BY k.created_at COLLATE \"C\" DESC, k.id COLLATE \"C\"",
          key_columns);
      const auto rows = db.exec(sql, {organization_id});
      std::vector<ApiKey> out;
      for (int i = 0; i < rows.size(); ++i) out.push_back(read_key(rows.row(i)));
      return out;
    });
  }

  StoreResult<Done> revoke_key(const std::string& id, const std::string& at,
                               const AuditEntry& audit) override {
    return write<Done>([&](PgConn& db) {
      PgTransaction tx(db);
      db.exec("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", {at, id});
      insert_audit(db, audit);
      tx.commit();
      return Done{};
    });
  }

  // A last use changes no epoch (the triggers leave those columns out): nothing to watch.
  StoreResult<Done> record_key_uses(const std::vector<KeyUse>& uses,
                                    const std::vector<AuditEntry>& audits) override {
    forget_scope_epochs();
    return m_pool.run<Done>([&](PgConn& db) {
      PgTransaction tx(db);
      for (const auto& use : uses) {
        db.exec(
            "UPDATE api_keys SET last_used_at = $1, last_used_ip = $2 WHERE id = $3 AND "
            "(last_used_at IS NULL OR last_used_at COLLATE \"C\" < $1)",
            {use.at, use.ip, use.key_id});
      }
      for (const auto& audit : audits) insert_audit(db, audit);
      tx.commit();
      return Done{};
    });
  }

  StoreResult<std::vector<Resource>> list_resources(const std::string& organization_id) override {
    return list_resources_where("WHERE r.organization_id = $1", organization_id);
  }

  StoreResult<std::vector<Resource>> list_user_resources(const std::string& user_id) override {
    return list_resources_where(
        "WHERE r.id IN (SELECT resource_id FROM user_resources WHERE user_id = $1 UNION SELECT "
        "rr.resource_id FROM role_resources rr JOIN role_users ru ON ru.role_id = rr.role_id "
        "WHERE ru.user_id = $1)",
        user_id);
  }

  // `where`: joins and conditions after `FROM resource_tables`.
  StoreResult<std::vector<Resource>> list_resources_where(std::string_view where,
                                                          const std::string& value) {
    return m_pool.run<std::vector<Resource>>([&](PgConn& db) {
      const auto rows = db.exec(
          fmt::format("SELECT {} FROM {} {} ORDER BY r.name COLLATE \"C\", r.id COLLATE \"C\"",
                      resource_columns, resource_tables, where),
          {value});
      std::vector<Resource> out;
      for (int i = 0; i < rows.size(); ++i) out.push_back(read_resource(rows.row(i)));
      return out;
    });
  }

  StoreResult<std::optional<Resource>> find_resource(const std::string& id) override {
    return m_pool.run<std::optional<Resource>>([&](PgConn& db) -> std::optional<Resource> {
      static const std::string sql =
          fmt::format("SELECT {} FROM {} WHERE r.id = $1", resource_columns, resource_tables);
      const auto rows = db.exec(sql, {id});
      if (rows.empty()) return std::nullopt;
      return read_resource(rows.row(0));
    });
  }

  StoreResult<ResourceWrite> create_resource(const Resource& r, const AuditEntry& audit,
                                             std::optional<std::int64_t> max_resources) override {
    return write<ResourceWrite>(
        [&](PgConn& db) { return postgres::create_resource(db, r, audit, max_resources); });
  }

  StoreResult<ResourceWrite> update_resource(const Resource& r, const AuditEntry& audit) override {
    return write<ResourceWrite>(
        [&](PgConn& db) { return postgres::update_resource(db, r, audit); });
  }

  StoreResult<ResourceInUse> delete_resource(const std::string& id,
                                             const AuditEntry& audit) override {
    return write<ResourceInUse>([&](PgConn& db) {
      PgTransaction tx(db);
      // The resource's row lock first: a static IP rule or session naming it meanwhile
      // waits for this transaction (their inserts reference the row).
      db.exec("SELECT id FROM resources WHERE id = $1 FOR UPDATE", {id});
      const auto counts = db.exec(
          "SELECT (SELECT COUNT(DISTINCT s.id) FROM sessions s JOIN session_resource_ips i ON "
          "i.session_id = s.id WHERE i.resource_id = $1 AND s.status IN ('PENDING', 'ACTIVE', "
          "'PARTIAL', 'EXPIRING')), (SELECT COUNT(*) FROM static_ip_rule_targets WHERE "
          "resource_id = $1 AND status IN ('PENDING', 'APPLIED'))",
          {id});
      const ResourceInUse in_use{counts.row(0).integer(0), counts.row(0).integer(1)};
      if (!in_use.deleted()) return in_use;
      db.exec("DELETE FROM resources WHERE id = $1", {id});
      insert_audit(db, audit);
      tx.commit();
      return in_use;
    });
  }

  StoreResult<Done> create_credential(const Credential& credential,
                                      const AuditEntry& audit) override {
    forget_scope_epochs();
    return postgres::create_credential(m_pool, credential, audit);
  }
  StoreResult<std::vector<Credential>> list_credentials(
      const std::string& organization_id) override {
    return postgres::list_credentials(m_pool, organization_id);
  }
  StoreResult<std::optional<Credential>> find_credential(const std::string& id) override {
    return postgres::find_credential(m_pool, id);
  }
  StoreResult<std::int64_t> delete_credential(const std::string& id,
                                              const AuditEntry& audit) override {
    forget_scope_epochs();
    return postgres::delete_credential(m_pool, id, audit);
  }
  StoreResult<std::vector<Credential>> list_unchecked_credentials() override {
    return postgres::list_unchecked_credentials(m_pool);
  }
  StoreResult<Done> record_credential_check(const Credential& checked,
                                            const AuditEntry& audit) override {
    forget_scope_epochs();
    return postgres::record_credential_check(m_pool, checked, audit);
  }

  StoreResult<Done> create_static_ip_rule(const StaticIpRule& rule,
                                          const AuditEntry& audit) override {
    forget_scope_epochs();
    return postgres::create_static_ip_rule(m_pool, rule, audit);
  }
  StoreResult<std::vector<StaticIpRule>> list_static_ip_rules(
      const std::string& organization_id) override {
    return postgres::list_static_ip_rules(m_pool, organization_id);
  }
  StoreResult<std::optional<StaticIpRule>> find_static_ip_rule(const std::string& id) override {
    return postgres::find_static_ip_rule(m_pool, id);
  }
  StoreResult<bool> delete_static_ip_rule(const std::string& id, const AuditEntry& audit) override {
    forget_scope_epochs();
    return postgres::delete_static_ip_rule(m_pool, id, audit);
  }
  StoreResult<std::vector<StaticIpRule>> find_unsettled_static_ip_rules() override {
    return postgres::find_unsettled_static_ip_rules(m_pool);
  }
  StoreResult<Done> save_static_ip_rule_progress(const StaticIpRule& rule) override {
    forget_scope_epochs();
    return postgres::save_static_ip_rule_progress(m_pool, rule);
  }
  StoreResult<Done> purge_static_ip_rule(const std::string& id) override {
    forget_scope_epochs();
    return postgres::purge_static_ip_rule(m_pool, id);
  }

  StoreResult<std::string> claim_secrets_check(const std::string& sealed) override {
    forget_scope_epochs();
    return postgres::claim_secrets_check(m_pool, sealed);
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
    return m_pool.run<std::vector<Session>>([&](PgConn& db) {
      const auto sql = fmt::format(
          "SELECT {} FROM sessions WHERE {} = $1 ORDER BY created_at COLLATE \"C\" DESC, "
          "id COLLATE \"C\"",
          session_columns, column);
      // One snapshot for the sessions and their entries.
      PgTransaction tx(db);
      const auto rows = db.exec(sql, {value});
      std::vector<Session> out;
      for (int i = 0; i < rows.size(); ++i) out.push_back(read_session(rows.row(i)));
      for (auto& session : out) load_resource_ips(db, session);
      tx.commit();
      return out;
    });
  }

  // One statement for the session, its entries and the session epoch they were read at.
  StoreResult<std::shared_ptr<const Session>> find_session(const std::string& id) override {
    using Found = std::shared_ptr<const Session>;
    if (const auto known = known_epochs()) {
      if (auto cached = m_session_cache.find(id, known->session)) return cached;
    }
    return m_pool.run<Found>([&](PgConn& db) -> Found {
      if (auto cached = m_session_cache.find(id, epochs(db).session)) return cached;
      static const std::string sql = fmt::format(
          "SELECT (SELECT epoch FROM session_epoch WHERE id = 1), {}, i.id, i.session_id, "
          "i.resource_id, i.resource_name, i.ip_version, i.ip_address, i.status, "
          "i.provider_rule_id, i.applied_at, i.removed_at, i.error_message FROM sessions s LEFT "
          "JOIN session_resource_ips i ON i.session_id = s.id WHERE s.id = $1 ORDER BY "
          "i.resource_name COLLATE \"C\", i.ip_version COLLATE \"C\", i.id COLLATE \"C\"",
          prefixed_session_columns);
      const auto rows = db.exec(sql, {id});
      if (rows.empty()) return nullptr;
      auto session = read_session(rows.row(0), 1);
      for (int i = 0; i < rows.size(); ++i) {
        if (rows.row(i).is_null(12)) break;
        session.resource_ips.push_back(read_resource_ip(rows.row(i), 12));
      }
      return m_session_cache.put(id, rows.row(0).optional_integer(0), std::move(session));
    });
  }

  StoreResult<bool> save_session(const Session& x, const std::optional<SessionVersion>& expected,
                                 const AuditEntry* audit) override {
    return write<bool>([&](PgConn& db) {
      PgTransaction tx(db);
      if (expected) {
        // At READ COMMITTED, a concurrent change to the row makes this wait for it, then
        // test the status and end time again on the committed row.
        const auto updated = db.exec(
            "UPDATE sessions SET ipv4_address = $1, ipv6_address = $2, status = $3, "
            "expires_at = $4, ended_at = $5, ended_reason = $6 WHERE id = $7 AND status = $8 "
            "AND ($9::text IS NULL OR expires_at = $9)",
            {x.ipv4_address, x.ipv6_address, x.status, x.expires_at, x.ended_at, x.ended_reason,
             x.id, expected->status, expected->expires_at});
        if (updated.affected() == 0) return false;
      } else {
        static const std::string sql =
            fmt::format("INSERT INTO sessions ({}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
                        session_columns);
        db.exec(sql, session_params(x));
      }
      for (const auto& ip : x.resource_ips) {
        static const std::string sql = fmt::format(
            "INSERT INTO session_resource_ips ({}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) "
            "ON CONFLICT (id) DO UPDATE SET status = excluded.status, provider_rule_id = "
            "excluded.provider_rule_id, applied_at = excluded.applied_at, removed_at = "
            "excluded.removed_at, error_message = excluded.error_message",
            resource_ip_columns);
        db.exec(sql, resource_ip_params(x.id, ip));
      }
      if (audit != nullptr) insert_audit(db, *audit);
      tx.commit();
      return true;
    });
  }

  StoreResult<std::vector<Session>> find_sessions_by_status(
      const std::vector<std::string>& statuses, const OptionalText& expires_before) override {
    return m_pool.run<std::vector<Session>>([&](PgConn& db) {
      std::vector<Param> params(statuses.begin(), statuses.end());
      std::string sql = fmt::format("SELECT {} FROM sessions WHERE status IN ({})", session_columns,
                                    placeholders(1, statuses.size()));
      if (expires_before) {
        params.emplace_back(*expires_before);
        sql += fmt::format(" AND expires_at COLLATE \"C\" <= ${}", params.size());
      }
      sql += " ORDER BY expires_at COLLATE \"C\"";
      PgTransaction tx(db);
      const auto rows = db.exec(sql, params);
      std::vector<Session> out;
      for (int i = 0; i < rows.size(); ++i) out.push_back(read_session(rows.row(i)));
      for (auto& session : out) load_resource_ips(db, session);
      tx.commit();
      return out;
    });
  }

  StoreResult<bool> hold_duty(const std::string& duty) override {
    try {
      return m_duties.hold(duty);
    } catch (const PgError& error) {
      return unexpected(to_error(error));
    }
  }

  StoreResult<AuditPage> query_audit(const AuditFilter& f) override {
    return m_pool.run<AuditPage>([&](PgConn& db) {
      std::vector<Param> params = {f.organization_id};
      std::string where = "organization_id = $1";
      const auto add = [&](std::string_view condition, const OptionalText& value) {
        if (!value) return;
        params.push_back(value);
        where += fmt::format(" AND {} ${}", condition, params.size());
      };
      add("event_type =", f.event_type);
      add("actor_email =", f.actor_email);
      add("created_at COLLATE \"C\" >=", f.from);
      add("created_at COLLATE \"C\" <", f.to);
      PgTransaction tx(db);
      AuditPage page;
      page.total = db.exec(fmt::format("SELECT COUNT(*) FROM audit_logs WHERE {}", where), params)
                       .row(0)
                       .integer(0);
      const auto count = params.size();
      params.push_back(std::to_string(f.size));
      params.push_back(std::to_string(f.page * f.size));
      const auto rows = db.exec(
          fmt::format("SELECT {} FROM audit_logs WHERE {} ORDER BY created_at COLLATE \"C\" "
                      "DESC, id COLLATE \"C\" DESC LIMIT ${} OFFSET ${}",
                      audit_columns, where, count + 1, count + 2),
          params);
      for (int i = 0; i < rows.size(); ++i) page.content.push_back(read_audit(rows.row(i)));
      tx.commit();
      return page;
    });
  }

 private:
  // The epochs now without a round trip, when known: the read scope's, or the watch's
  // (kept for the scope).
  std::optional<Epochs> known_epochs() {
    const bool scoped = t_scope.store == this && t_scope.depth > 0;
    if (scoped && t_scope.epochs) return t_scope.epochs;
    if (!m_watch) return std::nullopt;
    auto watched = m_watch->current();
    if (scoped) t_scope.epochs = watched;
    return watched;
  }
  // The epochs now: known, or read (and kept for the scope) in one statement.
  Epochs epochs(PgConn& db) {
    if (auto known = known_epochs()) return *known;
    const auto read = read_epochs(db);
    if (t_scope.store == this && t_scope.depth > 0) t_scope.epochs = read;
    return read;
  }
  void forget_scope_epochs() override {
    if (t_scope.store == this) t_scope.epochs.reset();
  }
  void wrote_epoch_tables() override {
    if (m_watch) m_watch->wrote();
  }
  // A change, with what the caches must know of it: the read scope's epochs are
  // forgotten before it, and the watch (when there is one) re-reads them after it, so
  // that this process's next read sees it.
  template <typename T, typename Body>
  StoreResult<T> write(Body&& body) {
    return epoch_write([&] { return m_pool.run<T>(std::forward<Body>(body)); });
  }

  // What the startup log says: server version, user, host, port, database and TLS, from
  // the live connection; never the password.
  static std::string describe_connection(PgConn& db, Revocation revocation) {
    PGconn* conn = db.raw();
    const int version = PQserverVersion(conn);
    return fmt::format(
        "PostgreSQL {}.{} as {} at {}:{}/{}, {}; authenticated keys and sessions cached behind "
        "{}",
        version / 10000, version % 10000, PQuser(conn), PQhost(conn), PQport(conn), PQdb(conn),
        PQsslInUse(conn) != 0 ? "TLS" : "no TLS",
        revocation == Revocation::notify
            ? "epochs kept current by LISTEN/NOTIFY and a 250 ms poll (revocation = notify: "
              "another instance's change honoured within 1 s)"
            : "epochs read on every request (revocation = every-request)");
  }

  std::string m_url;
  StoreOptions m_options;
  PgPool m_pool;
  PgDuties m_duties;
  std::unique_ptr<EpochWatch> m_watch;  // with Revocation::notify
  std::string m_description = "PostgreSQL";
  EpochCache<KeyActor> m_key_cache{50'000};
  EpochCache<Session> m_session_cache{10'000};
};

}  // namespace
}  // namespace postgres

StoreResult<std::unique_ptr<Store>> open_postgres_store(const std::string& url,
                                                        const StoreOptions& options) {
  try {
    auto store = std::make_unique<postgres::PostgresStore>(url, options);
    store->migrate();
    return std::unique_ptr<Store>(std::move(store));
  } catch (const postgres::PgError& error) {
    return unexpected(postgres::to_error(error));
  }
}

}  // namespace scopegate::server
