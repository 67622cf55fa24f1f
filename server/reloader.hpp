// PolicyReloader: hot reload of the policy directory while the server runs.
// reload() compiles every `*.policy` of the directory again; the result is used only if
// it compiles, the policy tests in `<directory>/tests/*.toml` all pass against it (when
// there are any), and the server's check accepts it (every policy endpoint has a handler
// and every handler an endpoint — the rule `serve` starts with). Then Engine::replace()
// swaps it in atomically: decisions in flight finish on the policy they started with.
// Otherwise the last good policy keeps serving and the reasons (rendered diagnostics,
// failed tests, handler mismatches) are logged as one entry. Every reload is logged with
// its trigger and outcome.
// watch() starts a background thread that polls the names, sizes and modification times
// of `*.policy` and `tests/*.toml` every `interval` (portable: no inotify) and reloads
// when they change. reload() is thread-safe (reloads run one at a time); destruction
// stops the watcher.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <spdlog/logger.h>

#include "scopegate/engine.hpp"

namespace scopegate::server {

// What a change to the policy directory is detected by: one entry per `*.policy` and
// `tests/*.toml` file, sorted by name.
struct WatchedFile {
  std::string name;
  std::uintmax_t size = 0;
  std::int64_t modified = 0;  // nanoseconds, as the file system reports them

  friend bool operator==(const WatchedFile&, const WatchedFile&) = default;
};
using DirectoryFingerprint = std::vector<WatchedFile>;
DirectoryFingerprint fingerprint_policy_directory(const std::filesystem::path& directory);
// The SHA-256 (hex) of the directory's `*.policy` files, names and contents, in name order:
// what /metrics shows as the loaded policy's hash.
std::string hash_policy_directory(const std::filesystem::path& directory);

struct ReloadOutcome {
  bool applied = false;
  std::vector<std::string> problems;  // why it was refused, one line or block each
};

class PolicyReloader {
 public:
  // Extra checks a new policy must pass; returns one message per problem.
  using PolicyCheck = std::function<std::vector<std::string>(const Policy&)>;

  // `initial`: the fingerprint taken before the policy in force was compiled, so that a
  // change made while the server was starting is still noticed.
  PolicyReloader(std::filesystem::path directory, Engine& engine, PolicyCheck check,
                 std::shared_ptr<spdlog::logger> logger, DirectoryFingerprint initial);
  ~PolicyReloader();
  PolicyReloader(const PolicyReloader&) = delete;
  PolicyReloader& operator=(const PolicyReloader&) = delete;

  // `trigger` is what the log says caused it ("SIGHUP", "change in ./policies").
  ReloadOutcome reload(std::string_view trigger);
  // Polls every `interval` from a background thread; a zero interval does nothing.
  void watch(std::chrono::milliseconds interval);

  struct Stats {
    std::uint64_t applied = 0;
    std::uint64_t refused = 0;
  };
  Stats stats() const noexcept;
  // hash_policy_directory() of the policy in force: taken at construction (the policy
  // the server started with) and before each compile that was then applied.
  std::string policy_hash() const;

 private:
  void poll_loop(std::chrono::milliseconds interval);

  std::filesystem::path m_directory;
  Engine& m_engine;
  PolicyCheck m_check;
  std::shared_ptr<spdlog::logger> m_logger;

  std::mutex m_reload_mutex;         // one reload at a time
  mutable std::mutex m_watch_mutex;  // guards m_fingerprint, m_stopping and m_policy_hash
  std::condition_variable m_wake;
  DirectoryFingerprint m_fingerprint;
  bool m_stopping = false;
  std::thread m_watcher;

  std::atomic<std::uint64_t> m_applied{0};
  std::atomic<std::uint64_t> m_refused{0};
  std::string m_policy_hash;  // guarded by m_watch_mutex
};

}  // namespace scopegate::server
