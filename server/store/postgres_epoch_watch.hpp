// The credential and session epochs (epoch_cache.hpp) of one PostgreSQL database: read in
// one statement (read_epochs), or kept in memory by an EpochWatch so that a cached key or
// session costs a request no round trip.
//
// An EpochWatch owns a thread and a connection of its own (application_name `scopegate
// epoch watch`). The thread LISTENs on `scopegate_epochs`, which every change of an epoch
// notifies at its commit (migration 8), and re-reads both epochs on each notification,
// when this process writes (wrote()), and at least every poll_interval whatever arrives.
// current() answers only with epochs read by a statement that began after this process's
// last write and less than trust_limit ago, so a change committed by anyone is seen within
// trust_limit even when notifications are lost, and a change made here at once. While it
// cannot answer (its connection lost, reconnecting, a slow database) the caller reads the
// epochs itself. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "server/store/postgres_pool.hpp"

namespace scopegate::server::postgres {

// Nullopt for a missing row: nothing is cached behind it.
struct Epochs {
  std::optional<std::int64_t> credential;
  std::optional<std::int64_t> session;
};

Epochs read_epochs(PgConn& db);

class EpochWatch {
 public:
  using SteadyClock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds poll_interval{250};
  static constexpr std::chrono::milliseconds trust_limit{1000};
  static constexpr const char* channel = "scopegate_epochs";
  static constexpr const char* application_name = "scopegate epoch watch";

  // Starts the thread; never fails (a connection it cannot open is retried every
  // poll_interval, and current() answers nothing meanwhile).
  // `timeout` bounds each wait for an answer (PgConn).
  EpochWatch(std::string url, std::chrono::milliseconds timeout);
  ~EpochWatch();
  EpochWatch(const EpochWatch&) = delete;
  EpochWatch& operator=(const EpochWatch&) = delete;

  // The epochs, when known to be recent enough; nullopt otherwise.
  std::optional<Epochs> current() const;
  // This process has just committed a change: current() answers nothing until the epochs
  // are read again, which starts at once.
  void wrote();

 private:
  void run();
  void publish(const std::optional<Epochs>& epochs, SteadyClock::time_point read_at);
  // Until a notification, a wake-up, poll_interval or the end; throws PgError when the
  // connection is lost.
  void wait_for_news(PgConn& listener);
  void pause();
  void wake();
  void drain_wake_pipe();

  std::string m_url;
  std::chrono::milliseconds m_timeout;
  mutable std::mutex m_mutex;
  std::optional<Epochs> m_epochs;
  SteadyClock::time_point m_read_at;
  SteadyClock::time_point m_written_at;
  int m_wake_pipe[2] = {-1, -1};
  std::atomic<bool> m_stopping{false};
  std::thread m_thread;
};

}  // namespace scopegate::server::postgres
