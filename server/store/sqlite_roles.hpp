// The Store's roles (and the resources they open to a user), and an admin's changes to
// users (which must keep an admin and drop memberships), on SQLite: SqliteStore derives
// from SqliteRoles and lends it its pool. Every change is one BEGIN IMMEDIATE transaction
// with its audit entry; SQLite's single writer makes the last-admin check and the change
// one step. Thread-safe as the pool is.
#pragma once

#include "server/store/sqlite_pool.hpp"
#include "server/store/store.hpp"

namespace scopegate::server::sqlite {

class SqliteRoles : public Store {
 public:
  StoreResult<UserChange> update_user(const User& user, UserFields fields,
                                      const AuditEntry& audit) override;
  StoreResult<UserChange> delete_user(const User& user, const std::string& at,
                                      const AuditEntry& audit) override;

  // The resources of the user's roles and those assigned to the user directly.
  StoreResult<std::vector<Resource>> list_user_resources(const std::string& user_id) override;
  StoreResult<std::vector<OrgRole>> list_roles(const std::string& organization_id) override;
  StoreResult<std::optional<OrgRole>> find_role(const std::string& id) override;
  StoreResult<Done> create_role(const OrgRole& role, const AuditEntry& audit) override;
  StoreResult<bool> update_role(const OrgRole& role, const AuditEntry& audit) override;
  StoreResult<Done> delete_role(const std::string& id, const AuditEntry& audit) override;
  StoreResult<bool> link_role(const std::string& role_id, RoleLink link,
                              const std::string& other_id, const AuditEntry& audit) override;
  StoreResult<bool> unlink_role(const std::string& role_id, RoleLink link,
                                const std::string& other_id, const AuditEntry& audit) override;

 protected:
  virtual SqlitePool& pool() = 0;

 private:
  StoreResult<bool> change_link(const std::string& sql, const std::string& role_id,
                                const std::string& other_id, const AuditEntry& audit);
};

}  // namespace scopegate::server::sqlite
