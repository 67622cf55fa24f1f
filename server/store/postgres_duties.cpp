#include "server/store/postgres_duties.hpp"

#include <cstdint>

namespace scopegate::server::postgres {

namespace {

// The advisory lock key of a duty: FNV-1a (64 bits) of "scopegate duty NAME", as a bigint.
std::string lock_key(const std::string& duty) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const unsigned char c : "scopegate duty " + duty) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return std::to_string(static_cast<std::int64_t>(hash));
}

}  // namespace

bool PgDuties::hold(const std::string& duty) {
  std::lock_guard lock(m_mutex);
  Slot& slot = m_slots[duty];
  if (slot.connection && !slot.connection->still_connected()) slot = Slot{};
  try {
    if (!slot.connection)
      slot.connection = std::make_unique<PgConn>(m_url, m_timeout, application_name);
    if (slot.held) {
      // The lock lives as long as the session: a round trip proves the session is there.
      slot.connection->exec("SELECT 1");
      return true;
    }
    slot.held = slot.connection->exec("SELECT pg_try_advisory_lock($1::bigint)", {lock_key(duty)})
                    .row(0)
                    .text(0) == "t";
    return slot.held;
  } catch (const PgError&) {
    slot = Slot{};
    throw;
  }
}

}  // namespace scopegate::server::postgres
