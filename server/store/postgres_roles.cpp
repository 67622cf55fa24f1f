#include "server/store/postgres_roles.hpp"

#include <fmt/format.h>

#include <map>

#include "server/store/postgres_rows.hpp"

namespace scopegate::server::postgres {

namespace {

// The link table of `link` and its column for the other side.
struct LinkTable {
  std::string_view table;
  std::string_view column;
};

LinkTable link_table(RoleLink link) {
  return link == RoleLink::user ? LinkTable{"role_users", "user_id"}
                                : LinkTable{"role_resources", "resource_id"};
}

// Serializes the changes to an organization's users until the transaction ends.
void lock_organization(PgConn& db, const std::string& organization_id) {
  db.exec("SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE", {organization_id});
}

// Whether the organization still has an active admin (inside the writing transaction).
bool has_active_admin(PgConn& db, const std::string& organization_id) {
  return db.exec(
               "SELECT COUNT(*) FROM users WHERE organization_id = $1 AND role = 'admin' AND "
               "is_active = 1 AND deleted_at IS NULL",
               {organization_id})
             .row(0)
             .integer(0) > 0;
}

// Fills the links of `roles` from the link tables, for the roles selected by `where`
// (bound to `value`).
void load_links(PgConn& db, std::vector<OrgRole>& roles, std::string_view where,
                const std::string& value) {
  std::map<std::string, OrgRole*> by_id;
  for (auto& role : roles) by_id[role.id] = &role;
  for (const auto link : {RoleLink::resource, RoleLink::user}) {
    const auto [table, column] = link_table(link);
    const auto rows = db.exec(
        fmt::format("SELECT l.role_id, l.{} FROM {} l JOIN roles r ON r.id = l.role_id WHERE "
                    "r.{} = $1 ORDER BY l.{} COLLATE \"C\"",
                    column, table, where, column),
        {value});
    for (int i = 0; i < rows.size(); ++i) {
      const auto found = by_id.find(rows.row(i).text(0));
      if (found == by_id.end()) continue;
      auto& ids = link == RoleLink::user ? found->second->user_ids : found->second->resource_ids;
      ids.push_back(rows.row(i).text(1));
    }
  }
}

std::vector<OrgRole> roles_where(PgConn& db, std::string_view column, const std::string& value) {
  // One snapshot for the roles and their links.
  PgTransaction tx(db);
  const auto rows = db.exec(fmt::format("SELECT {} FROM roles WHERE {} = $1 ORDER BY name "
                                        "COLLATE \"C\", id COLLATE \"C\"",
                                        role_columns, column),
                            {value});
  std::vector<OrgRole> out;
  for (int i = 0; i < rows.size(); ++i) out.push_back(read_role(rows.row(i)));
  load_links(db, out, column, value);
  tx.commit();
  return out;
}

OptionalText integer_param(const std::optional<std::int64_t>& value) {
  if (!value) return std::nullopt;
  return std::to_string(*value);
}

}  // namespace

StoreResult<Store::UserChange> PostgresRoles::update_user(const User& u, UserFields fields,
                                                          const AuditEntry& audit) {
  return epoch_write([&] {
    return pool().run<UserChange>([&](PgConn& db) {
      PgTransaction tx(db);
      lock_organization(db, u.organization_id);
      // A field the change does not set is sent NULL and keeps the row's value.
      const auto updated = db.exec(
          "UPDATE users SET name = COALESCE($1, name), role = COALESCE($2, role), is_active = "
          "COALESCE($3::integer, is_active), updated_at = $4 WHERE id = $5 AND deleted_at IS "
          "NULL",
          {fields.name ? Param(u.name) : std::nullopt, fields.role ? Param(u.role) : std::nullopt,
           fields.active ? Param(flag(u.active)) : std::nullopt, u.updated_at, u.id});
      if (updated.affected() == 0) return UserChange::gone;
      if (!has_active_admin(db, u.organization_id)) return UserChange::last_admin;
      insert_audit(db, audit);
      tx.commit();
      return UserChange::done;
    });
  });
}

StoreResult<Store::UserChange> PostgresRoles::delete_user(const User& u, const std::string& at,
                                                          const AuditEntry& audit) {
  return epoch_write([&] {
    return pool().run<UserChange>([&](PgConn& db) {
      PgTransaction tx(db);
      lock_organization(db, u.organization_id);
      db.exec(
          "UPDATE users SET is_active = 0, deleted_at = $1, updated_at = $1, email = email || ' "
          "(deleted ' || id || ')', email_key = email_key || ' (deleted ' || id || ')' WHERE id = "
          "$2 AND deleted_at IS NULL",
          {at, u.id});
      if (!has_active_admin(db, u.organization_id)) return UserChange::last_admin;
      // Also its access and refresh tokens (every token family of the user) and its unspent
      // one-time tokens (reset, invitation, expired-password links).
      for (const std::string_view table :
           {"role_users", "user_resources", "access_tokens", "one_time_tokens"})
        db.exec(fmt::format("DELETE FROM {} WHERE user_id = $1", table), {u.id});
      insert_audit(db, audit);
      tx.commit();
      return UserChange::done;
    });
  });
}

StoreResult<std::vector<OrgRole>> PostgresRoles::list_roles(const std::string& organization_id) {
  return pool().run<std::vector<OrgRole>>(
      [&](PgConn& db) { return roles_where(db, "organization_id", organization_id); });
}

StoreResult<std::optional<OrgRole>> PostgresRoles::find_role(const std::string& id) {
  return pool().run<std::optional<OrgRole>>([&](PgConn& db) -> std::optional<OrgRole> {
    auto found = roles_where(db, "id", id);
    if (found.empty()) return std::nullopt;
    return std::move(found.front());
  });
}

StoreResult<Done> PostgresRoles::create_role(const OrgRole& r, const AuditEntry& audit) {
  forget_scope_epochs();
  return pool().run<Done>([&](PgConn& db) {
    PgTransaction tx(db);
    static const std::string sql =
        fmt::format("INSERT INTO roles ({}) VALUES ($1,$2,$3,$4,$5,$6,$7)", role_columns);
    db.exec(sql, {r.id, r.organization_id, r.name, r.description,
                  integer_param(r.max_session_hours), r.created_at, r.updated_at});
    insert_audit(db, audit);
    tx.commit();
    return Done{};
  });
}

StoreResult<bool> PostgresRoles::update_role(const OrgRole& r, const AuditEntry& audit) {
  forget_scope_epochs();
  return pool().run<bool>([&](PgConn& db) {
    PgTransaction tx(db);
    const auto updated = db.exec(
        "UPDATE roles SET name = $1, description = $2, max_session_hours = $3, updated_at = $4 "
        "WHERE id = $5",
        {r.name, r.description, integer_param(r.max_session_hours), r.updated_at, r.id});
    if (updated.affected() == 0) return false;
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

StoreResult<Done> PostgresRoles::delete_role(const std::string& id, const AuditEntry& audit) {
  forget_scope_epochs();
  return pool().run<Done>([&](PgConn& db) {
    PgTransaction tx(db);
    db.exec("DELETE FROM roles WHERE id = $1", {id});
    insert_audit(db, audit);
    tx.commit();
    return Done{};
  });
}

// Runs `sql` (an INSERT or DELETE of one link, $1 the role, $2 the other side) with the
// audit entry; false when it changed no row (nothing written).
StoreResult<bool> PostgresRoles::change_link(const std::string& sql, const std::string& role_id,
                                             const std::string& other_id, const AuditEntry& audit) {
  forget_scope_epochs();
  return pool().run<bool>([&](PgConn& db) {
    PgTransaction tx(db);
    if (db.exec(sql, {role_id, other_id}).affected() == 0) return false;
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

StoreResult<bool> PostgresRoles::link_role(const std::string& role_id, RoleLink link,
                                           const std::string& other_id, const AuditEntry& audit) {
  const auto [table, column] = link_table(link);
  return change_link(fmt::format("INSERT INTO {} (role_id, {}) VALUES ($1, $2) ON CONFLICT DO "
                                 "NOTHING",
                                 table, column),
                     role_id, other_id, audit);
}

StoreResult<bool> PostgresRoles::unlink_role(const std::string& role_id, RoleLink link,
                                             const std::string& other_id, const AuditEntry& audit) {
  const auto [table, column] = link_table(link);
  return change_link(fmt::format("DELETE FROM {} WHERE role_id = $1 AND {} = $2", table, column),
                     role_id, other_id, audit);
}

}  // namespace scopegate::server::postgres
