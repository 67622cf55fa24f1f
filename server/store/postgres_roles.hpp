// The Store's roles, and an admin's changes to users (which must keep an admin and drop
// memberships), on PostgreSQL: PostgresStore derives from PostgresRoles and lends it its
// pool. Every change is one transaction with its audit entry; a change to a user first
// locks its organization's row, so that two admins demoting each other at once cannot
// both pass the last-admin check. Thread-safe as the pool is.
#pragma once

#include "server/store/postgres_pool.hpp"
#include "server/store/store.hpp"

namespace scopegate::server::postgres {

class PostgresRoles : public Store {
 public:
  StoreResult<UserChange> update_user(const User& user, UserFields fields,
                                      const AuditEntry& audit) override;
  StoreResult<UserChange> delete_user(const User& user, const std::string& at,
                                      const AuditEntry& audit) override;

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
  virtual PgPool& pool() = 0;
  // Called before each write: the read scope's epochs are stale after it.
  virtual void forget_scope_epochs() = 0;
  // Called after a write to a table behind an epoch (users), so that this process's next
  // read sees it.
  virtual void wrote_epoch_tables() = 0;
  // A write to tables behind an epoch: the read scope's epochs are forgotten before it,
  // and the epoch watch told after it. Every such write of the PostgreSQL store goes
  // through here.
  template <typename Call>
  auto epoch_write(Call&& call) {
    forget_scope_epochs();
    auto result = call();
    wrote_epoch_tables();
    return result;
  }

 private:
  StoreResult<bool> change_link(const std::string& sql, const std::string& role_id,
                                const std::string& other_id, const AuditEntry& audit);
};

}  // namespace scopegate::server::postgres
