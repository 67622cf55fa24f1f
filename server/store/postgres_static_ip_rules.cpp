#include "server/store/postgres_static_ip_rules.hpp"

#include <fmt/format.h>

#include "server/store/postgres_rows.hpp"

namespace scopegate::server::postgres {

namespace {

// The rules `where` selects ($1 bound to `value` when given), with their targets.
std::vector<StaticIpRule> rules_where(PgConn& db, std::string_view where,
                                      const std::optional<std::string>& value) {
  PgTransaction tx(db);
  std::vector<Param> params;
  if (value) params.emplace_back(*value);
  const auto rows = db.exec(fmt::format("SELECT {} FROM static_ip_rules WHERE {} ORDER BY "
                                        "created_at COLLATE \"C\" DESC, id COLLATE \"C\"",
                                        static_ip_rule_columns, where),
                            params);
  std::vector<StaticIpRule> out;
  for (int i = 0; i < rows.size(); ++i) {
    const auto row = rows.row(i);
    out.push_back(StaticIpRule{row.text(0),
                               row.text(1),
                               row.text(2),
                               row.text(3),
                               row.text(4),
                               row.text(5),
                               row.text(6),
                               {}});
  }
  static const std::string targets_sql = fmt::format(
      "SELECT {} FROM static_ip_rule_targets WHERE rule_id = $1 ORDER BY resource_name COLLATE "
      "\"C\", resource_id COLLATE \"C\"",
      static_ip_rule_target_columns);
  for (auto& rule : out) {
    const auto targets = db.exec(targets_sql, {rule.id});
    for (int i = 0; i < targets.size(); ++i) {
      const auto row = targets.row(i);
      rule.targets.push_back(StaticIpRuleTarget{row.text(1), row.text(2), row.text(3),
                                                row.optional_text(4), row.optional_text(5),
                                                row.optional_text(6)});
    }
  }
  tx.commit();
  return out;
}

}  // namespace

StoreResult<Done> create_static_ip_rule(PgPool& pool, const StaticIpRule& rule,
                                        const AuditEntry& audit) {
  return pool.run<Done>([&](PgConn& db) {
    PgTransaction tx(db);
    static const std::string sql = fmt::format(
        "INSERT INTO static_ip_rules ({}) VALUES ($1,$2,$3,$4,$5,$6,$7)", static_ip_rule_columns);
    db.exec(sql, {rule.id, rule.organization_id, rule.label, rule.ip_address, rule.status,
                  rule.created_by_email, rule.created_at});
    static const std::string target_sql =
        fmt::format("INSERT INTO static_ip_rule_targets ({}) VALUES ($1,$2,$3,$4,$5,$6,$7)",
                    static_ip_rule_target_columns);
    for (const auto& t : rule.targets) {
      db.exec(target_sql, {rule.id, t.resource_id, t.resource_name, t.status, t.provider_rule_id,
                           t.applied_at, t.error_message});
    }
    insert_audit(db, audit);
    tx.commit();
    return Done{};
  });
}

StoreResult<std::vector<StaticIpRule>> list_static_ip_rules(PgPool& pool,
                                                            const std::string& organization_id) {
  return pool.run<std::vector<StaticIpRule>>([&](PgConn& db) {
    return rules_where(db, "organization_id = $1 AND status <> 'DELETING'", organization_id);
  });
}

StoreResult<std::optional<StaticIpRule>> find_static_ip_rule(PgPool& pool, const std::string& id) {
  return pool.run<std::optional<StaticIpRule>>([&](PgConn& db) -> std::optional<StaticIpRule> {
    auto found = rules_where(db, "id = $1 AND status <> 'DELETING'", id);
    if (found.empty()) return std::nullopt;
    return std::move(found.front());
  });
}

StoreResult<bool> delete_static_ip_rule(PgPool& pool, const std::string& id,
                                        const AuditEntry& audit) {
  return pool.run<bool>([&](PgConn& db) {
    PgTransaction tx(db);
    const auto updated = db.exec(
        "UPDATE static_ip_rules SET status = 'DELETING' WHERE id = $1 AND status <> 'DELETING'",
        {id});
    if (updated.affected() == 0) return false;
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

StoreResult<std::vector<StaticIpRule>> find_unsettled_static_ip_rules(PgPool& pool) {
  return pool.run<std::vector<StaticIpRule>>([&](PgConn& db) {
    return rules_where(db,
                       "status = 'DELETING' OR EXISTS (SELECT 1 FROM static_ip_rule_targets t "
                       "WHERE t.rule_id = static_ip_rules.id AND t.status = 'PENDING')",
                       std::nullopt);
  });
}

StoreResult<Done> save_static_ip_rule_progress(PgPool& pool, const StaticIpRule& rule) {
  return pool.run<Done>([&](PgConn& db) {
    PgTransaction tx(db);
    const auto updated =
        db.exec("UPDATE static_ip_rules SET status = $1 WHERE id = $2 AND status <> 'DELETING'",
                {rule.status, rule.id});
    if (updated.affected() > 0) {
      for (const auto& t : rule.targets) {
        db.exec(
            "UPDATE static_ip_rule_targets SET status = $1, provider_rule_id = $2, applied_at = "
            "$3, error_message = $4 WHERE rule_id = $5 AND resource_id = $6",
            {t.status, t.provider_rule_id, t.applied_at, t.error_message, rule.id, t.resource_id});
      }
    }
    tx.commit();
    return Done{};
  });
}

StoreResult<Done> purge_static_ip_rule(PgPool& pool, const std::string& id) {
  return pool.run<Done>([&](PgConn& db) {
    db.exec("DELETE FROM static_ip_rules WHERE id = $1 AND status = 'DELETING'", {id});
    return Done{};
  });
}

}  // namespace scopegate::server::postgres
