// ChangeProbe: has anything been committed to this SQLite database since I last looked?
// Answered without a transaction, a lock or a system call, by reading the header of the
// WAL index (the `-shm` file every connection to a WAL database maps) the way SQLite's
// own readers do: two copies, read in the opposite order to the writer's, accepted only
// when they agree. Every commit by any connection of any process rewrites that header
// (the last frame number grows, or the salts change when the log restarts), so an
// unchanged header means unchanged data. The layout is SQLite's documented WAL-index
// format (https://sqlite.org/walformat.html, "The WAL-Index Header"); a header that does
// not look like it (another version, not initialized, torn by a concurrent commit) reads
// as "unknown", and callers then take their ordinary transactional path.
//
// The probe keeps a connection of its own open for its whole life: while any connection
// holds the database open in WAL mode, no other process can delete or replace the
// `-shm` file, so the mapping always shows the live header.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace scopegate::server {

class ChangeProbe {
 public:
  // The 48-byte header: equal tokens mean no commit happened between the two reads.
  using Token = std::array<std::uint32_t, 12>;

  // Null when the database is not in WAL mode or its WAL index cannot be mapped (for
  // example an in-memory database); callers then never skip their transactions.
  static std::unique_ptr<ChangeProbe> open(const std::string& database_path);

  ChangeProbe(const ChangeProbe&) = delete;
  ChangeProbe& operator=(const ChangeProbe&) = delete;
  ~ChangeProbe();

  // The current header, or nullopt when it cannot be read consistently right now.
  std::optional<Token> read() const noexcept;

 private:
  struct Keeper;  // the connection that keeps the WAL index alive
  ChangeProbe(std::unique_ptr<Keeper> keeper, void* mapping, std::size_t length) noexcept;

  std::unique_ptr<Keeper> m_keeper;
  void* m_mapping;
  std::size_t m_length;
};

}  // namespace scopegate::server
