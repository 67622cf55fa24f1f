#include "server/shadow.hpp"

namespace scopegate::server {

ShadowPolicy::ShadowPolicy(Surface surface, Engine& candidate,
                           std::shared_ptr<spdlog::logger> logger)
    : m_surface(surface), m_candidate(candidate), m_logger(std::move(logger)) {}

void ShadowPolicy::compare(const Decision& live, const Principal& principal, const Request& facts,
                           std::string_view principal_label) const {
  const Decision shadow = m_candidate.decide(principal, facts);
  record(live.reason_code(), endpoint_label(live.endpoint()), shadow, facts, principal_label);
}

void ShadowPolicy::compare_unauthenticated(const Decision& live, const Request& facts) const {
  const Decision shadow = m_candidate.decide(Principal{}, facts);
  // The candidate refuses nobody too: the same answer, whatever it says why.
  if (!shadow.allowed()) {
    m_same.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  record("unauthenticated", endpoint_label(live.endpoint()), shadow, facts, "-");
}

void ShadowPolicy::record(std::string_view live_reason, std::string_view live_endpoint,
                          const Decision& shadow, const Request& facts,
                          std::string_view principal_label) const {
  const auto shadow_endpoint = endpoint_label(shadow.endpoint());
  if (live_reason == shadow.reason_code() && live_endpoint == shadow_endpoint) {
    m_same.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  Metrics::ShadowDifference kind{std::string(live_reason), std::string(live_endpoint),
                                 std::string(shadow.reason_code()), shadow_endpoint};
  const std::lock_guard lock(m_mutex);
  const auto [entry, first] = m_differences.try_emplace(std::move(kind), 0);
  ++entry->second;
  if (!first) return;
  const auto path = facts.target.substr(0, facts.target.find('?'));
  m_logger->warn("shadow {} policy: live {} ({}), shadow {} ({}); first seen on {} {} principal={}",
                 to_string(m_surface), entry->first.live_reason, entry->first.live_endpoint,
                 entry->first.shadow_reason, entry->first.shadow_endpoint, facts.method, path,
                 principal_label);
}

Metrics::ShadowCounts ShadowPolicy::counts() const {
  Metrics::ShadowCounts out;
  out.surface = m_surface;
  out.same = m_same.load(std::memory_order_relaxed);
  const std::lock_guard lock(m_mutex);
  out.differences.assign(m_differences.begin(), m_differences.end());
  return out;
}

}  // namespace scopegate::server
