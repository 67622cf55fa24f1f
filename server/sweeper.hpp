// Sweeper: a background thread that, every interval (or when woken), moves sessions past
// their expiresAt to EXPIRING (endedReason EXPIRED, with a SESSION_EXPIRE audit entry in
// the same transaction), then removes the entries of every EXPIRING session through the
// provider and finishes it (EXPIRED, or CANCELLED after a manual stop). No request is
// needed for a session to expire. Each pass also checks new credentials
// (credential_checks.hpp, when it has the secrets key) and settles static IP rules
// (static_ip_rule_sync.hpp). sweep() may also be called directly (tests).
// Among the processes sharing a database, one at a time sweeps: before each pass the
// thread asks the store for the "sweeper" duty (Store::hold_duty), and skips the pass when
// another process holds it; when the holder dies, the next pass of another takes over.
// Taking and losing the duty are logged, and so is each session the sweeper ends.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <spdlog/logger.h>

#include "server/provider.hpp"
#include "server/secrets.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

class Sweeper {
 public:
  Sweeper(Store& store, FirewallProvider& provider, std::chrono::milliseconds interval,
          std::shared_ptr<spdlog::logger> logger, const Secrets* secrets = nullptr);
  ~Sweeper();
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

  void wake();
  // One pass; returns how many sessions changed status.
  std::size_t sweep();

 private:
  void loop();
  // Whether this process holds the sweeper duty now, logging each change.
  bool hold_duty();

  Store& m_store;
  FirewallProvider& m_provider;
  std::chrono::milliseconds m_interval;
  std::shared_ptr<spdlog::logger> m_logger;
  const Secrets* m_secrets;
  std::mutex m_mutex;
  std::mutex m_sweep_mutex;
  std::condition_variable m_wake;
  bool m_woken = false;
  bool m_stopping = false;
  std::optional<bool> m_holding;  // the last answer, when there was one
  std::thread m_thread;
};

}  // namespace scopegate::server
