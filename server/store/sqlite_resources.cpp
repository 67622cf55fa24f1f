#include "server/store/sqlite_resources.hpp"

#include "server/store/sqlite_credentials.hpp"
#include "server/store/sqlite_rows.hpp"

namespace scopegate::server::sqlite {

namespace {

using ResourceWrite = Store::ResourceWrite;

// The columns both writes set, as ? 1 to 10, and the id as ? 11.
void bind_resource(SQLite::Statement& s, const Resource& r) {
  s.bind(1, r.name);
  bind_text(s, 2, r.credential_id);
  s.bind(3, r.provider);
  s.bind(4, r.resource_type);
  s.bind(5, r.resource_identifier);
  bind_text(s, 6, r.region);
  bind_text(s, 7, r.config_json);
  s.bind(8, r.active ? 1 : 0);
  bind_text(s, 9, r.last_verified_at);
  s.bind(10, r.updated_at);
  s.bind(11, r.id);
}

}  // namespace

ResourceWrite create_resource(Conn& db, const Resource& r, const AuditEntry& audit,
                              std::optional<std::int64_t> max_resources) {
  WriteTransaction tx(db);  // BEGIN IMMEDIATE: no other writer until the commit
  if (r.credential_id && !credential_in_organization(db, *r.credential_id, r.organization_id))
    return ResourceWrite::foreign_credential;
  if (max_resources) {
    SQLite::Statement& count =
        db.prepare("SELECT COUNT(*) FROM resources WHERE organization_id = ?");
    count.bind(1, r.organization_id);
    count.executeStep();
    const std::int64_t resources = count.getColumn(0).getInt64();
    count.reset();
    if (resources >= *max_resources) return ResourceWrite::limit_reached;
  }
  SQLite::Statement& s = db.prepare(
      "INSERT INTO resources (name, credential_id, provider, resource_type, "
      "resource_identifier, region, config, is_active, last_verified_at, updated_at, id, "
      "organization_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
  bind_resource(s, r);
  s.bind(12, r.organization_id);
  s.bind(13, r.created_at);
  s.exec();
  insert_audit(db, audit);
  tx.commit();
  return ResourceWrite::saved;
}

ResourceWrite update_resource(Conn& db, const Resource& r, const AuditEntry& audit) {
  WriteTransaction tx(db);
  if (r.credential_id && !credential_in_organization(db, *r.credential_id, r.organization_id))
    return ResourceWrite::foreign_credential;
  SQLite::Statement& s = db.prepare(
      "UPDATE resources SET name = ?, credential_id = ?, provider = ?, resource_type = ?, "
      "resource_identifier = ?, region = ?, config = ?, is_active = ?, last_verified_at = ?, "
      "updated_at = ? WHERE id = ?");
  bind_resource(s, r);
  if (s.exec() == 0) return ResourceWrite::gone;
  insert_audit(db, audit);
  tx.commit();
  return ResourceWrite::saved;
}

}  // namespace scopegate::server::sqlite
