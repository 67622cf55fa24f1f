// PostgresStore's static IP rules, as queries on its pool: what the Store methods of the
// same names do (store.hpp), each change one transaction. A rule's targets are read with
// it, in the same snapshot. Thread-safe as the pool is.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "server/store/postgres_pool.hpp"

namespace scopegate::server::postgres {

StoreResult<Done> create_static_ip_rule(PgPool& pool, const StaticIpRule& rule,
                                        const AuditEntry& audit);
StoreResult<std::vector<StaticIpRule>> list_static_ip_rules(PgPool& pool,
                                                            const std::string& organization_id);
StoreResult<std::optional<StaticIpRule>> find_static_ip_rule(PgPool& pool, const std::string& id);
StoreResult<bool> delete_static_ip_rule(PgPool& pool, const std::string& id,
                                        const AuditEntry& audit);
StoreResult<std::vector<StaticIpRule>> find_unsettled_static_ip_rules(PgPool& pool);
StoreResult<Done> save_static_ip_rule_progress(PgPool& pool, const StaticIpRule& rule);
StoreResult<Done> purge_static_ip_rule(PgPool& pool, const std::string& id);

}  // namespace scopegate::server::postgres
