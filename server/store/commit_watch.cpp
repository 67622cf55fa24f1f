#include "server/store/commit_watch.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

namespace scopegate::server {

namespace {

// The WAL-index header: two copies of 12 words. Word 0 is the format version, byte 12
// (in word 3) the "initialized" flag. SQLite maps the WAL index in pages of this size.
constexpr std::size_t header_words = 12;
constexpr std::uint32_t wal_index_version = 3007000;
constexpr int wal_index_page_bytes = 32768;
// As the store's own connections: another process's lock is waited for, not an error.
constexpr int busy_timeout_ms = 5000;

}  // namespace

struct CommitWatch::Keeper {
  explicit Keeper(const std::string& path) : db(path, SQLite::OPEN_READWRITE, busy_timeout_ms) {}
  SQLite::Database db;
};

CommitWatch::CommitWatch(std::unique_ptr<Keeper> keeper, const volatile void* header) noexcept
    : m_keeper(std::move(keeper)), m_header(header) {}

CommitWatch::~CommitWatch() = default;

std::unique_ptr<CommitWatch> CommitWatch::open(const std::string& database_path) {
  std::unique_ptr<Keeper> keeper;
  try {
    keeper = std::make_unique<Keeper>(database_path);
    if (keeper->db.execAndGet("PRAGMA journal_mode").getString() != "wal") return nullptr;
    // A first read opens the WAL and its index, which stay open, mapped and locked for as
    // long as this connection lives.
    keeper->db.execAndGet("SELECT COUNT(*) FROM sqlite_master");
  } catch (const SQLite::Exception&) {
    return nullptr;
  }
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(keeper->db.getHandle(), "main", SQLITE_FCNTL_FILE_POINTER, &file) !=
          SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr || file->pMethods->iVersion < 2 ||
      file->pMethods->xShmMap == nullptr) {
    return nullptr;
  }
  volatile void* page = nullptr;
  // Not extending (0): the page SQLite has mapped already, or none.
  if (file->pMethods->xShmMap(file, 0, wal_index_page_bytes, 0, &page) != SQLITE_OK ||
      page == nullptr) {
    return nullptr;
  }
  std::unique_ptr<CommitWatch> watch(new CommitWatch(std::move(keeper), page));
  // A commit in flight can tear one read; a header that never reads back is not one this
  // code understands.
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (watch->read()) return watch;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return nullptr;
}

std::optional<CommitWatch::Token> CommitWatch::read() const noexcept {
  // Other processes write these words; they are read one at a time, atomically.
  auto* words = const_cast<std::uint32_t*>(static_cast<const volatile std::uint32_t*>(m_header));
  Token first;
  Token second;
  // SQLite's writer stores the second copy, then (after a barrier) the first; reading the
  // first, then the second, sees them agree only when neither is half written.
  for (std::size_t i = 0; i < header_words; ++i) {
    first[i] = std::atomic_ref<std::uint32_t>(words[i]).load(std::memory_order_relaxed);
  }
  std::atomic_thread_fence(std::memory_order_acquire);
  for (std::size_t i = 0; i < header_words; ++i) {
    second[i] =
        std::atomic_ref<std::uint32_t>(words[header_words + i]).load(std::memory_order_relaxed);
  }
  if (first != second || first[0] != wal_index_version) return std::nullopt;
  unsigned char initialized = 0;
  std::memcpy(&initialized, reinterpret_cast<const unsigned char*>(first.data()) + 12, 1);
  if (initialized == 0) return std::nullopt;
  return first;
}

}  // namespace scopegate::server
