// Store: the one narrow interface between the server and its database. Every state
// change takes the audit entry that records it and writes both in one transaction.
// Freshness: a change made through this store is seen by its next call. A change made
// through any other connection or process sharing the database (a key created, revoked or
// changed, a session stopped by another instance) is seen by the next authenticate_key()
// and find_session() too, unless the store was opened with Revocation::notify
// (open_store.hpp; PostgreSQL only): then within 1 s at most, in exchange for cached rows
// that cost no round trip. Rows absent from the caches (a new key) are always read.
// An implementation may keep what it reads in memory only within those bounds.
// Implementations are thread-safe. Errors come back as values (StoreError); nothing here
// throws.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/result.hpp"
#include "server/store/records.hpp"

namespace scopegate::server {

struct StoreError {
  // conflict: a unique constraint was violated; unavailable: the database is busy, locked
  // or unreachable past the store's timeout (worth retrying; 503).
  enum class Kind { failure, conflict, unavailable };
  Kind kind = Kind::failure;
  std::string message;
};

struct Done {};

// What makes an email unique in its organization and finds its user: the address with
// the ASCII letters A-Z in lower case, every other byte as it is (so `Member@Localhost`
// and `member@localhost` are one address; non-ASCII letters are compared exactly). Kept
// beside the address as typed, which is what is shown (users.email_key, migration 12).
inline std::string email_key(std::string_view email) {
  std::string key(email);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

template <typename T>
using StoreResult = Result<T, StoreError>;

class Store {
 public:
  virtual ~Store() = default;

  // Organizations and users.
  virtual StoreResult<std::int64_t> count_users() = 0;
  virtual StoreResult<Done> create_organization(const Organization& organization) = 0;
  virtual StoreResult<std::optional<Organization>> find_organization(const std::string& id) = 0;
  virtual StoreResult<std::optional<Organization>> find_organization_by_slug(
      const std::string& slug) = 0;
  // `audit` may be null (bootstrap writes no audit entry). Conflict: the organization has
  // a user with that email_key() already. False, and nothing written, when the
  // organization already has `max_users` users (the deleted ones aside): counted in the
  // transaction that inserts, so that creations at once cannot pass the limit together.
  virtual StoreResult<bool> create_user(const User& user,
                                        const std::vector<std::string>& resource_ids,
                                        const AuditEntry* audit,
                                        std::optional<std::int64_t> max_users = std::nullopt) = 0;
  virtual StoreResult<std::optional<User>> find_user(const std::string& id) = 0;
  // The user whose email has the email_key() of `email` (or, first, whose email is exactly
  // `email`: see migration 12 for the two rows an older database may hold for one key).
  // Deleted users too (their email carries a suffix no valid address has).
  virtual StoreResult<std::optional<User>> find_user_by_email(const std::string& organization_id,
                                                              const std::string& email) = 0;
  // The organization's users but the deleted ones.
  virtual StoreResult<std::vector<User>> list_users(const std::string& organization_id) = 0;
  virtual StoreResult<Done> record_login(const std::string& user_id, const std::string& at,
                                         const std::vector<AccessToken>& tokens,
                                         const AuditEntry& audit) = 0;
  // The token with its user and organization, in one read (the per-request path).
  struct TokenActor {
    AccessToken token;
    User user;
    Organization organization;
  };
  virtual StoreResult<std::optional<TokenActor>> authenticate_token(
      const std::string& token_hash) = 0;
  // An admin's changes to a user. Each keeps an active admin in the organization: a change
  // that would leave none writes nothing and answers last_admin; one whose user is deleted
  // (meanwhile) writes nothing and answers gone.
  enum class UserChange { done, last_admin, gone };
  // Which of name, role and is_active a change writes (with updated_at, always); the
  // others keep what the row holds when the transaction runs, so that a change made
  // meanwhile to them (another admin deactivating the user) is not undone.
  struct UserFields {
    bool name = false;
    bool role = false;
    bool active = false;
  };
  virtual StoreResult<UserChange> update_user(const User& user, UserFields fields,
                                              const AuditEntry& audit) = 0;
  // Marks the user deleted at `at`: inactive, its email freed (the stored one gains the
  // suffix " (deleted <id>)"), its role memberships, resource assignments and tokens gone.
  // Its sessions are the caller's to end.
  virtual StoreResult<UserChange> delete_user(const User& user, const std::string& at,
                                              const AuditEntry& audit) = 0;

  // Accounts (docs/server.md, "Accounts"): registration, settings, passwords, token
  // families, one-time tokens and the mail outbox.
  // A new organization, its first admin and the admin's first tokens, in one transaction
  // (conflict: the slug is taken).
  virtual StoreResult<Done> register_organization(const Organization& organization,
                                                  const User& admin,
                                                  const std::vector<AccessToken>& tokens,
                                                  const AuditEntry& audit) = 0;
  // Writes the settings an admin changes (name, mfa_required, the password rules; never
  // the plan, which is the operator's) from `after`, only if the row still holds
  // `before`'s: false (nothing written) when another change came first.
  virtual StoreResult<bool> update_organization(const Organization& before,
                                                const Organization& after,
                                                const AuditEntry& audit) = 0;
  // Marks the refresh token used and adds `tokens` (its successors), only if it was still
  // unused: false when it had been used already (nothing written).
  virtual StoreResult<bool> rotate_refresh_token(const std::string& token_hash,
                                                 const std::string& at,
                                                 const std::vector<AccessToken>& tokens,
                                                 const AuditEntry& audit) = 0;
  // Deletes the family's refresh tokens, and its access tokens too when `access_too`.
  // `audit` may be null.
  virtual StoreResult<Done> revoke_token_family(const std::string& family_id, bool access_too,
                                                const AuditEntry* audit) = 0;
  // Stores the token with the mail that carries it, if any. The user's unused tokens that
  // can set a password die, whatever their purpose (reset, invitation, expired-password
  // change: only the latest link works), and so do expired ones. `mail` and `audit` may be
  // null.
  virtual StoreResult<Done> create_one_time_token(const OneTimeToken& token, const OutboxMail* mail,
                                                  const AuditEntry* audit) = 0;
  virtual StoreResult<std::optional<OneTimeToken>> find_one_time_token(
      const std::string& token_hash) = 0;
  // Sets the password, and voids every unused one-time token of the user (the one it
  // spends, if any, is marked used). False when the change spends a one-time token that is
  // used or expired by then (nothing written).
  virtual StoreResult<bool> change_password(const PasswordChange& change,
                                            const AuditEntry& audit) = 0;
  // Replaces the user's password hash with the same password hashed at another cost (at a
  // sign-in, [password_hash]): no audit entry, password_changed_at kept. False (nothing
  // written) when the stored hash is no longer `old_hash`.
  virtual StoreResult<bool> rehash_password(const std::string& user_id, const std::string& old_hash,
                                            const std::string& new_hash) = 0;

  // MFA (sqlite_mfa.cpp, postgres_mfa.cpp): the users' mfa_* columns, recovery codes and
  // sign-in challenges. A step, code or challenge is spent by a conditional write, so that
  // of two requests spending one at once, one wins and the other gets false.
  virtual StoreResult<UserMfa> find_user_mfa(const std::string& user_id) = 0;
  // Keeps `secret` as the pending one; false (nothing written) while MFA is enabled.
  virtual StoreResult<bool> start_mfa_setup(const std::string& user_id, const std::string& secret,
                                            const AuditEntry& audit) = 0;
  // Enables MFA if it is off and the pending secret is `secret`, with `step` spent and
  // `codes` as the recovery codes; false (nothing written) otherwise.
  virtual StoreResult<bool> enable_mfa(const std::string& user_id, const std::string& secret,
                                       std::int64_t step, const std::vector<RecoveryCode>& codes,
                                       const AuditEntry& audit) = 0;
  // Turns MFA off, forgetting the secret, the recovery codes and pending challenges; false
  // (nothing written) when it was off.
  virtual StoreResult<bool> disable_mfa(const std::string& user_id, const AuditEntry& audit) = 0;
  // Replaces every recovery code; false (nothing written) when MFA is off.
  virtual StoreResult<bool> replace_recovery_codes(const std::string& user_id,
                                                   const std::vector<RecoveryCode>& codes,
                                                   const AuditEntry& audit) = 0;
  // Spends TOTP time step `step`: false when it or a later one was spent already.
  virtual StoreResult<bool> spend_totp_step(const std::string& user_id, std::int64_t step) = 0;
  // Spends a recovery code: false when it was spent already.
  virtual StoreResult<bool> spend_recovery_code(const std::string& code_id,
                                                const std::string& at) = 0;
  // Stores a challenge, dropping expired ones (`challenge.created_at` is now).
  virtual StoreResult<Done> create_mfa_challenge(const MfaChallenge& challenge) = 0;
  virtual StoreResult<std::optional<MfaChallenge>> find_mfa_challenge(
      const std::string& token_hash) = 0;
  // Deletes the challenge: false when it was gone already.
  virtual StoreResult<bool> spend_mfa_challenge(const std::string& token_hash) = 0;

  // API keys.
  virtual StoreResult<Done> create_key(const ApiKey& key, const AuditEntry* audit) = 0;
  virtual StoreResult<std::optional<ApiKey>> find_key(const std::string& id) = 0;
  // The key with its creator and organization (the per-request path). The key's
  // last_used_at/last_used_ip may be older than the database's (a last use does not make
  // a cached row stale); list_keys() has the current ones.
  struct KeyActor {
    ApiKey key;
    User user;
    Organization organization;
  };
  // Null when no key has that hash. The row is shared and immutable: while it stays
  // current, every call returns the same object (callers may memoize what they derive
  // from it by its address, holding it so that the address is not reused).
  virtual StoreResult<std::shared_ptr<const KeyActor>> authenticate_key(
      const std::string& key_hash) = 0;
  virtual StoreResult<std::vector<ApiKey>> list_keys(const std::string& organization_id) = 0;
  // Sets revoked_at only if the key is not revoked yet.
  virtual StoreResult<Done> revoke_key(const std::string& id, const std::string& at,
                                       const AuditEntry& audit) = 0;
  // Last use per key, applied in one transaction (the batched hot-path writes).
  struct KeyUse {
    std::string key_id;
    std::string at;
    std::string ip;
  };
  virtual StoreResult<Done> record_key_uses(const std::vector<KeyUse>& uses,
                                            const std::vector<AuditEntry>& audits) = 0;

  // Resources.
  virtual StoreResult<std::vector<Resource>> list_resources(const std::string& organization_id) = 0;
  // The resources a user may start sessions on: assigned directly or through a role.
  virtual StoreResult<std::vector<Resource>> list_user_resources(const std::string& user_id) = 0;
  virtual StoreResult<std::optional<Resource>> find_resource(const std::string& id) = 0;
  // What create_resource() and update_resource() did; nothing is written but for `saved`.
  enum class ResourceWrite {
    saved,
    foreign_credential,  // its credential is gone, or of another organization
    limit_reached,       // create: the organization has max_resources already
    gone,                // update: the resource was deleted meanwhile
  };
  // A resource naming a credential is written only if that credential is still there, in
  // the resource's organization, when the transaction runs (checked under the lock that
  // delete_credential() takes). The limit is counted in the transaction that inserts, so
  // that creations at once cannot pass it together; an update never inserts, so that an
  // edit racing a delete cannot bring the resource back.
  virtual StoreResult<ResourceWrite> create_resource(
      const Resource& resource, const AuditEntry& audit,
      std::optional<std::int64_t> max_resources = std::nullopt) = 0;
  virtual StoreResult<ResourceWrite> update_resource(const Resource& resource,
                                                     const AuditEntry& audit) = 0;
  // What keeps a resource from being deleted: sessions that are not over yet (PENDING
  // ACTIVE PARTIAL EXPIRING) and static IP rules applied to it or about to be (a target
  // PENDING or APPLIED: its address would stay open on the provider with nobody to remove
  // it). Both 0: it was deleted.
  struct ResourceInUse {
    std::int64_t sessions = 0;
    std::int64_t static_ip_rules = 0;
    bool deleted() const { return sessions == 0 && static_ip_rules == 0; }
  };
  // Deletes it, with its remaining static IP rule targets and the links to it, unless
  // something keeps it (nothing is written then).
  virtual StoreResult<ResourceInUse> delete_resource(const std::string& id,
                                                     const AuditEntry& audit) = 0;

  // Credentials, with their data sealed (records.hpp).
  virtual StoreResult<Done> create_credential(const Credential& credential,
                                              const AuditEntry& audit) = 0;
  virtual StoreResult<std::vector<Credential>> list_credentials(
      const std::string& organization_id) = 0;
  virtual StoreResult<std::optional<Credential>> find_credential(const std::string& id) = 0;
  // Deletes it unless resources use it: returns how many do (0: deleted; otherwise
  // nothing was written).
  virtual StoreResult<std::int64_t> delete_credential(const std::string& id,
                                                      const AuditEntry& audit) = 0;
  // Every credential not checked yet (`valid` null), oldest first: the background check's work.
  virtual StoreResult<std::vector<Credential>> list_unchecked_credentials() = 0;
  // Writes the outcome of a check: `valid`, `last_verified_at`, `verification_error`.
  virtual StoreResult<Done> record_credential_check(const Credential& checked,
                                                    const AuditEntry& audit) = 0;

  // Static IP rules. Lists and finds leave out rules being deleted (status DELETING).
  virtual StoreResult<Done> create_static_ip_rule(const StaticIpRule& rule,
                                                  const AuditEntry& audit) = 0;
  virtual StoreResult<std::vector<StaticIpRule>> list_static_ip_rules(
      const std::string& organization_id) = 0;
  virtual StoreResult<std::optional<StaticIpRule>> find_static_ip_rule(const std::string& id) = 0;
  // Moves it to DELETING for the sweeper to remove; false when there was no such rule
  // (or it was being deleted already): nothing written.
  virtual StoreResult<bool> delete_static_ip_rule(const std::string& id,
                                                  const AuditEntry& audit) = 0;
  // Rules with work left for the sweeper: a PENDING target, or DELETING.
  virtual StoreResult<std::vector<StaticIpRule>> find_unsettled_static_ip_rules() = 0;
  // Writes a rule's status and its targets' progress (not for DELETING rules).
  virtual StoreResult<Done> save_static_ip_rule_progress(const StaticIpRule& rule) = 0;
  // Removes a DELETING rule and its targets for good.
  virtual StoreResult<Done> purge_static_ip_rule(const std::string& id) = 0;

  // The secrets key check (see Server::start): stores `sealed` if no check is
  // stored yet, and returns the stored one (this one, or the one an earlier start stored).
  virtual StoreResult<std::string> claim_secrets_check(const std::string& sealed) = 0;

  // Roles, with their links (OrgRole::resource_ids, OrgRole::user_ids). A role's name is unique
  // in its organization: create_role() and update_role() answer a conflict for a taken one.
  virtual StoreResult<std::vector<OrgRole>> list_roles(const std::string& organization_id) = 0;
  virtual StoreResult<std::optional<OrgRole>> find_role(const std::string& id) = 0;
  // Inserts the role; updates its own fields (not its links), answering false and writing
  // nothing when it is gone (deleted meanwhile: an edit never brings it back).
  virtual StoreResult<Done> create_role(const OrgRole& role, const AuditEntry& audit) = 0;
  virtual StoreResult<bool> update_role(const OrgRole& role, const AuditEntry& audit) = 0;
  // Deletes the role and its links; users, resources and sessions stay.
  virtual StoreResult<Done> delete_role(const std::string& id, const AuditEntry& audit) = 0;
  // Adds the link (false: it was there already; nothing written).
  virtual StoreResult<bool> link_role(const std::string& role_id, RoleLink link,
                                      const std::string& other_id, const AuditEntry& audit) = 0;
  // Removes the link (false: there was none; nothing written).
  virtual StoreResult<bool> unlink_role(const std::string& role_id, RoleLink link,
                                        const std::string& other_id, const AuditEntry& audit) = 0;

  // Sessions (with their resource IP entries).
  virtual StoreResult<std::vector<Session>> list_sessions(const std::string& user_id) = 0;
  // Null when there is no such session. Shared and immutable (copy it to change it).
  virtual StoreResult<std::shared_ptr<const Session>> find_session(const std::string& id) = 0;
  // What a change to a session was computed from: the stored row must still hold this
  // status (and, when given, this end time) for the change to apply. Two instances
  // extending one session at once: the second finds another end time and writes nothing,
  // rather than overwriting the first's extension with its own.
  struct SessionVersion {
    SessionVersion(std::string status, OptionalText expires_at = std::nullopt)
        : status(std::move(status)), expires_at(std::move(expires_at)) {}
    std::string status;
    OptionalText expires_at;
  };
  // Inserts the session (`expected` empty) or updates it only if the stored row is still
  // at `expected` (false: someone else changed it first; nothing written), with every
  // resource IP entry it carries. `audit` may be null for internal steps.
  virtual StoreResult<bool> save_session(const Session& session,
                                         const std::optional<SessionVersion>& expected,
                                         const AuditEntry* audit) = 0;
  // Sessions in any of `statuses` (and, when given, with expires_at <= `expires_before`).
  virtual StoreResult<std::vector<Session>> find_sessions_by_status(
      const std::vector<std::string>& statuses, const OptionalText& expires_before) = 0;
  // Every session of the organization, newest first.
  virtual StoreResult<std::vector<Session>> list_organization_sessions(
      const std::string& organization_id) = 0;

  // Duties that one process at a time performs among all those sharing the database (the
  // expiry sweeper's is "sweeper"). True while this store holds `duty`: a call takes it
  // when no other process holds it, and later calls keep it (checking that it still
  // does). It is given up only when the store closes or its process dies (kill -9
  // included), so that another process's next call takes it over. On SQLite every
  // process holds every duty (one server per database file is the deployment; two that
  // sweep at once stay correct, as every session change is conditional).
  virtual StoreResult<bool> hold_duty(const std::string& duty) = 0;

  // Audit.
  virtual StoreResult<AuditPage> query_audit(const AuditFilter& filter) = 0;

  // One request's reads (see ReadScope). The default does nothing.
  virtual void begin_read_scope() {}
  virtual void end_read_scope() noexcept {}

  // One line for the startup log: what the store is and how it caches.
  virtual std::string describe() const = 0;
};

// While a ReadScope lives, the calling thread's reads through `store` share one snapshot
// of the database (and pay for one read transaction per request instead of one per
// statement). The first write in the scope ends that snapshot before it begins, so the
// write and every read after it see the latest data. The request pipeline opens one
// around authentication and the handler; scopes nest. Not to be shared between threads.
class ReadScope {
 public:
  explicit ReadScope(Store& store) : m_store(store) { m_store.begin_read_scope(); }
  ~ReadScope() { m_store.end_read_scope(); }
  ReadScope(const ReadScope&) = delete;
  ReadScope& operator=(const ReadScope&) = delete;

 private:
  Store& m_store;
};

}  // namespace scopegate::server
