// The Store's MFA methods on both stores (tagged [store]: run again on PostgreSQL): setup
// and enable are conditional, a TOTP step, a recovery code and a challenge are each spent
// once, and turning MFA off forgets the secret, the codes and the challenges.
#include <catch2/catch.hpp>

#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/store/open_store.hpp"
#include "server/store/store.hpp"
#include "test_store.hpp"
#include "test_support.hpp"

using namespace scopegate::server;
using scopegate::server::testing::new_test_database;
using scopegate::server::testing::TempDir;

namespace {

struct MfaFixture {
  TempDir dir;
  std::unique_ptr<Store> store;
  Organization org{generate_uuid(), "acme", "Acme", format_stored(now())};
  User user;

  MfaFixture() {
    REQUIRE(init_crypto());
    auto opened = open_store(new_test_database(dir));
    REQUIRE(opened);
    store = std::move(*opened);
    REQUIRE(store->create_organization(org));
    user.id = generate_uuid();
    user.organization_id = org.id;
    user.email = "bob@acme.test";
    user.name = "Bob";
    user.role = "member";
    user.password_hash = "x";
    user.created_at = user.updated_at = format_stored(now());
    REQUIRE(store->create_user(user, {}, nullptr));
  }

  AuditEntry audit(std::string event) const {
    AuditEntry entry;
    entry.id = generate_uuid();
    entry.organization_id = org.id;
    entry.event_type = std::move(event);
    entry.actor_email = user.email;
    entry.actor_type = "USER";
    entry.created_at = format_stored(now());
    return entry;
  }

  UserMfa mfa() const {
    auto found = store->find_user_mfa(user.id);
    REQUIRE(found);
    return *found;
  }

  bool enabled_in_user_row() const {
    auto found = store->find_user(user.id);
    REQUIRE(found);
    REQUIRE(*found);
    return (*found)->mfa_enabled;
  }
};

std::vector<RecoveryCode> codes(std::initializer_list<const char*> hashes) {
  std::vector<RecoveryCode> out;
  for (const auto* hash : hashes) out.push_back({generate_uuid(), hash});
  return out;
}

std::int64_t audit_count(Store& store, const std::string& org, const std::string& event) {
  AuditFilter filter;
  filter.organization_id = org;
  filter.event_type = event;
  const auto page = store.query_audit(filter);
  REQUIRE(page);
  return page->total;
}

}  // namespace

TEST_CASE("MFA is enabled only with the pending secret, once, with its codes and audit",
          "[store]") {
  MfaFixture f;
  CHECK_FALSE(f.mfa().enabled);
  CHECK_FALSE(f.mfa().secret);
  // No setup yet: nothing to enable.
  CHECK(*f.store->enable_mfa(f.user.id, "AAAA", 10, codes({"h1"}), f.audit("MFA_ENABLE")) == false);
  REQUIRE(*f.store->start_mfa_setup(f.user.id, "FIRST", f.audit("MFA_SETUP")));
  REQUIRE(*f.store->start_mfa_setup(f.user.id, "SECOND", f.audit("MFA_SETUP")));
  CHECK(f.mfa().secret == "SECOND");
  CHECK_FALSE(f.mfa().enabled);
  // Only the latest pending secret enables.
  CHECK_FALSE(*f.store->enable_mfa(f.user.id, "FIRST", 10, codes({"h1"}), f.audit("MFA_ENABLE")));
  CHECK(*f.store->enable_mfa(f.user.id, "SECOND", 10, codes({"h1", "h2"}), f.audit("MFA_ENABLE")));
  const auto mfa = f.mfa();
  CHECK(mfa.enabled);
  CHECK(mfa.last_step == 10);
  CHECK(mfa.recovery_codes.size() == 2);
  CHECK(f.enabled_in_user_row());
  // Enabled: neither a new setup nor a second enable writes anything.
  CHECK_FALSE(*f.store->start_mfa_setup(f.user.id, "THIRD", f.audit("MFA_SETUP")));
  CHECK_FALSE(*f.store->enable_mfa(f.user.id, "SECOND", 11, codes({"h3"}), f.audit("MFA_ENABLE")));
  CHECK(f.mfa().secret == "SECOND");
  CHECK(audit_count(*f.store, f.org.id, "MFA_SETUP") == 2);
  CHECK(audit_count(*f.store, f.org.id, "MFA_ENABLE") == 1);
}

TEST_CASE("a TOTP step, a recovery code and a challenge are each spent once", "[store]") {
  MfaFixture f;
  REQUIRE(*f.store->start_mfa_setup(f.user.id, "S", f.audit("MFA_SETUP")));
  REQUIRE(*f.store->enable_mfa(f.user.id, "S", 100, codes({"h1", "h2"}), f.audit("MFA_ENABLE")));
  CHECK_FALSE(*f.store->spend_totp_step(f.user.id, 100));  // spent by the confirmation
  CHECK_FALSE(*f.store->spend_totp_step(f.user.id, 99));
  CHECK(*f.store->spend_totp_step(f.user.id, 101));
  CHECK_FALSE(*f.store->spend_totp_step(f.user.id, 101));
  CHECK(f.mfa().last_step == 101);

  const auto id = f.mfa().recovery_codes.at(0).id;
  CHECK(*f.store->spend_recovery_code(id, format_stored(now())));
  CHECK_FALSE(*f.store->spend_recovery_code(id, format_stored(now())));
  REQUIRE(f.mfa().recovery_codes.size() == 1);  // only unspent codes are read
  CHECK(f.mfa().recovery_codes[0].id != id);

  const MfaChallenge challenge{sha256_hex("token"), f.user.id,
                               format_stored(now() + std::chrono::minutes(5)),
                               format_stored(now())};
  REQUIRE(f.store->create_mfa_challenge(challenge));
  const auto found = f.store->find_mfa_challenge(challenge.token_hash);
  REQUIRE(found);
  REQUIRE(*found);
  CHECK((*found)->user_id == f.user.id);
  CHECK((*found)->expires_at == challenge.expires_at);
  CHECK(*f.store->spend_mfa_challenge(challenge.token_hash));
  CHECK_FALSE(*f.store->spend_mfa_challenge(challenge.token_hash));
  CHECK_FALSE(*f.store->find_mfa_challenge(challenge.token_hash));
}

TEST_CASE("new recovery codes replace the old, and turning MFA off forgets everything", "[store]") {
  MfaFixture f;
  CHECK_FALSE(*f.store->replace_recovery_codes(f.user.id, codes({"x"}), f.audit("R")));
  CHECK_FALSE(*f.store->disable_mfa(f.user.id, f.audit("MFA_DISABLE")));
  REQUIRE(*f.store->start_mfa_setup(f.user.id, "S", f.audit("MFA_SETUP")));
  REQUIRE(*f.store->enable_mfa(f.user.id, "S", 5, codes({"h1", "h2"}), f.audit("MFA_ENABLE")));
  REQUIRE(*f.store->replace_recovery_codes(f.user.id, codes({"n1", "n2", "n3"}), f.audit("R")));
  std::vector<std::string> hashes;
  for (const auto& code : f.mfa().recovery_codes) hashes.push_back(code.code_hash);
  std::sort(hashes.begin(), hashes.end());
  CHECK(hashes == std::vector<std::string>{"n1", "n2", "n3"});

  const MfaChallenge challenge{sha256_hex("pending"), f.user.id,
                               format_stored(now() + std::chrono::minutes(5)),
                               format_stored(now())};
  REQUIRE(f.store->create_mfa_challenge(challenge));
  CHECK(*f.store->disable_mfa(f.user.id, f.audit("MFA_DISABLE")));
  const auto mfa = f.mfa();
  CHECK_FALSE(mfa.enabled);
  CHECK_FALSE(mfa.secret);
  CHECK_FALSE(mfa.last_step);
  CHECK(mfa.recovery_codes.empty());
  CHECK_FALSE(f.enabled_in_user_row());
  CHECK_FALSE(*f.store->find_mfa_challenge(challenge.token_hash));
  CHECK_FALSE(*f.store->disable_mfa(f.user.id, f.audit("MFA_DISABLE")));
  CHECK(audit_count(*f.store, f.org.id, "MFA_DISABLE") == 1);
  CHECK(audit_count(*f.store, f.org.id, "R") == 1);
}

TEST_CASE("an expired challenge is dropped when the next one is stored", "[store]") {
  MfaFixture f;
  const auto then = now();
  const MfaChallenge old{sha256_hex("old"), f.user.id, format_stored(then), format_stored(then)};
  REQUIRE(f.store->create_mfa_challenge(old));
  const MfaChallenge fresh{sha256_hex("new"), f.user.id,
                           format_stored(then + std::chrono::minutes(10)),
                           format_stored(then + std::chrono::minutes(1))};
  REQUIRE(f.store->create_mfa_challenge(fresh));
  CHECK_FALSE(*f.store->find_mfa_challenge(old.token_hash));
  CHECK(*f.store->find_mfa_challenge(fresh.token_hash));
}

TEST_CASE("a password change drops the user's sign-ins waiting for their second factor",
          "[store]") {
  MfaFixture f;
  const MfaChallenge challenge{sha256_hex("pending"), f.user.id,
                               format_stored(now() + std::chrono::minutes(5)),
                               format_stored(now())};
  REQUIRE(f.store->create_mfa_challenge(challenge));
  PasswordChange change;
  change.user_id = f.user.id;
  change.password_hash = "y";
  change.at = format_stored(now());
  REQUIRE(*f.store->change_password(change, f.audit("USER_PASSWORD_CHANGE")));
  CHECK_FALSE(*f.store->find_mfa_challenge(challenge.token_hash));
}
