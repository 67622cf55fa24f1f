#include "server/audit_writer.hpp"

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <nlohmann/json.hpp>

#include "server/clock.hpp"
#include "server/crypto.hpp"

namespace scopegate::server {

namespace {
constexpr std::size_t flush_threshold = 512;
// A batch the store refused is written again with the next one; past this many entries
// waiting, the oldest are dropped (and said so), so that a database down for long does
// not take the server's memory with it.
constexpr std::size_t max_retried = 100'000;
}  // namespace

AuditWriter::AuditWriter(Store& store, std::chrono::milliseconds interval,
                         std::shared_ptr<spdlog::logger> logger)
    : m_store(store),
      m_interval(interval),
      m_logger(std::move(logger)),
      m_thread([this] { loop(); }) {}

AuditWriter::~AuditWriter() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  m_thread.join();
}

void AuditWriter::append_identity(std::string& out, std::string_view event_type,
                                  std::string_view organization_id, std::string_view ip,
                                  std::string_view details_json, std::string_view resource_name,
                                  std::string_view error_message) {
  for (const std::string_view part :
       {event_type, organization_id, ip, details_json, resource_name}) {
    out += part;
    out += '\n';
  }
  out += error_message;
}

bool AuditWriter::count_repeat(std::string_view identity, TimePoint at) {
  std::lock_guard lock(m_mutex);
  return count_repeat_locked(identity, at);
}

bool AuditWriter::count_repeat_locked(std::string_view identity, TimePoint at) {
  const auto found = m_coalesce.find(identity);
  if (found == m_coalesce.end()) return false;
  auto& pending = m_audits[found->second];
  ++pending.count;
  pending.last_at = std::max(pending.last_at, at);
  return true;
}

void AuditWriter::submit_audit(AuditEntry entry) {
  std::string identity;
  append_identity(identity, entry.event_type, entry.organization_id, entry.ip_address.value_or(""),
                  entry.details_json, entry.resource_name.value_or(""),
                  entry.error_message.value_or(""));
  const TimePoint at = parse_iso(entry.created_at).value_or(now());
  bool wake = false;
  {
    std::lock_guard lock(m_mutex);
    if (count_repeat_locked(identity, at)) return;
    m_coalesce.emplace(std::move(identity), m_audits.size());
    m_audits.push_back(Pending{std::move(entry), 1, {}});
    wake = m_audits.size() >= flush_threshold;
  }
  if (wake) m_wake.notify_all();
}

void AuditWriter::submit_key_use(std::string_view key_id, TimePoint at, std::string_view ip) {
  std::lock_guard lock(m_mutex);
  const auto found = m_uses.find(key_id);
  if (found == m_uses.end()) {
    m_uses.emplace(std::string(key_id), PendingUse{at, std::string(ip)});
  } else if (found->second.at < at) {
    found->second.at = at;
    if (found->second.ip != ip) found->second.ip.assign(ip);
  }
}

void AuditWriter::flush() {
  std::unique_lock lock(m_mutex);
  write_pending(lock);
}

void AuditWriter::write_pending(std::unique_lock<std::mutex>& lock) {
  if (m_audits.empty() && m_uses.empty() && m_retry.empty() && m_retry_uses.empty()) return;
  std::vector<Pending> pending;
  pending.swap(m_audits);
  m_coalesce.clear();
  // What the store refused last time first; a key's newer use replaces its older one.
  std::map<std::string, Store::KeyUse, std::less<>> by_key;
  for (auto& use : m_retry_uses) by_key[use.key_id] = std::move(use);
  m_retry_uses.clear();
  for (auto& [id, use] : m_uses) by_key[id] = {id, format_stored(use.at), std::move(use.ip)};
  m_uses.clear();
  std::vector<Store::KeyUse> uses;
  uses.reserve(by_key.size());
  for (auto& [id, use] : by_key) uses.push_back(std::move(use));
  std::vector<AuditEntry> audits;
  audits.swap(m_retry);
  lock.unlock();
  audits.reserve(audits.size() + pending.size());
  for (auto& item : pending) {
    if (item.entry.id.empty()) item.entry.id = generate_uuid();
    if (item.count > 1) {
      auto details = nlohmann::json::parse(item.entry.details_json, nullptr, false);
      if (!details.is_object()) details = nlohmann::json::object();
      details["count"] = item.count;
      details["lastAt"] = wire_time(format_stored(item.last_at));
      item.entry.details_json = details.dump();
    }
    audits.push_back(std::move(item.entry));
  }
  const auto written = m_store.record_key_uses(uses, audits);
  lock.lock();
  if (written) return;
  m_write_errors.fetch_add(1, std::memory_order_relaxed);
  if (written.error().kind != StoreError::Kind::unavailable) {
    // Refused for what it holds, it would be refused again, and every batch after it.
    m_logger->error("audit writer: {} entries and {} key uses lost: {}", audits.size(), uses.size(),
                    written.error().message);
    return;
  }
  m_logger->error(
      "audit writer: {} entries and {} key uses not written, retried with the next "
      "batch: {}",
      audits.size(), uses.size(), written.error().message);
  // (A flush() that ran meanwhile may have put its own refused batch back too.)
  audits.insert(audits.end(), std::make_move_iterator(m_retry.begin()),
                std::make_move_iterator(m_retry.end()));
  uses.insert(uses.end(), std::make_move_iterator(m_retry_uses.begin()),
              std::make_move_iterator(m_retry_uses.end()));
  if (audits.size() > max_retried) {
    const auto dropped = audits.size() - max_retried;
    audits.erase(audits.begin(), audits.begin() + static_cast<long>(dropped));
    m_logger->error("audit writer: {} oldest entries dropped: over {} waiting", dropped,
                    max_retried);
  }
  m_retry = std::move(audits);
  m_retry_uses = std::move(uses);
}

AuditWriter::Stats AuditWriter::stats() {
  const std::lock_guard lock(m_mutex);
  return Stats{m_audits.size() + m_uses.size() + m_retry.size() + m_retry_uses.size(),
               m_write_errors.load(std::memory_order_relaxed)};
}

void AuditWriter::loop() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    m_wake.wait_for(lock, m_interval,
                    [this] { return m_stopping || m_audits.size() >= flush_threshold; });
    write_pending(lock);
    // The request log too, at the same pace: a kill -9 loses at most one interval of it.
    // Not under the lock, which every request that queues an entry takes.
    lock.unlock();
    m_logger->flush();
    lock.lock();
  }
  write_pending(lock);
}

}  // namespace scopegate::server
