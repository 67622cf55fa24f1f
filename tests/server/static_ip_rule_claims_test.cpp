// What docs/server.md claims about the sweeper's side of static IP rules, which the shipped
// provider (it never fails) cannot show end to end: a target the provider refuses is FAILED
// with the provider's errorMessage, and the rule becomes PARTIAL when some failed, FAILED
// when all did (docs-20 review, section 3). On the suite's store, with a provider that
// refuses the resources it is told to.
#include <catch2/catch.hpp>

#include <spdlog/logger.h>

#include <set>

#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/provider.hpp"
#include "server/static_ip_rule_sync.hpp"
#include "server/store/open_store.hpp"
#include "server/store/store.hpp"
#include "test_rows.hpp"
#include "test_store.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

// Applies every static rule but on the resources named in `refused`.
class RefusingProvider final : public FirewallProvider {
 public:
  explicit RefusingProvider(std::set<std::string> refused) : m_refused(std::move(refused)) {}
  ProviderOutcome apply(const Resource&, const SessionResourceIp&) override { return {}; }
  ProviderOutcome remove(const SessionResourceIp&) override { return {}; }
  ProviderOutcome verify_credential(const Credential&, std::string_view) override { return {}; }
  ProviderOutcome verify_resource(const Resource&, const Credential&, std::string_view) override {
    return {};
  }
  ProviderOutcome apply_static(const Resource& resource, const StaticIpRule&) override {
    if (m_refused.count(resource.name) != 0) {
      return {false, std::nullopt, "the cloud refused " + resource.name};
    }
    return {true, "rule-" + resource.name, std::nullopt};
  }
  ProviderOutcome remove_static(const StaticIpRule&, const StaticIpRuleTarget&) override {
    return {};
  }

 private:
  std::set<std::string> m_refused;
};

struct RuleFixture {
  TempDir dir;
  std::unique_ptr<Store> store;
  Organization org;
  std::string credential_id = generate_uuid();

  RuleFixture() {
    REQUIRE(init_crypto());
    auto opened = open_store(new_test_database(dir));
    REQUIRE(opened);
    store = std::move(*opened);
    org = Organization{generate_uuid(), "acme", "Acme", format_stored(now())};
    REQUIRE(store->create_organization(org));
    Credential credential;
    credential.id = credential_id;
    credential.organization_id = org.id;
    credential.name = "aws";
    credential.provider = "AWS";
    credential.credential_type = "ACCESS_KEY";
    credential.sealed_data = "xc20p1:sealed";
    credential.created_at = credential.updated_at = format_stored(now());
    REQUIRE(store->create_credential(credential, user_audit(org.id, "CREDENTIAL_CREATE")));
  }

  // A rule on new resources of these names, PENDING as the API creates it; its id.
  std::string rule_on(const std::vector<std::string>& names) {
    StaticIpRule rule;
    rule.id = generate_uuid();
    rule.organization_id = org.id;
    rule.label = "Office";
    rule.ip_address = "203.0.113.0/24";
    rule.status = "PENDING";
    rule.created_by_email = "a@acme.test";
    rule.created_at = format_stored(now());
    for (const auto& name : names) {
      Resource r;
      r.id = generate_uuid();
      r.organization_id = org.id;
      r.name = name;
      r.credential_id = credential_id;
      r.provider = "AWS";
      r.resource_type = "SECURITY_GROUP";
      r.resource_identifier = "sg-" + name;
      r.created_at = r.updated_at = format_stored(now());
      REQUIRE(store->create_resource(r, user_audit(org.id, "RESOURCE_CREATE")));
      rule.targets.push_back({r.id, name, "PENDING", std::nullopt, std::nullopt, std::nullopt});
    }
    REQUIRE(store->create_static_ip_rule(rule, user_audit(org.id, "STATIC_IP_RULE_CREATED")));
    return rule.id;
  }

  StaticIpRule settled(const std::string& rule_id, const std::set<std::string>& refused) {
    RefusingProvider provider(refused);
    spdlog::logger quiet("static-ip-rule-claims");  // no sinks
    settle_static_ip_rules(*store, provider, quiet);
    const auto found = store->find_static_ip_rule(rule_id);
    REQUIRE(found);
    REQUIRE(found->has_value());
    return **found;
  }
};

}  // namespace

TEST_CASE(
    "the sweeper marks a target the provider refuses FAILED with its reason, and the rule "
    "PARTIAL, FAILED or ACTIVE",
    "[store]") {
  RuleFixture f;
  SECTION("some refused: PARTIAL") {
    const auto rule = f.settled(f.rule_on({"alpha", "beta"}), {"beta"});
    CHECK(rule.status == "PARTIAL");
    REQUIRE(rule.targets.size() == 2);
    for (const auto& target : rule.targets) {
      INFO(target.resource_name);
      if (target.resource_name == "alpha") {
        CHECK(target.status == "APPLIED");
        CHECK(target.applied_at);
        CHECK_FALSE(target.error_message);
      } else {
        CHECK(target.status == "FAILED");
        CHECK(target.error_message == std::optional<std::string>("the cloud refused beta"));
        CHECK_FALSE(target.applied_at);
      }
    }
  }
  SECTION("all refused: FAILED") {
    const auto rule = f.settled(f.rule_on({"alpha", "beta"}), {"alpha", "beta"});
    CHECK(rule.status == "FAILED");
    for (const auto& target : rule.targets) CHECK(target.status == "FAILED");
  }
  SECTION("none refused: ACTIVE") {
    const auto rule = f.settled(f.rule_on({"alpha", "beta"}), {});
    CHECK(rule.status == "ACTIVE");
    for (const auto& target : rule.targets) CHECK(target.status == "APPLIED");
  }
}
