// The background side of static IP rules: each rule's PENDING targets are applied through
// the provider (APPLIED with the provider's rule id, or FAILED with its error) and the
// rule's status follows (ACTIVE when all are applied, FAILED when all failed, PARTIAL
// when some failed, PENDING while any is left); a DELETING rule has its applied targets
// removed through the provider, then is purged. The sweeper runs it on every pass.
// Thread-safe as its arguments.
#pragma once

#include <cstddef>
#include <vector>

#include <spdlog/logger.h>

#include "server/provider.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

// The rule's status from its targets' (not for DELETING rules).
std::string static_ip_rule_status(const std::vector<StaticIpRuleTarget>& targets);

// Returns how many rules changed.
std::size_t settle_static_ip_rules(Store& store, FirewallProvider& provider,
                                   spdlog::logger& logger);

}  // namespace scopegate::server
