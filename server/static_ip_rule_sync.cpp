#include "server/static_ip_rule_sync.hpp"

#include <algorithm>

#include "server/clock.hpp"

namespace scopegate::server {

namespace {

bool remove_from_provider(StaticIpRule& rule, FirewallProvider& provider, spdlog::logger& logger) {
  for (const auto& target : rule.targets) {
    if (target.status != "APPLIED") continue;
    const auto outcome = provider.remove_static(rule, target);
    if (!outcome.ok) {
      logger.warn("static IP rule {}: removing {} from resource {} failed: {}", rule.id,
                  rule.ip_address, target.resource_id, outcome.error.value_or("no reason given"));
      return false;  // tried again on the next pass
    }
  }
  return true;
}

void apply_pending(StaticIpRule& rule, Store& store, FirewallProvider& provider) {
  for (auto& target : rule.targets) {
    if (target.status != "PENDING") continue;
    const auto resource = store.find_resource(target.resource_id);
    if (!resource) continue;  // a database error: tried again on the next pass
    if (!*resource) {
      target.status = "FAILED";
      target.error_message = "the resource no longer exists";
      continue;
    }
    const auto outcome = provider.apply_static(**resource, rule);
    target.status = outcome.ok ? "APPLIED" : "FAILED";
    target.provider_rule_id = outcome.rule_id;
    target.applied_at = outcome.ok ? OptionalText(format_stored(now())) : std::nullopt;
    target.error_message = outcome.ok ? std::nullopt : outcome.error;
  }
  rule.status = static_ip_rule_status(rule.targets);
}

}  // namespace

std::string static_ip_rule_status(const std::vector<StaticIpRuleTarget>& targets) {
  const auto count = [&](std::string_view status) {
    return std::count_if(targets.begin(), targets.end(),
                         [&](const StaticIpRuleTarget& t) { return t.status == status; });
  };
  const auto total = static_cast<std::ptrdiff_t>(targets.size());
  if (count("PENDING") > 0) return "PENDING";
  if (count("APPLIED") == total) return "ACTIVE";
  if (count("FAILED") == total) return "FAILED";
  return "PARTIAL";
}

std::size_t settle_static_ip_rules(Store& store, FirewallProvider& provider,
                                   spdlog::logger& logger) {
  const auto rules = store.find_unsettled_static_ip_rules();
  if (!rules) {
    logger.error("static IP rules: cannot list rules: {}", rules.error().message);
    return 0;
  }
  std::size_t changed = 0;
  for (auto rule : *rules) {
    StoreResult<Done> saved = Done{};
    if (rule.status == "DELETING") {
      if (!remove_from_provider(rule, provider, logger)) continue;
      saved = store.purge_static_ip_rule(rule.id);
    } else {
      apply_pending(rule, store, provider);
      saved = store.save_static_ip_rule_progress(rule);
    }
    if (!saved) {
      logger.error("static IP rules: cannot save rule {}: {}", rule.id, saved.error().message);
      continue;
    }
    ++changed;
  }
  return changed;
}

}  // namespace scopegate::server
