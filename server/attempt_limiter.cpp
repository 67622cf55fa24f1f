#include "server/attempt_limiter.hpp"

#include <algorithm>

namespace scopegate::server {

AttemptLimiter::AttemptLimiter(std::int64_t limit, std::chrono::seconds window,
                               std::size_t max_entries)
    : m_limit(limit), m_window(window), m_max_entries(max_entries) {}

void AttemptLimiter::sweep(Clock::time_point now) {
  for (auto it = m_windows.begin(); it != m_windows.end();) {
    it = now - it->second.start >= m_window ? m_windows.erase(it) : std::next(it);
  }
}

AttemptLimiter::Verdict AttemptLimiter::attempt(std::string_view key, Clock::time_point now) {
  const std::lock_guard lock(m_mutex);
  auto found = m_windows.find(std::string(key));
  if (found != m_windows.end() && now - found->second.start >= m_window) {
    m_windows.erase(found);
    found = m_windows.end();
  }
  if (found == m_windows.end()) {
    if (m_windows.size() >= m_max_entries) sweep(now);
    if (m_windows.size() >= m_max_entries) return Verdict{};
    found = m_windows.emplace(std::string(key), Window{now, 0}).first;
  }
  auto& window = found->second;
  if (window.count >= m_limit) {
    const auto left = std::chrono::ceil<std::chrono::seconds>(window.start + m_window - now);
    return Verdict{false, std::max<std::int64_t>(1, left.count())};
  }
  ++window.count;
  return Verdict{};
}

}  // namespace scopegate::server
