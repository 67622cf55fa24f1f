// FirewallProvider: the seam where a real provider (cloud security groups, a host
// firewall) plugs in to open and close a session's per-resource IP entries and a static
// IP rule's addresses, and to check credentials and resources against the cloud. The
// server calls apply() when a session starts and remove() when it stops or expires, the
// static-rule pair from the sweeper, always outside any database transaction, then
// records the outcome. ImmediateProvider, the only one shipped, calls no cloud and
// enforces nothing: every entry is APPLIED and REMOVED at once, with a deterministic rule
// id; its checks are the offline ones (the shape of the credential data, a resource's
// provider matching its credential's). Implementations must be thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "server/store/records.hpp"

namespace scopegate::server {

struct ProviderOutcome {
  bool ok = true;
  std::optional<std::string> rule_id;  // the provider's handle for the rule (apply only)
  std::optional<std::string> error;    // why it failed
};

class FirewallProvider {
 public:
  virtual ~FirewallProvider() = default;
  virtual ProviderOutcome apply(const Resource& resource, const SessionResourceIp& entry) = 0;
  virtual ProviderOutcome remove(const SessionResourceIp& entry) = 0;

  // `data` is the credential's data, opened (a JSON object as text): never to be logged.
  virtual ProviderOutcome verify_credential(const Credential& credential,
                                            std::string_view data) = 0;
  virtual ProviderOutcome verify_resource(const Resource& resource, const Credential& credential,
                                          std::string_view data) = 0;
  virtual ProviderOutcome apply_static(const Resource& resource, const StaticIpRule& rule) = 0;
  virtual ProviderOutcome remove_static(const StaticIpRule& rule,
                                        const StaticIpRuleTarget& target) = 0;
};

std::unique_ptr<FirewallProvider> make_immediate_provider();

}  // namespace scopegate::server
