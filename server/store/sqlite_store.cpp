// SQLite implementation of Store through SQLiteCpp: a small pool of connections (WAL
// lets readers run beside the one writer), every change in a BEGIN IMMEDIATE
// transaction, every SQLite::Exception caught here and returned as a StoreError. A read
// scope pins one pooled connection to its thread from its first read, so that a request's
// reads share one read transaction. Authenticated keys and sessions are cached behind the
// credential and session epochs (migrations 3 and 5), which that transaction reads before
// it looks in a cache; while the CommitWatch shows that nothing at all has been committed
// since the epochs were last read, they are still current, and a request whose rows are
// cached opens no transaction at all (ConfirmedEpochs below).
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <mutex>
#include <sstream>
#include <unordered_map>

#include "server/clock.hpp"
#include "server/store/commit_watch.hpp"
#include "server/store/migrations.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

namespace {

constexpr int busy_timeout_ms = 5000;

void bind_text(SQLite::Statement& statement, int index, const OptionalText& value) {
  if (value) {
    statement.bind(index, *value);
  } else {
    statement.bind(index);
  }
}

std::optional<std::int64_t> optional_integer(SQLite::Statement& statement, int index) {
  const auto column = statement.getColumn(index);
  if (column.isNull()) return std::nullopt;
  return column.getInt64();
}

OptionalText column_text(SQLite::Statement& statement, int index) {
  const auto column = statement.getColumn(index);
  if (column.isNull()) return std::nullopt;
  return column.getString();
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& scope : scopes) {
    if (!out.empty()) out += ' ';
    out += scope;
  }
  return out;
}

std::vector<std::string> split_scopes(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string scope;
  while (in >> scope) out.push_back(scope);
  return out;
}

StoreError to_error(const SQLite::Exception& error) {
  const int code = error.getExtendedErrorCode();
  const bool conflict = code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY;
  return StoreError{conflict ? StoreError::Kind::conflict : StoreError::Kind::failure,
                    error.what()};
}

// One connection and its prepared statements, reused across requests.
class Conn {
 public:
  explicit Conn(const std::string& path)
      : m_db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
             busy_timeout_ms) {
    m_db.exec("PRAGMA journal_mode=WAL");
    m_db.exec("PRAGMA synchronous=NORMAL");
    m_db.exec("PRAGMA foreign_keys=ON");
  }

  void exec(const std::string& sql) { m_db.exec(sql); }

  // The statement for `sql`, compiled once per connection, reset and unbound.
  SQLite::Statement& prepare(const std::string& sql) {
    auto found = m_statements.find(sql);
    if (found == m_statements.end()) {
      found = m_statements.emplace(sql, std::make_unique<SQLite::Statement>(m_db, sql)).first;
    }
    auto& statement = *found->second;
    statement.reset();
    statement.clearBindings();
    m_used.push_back(&statement);
    return statement;
  }

  // Resets every statement used since the last call, so that none keeps a read
  // snapshot open (a stale snapshot would hide a revocation from the next request).
  void finish_statements() noexcept {
    for (auto* statement : m_used) {
      try {
        statement->reset();
      } catch (const SQLite::Exception&) {
        // reset() reports the statement's last error again; it is reset regardless
      }
    }
    m_used.clear();
  }

 private:
  SQLite::Database m_db;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> m_statements;
  std::vector<SQLite::Statement*> m_used;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless commit() ran. A read transaction left
// open by a read scope ends first: a write must start from the latest snapshot.
class WriteTransaction {
 public:
  explicit WriteTransaction(Conn& db) : m_db(db) {
    m_db.finish_statements();
    m_db.exec("BEGIN IMMEDIATE");
  }
  ~WriteTransaction() {
    if (!m_done) {
      m_db.finish_statements();
      try {
        m_db.exec("ROLLBACK");
      } catch (const SQLite::Exception&) {
        // the connection already rolled back (e.g. after SQLITE_FULL)
      }
    }
  }
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  void commit() {
    m_db.finish_statements();
    m_db.exec("COMMIT");
    m_done = true;
  }

 private:
  Conn& m_db;
  bool m_done = false;
};

constexpr std::string_view user_columns =
    "id, organization_id, email, name, role, password_hash, is_active, created_at, last_login_at";
constexpr std::string_view prefixed_user_columns =
    "u.id, u.organization_id, u.email, u.name, u.role, u.password_hash, u.is_active, "
    "u.created_at, u.last_login_at";
constexpr std::string_view key_columns =
    "k.id, k.organization_id, k.created_by, u.email, k.name, k.description, k.key_prefix, "
    "k.key_hash, k.scopes, k.expires_at, k.revoked_at, k.last_used_at, k.last_used_ip, "
    "k.created_at, k.allowed_cidrs";
constexpr std::string_view resource_columns =
    "r.id, r.organization_id, r.name, r.credential_id, r.provider, r.resource_type, "
    "r.resource_identifier, r.region, r.config, r.is_active, r.last_verified_at, r.created_at, "
    "r.updated_at";
constexpr std::string_view session_columns =
    "id, organization_id, user_id, ipv4_address, ipv6_address, status, started_at, expires_at, "
    "ended_at, ended_reason, created_at";
constexpr std::string_view prefixed_session_columns =
    "s.id, s.organization_id, s.user_id, s.ipv4_address, s.ipv6_address, s.status, "
    "s.started_at, s.expires_at, s.ended_at, s.ended_reason, s.created_at";
constexpr std::string_view audit_columns =
    "id, organization_id, event_type, actor_email, actor_type, resource_type, resource_id, "
    "resource_name, result, ip_address, error_message, details, created_at";

User read_user(SQLite::Statement& s, int first = 0) {
  User u;
  u.id = s.getColumn(first).getString();
  u.organization_id = s.getColumn(first + 1).getString();
  u.email = s.getColumn(first + 2).getString();
  u.name = s.getColumn(first + 3).getString();
  u.role = s.getColumn(first + 4).getString();
  u.password_hash = s.getColumn(first + 5).getString();
  u.active = s.getColumn(first + 6).getInt() != 0;
  u.created_at = s.getColumn(first + 7).getString();
  u.last_login_at = column_text(s, first + 8);
  return u;
}

Organization read_organization(SQLite::Statement& s, int first) {
  return Organization{s.getColumn(first).getString(), s.getColumn(first + 1).getString(),
                      s.getColumn(first + 2).getString(), s.getColumn(first + 3).getString()};
}

ApiKey read_key(SQLite::Statement& s, int first = 0) {
  ApiKey k;
  k.id = s.getColumn(first).getString();
  k.organization_id = s.getColumn(first + 1).getString();
  k.created_by = s.getColumn(first + 2).getString();
  k.created_by_email = s.getColumn(first + 3).getString();
  k.name = s.getColumn(first + 4).getString();
  k.description = column_text(s, first + 5);
  k.key_prefix = s.getColumn(first + 6).getString();
  k.key_hash = s.getColumn(first + 7).getString();
  k.scopes = split_scopes(s.getColumn(first + 8).getString());
  k.expires_at = column_text(s, first + 9);
  k.revoked_at = column_text(s, first + 10);
  k.last_used_at = column_text(s, first + 11);
  k.last_used_ip = column_text(s, first + 12);
  k.created_at = s.getColumn(first + 13).getString();
  k.allowed_cidrs = split_scopes(s.getColumn(first + 14).getString());
  return k;
}

Resource read_resource(SQLite::Statement& s) {
  Resource r;
  r.id = s.getColumn(0).getString();
  r.organization_id = s.getColumn(1).getString();
  r.name = s.getColumn(2).getString();
  r.credential_id = column_text(s, 3);
  r.provider = s.getColumn(4).getString();
  r.resource_type = s.getColumn(5).getString();
  r.resource_identifier = s.getColumn(6).getString();
  r.region = column_text(s, 7);
  r.config_json = column_text(s, 8);
  r.active = s.getColumn(9).getInt() != 0;
  r.last_verified_at = column_text(s, 10);
  r.created_at = s.getColumn(11).getString();
  r.updated_at = s.getColumn(12).getString();
  return r;
}

Session read_session(SQLite::Statement& s) {
  Session x;
  x.id = s.getColumn(0).getString();
  x.organization_id = s.getColumn(1).getString();
  x.user_id = s.getColumn(2).getString();
  x.ipv4_address = column_text(s, 3);
  x.ipv6_address = column_text(s, 4);
  x.status = s.getColumn(5).getString();
  x.started_at = s.getColumn(6).getString();
  x.expires_at = s.getColumn(7).getString();
  x.ended_at = column_text(s, 8);
  x.ended_reason = column_text(s, 9);
  x.created_at = s.getColumn(10).getString();
  return x;
}

AuditEntry read_audit(SQLite::Statement& s) {
  AuditEntry a;
  a.id = s.getColumn(0).getString();
  a.organization_id = s.getColumn(1).getString();
  a.event_type = s.getColumn(2).getString();
  a.actor_email = column_text(s, 3);
  a.actor_type = s.getColumn(4).getString();
  a.resource_type = column_text(s, 5);
  a.resource_id = column_text(s, 6);
  a.resource_name = column_text(s, 7);
  a.result = s.getColumn(8).getString();
  a.ip_address = column_text(s, 9);
  a.error_message = column_text(s, 10);
  a.details_json = s.getColumn(11).getString();
  a.created_at = s.getColumn(12).getString();
  return a;
}

void insert_audit(Conn& db, const AuditEntry& a) {
  static const std::string sql =
      fmt::format("INSERT INTO audit_logs ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", audit_columns);
  SQLite::Statement& s = db.prepare(sql);
  s.bind(1, a.id);
  s.bind(2, a.organization_id);
  s.bind(3, a.event_type);
  bind_text(s, 4, a.actor_email);
  s.bind(5, a.actor_type);
  bind_text(s, 6, a.resource_type);
  bind_text(s, 7, a.resource_id);
  bind_text(s, 8, a.resource_name);
  s.bind(9, a.result);
  bind_text(s, 10, a.ip_address);
  bind_text(s, 11, a.error_message);
  s.bind(12, a.details_json);
  s.bind(13, a.created_at);
  s.exec();
}

SessionResourceIp read_resource_ip(SQLite::Statement& s, int first) {
  SessionResourceIp ip;
  ip.id = s.getColumn(first).getString();
  ip.session_id = s.getColumn(first + 1).getString();
  ip.resource_id = s.getColumn(first + 2).getString();
  ip.resource_name = s.getColumn(first + 3).getString();
  ip.ip_version = s.getColumn(first + 4).getString();
  ip.ip_address = s.getColumn(first + 5).getString();
  ip.status = s.getColumn(first + 6).getString();
  ip.provider_rule_id = column_text(s, first + 7);
  ip.applied_at = column_text(s, first + 8);
  ip.removed_at = column_text(s, first + 9);
  ip.error_message = column_text(s, first + 10);
  return ip;
}

void load_resource_ips(Conn& db, Session& session) {
  SQLite::Statement& s = db.prepare(
      "SELECT id, session_id, resource_id, resource_name, ip_version, ip_address, "
      "status, provider_rule_id, applied_at, removed_at, error_message "
      "FROM session_resource_ips WHERE session_id = ? ORDER BY resource_name, "
      "ip_version, id");
  s.bind(1, session.id);
  while (s.executeStep()) session.resource_ips.push_back(read_resource_ip(s, 0));
}

// Rows by key, each tagged with the epoch it was read at: the credential epoch for
// authenticated keys, the session epoch for sessions (a change to anything such a row
// holds alters its epoch in the changing transaction, whoever writes: migrations 3 and 5).
// find() answers only when the caller's current epoch, read in its own transaction,
// equals the entry's, so it never serves a row older than the database's. Bounded:
// cleared when full (only rows that exist get an entry, so unknown ids cannot fill it).
template <typename Value>
class EpochCache {
 public:
  explicit EpochCache(std::size_t capacity) : m_capacity(capacity) {}

  // The cached value (shared, immutable), or null.
  std::shared_ptr<const Value> find(const std::string& key, std::optional<std::int64_t> epoch) {
    if (!epoch) return nullptr;
    std::shared_ptr<const Entry> entry;
    {
      std::lock_guard lock(m_mutex);
      const auto found = m_entries.find(key);
      if (found == m_entries.end()) return nullptr;
      entry = found->second;
    }
    if (entry->epoch != *epoch) return nullptr;
    return {entry, &entry->value};
  }

  // The value, shared; kept for later only when its epoch is known.
  std::shared_ptr<const Value> put(const std::string& key, std::optional<std::int64_t> epoch,
                                   Value value) {
    if (!epoch) return std::make_shared<const Value>(std::move(value));
    auto entry = std::make_shared<const Entry>(Entry{*epoch, std::move(value)});
    std::shared_ptr<const Value> shared(entry, &entry->value);
    std::lock_guard lock(m_mutex);
    if (m_entries.size() >= m_capacity && !m_entries.contains(key)) m_entries.clear();
    m_entries.insert_or_assign(key, std::move(entry));
    return shared;
  }

 private:
  struct Entry {
    std::int64_t epoch;
    Value value;
  };
  std::size_t m_capacity;
  std::mutex m_mutex;
  std::unordered_map<std::string, std::shared_ptr<const Entry>> m_entries;
};

// The two epochs, read together in one statement. An epoch whose row is missing (a hand
// edit, a partial restore) is nullopt: nothing is cached behind it, since no trigger can
// change it any more.
struct Epochs {
  std::optional<std::int64_t> credential;
  std::optional<std::int64_t> session;
};

// The epochs last read in a transaction whose CommitWatch token is known: while the token
// is still that one, nothing has been committed since, so the epochs are still those and
// a request needs no transaction to learn them.
class ConfirmedEpochs {
 public:
  std::optional<Epochs> at(const CommitWatch::Token& token) {
    std::lock_guard lock(m_mutex);
    if (!m_token || *m_token != token) return std::nullopt;
    return m_epochs;
  }

  void confirm(const CommitWatch::Token& token, Epochs epochs) {
    std::lock_guard lock(m_mutex);
    m_token = token;
    m_epochs = epochs;
  }

 private:
  std::mutex m_mutex;
  std::optional<CommitWatch::Token> m_token;
  Epochs m_epochs;
};

class SqliteStore;

// The calling thread's read scope (Store::begin_read_scope): which store it belongs to,
// the connection it holds, and how deeply scopes are nested.
struct ThreadScope {
  const SqliteStore* store = nullptr;
  std::unique_ptr<Conn> db;                 // taken at the scope's first read
  std::optional<CommitWatch::Token> start;  // the watch's token just before that read
  int depth = 0;
};
thread_local ThreadScope t_scope;

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::string path) : m_path(std::move(path)) {}

  // A pooled connection, returned to the pool (its statements reset, so that it keeps no
  // read snapshot) when the lease ends; or the connection of the thread's read scope,
  // which stays as it is until the scope ends. start() is the CommitWatch token read just
  // before the connection's first statement (see settled()).
  class Lease {
   public:
    Lease(SqliteStore& store, std::unique_ptr<Conn> db, std::optional<CommitWatch::Token> start)
        : m_store(&store), m_owned(std::move(db)), m_db(m_owned.get()), m_start(start) {}
    Lease(Conn& scoped, std::optional<CommitWatch::Token> start) : m_db(&scoped), m_start(start) {}
    ~Lease() {
      if (!m_owned) return;
      m_owned->finish_statements();
      m_store->release(std::move(m_owned));
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Conn& operator*() { return *m_db; }
    const std::optional<CommitWatch::Token>& start() const { return m_start; }

   private:
    SqliteStore* m_store = nullptr;
    std::unique_ptr<Conn> m_owned;
    Conn* m_db;
    std::optional<CommitWatch::Token> m_start;
  };

  Lease acquire() {
    if (t_scope.store == this) {
      if (!t_scope.db) {
        t_scope.start = token();
        t_scope.db = take();
      }
      return Lease(*t_scope.db, t_scope.start);
    }
    const auto start = token();
    return Lease(*this, take(), start);
  }

  std::unique_ptr<Conn> take() {
    {
      std::lock_guard lock(m_mutex);
      if (!m_pool.empty()) {
        auto db = std::move(m_pool.back());
        m_pool.pop_back();
        return db;
      }
    }
    return std::make_unique<Conn>(m_path);
  }

  // The connection is taken at the scope's first read, so that a request served from the
  // caches opens no transaction at all.
  void begin_read_scope() override {
    if (t_scope.store == this) {
      ++t_scope.depth;
      return;
    }
    if (t_scope.store != nullptr) return;  // another store's scope: this one runs unscoped
    t_scope.store = this;
    t_scope.depth = 1;
  }

  void end_read_scope() noexcept override {
    if (t_scope.store != this || --t_scope.depth > 0) return;
    if (t_scope.db) {
      t_scope.db->finish_statements();
      release(std::move(t_scope.db));
    }
    t_scope.start.reset();
    t_scope.store = nullptr;
  }

  // The CommitWatch's token now; nullopt without a watch or while a commit is in flight.
  std::optional<CommitWatch::Token> token() const noexcept {
    return m_watch ? m_watch->read() : std::nullopt;
  }

  // The epochs as they are now, when that is known without a transaction.
  std::optional<Epochs> known_epochs() {
    const auto now = token();
    return now ? m_confirmed.at(*now) : std::nullopt;
  }

  // The epochs, read through `lease`'s connection in one statement that stays active (in
  // a read scope, the request's later reads share its transaction). When the token read
  // before the lease's first statement is still the token now, nothing was committed in
  // between: the transaction saw exactly that state, and the epochs are confirmed for it.
  Epochs read_epochs(Conn& db, const Lease& lease) {
    static const std::string sql =
        "SELECT (SELECT epoch FROM credential_epoch WHERE id = 1), "
        "(SELECT epoch FROM session_epoch WHERE id = 1)";
    SQLite::Statement& s = db.prepare(sql);
    Epochs epochs;
    if (s.executeStep()) epochs = {optional_integer(s, 0), optional_integer(s, 1)};
    if (lease.start()) {
      if (const auto now = token(); now && *now == *lease.start()) {
        m_confirmed.confirm(*now, epochs);
      }
    }
    return epochs;
  }

  void enable_commit_watch(std::unique_ptr<CommitWatch> watch) { m_watch = std::move(watch); }

  std::string describe() const override {
    return fmt::format("SQLite {}, WAL, commit watch {}", sqlite3_libversion(),
                       m_watch ? "on" : "off (every authenticated request reads in a transaction)");
  }

  void release(std::unique_ptr<Conn> db) {
    if (!db) return;
    std::lock_guard lock(m_mutex);
    m_pool.push_back(std::move(db));
  }

  // Runs `body` on a pooled connection, turning any SQLite exception into a StoreError.
  template <typename T, typename Body>
  StoreResult<T> run(Body&& body) {
    try {
      auto lease = acquire();
      if constexpr (std::is_invocable_v<Body, Conn&, const Lease&>) {
        return StoreResult<T>(body(*lease, lease));
      } else {
        return StoreResult<T>(body(*lease));
      }
    } catch (const SQLite::Exception& error) {
      return unexpected(to_error(error));
    }
  }

  StoreResult<Done> migrate() {
    return run<Done>([](Conn& db) {
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
    return run<std::int64_t>([](Conn& db) {
      SQLite::Statement& s = db.prepare("SELECT COUNT(*) FROM users");
      s.executeStep();
      return s.getColumn(0).getInt64();
    });
  }

  StoreResult<Done> create_organization(const Organization& o) override {
    return run<Done>([&](Conn& db) {
      SQLite::Statement& s =
          db.prepare("INSERT INTO organizations (id, slug, name, created_at) VALUES (?,?,?,?)");
      s.bind(1, o.id);
      s.bind(2, o.slug);
      s.bind(3, o.name);
      s.bind(4, o.created_at);
      s.exec();
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
    return run<std::optional<Organization>>([&](Conn& db) -> std::optional<Organization> {
      SQLite::Statement& s =
          db.prepare(fmt::format("SELECT id, slug, name, created_at FROM organizations "
                                 "WHERE {} = ?",
                                 column));
      s.bind(1, value);
      if (!s.executeStep()) return std::nullopt;
      return Organization{s.getColumn(0).getString(), s.getColumn(1).getString(),
                          s.getColumn(2).getString(), s.getColumn(3).getString()};
    });
  }

  StoreResult<Done> create_user(const User& u, const std::vector<std::string>& resource_ids,
                                const AuditEntry* audit) override {
    return run<Done>([&](Conn& db) {
      WriteTransaction tx(db);
      SQLite::Statement& s = db.prepare(
          fmt::format("INSERT INTO users ({}) VALUES (?,?,?,?,?,?,?,?,?)", user_columns));
      s.bind(1, u.id);
      s.bind(2, u.organization_id);
      s.bind(3, u.email);
      s.bind(4, u.name);
      s.bind(5, u.role);
      s.bind(6, u.password_hash);
      s.bind(7, u.active ? 1 : 0);
      s.bind(8, u.created_at);
      bind_text(s, 9, u.last_login_at);
      s.exec();
      for (const auto& resource_id : resource_ids) {
        SQLite::Statement& a =
            db.prepare("INSERT INTO user_resources (user_id, resource_id) VALUES (?, ?)");
        a.bind(1, u.id);
        a.bind(2, resource_id);
        a.exec();
      }
      if (audit != nullptr) insert_audit(db, *audit);
      tx.commit();
      return Done{};
    });
  }

  StoreResult<std::optional<User>> find_user(const std::string& id) override {
    return run<std::optional<User>>([&](Conn& db) -> std::optional<User> {
      static const std::string sql = fmt::format("SELECT {} FROM users WHERE id = ?", user_columns);
      SQLite::Statement& s = db.prepare(sql);
      s.bind(1, id);
      if (!s.executeStep()) return std::nullopt;
      return read_user(s);
    });
  }

  StoreResult<std::optional<User>> find_user_by_email(const std::string& organization_id,
                                                      const std::string& email) override {
    return run<std::optional<User>>([&](Conn& db) -> std::optional<User> {
      SQLite::Statement& s =
          db.prepare(fmt::format("SELECT {} FROM users WHERE organization_id = ? AND "
                                 "email = ?",
                                 user_columns));
      s.bind(1, organization_id);
      s.bind(2, email);
      if (!s.executeStep()) return std::nullopt;
      return read_user(s);
    });
  }

  StoreResult<std::vector<User>> list_users(const std::string& organization_id) override {
    return run<std::vector<User>>([&](Conn& db) {
      SQLite::Statement& s =
          db.prepare(fmt::format("SELECT {} FROM users WHERE organization_id = ? "
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
    return run<Done>([&](Conn& db) {
      WriteTransaction tx(db);
      SQLite::Statement& u = db.prepare("UPDATE users SET last_login_at = ? WHERE id = ?");
      u.bind(1, at);
      u.bind(2, user_id);
      u.exec();
      for (const auto& token : tokens) {
        SQLite::Statement& t = db.prepare(
            "INSERT INTO access_tokens (token_hash, user_id, kind, expires_at, "
            "created_at) VALUES (?,?,?,?,?)");
        t.bind(1, token.token_hash);
        t.bind(2, token.user_id);
        t.bind(3, token.kind == TokenKind::access ? "access" : "refresh");
        t.bind(4, token.expires_at);
        t.bind(5, token.created_at);
        t.exec();
      }
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
    return run<std::optional<TokenActor>>([&](Conn& db) -> std::optional<TokenActor> {
      static const std::string sql = fmt::format(
          "SELECT t.token_hash, t.user_id, t.kind, t.expires_at, t.created_at, {}, o.id, o.slug, "
          "o.name, o.created_at FROM access_tokens t JOIN users u ON u.id = t.user_id JOIN "
          "organizations o ON o.id = u.organization_id WHERE t.token_hash = ?",
          prefixed_user_columns);
      SQLite::Statement& s = db.prepare(sql);
      s.bind(1, token_hash);
      if (!s.executeStep()) return std::nullopt;
      TokenActor actor;
      actor.token.token_hash = s.getColumn(0).getString();
      actor.token.user_id = s.getColumn(1).getString();
      actor.token.kind =
          s.getColumn(2).getString() == "access" ? TokenKind::access : TokenKind::refresh;
      actor.token.expires_at = s.getColumn(3).getString();
      actor.token.created_at = s.getColumn(4).getString();
      actor.user = read_user(s, 5);
      actor.organization = read_organization(s, 14);
      return actor;
    });
  }

  StoreResult<Done> create_key(const ApiKey& k, const AuditEntry* audit) override {
    return run<Done>([&](Conn& db) {
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
    return run<std::optional<ApiKey>>([&](Conn& db) -> std::optional<ApiKey> {
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
  // the epoch read in the same statement as the row: nothing authentication reads has
  // changed since, whichever connection or process wrote (see migrations.cpp). The epoch
  // now comes from the CommitWatch while nothing has been committed since it was last
  // read (no transaction), otherwise from a read in this request's transaction.
  StoreResult<std::shared_ptr<const KeyActor>> authenticate_key(
      const std::string& key_hash) override {
    using Found = std::shared_ptr<const KeyActor>;
    if (const auto epochs = known_epochs()) {
      if (auto cached = m_key_cache.find(key_hash, epochs->credential)) return cached;
    }
    return run<Found>([&](Conn& db, const Lease& lease) -> Found {
      const auto epoch = read_epochs(db, lease).credential;
      if (auto cached = m_key_cache.find(key_hash, epoch)) return cached;

      static const std::string row_sql = fmt::format(
          "SELECT (SELECT epoch FROM credential_epoch WHERE id = 1), {}, {}, o.id, o.slug, "
          "o.name, o.created_at FROM api_keys k JOIN users u ON u.id = k.created_by JOIN "
          "organizations o ON o.id = k.organization_id WHERE k.key_hash = ?",
          key_columns, prefixed_user_columns);
      SQLite::Statement& s = db.prepare(row_sql);
      s.bind(1, key_hash);
      if (!s.executeStep()) return nullptr;
      KeyActor actor;
      actor.key = read_key(s, 1);
      actor.user = read_user(s, 16);
      actor.organization = read_organization(s, 25);
      return m_key_cache.put(key_hash, optional_integer(s, 0), std::move(actor));
    });
  }

  StoreResult<std::vector<ApiKey>> list_keys(const std::string& organization_id) override {
    return run<std::vector<ApiKey>>([&](Conn& db) {
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
    return run<Done>([&](Conn& db) {
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
    return run<Done>([&](Conn& db) {
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
    return run<std::vector<Resource>>([&](Conn& db) {
      SQLite::Statement& s =
          db.prepare(fmt::format("SELECT {} FROM resources r WHERE r.organization_id = ? "
                                 "ORDER BY r.name, r.id",
                                 resource_columns));
      s.bind(1, organization_id);
      std::vector<Resource> out;
      while (s.executeStep()) out.push_back(read_resource(s));
      return out;
    });
  }

  StoreResult<std::vector<Resource>> list_user_resources(const std::string& user_id) override {
    return run<std::vector<Resource>>([&](Conn& db) {
      SQLite::Statement& s =
          db.prepare(fmt::format("SELECT {} FROM resources r JOIN user_resources ur ON "
                                 "ur.resource_id = r.id WHERE ur.user_id = ? "
                                 "ORDER BY r.name, r.id",
                                 resource_columns));
      s.bind(1, user_id);
      std::vector<Resource> out;
      while (s.executeStep()) out.push_back(read_resource(s));
      return out;
    });
  }

  StoreResult<std::optional<Resource>> find_resource(const std::string& id) override {
    return run<std::optional<Resource>>([&](Conn& db) -> std::optional<Resource> {
      SQLite::Statement& s =
          db.prepare(fmt::format("SELECT {} FROM resources r WHERE r.id = ?", resource_columns));
      s.bind(1, id);
      if (!s.executeStep()) return std::nullopt;
      return read_resource(s);
    });
  }

  StoreResult<Done> save_resource(const Resource& r, const AuditEntry& audit) override {
    return run<Done>([&](Conn& db) {
      WriteTransaction tx(db);
      SQLite::Statement& s = db.prepare(
          "INSERT INTO resources (id, organization_id, name, credential_id, provider, "
          "resource_type, resource_identifier, region, config, is_active, last_verified_at, "
          "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
          "ON CONFLICT (id) DO UPDATE SET name = excluded.name, credential_id = "
          "excluded.credential_id, provider = excluded.provider, resource_type = "
          "excluded.resource_type, resource_identifier = excluded.resource_identifier, region = "
          "excluded.region, config = excluded.config, is_active = excluded.is_active, "
          "last_verified_at = excluded.last_verified_at, updated_at = excluded.updated_at");
      s.bind(1, r.id);
      s.bind(2, r.organization_id);
      s.bind(3, r.name);
      bind_text(s, 4, r.credential_id);
      s.bind(5, r.provider);
      s.bind(6, r.resource_type);
      s.bind(7, r.resource_identifier);
      bind_text(s, 8, r.region);
      bind_text(s, 9, r.config_json);
      s.bind(10, r.active ? 1 : 0);
      bind_text(s, 11, r.last_verified_at);
      s.bind(12, r.created_at);
      s.bind(13, r.updated_at);
      s.exec();
      insert_audit(db, audit);
      tx.commit();
      return Done{};
    });
  }

  StoreResult<Done> delete_resource(const std::string& id, const AuditEntry& audit) override {
    return run<Done>([&](Conn& db) {
      WriteTransaction tx(db);
      SQLite::Statement& s = db.prepare("DELETE FROM resources WHERE id = ?");
      s.bind(1, id);
      s.exec();
      insert_audit(db, audit);
      tx.commit();
      return Done{};
    });
  }

  StoreResult<std::vector<Session>> list_sessions(const std::string& user_id) override {
    return run<std::vector<Session>>([&](Conn& db) {
      SQLite::Statement& s =
          db.prepare(fmt::format("SELECT {} FROM sessions WHERE user_id = ? "
                                 "ORDER BY created_at DESC, id",
                                 session_columns));
      s.bind(1, user_id);
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
    if (const auto epochs = known_epochs()) {
      if (auto cached = m_session_cache.find(id, epochs->session)) return cached;
    }
    return run<Found>([&](Conn& db, const Lease& lease) -> Found {
      const auto epoch = read_epochs(db, lease).session;
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

  StoreResult<bool> save_session(const Session& x, const OptionalText& expected_status,
                                 const AuditEntry* audit) override {
    return run<bool>([&](Conn& db) {
      WriteTransaction tx(db);
      if (expected_status) {
        SQLite::Statement& s = db.prepare(
            "UPDATE sessions SET ipv4_address = ?, ipv6_address = ?, status = ?, expires_at = ?, "
            "ended_at = ?, ended_reason = ? WHERE id = ? AND status = ?");
        bind_text(s, 1, x.ipv4_address);
        bind_text(s, 2, x.ipv6_address);
        s.bind(3, x.status);
        s.bind(4, x.expires_at);
        bind_text(s, 5, x.ended_at);
        bind_text(s, 6, x.ended_reason);
        s.bind(7, x.id);
        s.bind(8, *expected_status);
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
    return run<std::vector<Session>>([&](Conn& db) {
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

  StoreResult<AuditPage> query_audit(const AuditFilter& f) override {
    return run<AuditPage>([&](Conn& db) {
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
  std::string m_path;
  std::mutex m_mutex;
  std::vector<std::unique_ptr<Conn>> m_pool;
  EpochCache<KeyActor> m_key_cache{50'000};
  EpochCache<Session> m_session_cache{10'000};
  std::unique_ptr<CommitWatch> m_watch;
  ConfirmedEpochs m_confirmed;
};

}  // namespace

StoreResult<std::unique_ptr<Store>> open_sqlite_store(const std::string& path) {
  // Before SQLite initializes: no allocation statistics, whose global mutex every
  // allocation of every connection would otherwise take. Refused (harmlessly) if SQLite
  // was already initialized.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  try {
    auto store = std::make_unique<SqliteStore>(path);
    auto migrated = store->migrate();
    if (!migrated) return unexpected(migrated.error());
    store->enable_commit_watch(CommitWatch::open(path));
    return std::unique_ptr<Store>(std::move(store));
  } catch (const SQLite::Exception& error) {
    return unexpected(to_error(error));
  }
}

}  // namespace scopegate::server
