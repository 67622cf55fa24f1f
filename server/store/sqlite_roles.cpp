#include "server/store/sqlite_roles.hpp"

#include <fmt/format.h>

#include <map>

#include "server/store/sqlite_rows.hpp"

namespace scopegate::server::sqlite {

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

// Whether the organization still has an active admin (inside the writing transaction).
bool has_active_admin(Conn& db, const std::string& organization_id) {
  SQLite::Statement& s = db.prepare(
      "SELECT COUNT(*) FROM users WHERE organization_id = ? AND role = 'admin' AND "
      "is_active = 1 AND deleted_at IS NULL");
  s.bind(1, organization_id);
  s.executeStep();
  return s.getColumn(0).getInt64() > 0;
}

void delete_where(Conn& db, std::string_view table, std::string_view column,
                  const std::string& value) {
  SQLite::Statement& s = db.prepare(fmt::format("DELETE FROM {} WHERE {} = ?", table, column));
  s.bind(1, value);
  s.exec();
}

// Fills the links of `roles` from the link tables, for the roles selected by `where`
// (bound to `value`).
void load_links(Conn& db, std::vector<OrgRole>& roles, std::string_view where,
                const std::string& value) {
  std::map<std::string, OrgRole*> by_id;
  for (auto& role : roles) by_id[role.id] = &role;
  for (const auto link : {RoleLink::resource, RoleLink::user}) {
    const auto [table, column] = link_table(link);
    SQLite::Statement& s = db.prepare(
        fmt::format("SELECT l.role_id, l.{} FROM {} l JOIN roles r ON r.id = l.role_id WHERE "
                    "r.{} = ? ORDER BY l.{}",
                    column, table, where, column));
    s.bind(1, value);
    while (s.executeStep()) {
      const auto found = by_id.find(s.getColumn(0).getString());
      if (found == by_id.end()) continue;
      auto& ids = link == RoleLink::user ? found->second->user_ids : found->second->resource_ids;
      ids.push_back(s.getColumn(1).getString());
    }
  }
}

std::vector<OrgRole> roles_where(Conn& db, std::string_view column, const std::string& value) {
  SQLite::Statement& s = db.prepare(
      fmt::format("SELECT {} FROM roles WHERE {} = ? ORDER BY name, id", role_columns, column));
  s.bind(1, value);
  std::vector<OrgRole> out;
  while (s.executeStep()) out.push_back(read_role(s));
  load_links(db, out, column, value);
  return out;
}

}  // namespace

StoreResult<Store::UserChange> SqliteRoles::update_user(const User& u, UserFields fields,
                                                        const AuditEntry& audit) {
  return pool().run<UserChange>([&](Conn& db) {
    WriteTransaction tx(db);
    // A field the change does not set is bound NULL and keeps the row's value.
    SQLite::Statement& s = db.prepare(
        "UPDATE users SET name = COALESCE(?, name), role = COALESCE(?, role), is_active = "
        "COALESCE(?, is_active), updated_at = ? WHERE id = ? AND deleted_at IS NULL");
    if (fields.name) s.bind(1, u.name);
    if (fields.role) s.bind(2, u.role);
    if (fields.active) s.bind(3, u.active ? 1 : 0);
    s.bind(4, u.updated_at);
    s.bind(5, u.id);
    if (s.exec() == 0) return UserChange::gone;
    if (!has_active_admin(db, u.organization_id)) return UserChange::last_admin;
    insert_audit(db, audit);
    tx.commit();
    return UserChange::done;
  });
}

StoreResult<Store::UserChange> SqliteRoles::delete_user(const User& u, const std::string& at,
                                                        const AuditEntry& audit) {
  return pool().run<UserChange>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& s = db.prepare(
        "UPDATE users SET is_active = 0, deleted_at = ?, updated_at = ?, email = email || ' "
        "(deleted ' || id || ')', email_key = email_key || ' (deleted ' || id || ')' WHERE id = ? "
        "AND deleted_at IS NULL");
    s.bind(1, at);
    s.bind(2, at);
    s.bind(3, u.id);
    s.exec();
    if (!has_active_admin(db, u.organization_id)) return UserChange::last_admin;
    delete_where(db, "role_users", "user_id", u.id);
    delete_where(db, "user_resources", "user_id", u.id);
    // Its access and refresh tokens (every token family of the user) and its unspent
    // one-time tokens (reset, invitation, expired-password links).
    delete_where(db, "access_tokens", "user_id", u.id);
    delete_where(db, "one_time_tokens", "user_id", u.id);
    insert_audit(db, audit);
    tx.commit();
    return UserChange::done;
  });
}

StoreResult<std::vector<Resource>> SqliteRoles::list_user_resources(const std::string& user_id) {
  return pool().run<std::vector<Resource>>([&](Conn& db) {
    static const std::string sql = fmt::format(
        "SELECT {} FROM {} WHERE r.id IN (SELECT resource_id FROM user_resources WHERE user_id = "
        "? UNION SELECT rr.resource_id FROM role_resources rr JOIN role_users ru ON ru.role_id = "
        "rr.role_id WHERE ru.user_id = ?) ORDER BY r.name, r.id",
        resource_columns, resource_tables);
    SQLite::Statement& s = db.prepare(sql);
    s.bind(1, user_id);
    s.bind(2, user_id);
    std::vector<Resource> out;
    while (s.executeStep()) out.push_back(read_resource(s));
    return out;
  });
}

StoreResult<std::vector<OrgRole>> SqliteRoles::list_roles(const std::string& organization_id) {
  return pool().run<std::vector<OrgRole>>(
      [&](Conn& db) { return roles_where(db, "organization_id", organization_id); });
}

StoreResult<std::optional<OrgRole>> SqliteRoles::find_role(const std::string& id) {
  return pool().run<std::optional<OrgRole>>([&](Conn& db) -> std::optional<OrgRole> {
    auto found = roles_where(db, "id", id);
    if (found.empty()) return std::nullopt;
    return std::move(found.front());
  });
}

StoreResult<Done> SqliteRoles::create_role(const OrgRole& r, const AuditEntry& audit) {
  return pool().run<Done>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& s =
        db.prepare(fmt::format("INSERT INTO roles ({}) VALUES (?,?,?,?,?,?,?)", role_columns));
    s.bind(1, r.id);
    s.bind(2, r.organization_id);
    s.bind(3, r.name);
    bind_text(s, 4, r.description);
    if (r.max_session_hours) {
      s.bind(5, *r.max_session_hours);
    } else {
      s.bind(5);
    }
    s.bind(6, r.created_at);
    s.bind(7, r.updated_at);
    s.exec();
    insert_audit(db, audit);
    tx.commit();
    return Done{};
  });
}

StoreResult<bool> SqliteRoles::update_role(const OrgRole& r, const AuditEntry& audit) {
  return pool().run<bool>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& s = db.prepare(
        "UPDATE roles SET name = ?, description = ?, max_session_hours = ?, updated_at = ? "
        "WHERE id = ?");
    s.bind(1, r.name);
    bind_text(s, 2, r.description);
    if (r.max_session_hours) {
      s.bind(3, *r.max_session_hours);
    } else {
      s.bind(3);
    }
    s.bind(4, r.updated_at);
    s.bind(5, r.id);
    if (s.exec() == 0) return false;
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

StoreResult<Done> SqliteRoles::delete_role(const std::string& id, const AuditEntry& audit) {
  return pool().run<Done>([&](Conn& db) {
    WriteTransaction tx(db);
    delete_where(db, "roles", "id", id);
    insert_audit(db, audit);
    tx.commit();
    return Done{};
  });
}

// Runs `sql` (an INSERT or DELETE of one link, `?` for the role and the other side) with
// the audit entry; false when it changed no row (nothing written).
StoreResult<bool> SqliteRoles::change_link(const std::string& sql, const std::string& role_id,
                                           const std::string& other_id, const AuditEntry& audit) {
  return pool().run<bool>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& s = db.prepare(sql);
    s.bind(1, role_id);
    s.bind(2, other_id);
    if (s.exec() == 0) return false;
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

StoreResult<bool> SqliteRoles::link_role(const std::string& role_id, RoleLink link,
                                         const std::string& other_id, const AuditEntry& audit) {
  const auto [table, column] = link_table(link);
  return change_link(
      fmt::format("INSERT INTO {} (role_id, {}) VALUES (?, ?) ON CONFLICT DO NOTHING", table,
                  column),
      role_id, other_id, audit);
}

StoreResult<bool> SqliteRoles::unlink_role(const std::string& role_id, RoleLink link,
                                           const std::string& other_id, const AuditEntry& audit) {
  const auto [table, column] = link_table(link);
  return change_link(fmt::format("DELETE FROM {} WHERE role_id = ? AND {} = ?", table, column),
                     role_id, other_id, audit);
}

}  // namespace scopegate::server::sqlite
