// PgDuties: PostgreSQL's side of Store::hold_duty(). Each duty is a session-level advisory
// lock (pg_try_advisory_lock) on a connection of its own (application_name `scopegate
// duty`), so that it is held exactly as long as that connection lives: until the store
// closes, or until the server ends the session of a process that died (kill -9 closes its
// socket), which frees the lock for another instance's next try. A holder checks on each
// call that its connection is still there; a lost connection is a lost duty. Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/store/postgres_pool.hpp"

namespace scopegate::server::postgres {

class PgDuties {
 public:
  static constexpr const char* application_name = "scopegate duty";

  PgDuties(std::string url, std::chrono::milliseconds timeout)
      : m_url(std::move(url)), m_timeout(timeout) {}

  // True while this process holds `duty` (taken now if it was free); throws PgError.
  bool hold(const std::string& duty);

 private:
  struct Slot {
    std::unique_ptr<PgConn> connection;
    bool held = false;
  };
  std::string m_url;
  std::chrono::milliseconds m_timeout;
  std::mutex m_mutex;
  std::unordered_map<std::string, Slot> m_slots;
};

}  // namespace scopegate::server::postgres
