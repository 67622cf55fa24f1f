// The Store's credentials, resource deletion, static IP rules and secrets check, on the
// suite's store (tagged [store]: run on SQLite and again on PostgreSQL).
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

struct CredentialsFixture {
  TempDir dir;
  std::unique_ptr<Store> store;
  Organization org;

  CredentialsFixture() {
    REQUIRE(init_crypto());
    auto opened = open_store(new_test_database(dir));
    REQUIRE(opened);
    store = std::move(*opened);
    org = Organization{generate_uuid(), "acme", "Acme", format_stored(now())};
    REQUIRE(store->create_organization(org));
  }

  AuditEntry audit(const std::string& event) const {
    AuditEntry entry;
    entry.id = generate_uuid();
    entry.organization_id = org.id;
    entry.event_type = event;
    entry.actor_type = "SYSTEM";
    entry.created_at = format_stored(now());
    return entry;
  }

  Credential add_credential(const std::string& name) {
    Credential c;
    c.id = generate_uuid();
    c.organization_id = org.id;
    c.name = name;
    c.provider = "AWS";
    c.credential_type = "ACCESS_KEY";
    c.sealed_data = "xc20p1:sealed";
    c.created_at = format_stored(now());
    c.updated_at = c.created_at;
    REQUIRE(store->create_credential(c, audit("CREDENTIAL_CREATE")));
    return c;
  }

  Resource add_resource(const std::string& name, const std::string& credential_id) {
    Resource r;
    r.id = generate_uuid();
    r.organization_id = org.id;
    r.name = name;
    r.credential_id = credential_id;
    r.provider = "AWS";
    r.resource_type = "SECURITY_GROUP";
    r.resource_identifier = "sg-" + name;
    r.created_at = format_stored(now());
    r.updated_at = r.created_at;
    const auto saved = store->create_resource(r, audit("RESOURCE_CREATE"));
    REQUIRE(saved);
    REQUIRE(*saved == Store::ResourceWrite::saved);
    return r;
  }

  std::int64_t audits(const std::string& event) const {
    AuditFilter filter;
    filter.organization_id = org.id;
    filter.event_type = event;
    return store->query_audit(filter)->total;
  }
};

}  // namespace

TEST_CASE("a credential used by a resource is kept, and a resource cannot name a deleted one",
          "[store]") {
  CredentialsFixture f;
  const auto credential = f.add_credential("aws");
  const auto other = f.add_credential("spare");
  const auto resource = f.add_resource("db", credential.id);
  CHECK((*f.store->find_resource(resource.id))->credential_name == "aws");
  CHECK(*f.store->delete_credential(credential.id, f.audit("CREDENTIAL_DELETE")) == 1);
  CHECK(*f.store->find_credential(credential.id));
  CHECK(f.audits("CREDENTIAL_DELETE") == 0);  // refused: nothing written
  CHECK(*f.store->delete_credential(other.id, f.audit("CREDENTIAL_DELETE")) == 0);
  CHECK_FALSE(*f.store->find_credential(other.id));
  CHECK(f.audits("CREDENTIAL_DELETE") == 1);
  auto moved = resource;
  moved.credential_id = other.id;
  CHECK(*f.store->update_resource(moved, f.audit("RESOURCE_UPDATE")) ==
        Store::ResourceWrite::foreign_credential);
  CHECK((*f.store->find_resource(resource.id))->credential_id == credential.id);
  CHECK(f.audits("RESOURCE_UPDATE") == 0);

  // The background check's work list, and what it records.
  auto unchecked = *f.store->list_unchecked_credentials();
  REQUIRE(unchecked.size() == 1);
  auto checked = unchecked.front();
  checked.valid = false;
  checked.last_verified_at = format_stored(now());
  checked.verification_error = "bad format";
  REQUIRE(f.store->record_credential_check(checked, f.audit("CREDENTIAL_VERIFY")));
  CHECK(f.store->list_unchecked_credentials()->empty());
  const auto stored = **f.store->find_credential(credential.id);
  CHECK(stored.valid == false);
  CHECK(stored.verification_error == "bad format");
  CHECK(stored.sealed_data == "xc20p1:sealed");
  CHECK(f.store->list_credentials(f.org.id)->size() == 1);
}

TEST_CASE("an update of a resource deleted meanwhile writes nothing and does not bring it back",
          "[store]") {
  CredentialsFixture f;
  const auto credential = f.add_credential("aws");
  auto edited = f.add_resource("db", credential.id);  // as a PATCH loaded it
  REQUIRE(f.store->delete_resource(edited.id, f.audit("RESOURCE_DELETE")));
  edited.name = "renamed";
  CHECK(*f.store->update_resource(edited, f.audit("RESOURCE_UPDATE")) ==
        Store::ResourceWrite::gone);
  CHECK_FALSE(*f.store->find_resource(edited.id));
  CHECK(f.audits("RESOURCE_UPDATE") == 0);
}

TEST_CASE("a resource covered by a session that is not over is not deleted", "[store]") {
  CredentialsFixture f;
  const auto resource = f.add_resource("db", f.add_credential("aws").id);
  User user{generate_uuid(),      f.org.id,    "u@acme.test", "U", "admin", "x", true,
            format_stored(now()), std::nullopt};
  REQUIRE(f.store->create_user(user, {}, nullptr));
  Session session;
  session.id = generate_uuid();
  session.organization_id = f.org.id;
  session.user_id = user.id;
  session.status = "ACTIVE";
  session.started_at = format_stored(now());
  session.expires_at = session.started_at;
  session.created_at = session.started_at;
  session.resource_ips.push_back({generate_uuid(), session.id, resource.id, "db", "IPV4",
                                  "192.0.2.1", "APPLIED", std::nullopt, std::nullopt, std::nullopt,
                                  std::nullopt});
  REQUIRE(*f.store->save_session(session, std::nullopt, nullptr));
  const auto kept = *f.store->delete_resource(resource.id, f.audit("RESOURCE_DELETE"));
  CHECK(kept.sessions == 1);
  CHECK_FALSE(kept.deleted());
  CHECK(*f.store->find_resource(resource.id));
  auto ended = session;
  ended.status = "CANCELLED";
  REQUIRE(*f.store->save_session(ended, std::string("ACTIVE"), nullptr));
  CHECK(f.store->delete_resource(resource.id, f.audit("RESOURCE_DELETE"))->deleted());
  CHECK_FALSE(*f.store->find_resource(resource.id));
  CHECK(f.audits("RESOURCE_DELETE") == 1);
}

TEST_CASE("a static IP rule goes from PENDING through its progress to DELETING and away",
          "[store]") {
  CredentialsFixture f;
  const auto credential = f.add_credential("aws");
  const auto alpha = f.add_resource("alpha", credential.id);
  const auto beta = f.add_resource("beta", credential.id);
  StaticIpRule rule;
  rule.id = generate_uuid();
  rule.organization_id = f.org.id;
  rule.label = "Office";
  rule.ip_address = "203.0.113.0/24";
  rule.status = "PENDING";
  rule.created_by_email = "a@acme.test";
  rule.created_at = format_stored(now());
  for (const auto* resource : {&alpha, &beta}) {
    rule.targets.push_back(
        {resource->id, resource->name, "PENDING", std::nullopt, std::nullopt, std::nullopt});
  }
  REQUIRE(f.store->create_static_ip_rule(rule, f.audit("STATIC_IP_RULE_CREATED")));
  REQUIRE(f.store->find_unsettled_static_ip_rules()->size() == 1);
  // A resource a rule is about to open an address on is kept.
  const auto pending = *f.store->delete_resource(alpha.id, f.audit("RESOURCE_DELETE"));
  CHECK(pending.static_ip_rules == 1);
  CHECK(pending.sessions == 0);
  CHECK(*f.store->find_resource(alpha.id));
  rule.targets[0].status = "APPLIED";
  rule.targets[0].applied_at = format_stored(now());
  rule.targets[1].status = "FAILED";
  rule.targets[1].error_message = "refused";
  rule.status = "PARTIAL";
  REQUIRE(f.store->save_static_ip_rule_progress(rule));
  CHECK(f.store->find_unsettled_static_ip_rules()->empty());
  const auto stored = **f.store->find_static_ip_rule(rule.id);
  CHECK(stored.status == "PARTIAL");
  REQUIRE(stored.targets.size() == 2);
  CHECK(stored.targets[0].resource_name == "alpha");
  CHECK(stored.targets[0].status == "APPLIED");
  CHECK(stored.targets[1].error_message == "refused");
  // A resource with the address applied is kept; one whose target failed is deleted, and
  // its target goes with it.
  CHECK(f.store->delete_resource(alpha.id, f.audit("RESOURCE_DELETE"))->static_ip_rules == 1);
  REQUIRE(f.store->delete_resource(beta.id, f.audit("RESOURCE_DELETE"))->deleted());
  CHECK((*f.store->find_static_ip_rule(rule.id))->targets.size() == 1);
  // Deleting the rule hides it, leaves it to the sweeper, and only once.
  CHECK(*f.store->delete_static_ip_rule(rule.id, f.audit("STATIC_IP_RULE_DELETED")));
  CHECK_FALSE(*f.store->delete_static_ip_rule(rule.id, f.audit("STATIC_IP_RULE_DELETED")));
  CHECK_FALSE(*f.store->find_static_ip_rule(rule.id));
  CHECK(f.store->list_static_ip_rules(f.org.id)->empty());
  CHECK(f.audits("STATIC_IP_RULE_DELETED") == 1);
  REQUIRE(f.store->find_unsettled_static_ip_rules()->size() == 1);
  CHECK(f.store->save_static_ip_rule_progress(rule));  // changes nothing once DELETING
  CHECK(f.store->find_unsettled_static_ip_rules()->front().status == "DELETING");
  REQUIRE(f.store->purge_static_ip_rule(rule.id));
  CHECK(f.store->find_unsettled_static_ip_rules()->empty());
}

TEST_CASE("the secrets check is stored by the first claim and returned to every later one",
          "[store]") {
  CredentialsFixture f;
  CHECK(*f.store->claim_secrets_check("xc20p1:first") == "xc20p1:first");
  CHECK(*f.store->claim_secrets_check("xc20p1:second") == "xc20p1:first");
}
