#include "server/reloader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "scopegate/dsl.hpp"
#include "scopegate/dsl/policy_tests.hpp"
#include "server/crypto.hpp"

namespace scopegate::server {

namespace {

namespace fs = std::filesystem;

void add_matching(const fs::path& directory, std::string_view extension, std::string_view prefix,
                  DirectoryFingerprint& out) {
  std::error_code error;
  fs::directory_iterator it(directory, error);
  if (error) return;
  for (const auto& entry : it) {
    std::error_code ignored;
    if (entry.path().extension() != extension || !entry.is_regular_file(ignored)) continue;
    WatchedFile file;
    file.name = std::string(prefix) + entry.path().filename().string();
    file.size = entry.file_size(ignored);
    const auto modified = entry.last_write_time(ignored);
    file.modified =
        std::chrono::duration_cast<std::chrono::nanoseconds>(modified.time_since_epoch()).count();
    out.push_back(std::move(file));
  }
}

// The test files to run: `<directory>/tests` when it holds at least one `*.toml`.
bool has_policy_tests(const fs::path& tests) {
  std::error_code error;
  fs::directory_iterator it(tests, error);
  if (error) return false;
  return std::any_of(fs::begin(it), fs::end(it), [](const fs::directory_entry& entry) {
    return entry.path().extension() == ".toml";
  });
}

std::string failure_line(const CaseResult& result) {
  auto line =
      fmt::format("{}: test `{}` failed: {}: expected {}, got {}", to_string(result.location),
                  result.name, result.request, result.expected, result.actual);
  if (!result.problem.empty()) line += fmt::format(" ({})", result.problem);
  return line;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

}  // namespace

DirectoryFingerprint fingerprint_policy_directory(const fs::path& directory) {
  DirectoryFingerprint out;
  add_matching(directory, ".policy", "", out);
  add_matching(directory / "tests", ".toml", "tests/", out);
  std::sort(out.begin(), out.end(),
            [](const WatchedFile& a, const WatchedFile& b) { return a.name < b.name; });
  return out;
}

std::string hash_policy_directory(const fs::path& directory) {
  std::string all;
  for (const auto& file : fingerprint_policy_directory(directory)) {
    if (file.name.starts_with("tests/")) continue;
    std::ifstream in(directory / file.name, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    all += file.name;
    all += '\0';
    all += text.str();
    all += '\0';
  }
  return sha256_hex(all);
}

PolicyReloader::PolicyReloader(fs::path directory, Engine& engine, PolicyCheck check,
                               std::shared_ptr<spdlog::logger> logger, DirectoryFingerprint initial)
    : m_directory(std::move(directory)),
      m_engine(engine),
      m_check(std::move(check)),
      m_logger(std::move(logger)),
      m_fingerprint(std::move(initial)),
      m_policy_hash(hash_policy_directory(m_directory)) {}

PolicyReloader::~PolicyReloader() {
  {
    const std::lock_guard lock(m_watch_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_watcher.joinable()) m_watcher.join();
}

ReloadOutcome PolicyReloader::reload(std::string_view trigger) {
  const std::lock_guard reloading(m_reload_mutex);
  const auto started = std::chrono::steady_clock::now();
  {
    // What this reload reads: the poller need not reload again for the same files.
    auto fingerprint = fingerprint_policy_directory(m_directory);
    const std::lock_guard lock(m_watch_mutex);
    m_fingerprint = std::move(fingerprint);
  }
  auto hash = hash_policy_directory(m_directory);
  ReloadOutcome outcome;
  const auto refuse = [&](std::string_view stage) {
    ++m_refused;
    m_logger->error("policy reload ({}) refused: {}; still serving the last good policy\n{}",
                    trigger, stage, joined(outcome.problems));
    m_logger->flush();
    return outcome;
  };

  auto checked = check_files({m_directory});
  auto rendered = checked.diagnostics.render();
  while (!rendered.empty() && rendered.back() == '\n') rendered.pop_back();
  if (!checked.policy) {
    outcome.problems.push_back(std::move(rendered));
    return refuse("the policy does not compile");
  }
  if (!rendered.empty()) {
    m_logger->warn("policy reload ({}): the policy has warnings\n{}", trigger, rendered);
  }
  auto& compiled = checked.policy;

  std::string tests_summary = "no policy tests";
  const auto tests = m_directory / "tests";
  if (has_policy_tests(tests)) {
    const auto report = run_policy_tests(*compiled, std::vector<fs::path>{tests});
    if (!report.errors.empty()) {
      auto rendered = report.errors.render();
      while (!rendered.empty() && rendered.back() == '\n') rendered.pop_back();
      outcome.problems.push_back(std::move(rendered));
    }
    for (const auto& result : report.results) {
      if (!result.passed) outcome.problems.push_back(failure_line(result));
    }
    if (!report.ok()) {
      outcome.problems.push_back(
          fmt::format("{} passed, {} failed", report.passed(), report.failed()));
      return refuse("the policy tests fail");
    }
    tests_summary = fmt::format("{} policy tests passed", report.passed());
  }

  outcome.problems = m_check(*compiled);
  if (!outcome.problems.empty()) return refuse("the policy and the server's handlers do not match");

  const auto endpoints = compiled->endpoints().size();
  m_engine.replace(std::move(*compiled));
  {
    const std::lock_guard lock(m_watch_mutex);
    m_policy_hash = std::move(hash);
  }
  ++m_applied;
  outcome.applied = true;
  const auto elapsed =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
  m_logger->info("policy reload ({}) applied: {} endpoints, {}, {:.1f}ms", trigger, endpoints,
                 tests_summary, elapsed.count());
  m_logger->flush();
  return outcome;
}

void PolicyReloader::watch(std::chrono::milliseconds interval) {
  if (interval.count() <= 0 || m_watcher.joinable()) return;
  m_watcher = std::thread([this, interval] { poll_loop(interval); });
}

void PolicyReloader::poll_loop(std::chrono::milliseconds interval) {
  const auto trigger = fmt::format("change in {}", m_directory.string());
  std::unique_lock lock(m_watch_mutex);
  while (!m_wake.wait_for(lock, interval, [this] { return m_stopping; })) {
    lock.unlock();
    const auto current = fingerprint_policy_directory(m_directory);
    lock.lock();
    if (m_stopping) break;
    if (current == m_fingerprint) continue;
    lock.unlock();
    reload(trigger);
    lock.lock();
  }
}

PolicyReloader::Stats PolicyReloader::stats() const noexcept {
  return Stats{m_applied.load(), m_refused.load()};
}

std::string PolicyReloader::policy_hash() const {
  const std::lock_guard lock(m_watch_mutex);
  return m_policy_hash;
}

}  // namespace scopegate::server
