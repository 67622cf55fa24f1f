#include "server/store/postgres_migrations.hpp"

#include <algorithm>
#include <iterator>

namespace scopegate::server::postgres {

namespace {

// The epochs of migrations 3 and 5 (see migrations.cpp for what they are for): a new
// random value, set by statement-level triggers in the changing transaction, whoever
// writes. TRUNCATE changes them too.
const std::vector<Migration>& overrides() {
  static const std::vector<Migration> all = {
      {3,
       "credential epoch for the authenticated-key cache",
       {
           R"(CREATE TABLE credential_epoch (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                epoch BIGINT NOT NULL))",
           R"(INSERT INTO credential_epoch (id, epoch) VALUES (1, (random() * 9e18)::bigint))",
           R"(CREATE FUNCTION scopegate_new_credential_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  UPDATE credential_epoch SET epoch = (random() * 9e18)::bigint WHERE id = 1;
                  RETURN NULL;
                END $$)",
           R"(CREATE TRIGGER api_keys_epoch_update
                AFTER UPDATE OF id, organization_id, created_by, name, description, key_prefix,
                                key_hash, scopes, expires_at, revoked_at, created_at, allowed_cidrs
                ON api_keys FOR EACH STATEMENT EXECUTE FUNCTION scopegate_new_credential_epoch())",
           R"(CREATE TRIGGER api_keys_epoch_delete AFTER DELETE OR TRUNCATE ON api_keys
                FOR EACH STATEMENT EXECUTE FUNCTION scopegate_new_credential_epoch())",
           R"(CREATE TRIGGER users_epoch_change AFTER UPDATE OR DELETE OR TRUNCATE ON users
                FOR EACH STATEMENT EXECUTE FUNCTION scopegate_new_credential_epoch())",
           R"(CREATE TRIGGER organizations_epoch_change
                AFTER UPDATE OR DELETE OR TRUNCATE ON organizations
                FOR EACH STATEMENT EXECUTE FUNCTION scopegate_new_credential_epoch())",
       }},
      {5,
       "session epoch for the session cache",
       {
           R"(CREATE TABLE session_epoch (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                epoch BIGINT NOT NULL))",
           R"(INSERT INTO session_epoch (id, epoch) VALUES (1, (random() * 9e18)::bigint))",
           R"(CREATE FUNCTION scopegate_new_session_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  UPDATE session_epoch SET epoch = (random() * 9e18)::bigint WHERE id = 1;
                  RETURN NULL;
                END $$)",
           R"(CREATE TRIGGER sessions_epoch_change
                AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sessions
                FOR EACH STATEMENT EXECUTE FUNCTION scopegate_new_session_epoch())",
           R"(CREATE TRIGGER session_resource_ips_epoch_change
                AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON session_resource_ips
                FOR EACH STATEMENT EXECUTE FUNCTION scopegate_new_session_epoch())",
       }},
      // PostgreSQL has no INSERT OR REPLACE, but a new row may still be another program's
      // way of changing one (DELETE then INSERT in one transaction): inserts change the
      // credential epoch too, as on SQLite.
      {6,
       "credential epoch on inserts, which REPLACE makes of a change",
       {
           R"(CREATE TRIGGER api_keys_epoch_insert AFTER INSERT ON api_keys
                FOR EACH STATEMENT EXECUTE FUNCTION scopegate_new_credential_epoch())",
           R"(CREATE TRIGGER users_epoch_insert AFTER INSERT ON users
                FOR EACH STATEMENT EXECUTE FUNCTION scopegate_new_credential_epoch())",
           R"(CREATE TRIGGER organizations_epoch_insert AFTER INSERT ON organizations
                FOR EACH STATEMENT EXECUTE FUNCTION scopegate_new_credential_epoch())",
       }},
      // Every change of an epoch, by any writer, notifies `scopegate_epochs` (payload: the
      // table) when its transaction commits, for the EpochWatch of every instance
      // (postgres_epoch_watch.hpp). NOTIFY within one transaction is sent once.
      {8,
       "epoch changes announced (PostgreSQL: NOTIFY scopegate_epochs)",
       {
           R"(CREATE FUNCTION scopegate_announce_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  PERFORM pg_notify('scopegate_epochs', TG_TABLE_NAME);
                  RETURN NULL;
                END $$)",
           R"(CREATE TRIGGER credential_epoch_announce AFTER UPDATE ON credential_epoch
                FOR EACH STATEMENT EXECUTE FUNCTION scopegate_announce_epoch())",
           R"(CREATE TRIGGER session_epoch_announce AFTER UPDATE ON session_epoch
                FOR EACH STATEMENT EXECUTE FUNCTION scopegate_announce_epoch())",
       }},
  };
  return all;
}

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = [] {
    std::vector<Migration> out;
    for (const auto& portable : server::migrations()) {
      const auto& own = overrides();
      const auto found = std::find_if(own.begin(), own.end(), [&](const Migration& m) {
        return m.version == portable.version;
      });
      out.push_back(found != own.end() ? *found : portable);
    }
    return out;
  }();
  return all;
}

}  // namespace scopegate::server::postgres
