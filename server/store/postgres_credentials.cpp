#include "server/store/postgres_credentials.hpp"

#include <fmt/format.h>

#include "server/store/postgres_rows.hpp"

namespace scopegate::server::postgres {

namespace {

Param optional_flag(const std::optional<bool>& value) {
  if (!value) return std::nullopt;
  return flag(*value);
}

std::vector<Credential> read_all(const PgResult& rows) {
  std::vector<Credential> out;
  for (int i = 0; i < rows.size(); ++i) out.push_back(read_credential(rows.row(i)));
  return out;
}

}  // namespace

bool lock_credential(PgConn& db, const std::string& id, const std::string& organization_id,
                     std::string_view mode) {
  return !db.exec(fmt::format("SELECT 1 FROM credentials WHERE id = $1 AND organization_id = $2 "
                              "FOR {}",
                              mode),
                  {id, organization_id})
              .empty();
}

StoreResult<Done> create_credential(PgPool& pool, const Credential& c, const AuditEntry& audit) {
  return pool.run<Done>([&](PgConn& db) {
    PgTransaction tx(db);
    static const std::string sql =
        fmt::format("INSERT INTO credentials ({}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
                    credential_columns);
    db.exec(sql, {c.id, c.organization_id, c.name, c.provider, c.credential_type, c.sealed_data,
                  optional_flag(c.valid), c.last_verified_at, c.verification_error, c.created_at,
                  c.updated_at});
    insert_audit(db, audit);
    tx.commit();
    return Done{};
  });
}

StoreResult<std::vector<Credential>> list_credentials(PgPool& pool,
                                                      const std::string& organization_id) {
  return pool.run<std::vector<Credential>>([&](PgConn& db) {
    static const std::string sql = fmt::format(
        "SELECT {} FROM credentials WHERE organization_id = $1 ORDER BY name COLLATE \"C\", id "
        "COLLATE \"C\"",
        credential_columns);
    return read_all(db.exec(sql, {organization_id}));
  });
}

StoreResult<std::optional<Credential>> find_credential(PgPool& pool, const std::string& id) {
  return pool.run<std::optional<Credential>>([&](PgConn& db) -> std::optional<Credential> {
    static const std::string sql =
        fmt::format("SELECT {} FROM credentials WHERE id = $1", credential_columns);
    const auto rows = db.exec(sql, {id});
    if (rows.empty()) return std::nullopt;
    return read_credential(rows.row(0));
  });
}

StoreResult<std::int64_t> delete_credential(PgPool& pool, const std::string& id,
                                            const AuditEntry& audit) {
  return pool.run<std::int64_t>([&](PgConn& db) -> std::int64_t {
    PgTransaction tx(db);
    // Waits for resources being written with this credential (FOR SHARE) to commit.
    db.exec("SELECT 1 FROM credentials WHERE id = $1 FOR UPDATE", {id});
    const auto resources =
        db.exec("SELECT COUNT(*) FROM resources WHERE credential_id = $1", {id}).row(0).integer(0);
    if (resources > 0) return resources;
    db.exec("DELETE FROM credentials WHERE id = $1", {id});
    insert_audit(db, audit);
    tx.commit();
    return 0;
  });
}

StoreResult<std::vector<Credential>> list_unchecked_credentials(PgPool& pool) {
  return pool.run<std::vector<Credential>>([&](PgConn& db) {
    static const std::string sql = fmt::format(
        "SELECT {} FROM credentials WHERE is_valid IS NULL ORDER BY created_at COLLATE \"C\", id "
        "COLLATE \"C\"",
        credential_columns);
    return read_all(db.exec(sql));
  });
}

StoreResult<Done> record_credential_check(PgPool& pool, const Credential& c,
                                          const AuditEntry& audit) {
  return pool.run<Done>([&](PgConn& db) {
    PgTransaction tx(db);
    const auto updated = db.exec(
        "UPDATE credentials SET is_valid = $1, last_verified_at = $2, verification_error = $3, "
        "updated_at = $4 WHERE id = $5",
        {flag(c.valid.value_or(false)), c.last_verified_at, c.verification_error, c.updated_at,
         c.id});
    if (updated.affected() > 0) insert_audit(db, audit);
    tx.commit();
    return Done{};
  });
}

StoreResult<std::string> claim_secrets_check(PgPool& pool, const std::string& sealed) {
  return pool.run<std::string>([&](PgConn& db) {
    PgTransaction tx(db);
    db.exec("INSERT INTO secrets_check (id, sealed) VALUES (1, $1) ON CONFLICT DO NOTHING",
            {sealed});
    auto stored = db.exec("SELECT sealed FROM secrets_check WHERE id = 1").row(0).text(0);
    tx.commit();
    return stored;
  });
}

}  // namespace scopegate::server::postgres
