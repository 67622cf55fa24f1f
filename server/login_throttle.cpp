#include "server/login_throttle.hpp"

#include <algorithm>
#include <functional>

namespace scopegate::server {

LoginThrottle::LoginThrottle(LoginThrottleSettings settings) : m_settings(settings) {}

std::string LoginThrottle::pair_key(std::string_view account, std::string_view address) {
  std::string key(address);
  key.push_back('\n');  // an address never holds a newline
  const auto hash = static_cast<std::uint64_t>(std::hash<std::string_view>{}(account));
  key.append(reinterpret_cast<const char*>(&hash), sizeof hash);
  return key;
}

LoginThrottle::Clock::time_point LoginThrottle::allowed_from(const Failures& failures,
                                                             std::int64_t free,
                                                             Clock::time_point now) const {
  if (now - failures.last > m_settings.window || failures.count < free) return {};
  // Doublings past the free failures, in whole seconds, capped before anything overflows
  // (base_delay is at most an hour: 3600 * 2^30 s fits), then capped at max_delay.
  const auto doublings = std::min<std::int64_t>(failures.count - free, 30);
  const std::chrono::seconds delay =
      std::min(m_settings.base_delay * (std::int64_t{1} << doublings), m_settings.max_delay);
  return failures.last + delay;
}

LoginThrottle::Verdict LoginThrottle::check_locked(const std::string& pair,
                                                   const std::string& address,
                                                   Clock::time_point now) const {
  Clock::time_point from{};
  if (const auto found = m_pairs.find(pair); found != m_pairs.end()) {
    from = std::max(from, allowed_from(found->second, m_settings.free_failures, now));
  }
  if (const auto found = m_addresses.find(address); found != m_addresses.end()) {
    from = std::max(from, allowed_from(found->second, m_settings.free_address_failures, now));
  }
  if (from <= now) return {};
  const auto wait = std::chrono::ceil<std::chrono::seconds>(from - now).count();
  return {false, std::max<std::int64_t>(wait, 1)};
}

LoginThrottle::Verdict LoginThrottle::check(std::string_view account, std::string_view address,
                                            Clock::time_point now) const {
  const auto pair = pair_key(account, address);
  const std::string by_address(address);
  std::lock_guard lock(m_mutex);
  return check_locked(pair, by_address, now);
}

LoginThrottle::Verdict LoginThrottle::begin(std::string_view account, std::string_view address,
                                            Clock::time_point now) {
  const auto pair = pair_key(account, address);
  const std::string by_address(address);
  std::lock_guard lock(m_mutex);
  const auto verdict = check_locked(pair, by_address, now);
  if (verdict.allowed) {
    count(m_pairs, pair, now);
    count(m_addresses, by_address, now);
  }
  return verdict;
}

void LoginThrottle::sweep(Table& table, Clock::time_point now) {
  std::erase_if(table,
                [&](const auto& entry) { return now - entry.second.last > m_settings.window; });
}

void LoginThrottle::count(Table& table, const std::string& key, Clock::time_point now) {
  auto found = table.find(key);
  if (found == table.end()) {
    if (table.size() >= m_settings.max_entries) sweep(table, now);
    if (table.size() >= m_settings.max_entries) return;  // full of live entries
    found = table.emplace(key, Failures{}).first;
  }
  auto& failures = found->second;
  if (now - failures.last > m_settings.window) failures.count = 0;
  ++failures.count;
  failures.last = now;
}

void LoginThrottle::record_failure(std::string_view account, std::string_view address,
                                   Clock::time_point now) {
  std::lock_guard lock(m_mutex);
  count(m_pairs, pair_key(account, address), now);
  count(m_addresses, std::string(address), now);
}

void LoginThrottle::record_success(std::string_view account, std::string_view address) {
  const auto pair = pair_key(account, address);
  std::lock_guard lock(m_mutex);
  m_pairs.erase(pair);
  if (const auto found = m_addresses.find(std::string(address));
      found != m_addresses.end() && found->second.count > 0) {
    --found->second.count;
  }
}

std::pair<std::size_t, std::size_t> LoginThrottle::tracked() const {
  std::lock_guard lock(m_mutex);
  return {m_pairs.size(), m_addresses.size()};
}

}  // namespace scopegate::server
