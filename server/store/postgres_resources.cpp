#include "server/store/postgres_resources.hpp"

#include "server/store/postgres_credentials.hpp"
#include "server/store/postgres_rows.hpp"

namespace scopegate::server::postgres {

namespace {

using ResourceWrite = Store::ResourceWrite;

// The columns both writes set, as $1 to $10, the id as $11, then `more`.
std::vector<Param> resource_params(const Resource& r, std::vector<Param> more) {
  std::vector<Param> params = {
      r.name,   r.credential_id, r.provider,     r.resource_type,    r.resource_identifier,
      r.region, r.config_json,   flag(r.active), r.last_verified_at, r.updated_at,
      r.id};
  params.insert(params.end(), more.begin(), more.end());
  return params;
}

}  // namespace

ResourceWrite create_resource(PgConn& db, const Resource& r, const AuditEntry& audit,
                              std::optional<std::int64_t> max_resources) {
  PgTransaction tx(db);
  // FOR SHARE: a concurrent delete_credential() (FOR UPDATE) waits for this commit.
  if (r.credential_id && !lock_credential(db, *r.credential_id, r.organization_id, "SHARE"))
    return ResourceWrite::foreign_credential;
  if (max_resources) {
    // The organization's row locked: creations in it wait for this commit, then count
    // what it added.
    db.exec("SELECT id FROM organizations WHERE id = $1 FOR UPDATE", {r.organization_id});
    const auto resources =
        db.exec("SELECT COUNT(*) FROM resources WHERE organization_id = $1", {r.organization_id})
            .row(0)
            .integer(0);
    if (resources >= *max_resources) return ResourceWrite::limit_reached;
  }
  db.exec(
      "INSERT INTO resources (name, credential_id, provider, resource_type, "
      "resource_identifier, region, config, is_active, last_verified_at, updated_at, id, "
      "organization_id, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
      resource_params(r, {r.organization_id, r.created_at}));
  insert_audit(db, audit);
  tx.commit();
  return ResourceWrite::saved;
}

ResourceWrite update_resource(PgConn& db, const Resource& r, const AuditEntry& audit) {
  PgTransaction tx(db);
  if (r.credential_id && !lock_credential(db, *r.credential_id, r.organization_id, "SHARE"))
    return ResourceWrite::foreign_credential;
  const auto updated = db.exec(
      "UPDATE resources SET name = $1, credential_id = $2, provider = $3, resource_type = $4, "
      "resource_identifier = $5, region = $6, config = $7, is_active = $8, "
      "last_verified_at = $9, updated_at = $10 WHERE id = $11",
      resource_params(r, {}));
  if (updated.affected() == 0) return ResourceWrite::gone;
  insert_audit(db, audit);
  tx.commit();
  return ResourceWrite::saved;
}

}  // namespace scopegate::server::postgres
