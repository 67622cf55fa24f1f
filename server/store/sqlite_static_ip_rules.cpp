#include "server/store/sqlite_static_ip_rules.hpp"

#include <fmt/format.h>

#include "server/store/sqlite_rows.hpp"

namespace scopegate::server::sqlite {

namespace {

StaticIpRule read_rule(SQLite::Statement& s) {
  StaticIpRule rule;
  rule.id = s.getColumn(0).getString();
  rule.organization_id = s.getColumn(1).getString();
  rule.label = s.getColumn(2).getString();
  rule.ip_address = s.getColumn(3).getString();
  rule.status = s.getColumn(4).getString();
  rule.created_by_email = s.getColumn(5).getString();
  rule.created_at = s.getColumn(6).getString();
  return rule;
}

void load_targets(Conn& db, StaticIpRule& rule) {
  static const std::string sql = fmt::format(
      "SELECT {} FROM static_ip_rule_targets WHERE rule_id = ? ORDER BY "
      "resource_name, resource_id",
      static_ip_rule_target_columns);
  SQLite::Statement& s = db.prepare(sql);
  s.bind(1, rule.id);
  while (s.executeStep()) {
    StaticIpRuleTarget target;
    target.resource_id = s.getColumn(1).getString();
    target.resource_name = s.getColumn(2).getString();
    target.status = s.getColumn(3).getString();
    target.provider_rule_id = column_text(s, 4);
    target.applied_at = column_text(s, 5);
    target.error_message = column_text(s, 6);
    rule.targets.push_back(std::move(target));
  }
}

// The rules `where` selects (with `value` bound to its one `?` when given), with targets.
std::vector<StaticIpRule> rules_where(Conn& db, std::string_view where,
                                      const std::optional<std::string>& value) {
  SQLite::Statement& s =
      db.prepare(fmt::format("SELECT {} FROM static_ip_rules WHERE {} ORDER BY created_at DESC, id",
                             static_ip_rule_columns, where));
  if (value) s.bind(1, *value);
  std::vector<StaticIpRule> out;
  while (s.executeStep()) out.push_back(read_rule(s));
  for (auto& rule : out) load_targets(db, rule);
  return out;
}

void insert_target(Conn& db, const std::string& rule_id, const StaticIpRuleTarget& t) {
  static const std::string sql =
      fmt::format("INSERT INTO static_ip_rule_targets ({}) VALUES (?,?,?,?,?,?,?)",
                  static_ip_rule_target_columns);
  SQLite::Statement& s = db.prepare(sql);
  s.bind(1, rule_id);
  s.bind(2, t.resource_id);
  s.bind(3, t.resource_name);
  s.bind(4, t.status);
  bind_text(s, 5, t.provider_rule_id);
  bind_text(s, 6, t.applied_at);
  bind_text(s, 7, t.error_message);
  s.exec();
}

// A target whose resource was deleted meanwhile is gone: updating it changes nothing.
void update_target(Conn& db, const std::string& rule_id, const StaticIpRuleTarget& t) {
  SQLite::Statement& s = db.prepare(
      "UPDATE static_ip_rule_targets SET status = ?, provider_rule_id = ?, applied_at = ?, "
      "error_message = ? WHERE rule_id = ? AND resource_id = ?");
  s.bind(1, t.status);
  bind_text(s, 2, t.provider_rule_id);
  bind_text(s, 3, t.applied_at);
  bind_text(s, 4, t.error_message);
  s.bind(5, rule_id);
  s.bind(6, t.resource_id);
  s.exec();
}

}  // namespace

StoreResult<Done> create_static_ip_rule(SqlitePool& pool, const StaticIpRule& rule,
                                        const AuditEntry& audit) {
  return pool.run<Done>([&](Conn& db) {
    WriteTransaction tx(db);
    static const std::string sql = fmt::format(
        "INSERT INTO static_ip_rules ({}) VALUES (?,?,?,?,?,?,?)", static_ip_rule_columns);
    SQLite::Statement& s = db.prepare(sql);
    s.bind(1, rule.id);
    s.bind(2, rule.organization_id);
    s.bind(3, rule.label);
    s.bind(4, rule.ip_address);
    s.bind(5, rule.status);
    s.bind(6, rule.created_by_email);
    s.bind(7, rule.created_at);
    s.exec();
    for (const auto& target : rule.targets) insert_target(db, rule.id, target);
    insert_audit(db, audit);
    tx.commit();
    return Done{};
  });
}

StoreResult<std::vector<StaticIpRule>> list_static_ip_rules(SqlitePool& pool,
                                                            const std::string& organization_id) {
  return pool.run<std::vector<StaticIpRule>>([&](Conn& db) {
    return rules_where(db, "organization_id = ? AND status <> 'DELETING'", organization_id);
  });
}

StoreResult<std::optional<StaticIpRule>> find_static_ip_rule(SqlitePool& pool,
                                                             const std::string& id) {
  return pool.run<std::optional<StaticIpRule>>([&](Conn& db) -> std::optional<StaticIpRule> {
    auto found = rules_where(db, "id = ? AND status <> 'DELETING'", id);
    if (found.empty()) return std::nullopt;
    return std::move(found.front());
  });
}

StoreResult<bool> delete_static_ip_rule(SqlitePool& pool, const std::string& id,
                                        const AuditEntry& audit) {
  return pool.run<bool>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& s = db.prepare(
        "UPDATE static_ip_rules SET status = 'DELETING' WHERE id = ? AND status <> 'DELETING'");
    s.bind(1, id);
    if (s.exec() == 0) return false;
    insert_audit(db, audit);
    tx.commit();
    return true;
  });
}

StoreResult<std::vector<StaticIpRule>> find_unsettled_static_ip_rules(SqlitePool& pool) {
  return pool.run<std::vector<StaticIpRule>>([&](Conn& db) {
    return rules_where(db,
                       "status = 'DELETING' OR EXISTS (SELECT 1 FROM static_ip_rule_targets t "
                       "WHERE t.rule_id = static_ip_rules.id AND t.status = 'PENDING')",
                       std::nullopt);
  });
}

StoreResult<Done> save_static_ip_rule_progress(SqlitePool& pool, const StaticIpRule& rule) {
  return pool.run<Done>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& s =
        db.prepare("UPDATE static_ip_rules SET status = ? WHERE id = ? AND status <> 'DELETING'");
    s.bind(1, rule.status);
    s.bind(2, rule.id);
    if (s.exec() > 0) {
      for (const auto& target : rule.targets) update_target(db, rule.id, target);
    }
    tx.commit();
    return Done{};
  });
}

StoreResult<Done> purge_static_ip_rule(SqlitePool& pool, const std::string& id) {
  return pool.run<Done>([&](Conn& db) {
    WriteTransaction tx(db);
    SQLite::Statement& s =
        db.prepare("DELETE FROM static_ip_rules WHERE id = ? AND status = 'DELETING'");
    s.bind(1, id);
    s.exec();
    tx.commit();
    return Done{};
  });
}

}  // namespace scopegate::server::sqlite
