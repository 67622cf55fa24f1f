#include "server/rate_limiter.hpp"

#include <algorithm>

namespace scopegate::server {

namespace {

// At least this long between two sweeps of a shard, however short the refill period.
constexpr std::chrono::seconds minimum_sweep_interval{1};

}  // namespace

RateLimiter::RateLimiter(std::int64_t requests_per_minute, std::int64_t burst)
    : m_requests_per_minute(requests_per_minute), m_burst(burst) {
  if (requests_per_minute <= 0 || burst <= 0) return;
  m_interval =
      std::chrono::duration_cast<Clock::duration>(std::chrono::minutes(1)) / requests_per_minute;
  if (m_interval.count() <= 0) m_interval = Clock::duration(1);
  m_capacity = m_interval * burst;
}

RateLimiter::Verdict RateLimiter::acquire(std::string_view key, Clock::time_point now) {
  if (!enabled()) return {};
  auto& shard = m_shards[Hash{}(key) % shard_count];
  std::lock_guard lock(shard.mutex);

  if (now >= shard.next_sweep) {
    // A bucket that is full again is the same as no bucket: drop it.
    std::erase_if(shard.full_at, [now](const auto& entry) { return entry.second <= now; });
    shard.next_sweep = now + std::max<Clock::duration>(m_capacity, minimum_sweep_interval);
  }

  const auto found = shard.full_at.find(key);
  const auto full_at = found == shard.full_at.end() ? now : std::max(found->second, now);
  // Taking a token moves the time the bucket is full again one interval later; the
  // bucket holds `burst` tokens, so that time may be at most `m_capacity` ahead.
  const auto taken = full_at + m_interval;
  if (taken - now > m_capacity) {
    const auto wait = taken - now - m_capacity;
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(wait).count();
    return Verdict{false, std::max<std::int64_t>(seconds, 1)};
  }
  if (found == shard.full_at.end()) {
    shard.full_at.emplace(std::string(key), taken);
  } else {
    found->second = taken;
  }
  return {};
}

std::size_t RateLimiter::tracked_keys() const {
  std::size_t total = 0;
  for (const auto& shard : m_shards) {
    std::lock_guard lock(shard.mutex);
    total += shard.full_at.size();
  }
  return total;
}

}  // namespace scopegate::server
