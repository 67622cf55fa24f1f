#include "server/store/change_probe.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>

namespace scopegate::server {

namespace {

// The WAL-index header: two copies of 12 words. Word 0 is the format version, byte 12
// (in word 3) the "initialized" flag.
constexpr std::size_t header_words = 12;
constexpr std::uint32_t wal_index_version = 3007000;

}  // namespace

struct ChangeProbe::Keeper {
  explicit Keeper(const std::string& path) : db(path, SQLite::OPEN_READWRITE) {}
  SQLite::Database db;
};

ChangeProbe::ChangeProbe(std::unique_ptr<Keeper> keeper, void* mapping, std::size_t length) noexcept
    : m_keeper(std::move(keeper)), m_mapping(mapping), m_length(length) {}

ChangeProbe::~ChangeProbe() { ::munmap(m_mapping, m_length); }

std::unique_ptr<ChangeProbe> ChangeProbe::open(const std::string& database_path) {
  std::error_code error;
  const auto absolute = std::filesystem::absolute(database_path, error);
  if (error) return nullptr;
  std::unique_ptr<Keeper> keeper;
  try {
    keeper = std::make_unique<Keeper>(absolute.string());
    if (keeper->db.execAndGet("PRAGMA journal_mode").getString() != "wal") return nullptr;
    // A first read maps the WAL index and takes the shared lock this connection then
    // holds on the database file for as long as it stays open.
    keeper->db.execAndGet("SELECT COUNT(*) FROM sqlite_master");
  } catch (const SQLite::Exception&) {
    return nullptr;
  }
  const std::string shm = absolute.string() + "-shm";
  const int fd = ::open(shm.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat status {};
  const long page = ::sysconf(_SC_PAGESIZE);
  if (::fstat(fd, &status) != 0 || page <= 0 ||
      status.st_size < static_cast<off_t>(2 * header_words * sizeof(std::uint32_t))) {
    ::close(fd);
    return nullptr;
  }
  const auto length = static_cast<std::size_t>(page);
  void* mapping = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (mapping == MAP_FAILED) return nullptr;
  std::unique_ptr<ChangeProbe> probe(new ChangeProbe(std::move(keeper), mapping, length));
  // A commit in flight can tear one read; a header that never reads back is not one
  // this code understands.
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (probe->read()) return probe;
    ::usleep(1000);
  }
  return nullptr;
}

std::optional<ChangeProbe::Token> ChangeProbe::read() const noexcept {
  auto* words = static_cast<std::uint32_t*>(m_mapping);
  Token first;
  Token second;
  // SQLite's writer stores the second copy, then (after a barrier) the first; reading
  // the first, then the second, sees them agree only when neither is half written.
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
