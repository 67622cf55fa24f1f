// AuditWriter: takes the writes that must stay off the request's hot path — ACCESS_DENIED
// entries for refused key requests and each key's last use — and flushes them in one
// transaction every flush interval (or sooner when many are queued). Pending key uses
// are coalesced per key; identical denials (same key, request, message) pending in one
// interval become one entry with `details.count` and `details.lastAt`, so that a key
// hammering a refused endpoint costs one row per interval, not one per request.
// An entry submitted without an id gets one when it is written. A batch the store cannot
// take now (busy, unreachable: StoreError::unavailable) is written again with the next
// one, up to a bound; one it refuses for what it holds is dropped, with an error line. Each tick
// also flushes the server's log, so that a kill -9 loses at most one interval of either. submit_*()
// never touch the database and are thread-safe; flush() forces a write now; the destructor flushes
// what is left.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include <spdlog/logger.h>

#include "server/clock.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

class AuditWriter {
 public:
  AuditWriter(Store& store, std::chrono::milliseconds interval,
              std::shared_ptr<spdlog::logger> logger);
  ~AuditWriter();
  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;

  // Queues `entry`. Identical entries pending in one interval (same identity(): event,
  // organization, address, details, resource name, error message) are written once,
  // with a count and the time of the last one in its details.
  void submit_audit(AuditEntry entry);
  // Counts one more occurrence, at `at`, of the pending entry with this identity and
  // returns true; false when none is pending (the caller then submits the entry). Lets a
  // hot path that would submit many identical entries skip building all but the first.
  bool count_repeat(std::string_view identity, TimePoint at);
  static void append_identity(std::string& out, std::string_view event_type,
                              std::string_view organization_id, std::string_view ip,
                              std::string_view details_json, std::string_view resource_name,
                              std::string_view error_message);
  // The key's last use; only the latest per key is kept. The time is formatted when the
  // batch is written, off the request path.
  void submit_key_use(std::string_view key_id, TimePoint at, std::string_view ip);
  void flush();

  struct Stats {
    std::uint64_t queued = 0;        // entries and key uses waiting to be written
    std::uint64_t write_errors = 0;  // batches the store refused since start
  };
  Stats stats();

 private:
  void loop();
  void write_pending(std::unique_lock<std::mutex>& lock);
  bool count_repeat_locked(std::string_view identity, TimePoint at);  // m_mutex held

  Store& m_store;
  std::chrono::milliseconds m_interval;
  std::shared_ptr<spdlog::logger> m_logger;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  struct Pending {
    AuditEntry entry;
    std::size_t count = 1;
    TimePoint last_at{};  // of the last repeat, when count > 1
  };
  std::vector<Pending> m_audits;
  std::map<std::string, std::size_t, std::less<>> m_coalesce;  // identity -> index in m_audits
  struct PendingUse {
    TimePoint at;
    std::string ip;
  };
  std::map<std::string, PendingUse, std::less<>> m_uses;  // by key id
  // The last batch the store refused, written first with the next (at most max_retried).
  std::vector<AuditEntry> m_retry;
  std::vector<Store::KeyUse> m_retry_uses;
  bool m_stopping = false;
  std::atomic<std::uint64_t> m_write_errors{0};
  std::thread m_thread;
};

}  // namespace scopegate::server
