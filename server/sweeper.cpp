#include "server/sweeper.hpp"

#include <nlohmann/json.hpp>

#include "server/clock.hpp"
#include "server/credential_checks.hpp"
#include "server/crypto.hpp"
#include "server/sessions.hpp"
#include "server/static_ip_rule_sync.hpp"

namespace scopegate::server {

Sweeper::Sweeper(Store& store, FirewallProvider& provider, std::chrono::milliseconds interval,
                 std::shared_ptr<spdlog::logger> logger, const Secrets* secrets)
    : m_store(store),
      m_provider(provider),
      m_interval(interval),
      m_logger(std::move(logger)),
      m_secrets(secrets),
      m_thread([this] { loop(); }) {}

Sweeper::~Sweeper() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  m_thread.join();
}

void Sweeper::wake() {
  {
    std::lock_guard lock(m_mutex);
    m_woken = true;
  }
  m_wake.notify_all();
}

std::size_t Sweeper::sweep() {
  std::lock_guard sweeping(m_sweep_mutex);
  std::size_t changed = 0;
  if (m_secrets != nullptr) check_new_credentials(m_store, m_provider, *m_secrets, *m_logger);
  settle_static_ip_rules(m_store, m_provider, *m_logger);
  const auto at = format_stored(now());
  const auto due = m_store.find_sessions_by_status({"PENDING", "ACTIVE", "PARTIAL"}, at);
  if (!due) {
    m_logger->error("sweeper: cannot list sessions: {}", due.error().message);
    return 0;
  }
  for (auto session : *due) {
    // Not if it was extended (or stopped) since the list was read.
    const Store::SessionVersion previous{session.status, session.expires_at};
    begin_ending(session, "EXPIRED", at);
    AuditEntry audit;
    audit.id = generate_uuid();
    audit.organization_id = session.organization_id;
    audit.event_type = "SESSION_EXPIRE";
    audit.actor_type = "SYSTEM";
    audit.resource_type = "SESSION";
    audit.resource_id = session.id;
    nlohmann::json details;
    details["userId"] = session.user_id;
    details["expiresAt"] = session.expires_at;
    audit.details_json = details.dump();
    audit.created_at = at;
    const auto saved = m_store.save_session(session, previous, &audit);
    if (saved && *saved) {
      ++changed;
      m_logger->info("sweeper: session {} expired", session.id);
    }
  }
  const auto ending = m_store.find_sessions_by_status({"EXPIRING"}, std::nullopt);
  if (!ending) {
    m_logger->error("sweeper: cannot list sessions: {}", ending.error().message);
    return changed;
  }
  if (changed > 0) m_logger->flush();
  for (auto session : *ending) {
    finish_ending(session, m_provider);
    const auto saved = m_store.save_session(session, std::string("EXPIRING"), nullptr);
    if (!saved) {
      m_logger->error("sweeper: cannot finish session {}: {}", session.id, saved.error().message);
    } else if (*saved) {
      ++changed;
    }
  }
  return changed;
}

bool Sweeper::hold_duty() {
  const auto held = m_store.hold_duty("sweeper");
  if (!held) {
    m_logger->error("sweeper: cannot tell whether this instance sweeps: {}", held.error().message);
    return false;
  }
  if (m_holding != *held) {
    m_logger->info(*held ? "sweeper: this instance sweeps expired sessions"
                         : "sweeper: another instance sweeps expired sessions");
    m_logger->flush();  // rare, and what an operator looks for after a crash
    m_holding = *held;
  }
  return *held;
}

void Sweeper::loop() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    m_wake.wait_for(lock, m_interval, [this] { return m_stopping || m_woken; });
    if (m_stopping) break;
    m_woken = false;
    lock.unlock();
    if (hold_duty()) sweep();
    lock.lock();
  }
}

}  // namespace scopegate::server
