#include "server/store/sqlite_credentials.hpp"

#include <fmt/format.h>

#include "server/store/sqlite_rows.hpp"

namespace scopegate::server::sqlite {

bool credential_in_organization(Conn& db, const std::string& id,
                                const std::string& organization_id) {
  SQLite::Statement& s =
      db.prepare("SELECT 1 FROM credentials WHERE id = ? AND organization_id = ?");
  s.bind(1, id);
  s.bind(2, organization_id);
  return s.executeStep();
}

StoreResult<Done> create_credential(SqlitePool& pool, const Credential& c,
                                    const AuditEntry& audit) {
  return pool.run<Done>([&](Conn& db) {
    WriteTransaction tx(db);
    static const std::string sql = fmt::format(
        "INSERT INTO credentials ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", credential_columns);
    SQLite::Statement& s = db.prepare(sql);
    s.bind(1, c.id);
    s.bind(2, c.organization_id);
    s.bind(3, c.name);
    s.bind(4, c.provider);
    s.bind(5, c.credential_type);
    s.bind(6, c.sealed_data);
    if (c.valid) {
      s.bind(7, *c.valid ? 1 : 0);
    } else {
      s.bind(7);
    }
    bind_text(s, 8, c.last_verified_at);
    bind_text(s, 9, c.verification_error);
    s.bind(10, c.created_at);
    s.bind(11, c.updated_at);
    s.exec();
    insert_audit(db, audit);
    tx.commit();
    return Done{};
  });
}

StoreResult<std::vector<Credential>> list_credentials(SqlitePool& pool,
                                                      const std::string& organization_id) {
  return pool.run<std::vector<Credential>>([&](Conn& db) {
    static const std::string sql =
        fmt::format("SELECT {} FROM credentials WHERE organization_id = ? ORDER BY name, id",
                    credential_columns);
    SQLite::Statement& s = db.prepare(sql);
    s.bind(1, organization_id);
    std::vector<Credential> out;
    while (s.executeStep()) out.push_back(read_credential(s));
    return out;
  });
}

StoreResult<std::optional<Credential>> find_credential(SqlitePool& pool, const std::string& id) {
  return pool.run<std::optional<Credential>>([&](Conn& db) -> std::optional<Credential> {
    static const std::string sql =
        fmt::format("SELECT {} FROM credentials WHERE id = ?", credential_columns);
    SQLite::Statement& s = db.prepare(sql);
    s.bind(1, id);
    if (!s.executeStep()) return std::nullopt;
    return read_credential(s);
  });
}

StoreResult<std::int64_t> delete_credential(SqlitePool& pool, const std::string& id,
                                            const AuditEntry& audit) {
  return pool.run<std::int64_t>([&](Conn& db) -> std::int64_t {
    WriteTransaction tx(db);
    SQLite::Statement& using_it =
        db.prepare("SELECT COUNT(*) FROM resources WHERE credential_id = ?");
    using_it.bind(1, id);
    using_it.executeStep();
    if (const auto resources = using_it.getColumn(0).getInt64(); resources > 0) return resources;
    SQLite::Statement& s = db.prepare("DELETE FROM credentials WHERE id = ?");
    s.bind(1, id);
    s.exec();
    insert_audit(db, audit);
    tx.commit();
    return 0;
  });
}

StoreResult<std::vector<Credential>> list_unchecked_credentials(SqlitePool& pool) {
  return pool.run<std::vector<Credential>>([&](Conn& db) {
    static const std::string sql =
        fmt::format("SELECT {} FROM credentials WHERE is_valid IS NULL ORDER BY created_at, id",
                    credential_columns);
    SQLite::Statement& s = db.prepare(sql);
    std::vector<Credential> out;
    while (s.executeStep()) out.push_back(read_credential(s));
    return out;
  });
}

StoreResult<Done> record_credential_check(SqlitePool& pool, const Credential& c,
                                          const AuditEntry& audit) {
  return pool.run<Done>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& s = db.prepare(
        "UPDATE credentials SET is_valid = ?, last_verified_at = ?, verification_error = ?, "
        "updated_at = ? WHERE id = ?");
    s.bind(1, c.valid.value_or(false) ? 1 : 0);
    bind_text(s, 2, c.last_verified_at);
    bind_text(s, 3, c.verification_error);
    s.bind(4, c.updated_at);
    s.bind(5, c.id);
    if (s.exec() > 0) insert_audit(db, audit);
    tx.commit();
    return Done{};
  });
}

StoreResult<std::string> claim_secrets_check(SqlitePool& pool, const std::string& sealed) {
  return pool.run<std::string>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& insert =
        db.prepare("INSERT INTO secrets_check (id, sealed) VALUES (1, ?) ON CONFLICT DO NOTHING");
    insert.bind(1, sealed);
    insert.exec();
    SQLite::Statement& s = db.prepare("SELECT sealed FROM secrets_check WHERE id = 1");
    s.executeStep();
    auto stored = s.getColumn(0).getString();
    s.reset();
    tx.commit();
    return stored;
  });
}

}  // namespace scopegate::server::sqlite
