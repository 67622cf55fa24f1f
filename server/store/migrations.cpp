#include "server/store/migrations.hpp"

#include <string>

namespace scopegate::server {

namespace {

// `column` with A-Z in lower case and every other character as it is, in SQL both
// databases run alike (email_key() in store.hpp folds so): their lower() differ (SQLite's
// folds ASCII only, PostgreSQL's other letters too, by locale).
std::string ascii_lower_sql(const std::string& column) {
  std::string out = column;
  for (char c = 'A'; c <= 'Z'; ++c) {
    out = "replace(" + out + ", '" + c + "', '" + static_cast<char>(c - 'A' + 'a') + "')";
  }
  return out;
}

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::string email_key_backfill =
      "UPDATE users SET email_key = " + ascii_lower_sql("email");
  static const std::vector<Migration> all = {
      {1,
       "initial schema",
       {
           R"(CREATE TABLE organizations (
                id TEXT PRIMARY KEY,
                slug TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                created_at TEXT NOT NULL))",
           R"(CREATE TABLE users (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL REFERENCES organizations(id),
                email TEXT NOT NULL,
                name TEXT NOT NULL,
                role TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                is_active INTEGER NOT NULL DEFAULT 1,
                created_at TEXT NOT NULL,
                last_login_at TEXT,
                UNIQUE (organization_id, email)))",
           R"(CREATE TABLE resources (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL REFERENCES organizations(id),
                name TEXT NOT NULL,
                credential_id TEXT,
                provider TEXT NOT NULL,
                resource_type TEXT NOT NULL,
                resource_identifier TEXT NOT NULL,
                region TEXT,
                config TEXT,
                is_active INTEGER NOT NULL DEFAULT 1,
                last_verified_at TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL))",
           R"(CREATE INDEX resources_organization ON resources (organization_id, name))",
           R"(CREATE TABLE user_resources (
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
                PRIMARY KEY (user_id, resource_id)))",
           R"(CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL REFERENCES organizations(id),
                created_by TEXT NOT NULL REFERENCES users(id),
                name TEXT NOT NULL,
                description TEXT,
                key_prefix TEXT NOT NULL,
                key_hash TEXT NOT NULL UNIQUE,
                scopes TEXT NOT NULL,
                expires_at TEXT,
                revoked_at TEXT,
                last_used_at TEXT,
                last_used_ip TEXT,
                created_at TEXT NOT NULL))",
           R"(CREATE INDEX api_keys_organization ON api_keys (organization_id, created_at))",
           R"(CREATE TABLE access_tokens (
                token_hash TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                created_at TEXT NOT NULL))",
           R"(CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL REFERENCES organizations(id),
                user_id TEXT NOT NULL REFERENCES users(id),
                ipv4_address TEXT,
                ipv6_address TEXT,
                status TEXT NOT NULL,
                started_at TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                ended_at TEXT,
                ended_reason TEXT,
                created_at TEXT NOT NULL))",
           R"(CREATE INDEX sessions_user ON sessions (user_id, created_at))",
           R"(CREATE INDEX sessions_status ON sessions (status, expires_at))",
           R"(CREATE TABLE session_resource_ips (
                id TEXT PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                resource_id TEXT NOT NULL,
                resource_name TEXT NOT NULL,
                ip_version TEXT NOT NULL,
                ip_address TEXT NOT NULL,
                status TEXT NOT NULL,
                provider_rule_id TEXT,
                applied_at TEXT,
                removed_at TEXT,
                error_message TEXT))",
           R"(CREATE INDEX session_resource_ips_session ON session_resource_ips (session_id))",
           R"(CREATE TABLE audit_logs (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL REFERENCES organizations(id),
                event_type TEXT NOT NULL,
                actor_email TEXT,
                actor_type TEXT NOT NULL,
                resource_type TEXT,
                resource_id TEXT,
                resource_name TEXT,
                result TEXT NOT NULL,
                ip_address TEXT,
                error_message TEXT,
                details TEXT NOT NULL,
                created_at TEXT NOT NULL))",
           R"(CREATE INDEX audit_logs_organization ON audit_logs (organization_id, created_at))",
       }},
      {2,
       "api key allowed CIDR ranges",
       {
           R"(ALTER TABLE api_keys ADD COLUMN allowed_cidrs TEXT NOT NULL DEFAULT '')",
       }},
      // The credential epoch: one row whose value changes, inside the writing transaction,
      // whenever anything authentication reads about a key could change (the key's row
      // apart from its last use, its creator, its organization). The triggers live in the
      // database, so every writer bumps it, whatever process or program commits. A new
      // random value per change: an equal value means the same state, even across a file
      // restored from a backup. A new api_keys column that authentication reads must be
      // added to the UPDATE OF list below.
      {3,
       "credential epoch for the authenticated-key cache",
       {
           R"(CREATE TABLE credential_epoch (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                epoch INTEGER NOT NULL))",
           R"(INSERT INTO credential_epoch (id, epoch) VALUES (1, random()))",
           R"(CREATE TRIGGER api_keys_epoch_update
                AFTER UPDATE OF id, organization_id, created_by, name, description, key_prefix,
                                key_hash, scopes, expires_at, revoked_at, created_at, allowed_cidrs
                ON api_keys
                BEGIN UPDATE credential_epoch SET epoch = random() WHERE id = 1; END)",
           R"(CREATE TRIGGER api_keys_epoch_delete AFTER DELETE ON api_keys
                BEGIN UPDATE credential_epoch SET epoch = random() WHERE id = 1; END)",
           R"(CREATE TRIGGER users_epoch_update AFTER UPDATE ON users
                BEGIN UPDATE credential_epoch SET epoch = random() WHERE id = 1; END)",
           R"(CREATE TRIGGER users_epoch_delete AFTER DELETE ON users
                BEGIN UPDATE credential_epoch SET epoch = random() WHERE id = 1; END)",
           R"(CREATE TRIGGER organizations_epoch_update AFTER UPDATE ON organizations
                BEGIN UPDATE credential_epoch SET epoch = random() WHERE id = 1; END)",
           R"(CREATE TRIGGER organizations_epoch_delete AFTER DELETE ON organizations
                BEGIN UPDATE credential_epoch SET epoch = random() WHERE id = 1; END)",
       }},
      // A session's entries in the order responses list them, so that reading a session
      // needs no sort; it replaces the index on session_id alone (its prefix).
      {4,
       "session resource IP entries in response order",
       {
           R"(CREATE INDEX session_resource_ips_order
                ON session_resource_ips (session_id, resource_name, ip_version, id))",
           R"(DROP INDEX session_resource_ips_session)",
       }},
      // The session epoch: like the credential epoch, for what find_session() reads (a
      // session and its resource IP entries). Any change to either table, by any writer,
      // gives it a new value in the changing transaction.
      {5,
       "session epoch for the session cache",
       {
           R"(CREATE TABLE session_epoch (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                epoch INTEGER NOT NULL))",
           R"(INSERT INTO session_epoch (id, epoch) VALUES (1, random()))",
           R"(CREATE TRIGGER sessions_epoch_insert AFTER INSERT ON sessions
                BEGIN UPDATE session_epoch SET epoch = random() WHERE id = 1; END)",
           R"(CREATE TRIGGER sessions_epoch_update AFTER UPDATE ON sessions
                BEGIN UPDATE session_epoch SET epoch = random() WHERE id = 1; END)",
           R"(CREATE TRIGGER sessions_epoch_delete AFTER DELETE ON sessions
                BEGIN UPDATE session_epoch SET epoch = random() WHERE id = 1; END)",
           R"(CREATE TRIGGER session_resource_ips_epoch_insert AFTER INSERT ON session_resource_ips
                BEGIN UPDATE session_epoch SET epoch = random() WHERE id = 1; END)",
           R"(CREATE TRIGGER session_resource_ips_epoch_update AFTER UPDATE ON session_resource_ips
                BEGIN UPDATE session_epoch SET epoch = random() WHERE id = 1; END)",
           R"(CREATE TRIGGER session_resource_ips_epoch_delete AFTER DELETE ON session_resource_ips
                BEGIN UPDATE session_epoch SET epoch = random() WHERE id = 1; END)",
       }},
      // INSERT OR REPLACE deletes the row it replaces without firing delete triggers (unless
      // recursive_triggers is on), so a replaced key, user or organization (revoked,
      // disabled) must change the credential epoch through an insert trigger. Inserts are
      // rare: a new key costs the key cache one re-read.
      {6,
       "credential epoch on inserts, which REPLACE makes of a change",
       {
           R"(CREATE TRIGGER api_keys_epoch_insert AFTER INSERT ON api_keys
                BEGIN UPDATE credential_epoch SET epoch = random() WHERE id = 1; END)",
           R"(CREATE TRIGGER users_epoch_insert AFTER INSERT ON users
                BEGIN UPDATE credential_epoch SET epoch = random() WHERE id = 1; END)",
           R"(CREATE TRIGGER organizations_epoch_insert AFTER INSERT ON organizations
                BEGIN UPDATE credential_epoch SET epoch = random() WHERE id = 1; END)",
       }},
      // Credentials (their data sealed, see server/secrets.hpp), static IP rules with their
      // per-resource targets, and the check that the configured secrets key is the one
      // the stored secrets were sealed with.
      {7,
       "credentials, static IP rules and the secrets key check",
       {
           R"(CREATE TABLE credentials (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL REFERENCES organizations(id),
                name TEXT NOT NULL,
                provider TEXT NOT NULL,
                credential_type TEXT NOT NULL,
                sealed_data TEXT NOT NULL,
                is_valid INTEGER,
                last_verified_at TEXT,
                verification_error TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL))",
           R"(CREATE INDEX credentials_organization ON credentials (organization_id, name))",
           R"(CREATE INDEX resources_credential ON resources (credential_id))",
           R"(CREATE TABLE static_ip_rules (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL REFERENCES organizations(id),
                label TEXT NOT NULL,
                ip_address TEXT NOT NULL,
                status TEXT NOT NULL,
                created_by_email TEXT NOT NULL,
                created_at TEXT NOT NULL))",
           R"(CREATE INDEX static_ip_rules_organization
                ON static_ip_rules (organization_id, created_at))",
           R"(CREATE TABLE static_ip_rule_targets (
                rule_id TEXT NOT NULL REFERENCES static_ip_rules(id) ON DELETE CASCADE,
                resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
                resource_name TEXT NOT NULL,
                status TEXT NOT NULL,
                provider_rule_id TEXT,
                applied_at TEXT,
                error_message TEXT,
                PRIMARY KEY (rule_id, resource_id)))",
           R"(CREATE INDEX static_ip_rule_targets_resource ON static_ip_rule_targets (resource_id))",
           R"(CREATE TABLE secrets_check (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                sealed TEXT NOT NULL))",
       }},
      // Each new epoch announced to the processes watching them (PostgreSQL's NOTIFY, for
      // Revocation::notify: postgres_migrations.cpp). SQLite has no such thing, and its
      // processes read the epoch on every request: nothing to do here.
      {8, "epoch changes announced (PostgreSQL: NOTIFY scopegate_epochs)", {}},
      // Users as admins manage them (updated_at; deleted_at for a deleted user, whose row
      // stays for the sessions, keys and audit entries that name it), and roles: resources
      // their users may start sessions on, and a cap on those sessions' length. Deleting a
      // role, user or resource drops its links.
      {9,
       "users administration and roles",
       {
           R"(ALTER TABLE users ADD COLUMN updated_at TEXT NOT NULL DEFAULT '')",
           R"(UPDATE users SET updated_at = created_at)",
           R"(ALTER TABLE users ADD COLUMN deleted_at TEXT)",
           R"(CREATE TABLE roles (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL REFERENCES organizations(id),
                name TEXT NOT NULL,
                description TEXT,
                max_session_hours INTEGER,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                UNIQUE (organization_id, name)))",
           R"(CREATE TABLE role_users (
                role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                PRIMARY KEY (role_id, user_id)))",
           R"(CREATE INDEX role_users_user ON role_users (user_id))",
           R"(CREATE TABLE role_resources (
                role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
                resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
                PRIMARY KEY (role_id, resource_id)))",
           R"(CREATE INDEX role_resources_resource ON role_resources (resource_id))",
       }},
      // Multi-factor authentication: the user's TOTP secret (pending until confirmed, Base32),
      // the latest time step spent (a code works once), single-use recovery codes (Argon2id
      // strings) and the challenges of sign-ins waiting for their second factor (SHA-256 of
      // the token, as access tokens are kept).
      {10,
       "multi-factor authentication",
       {
           R"(ALTER TABLE users ADD COLUMN mfa_enabled INTEGER NOT NULL DEFAULT 0)",
           R"(ALTER TABLE users ADD COLUMN mfa_secret TEXT)",
           R"(ALTER TABLE users ADD COLUMN mfa_last_step BIGINT)",
           R"(CREATE TABLE mfa_recovery_codes (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                code_hash TEXT NOT NULL,
                used_at TEXT,
                created_at TEXT NOT NULL))",
           R"(CREATE INDEX mfa_recovery_codes_user ON mfa_recovery_codes (user_id))",
           R"(CREATE TABLE mfa_challenges (
                token_hash TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                expires_at TEXT NOT NULL,
                created_at TEXT NOT NULL))",
       }},
      // Accounts (issue 20, auth): the organization's plan and settings, when a password
      // was last set (for password expiry), refresh-token families (rotation, reuse
      // detection), one-time tokens (password reset, invitation, expired-password change)
      // and the outbox of mail for the operator or a sender to deliver (docs/server.md).
      // Existing organizations keep what they could do: the PLATFORM plan, no limits.
      {11,
       "accounts: organization settings, password expiry, token families, one-time tokens, "
       "mail outbox",
       {
           R"(ALTER TABLE organizations ADD COLUMN subscription_tier TEXT NOT NULL
                DEFAULT 'PLATFORM')",
           R"(ALTER TABLE organizations ADD COLUMN mfa_required INTEGER NOT NULL DEFAULT 0)",
           R"(ALTER TABLE organizations ADD COLUMN password_min_length INTEGER NOT NULL
                DEFAULT 8)",
           R"(ALTER TABLE organizations ADD COLUMN password_require_uppercase INTEGER NOT NULL
                DEFAULT 1)",
           R"(ALTER TABLE organizations ADD COLUMN password_require_lowercase INTEGER NOT NULL
                DEFAULT 1)",
           R"(ALTER TABLE organizations ADD COLUMN password_require_digit INTEGER NOT NULL
                DEFAULT 1)",
           R"(ALTER TABLE organizations ADD COLUMN password_require_special INTEGER NOT NULL
                DEFAULT 0)",
           R"(ALTER TABLE organizations ADD COLUMN password_expiration_days INTEGER)",
           R"(ALTER TABLE users ADD COLUMN password_changed_at TEXT)",
           R"(UPDATE users SET password_changed_at = created_at)",
           R"(ALTER TABLE access_tokens ADD COLUMN family_id TEXT)",
           R"(ALTER TABLE access_tokens ADD COLUMN used_at TEXT)",
           R"(UPDATE access_tokens SET family_id = token_hash)",
           R"(CREATE INDEX access_tokens_family ON access_tokens (family_id))",
           R"(CREATE INDEX access_tokens_user ON access_tokens (user_id))",
           R"(CREATE TABLE one_time_tokens (
                token_hash TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                purpose TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                used_at TEXT,
                created_at TEXT NOT NULL))",
           R"(CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose))",
           R"(CREATE TABLE mail_outbox (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL REFERENCES organizations(id),
                recipient TEXT NOT NULL,
                subject TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at TEXT NOT NULL,
                sent_at TEXT))",
           R"(CREATE INDEX mail_outbox_unsent ON mail_outbox (sent_at, created_at))",
       }},
      // Emails compared without regard to ASCII case: email_key is the email with
      // A-Z in lower case (store.hpp, email_key()), unique in the organization; the email
      // stays as typed, for display. Rows of one organization whose emails differ only in
      // case (which earlier versions allowed) must not stop the migration: the oldest
      // (created_at, then id) keeps the key, each other one gets the key with the suffix
      // " (duplicate <its id>)". Such a row still signs in with its exact email
      // (find_user_by_email prefers an exact match), and no new user can take the address
      // in any case; an admin deletes one of them to settle it. A deleted user's email
      // (and key) carries " (deleted <id>)": never a collision.
      {12,
       "emails unique and found without regard to ASCII case (users.email_key)",
       {
           R"(ALTER TABLE users ADD COLUMN email_key TEXT NOT NULL DEFAULT '')",
           email_key_backfill,
           R"(UPDATE users SET email_key = email_key || ' (duplicate ' || id || ')'
                WHERE EXISTS (SELECT 1 FROM users AS earlier
                              WHERE earlier.organization_id = users.organization_id
                                AND earlier.email_key = users.email_key
                                AND (earlier.created_at < users.created_at
                                     OR (earlier.created_at = users.created_at
                                         AND earlier.id < users.id))))",
           R"(CREATE UNIQUE INDEX users_email_key ON users (organization_id, email_key))",
       }},
  };
  return all;
}

}  // namespace scopegate::server
