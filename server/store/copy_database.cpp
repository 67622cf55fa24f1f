#include "server/store/copy_database.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <memory>
#include <optional>

#include "server/store/open_store.hpp"
#include "server/store/postgres_pool.hpp"

namespace scopegate::server {

namespace {

using Value = std::optional<std::string>;
using Rows = std::vector<std::vector<Value>>;

std::string joined_columns(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& column : columns) out += (out.empty() ? "" : ", ") + column;
  return out;
}

// One side of the copy, below the Store interface: whole tables as text.
class Tables {
 public:
  virtual ~Tables() = default;
  virtual void begin_read() = 0;
  virtual void begin_write() = 0;
  virtual void commit() = 0;
  virtual std::int64_t count(const std::string& table) = 0;
  virtual Rows read(const TableColumns& table) = 0;
  virtual void write(const TableColumns& table, const Rows& rows) = 0;
};

class SqliteTables final : public Tables {
 public:
  explicit SqliteTables(const std::string& path) : m_db(path, SQLite::OPEN_READWRITE) {
    m_db.setBusyTimeout(5000);
    m_db.exec("PRAGMA foreign_keys = ON");
  }
  void begin_read() override { m_db.exec("BEGIN"); }
  void begin_write() override { m_db.exec("BEGIN IMMEDIATE"); }
  void commit() override { m_db.exec("COMMIT"); }
  std::int64_t count(const std::string& table) override {
    return m_db.execAndGet(fmt::format("SELECT COUNT(*) FROM {}", table)).getInt64();
  }
  Rows read(const TableColumns& table) override {
    SQLite::Statement s(
        m_db, fmt::format("SELECT {} FROM {}", joined_columns(table.columns), table.table));
    Rows rows;
    while (s.executeStep()) {
      auto& row = rows.emplace_back();
      for (int i = 0; i < s.getColumnCount(); ++i) {
        const auto column = s.getColumn(i);
        row.push_back(column.isNull() ? Value() : Value(column.getString()));
      }
    }
    return rows;
  }
  void write(const TableColumns& table, const Rows& rows) override {
    std::string marks;
    for (std::size_t i = 0; i < table.columns.size(); ++i) marks += i == 0 ? "?" : ",?";
    SQLite::Statement s(m_db, fmt::format("INSERT INTO {} ({}) VALUES ({})", table.table,
                                          joined_columns(table.columns), marks));
    for (const auto& row : rows) {
      s.reset();
      for (std::size_t i = 0; i < row.size(); ++i) {
        const int index = static_cast<int>(i) + 1;
        if (row[i]) {
          s.bind(index, *row[i]);
        } else {
          s.bind(index);
        }
      }
      s.exec();
    }
  }

 private:
  SQLite::Database m_db;
};

class PostgresTables final : public Tables {
 public:
  // No bound on an answer: a copy takes the time its tables take.
  explicit PostgresTables(const std::string& url) : m_db(url, std::chrono::milliseconds(0)) {}
  void begin_read() override { m_db.exec_plain("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); }
  void begin_write() override { m_db.exec_plain("BEGIN"); }
  void commit() override { m_db.exec_plain("COMMIT"); }
  std::int64_t count(const std::string& table) override {
    return m_db.exec(fmt::format("SELECT COUNT(*) FROM {}", table)).row(0).integer(0);
  }
  Rows read(const TableColumns& table) override {
    const auto result =
        m_db.exec(fmt::format("SELECT {} FROM {}", joined_columns(table.columns), table.table));
    Rows rows;
    for (int r = 0; r < result.size(); ++r) {
      auto& row = rows.emplace_back();
      for (std::size_t c = 0; c < table.columns.size(); ++c)
        row.push_back(result.row(r).optional_text(static_cast<int>(c)));
    }
    return rows;
  }
  void write(const TableColumns& table, const Rows& rows) override {
    std::string marks;
    for (std::size_t i = 0; i < table.columns.size(); ++i)
      marks += fmt::format("{}${}", i == 0 ? "" : ",", i + 1);
    const auto sql = fmt::format("INSERT INTO {} ({}) VALUES ({})", table.table,
                                 joined_columns(table.columns), marks);
    for (const auto& row : rows) m_db.exec(sql, row);
  }

 private:
  postgres::PgConn m_db;
};

std::unique_ptr<Tables> open_tables(const std::string& location) {
  if (store_kind(location) == StoreKind::postgres)
    return std::make_unique<PostgresTables>(location);
  return std::make_unique<SqliteTables>(sqlite_file(location));
}

Result<std::vector<CopiedTable>, std::string> copy(Tables& source, Tables& destination,
                                                   const std::string& to) {
  for (const auto& table : copied_tables()) {
    if (const auto rows = destination.count(table.table); rows > 0) {
      return unexpected(fmt::format(
          "{}: error: the destination is not empty (table `{}` has {} rows); copy into a new "
          "database, which `scopegate serve` has not started on",
          redact_location(to), table.table, rows));
    }
  }
  std::vector<CopiedTable> copied;
  source.begin_read();
  destination.begin_write();
  for (const auto& table : copied_tables()) {
    const auto rows = source.read(table);
    destination.write(table, rows);
    copied.push_back({table.table, static_cast<std::int64_t>(rows.size())});
  }
  destination.commit();
  source.commit();
  for (const auto& table : copied) {
    const auto rows = destination.count(table.table);
    if (rows != table.rows) {
      return unexpected(fmt::format("{}: error: table `{}` has {} rows after the copy, not {}",
                                    redact_location(to), table.table, rows, table.rows));
    }
  }
  return copied;
}

}  // namespace

const std::vector<TableColumns>& copied_tables() {
  static const std::vector<TableColumns> all = {
      {"organizations",
       {"id", "slug", "name", "created_at", "subscription_tier", "mfa_required",
        "password_min_length", "password_require_uppercase", "password_require_lowercase",
        "password_require_digit", "password_require_special", "password_expiration_days"}},
      {"users",
       {"id", "organization_id", "email", "name", "role", "password_hash", "is_active",
        "created_at", "last_login_at", "updated_at", "deleted_at", "mfa_enabled", "mfa_secret",
        "mfa_last_step", "password_changed_at", "email_key"}},
      {"credentials",
       {"id", "organization_id", "name", "provider", "credential_type", "sealed_data", "is_valid",
        "last_verified_at", "verification_error", "created_at", "updated_at"}},
      {"resources",
       {"id", "organization_id", "name", "credential_id", "provider", "resource_type",
        "resource_identifier", "region", "config", "is_active", "last_verified_at", "created_at",
        "updated_at"}},
      {"user_resources", {"user_id", "resource_id"}},
      {"static_ip_rules",
       {"id", "organization_id", "label", "ip_address", "status", "created_by_email",
        "created_at"}},
      {"static_ip_rule_targets",
       {"rule_id", "resource_id", "resource_name", "status", "provider_rule_id", "applied_at",
        "error_message"}},
      {"secrets_check", {"id", "sealed"}},
      {"roles",
       {"id", "organization_id", "name", "description", "max_session_hours", "created_at",
        "updated_at"}},
      {"role_users", {"role_id", "user_id"}},
      {"role_resources", {"role_id", "resource_id"}},
      {"api_keys",
       {"id", "organization_id", "created_by", "name", "description", "key_prefix", "key_hash",
        "scopes", "expires_at", "revoked_at", "last_used_at", "last_used_ip", "created_at",
        "allowed_cidrs"}},
      {"access_tokens",
       {"token_hash", "user_id", "kind", "expires_at", "created_at", "family_id", "used_at"}},
      {"one_time_tokens",
       {"token_hash", "user_id", "purpose", "expires_at", "used_at", "created_at"}},
      {"mail_outbox",
       {"id", "organization_id", "recipient", "subject", "body", "created_at", "sent_at"}},
      {"sessions",
       {"id", "organization_id", "user_id", "ipv4_address", "ipv6_address", "status", "started_at",
        "expires_at", "ended_at", "ended_reason", "created_at"}},
      {"session_resource_ips",
       {"id", "session_id", "resource_id", "resource_name", "ip_version", "ip_address", "status",
        "provider_rule_id", "applied_at", "removed_at", "error_message"}},
      {"mfa_recovery_codes", {"id", "user_id", "code_hash", "used_at", "created_at"}},
      {"mfa_challenges", {"token_hash", "user_id", "expires_at", "created_at"}},
      {"audit_logs",
       {"id", "organization_id", "event_type", "actor_email", "actor_type", "resource_type",
        "resource_id", "resource_name", "result", "ip_address", "error_message", "details",
        "created_at"}},
  };
  return all;
}

Result<std::vector<CopiedTable>, std::string> copy_database(const std::string& from,
                                                            const std::string& to) {
  // Opening each as a store brings it to the latest schema (the destination's tables are
  // created here).
  for (const auto* location : {&from, &to}) {
    auto store = open_store(*location);
    if (!store) {
      return unexpected(fmt::format("{}: error: cannot open the database: {}",
                                    redact_location(*location), store.error().message));
    }
  }
  const auto failed = [&](const std::string& message) {
    return fmt::format("error: copying {} to {}: {}", redact_location(from), redact_location(to),
                       message);
  };
  try {
    auto source = open_tables(from);
    auto destination = open_tables(to);
    return copy(*source, *destination, to);
  } catch (const SQLite::Exception& error) {
    return unexpected(failed(error.what()));
  } catch (const postgres::PgError& error) {
    return unexpected(failed(error.what()));
  }
}

}  // namespace scopegate::server
