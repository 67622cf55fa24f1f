// FirewallProvider: the seam where a real provider (cloud security groups, a host
// firewall) plugs in to open and close a session's per-resource IP entries. The server
// calls apply() when a session starts and remove() when it stops or expires, outside any
// database transaction, then records the outcome. ImmediateProvider, the only one
// shipped, enforces nothing: every entry is APPLIED and REMOVED at once, with a
// deterministic rule id. Implementations must be thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>

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
};

std::unique_ptr<FirewallProvider> make_immediate_provider();

}  // namespace scopegate::server
