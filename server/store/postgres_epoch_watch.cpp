#include "server/store/postgres_epoch_watch.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>

namespace scopegate::server::postgres {

Epochs read_epochs(PgConn& db) {
  const auto rows = db.exec(
      "SELECT (SELECT epoch FROM credential_epoch WHERE id = 1), "
      "(SELECT epoch FROM session_epoch WHERE id = 1)");
  return Epochs{rows.row(0).optional_integer(0), rows.row(0).optional_integer(1)};
}

EpochWatch::EpochWatch(std::string url, std::chrono::milliseconds timeout)
    : m_url(std::move(url)), m_timeout(timeout) {
  if (::pipe2(m_wake_pipe, O_NONBLOCK | O_CLOEXEC) != 0) m_wake_pipe[0] = m_wake_pipe[1] = -1;
  m_thread = std::thread([this] { run(); });
}

EpochWatch::~EpochWatch() {
  m_stopping = true;
  wake();
  m_thread.join();
  for (const int fd : m_wake_pipe) {
    if (fd >= 0) ::close(fd);
  }
}

std::optional<Epochs> EpochWatch::current() const {
  const auto now = SteadyClock::now();
  std::lock_guard lock(m_mutex);
  if (!m_epochs || m_read_at <= m_written_at || now - m_read_at >= trust_limit) return std::nullopt;
  return m_epochs;
}

void EpochWatch::wrote() {
  {
    std::lock_guard lock(m_mutex);
    m_written_at = SteadyClock::now();
  }
  wake();
}

void EpochWatch::publish(const std::optional<Epochs>& epochs, SteadyClock::time_point read_at) {
  std::lock_guard lock(m_mutex);
  m_epochs = epochs;
  m_read_at = read_at;
}

void EpochWatch::wake() {
  if (m_wake_pipe[1] < 0) return;
  const char byte = 1;
  // A full pipe already holds a wake-up.
  [[maybe_unused]] const auto written = ::write(m_wake_pipe[1], &byte, 1);
}

void EpochWatch::drain_wake_pipe() {
  char bytes[64];
  while (m_wake_pipe[0] >= 0 && ::read(m_wake_pipe[0], bytes, sizeof bytes) > 0) {
  }
}

void EpochWatch::run() {
  std::unique_ptr<PgConn> listener;
  while (!m_stopping) {
    try {
      if (!listener) {
        listener = std::make_unique<PgConn>(m_url, m_timeout, application_name);
        listener->exec_plain(fmt::format("LISTEN {}", channel));
      }
      // Epochs read by a statement that begins now are at least as new as `began`:
      // whatever committed before it, the statement sees. A wrote() after the drain
      // leaves a byte that wakes the next wait.
      drain_wake_pipe();
      const auto began = SteadyClock::now();
      publish(read_epochs(*listener), began);
      wait_for_news(*listener);
    } catch (const PgError&) {
      // Lost (a restart, pg_terminate_backend) or never opened: not trusted until back.
      listener.reset();
      publish(std::nullopt, SteadyClock::now());
      pause();
    }
  }
}

void EpochWatch::wait_for_news(PgConn& listener) {
  PGconn* conn = listener.raw();
  const auto deadline = SteadyClock::now() + poll_interval;
  while (!m_stopping) {
    // Notifications that arrived with the last result count too.
    bool notified = false;
    while (PGnotify* notification = PQnotifies(conn)) {
      notified = true;
      PQfreemem(notification);
    }
    if (notified) return;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return;
    pollfd watched[2] = {{PQsocket(conn), POLLIN, 0}, {m_wake_pipe[0], POLLIN, 0}};
    if (::poll(watched, 2, static_cast<int>(left.count())) < 0) continue;  // EINTR
    if ((watched[1].revents & POLLIN) != 0) return;                        // wrote() or the end
    if (watched[0].revents == 0) continue;
    if (PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK)
      throw PgError("", "PostgreSQL: the epoch watch lost its connection");
  }
}

void EpochWatch::pause() {
  drain_wake_pipe();
  if (m_stopping) return;
  pollfd watched{m_wake_pipe[0], POLLIN, 0};
  ::poll(&watched, 1, static_cast<int>(poll_interval.count()));
}

}  // namespace scopegate::server::postgres
