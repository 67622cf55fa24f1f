#include "server/sessions.hpp"

#include "server/clock.hpp"

namespace scopegate::server {

bool can_stop(std::string_view status) {
  return status == "PENDING" || status == "ACTIVE" || status == "PARTIAL";
}

bool can_extend(std::string_view status) { return status == "ACTIVE" || status == "PARTIAL"; }

void apply_entries(Session& session, const std::vector<Resource>& resources,
                   FirewallProvider& provider) {
  std::size_t applied = 0;
  std::size_t failed = 0;
  for (auto& entry : session.resource_ips) {
    if (entry.status != "PENDING") continue;
    const Resource* resource = nullptr;
    for (const auto& candidate : resources) {
      if (candidate.id == entry.resource_id) resource = &candidate;
    }
    const auto outcome = resource == nullptr
                             ? ProviderOutcome{false, std::nullopt, std::string("resource is gone")}
                             : provider.apply(*resource, entry);
    if (outcome.ok) {
      entry.status = "APPLIED";
      entry.provider_rule_id = outcome.rule_id;
      entry.applied_at = format_stored(now());
      ++applied;
    } else {
      entry.status = "FAILED";
      entry.error_message = outcome.error;
      ++failed;
    }
  }
  if (failed == 0) {
    session.status = "ACTIVE";
  } else {
    session.status = applied == 0 ? "FAILED" : "PARTIAL";
  }
}

void begin_ending(Session& session, std::string_view reason, const std::string& at) {
  session.status = "EXPIRING";
  session.ended_reason = std::string(reason);
  session.ended_at = at;
  for (auto& entry : session.resource_ips) {
    if (entry.status == "APPLIED" || entry.status == "PENDING") entry.status = "REMOVING";
  }
}

void finish_ending(Session& session, FirewallProvider& provider) {
  for (auto& entry : session.resource_ips) {
    if (entry.status != "REMOVING") continue;
    const auto outcome = provider.remove(entry);
    if (outcome.ok) {
      entry.status = "REMOVED";
      entry.removed_at = format_stored(now());
    } else {
      entry.status = "FAILED";
      entry.error_message = outcome.error;
    }
  }
  session.status = session.ended_reason == "EXPIRED" ? "EXPIRED" : "CANCELLED";
}

}  // namespace scopegate::server
