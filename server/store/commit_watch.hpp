// CommitWatch: has anything been committed to this SQLite database, by any connection of
// any process, since I last looked? Answered without a transaction, a lock or a system
// call, so that a request whose rows are cached needs neither. SqliteStore uses it only
// to skip re-reading its epochs (migrations 3 and 5) while nothing at all has been
// committed; the epochs, read through SQL, stay the truth, and when the watch cannot
// answer, every read takes its transaction.
//
// How: every commit rewrites the header of the database's WAL index (the `-shm` file that
// every connection to a WAL database maps; format: https://sqlite.org/walformat.html,
// "The WAL-Index Header": two 48-byte copies, and a change counter that every commit
// increments). The watch reads the header the way SQLite's own readers do, both copies,
// in the opposite order to the writer's, and accepts it only when they agree and carry
// the version it knows (3007000); anything else reads as "unknown".
//
// Why this is safe beside other processes: the watch never opens, maps or closes the
// `-shm` file itself. It keeps one SQLite connection of its own open (the keeper) and
// asks SQLite for the mapping that connection already holds, through the public VFS
// interface (SQLITE_FCNTL_FILE_POINTER, then sqlite3_io_methods::xShmMap). The file's
// locks are SQLite's own, held as long as the keeper lives: a process that opens the
// database meanwhile sees them and never rebuilds the WAL index under the mapping. Never
// through a descriptor of its own: on POSIX, closing any descriptor of a file drops every
// lock the process holds on it, and a newcomer that then finds the file unlocked
// truncates it under every mapping (SIGBUS).
// tests/server/multiprocess_test.py holds this: the sqlite3 shell, Python, `keys create`
// and a second server open the database in a loop while the server writes.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace scopegate::server {

class CommitWatch {
 public:
  // The header: equal tokens mean that nothing was committed between the two reads.
  using Token = std::array<std::uint32_t, 12>;

  // Null when the database is not in WAL mode or SQLite keeps its WAL index elsewhere than
  // in shared memory it can hand out (an in-memory database, a VFS without xShmMap):
  // callers then never skip their transactions.
  static std::unique_ptr<CommitWatch> open(const std::string& database_path);

  CommitWatch(const CommitWatch&) = delete;
  CommitWatch& operator=(const CommitWatch&) = delete;
  ~CommitWatch();

  // The current header, or nullopt when it cannot be read consistently right now (a
  // commit in flight).
  std::optional<Token> read() const noexcept;

 private:
  struct Keeper;  // the connection whose mapping this reads
  CommitWatch(std::unique_ptr<Keeper> keeper, const volatile void* header) noexcept;

  std::unique_ptr<Keeper> m_keeper;
  const volatile void* m_header;
};

}  // namespace scopegate::server
