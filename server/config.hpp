// Config: every setting of `scopegate serve`, with a default for each, read from a TOML
// file (toml++). Unknown keys and bad values are errors that name file:line:col; the
// server does not start with any of them. Command-line flags override the file through
// apply_overrides(). A plain value; thread-safe to share once built.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scopegate/result.hpp"
#include "server/crypto.hpp"
#include "server/store/open_store.hpp"

namespace scopegate::server {

struct Config {
  // [server]
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  int threads = 2;
  int shutdown_grace_seconds = 10;
  int idle_timeout_seconds = 60;
  // Slow clients and floods (server/http.hpp HttpOptions): connections open at once (more
  // get 503), and how long a request's head, then its body, may take to arrive (else 408)
  int max_connections = 1024;
  int request_head_timeout_seconds = 10;
  int request_body_timeout_seconds = 30;
  // [database] path or url: a SQLite file (or `sqlite:PATH`), or a PostgreSQL URI
  // (postgresql://...); see store/open_store.hpp
  std::string database_path = "./scopegate.db";
  // [database] revocation: how another instance's change reaches this one (PostgreSQL;
  // store/open_store.hpp): "notify" (within 1 s, no round trip per request) or
  // "every-request"
  Revocation database_revocation = Revocation::notify;
  // [database] timeout_milliseconds: PostgreSQL: how long a statement waits for its answer
  // before its request fails (StoreOptions::timeout)
  int database_timeout_milliseconds = 5000;
  // [policy]
  std::string policy_directory = "./policies";
  int reload_interval_milliseconds = 1000;  // polling for changes; 0: no watching (SIGHUP only)
  std::string policy_shadow_directory;      // a candidate judging requests too; empty: none
  // [gateway] scopegate as a reverse proxy's forward-auth service (server/gateway.hpp)
  std::string gateway_policy_directory;  // empty: no gateway
  std::string gateway_path = "/authz";
  std::string gateway_shadow_directory;  // a candidate gateway policy; empty: none
  // [metrics] GET /metrics: loopback peers only, or only with this token when it is set
  std::string metrics_bearer_token;
  // [log]
  std::string log_level = "info";
  std::string log_file;  // empty: stderr
  // [limits]
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  // [network]
  std::vector<std::string> trusted_proxies;  // IPs or CIDRs whose X-Forwarded-For is believed
  // [sessions]
  int session_default_hours = 1;
  int session_max_hours = 8;         // members
  int session_admin_max_hours = 24;  // admins
  int sweep_interval_seconds = 5;
  // [tokens]
  int access_token_seconds = 3600;
  int refresh_token_seconds = 7 * 24 * 3600;
  // [audit]
  int audit_flush_milliseconds = 200;
  int audit_max_page_size = 100;
  // [rate_limit] per API key (users with Bearer tokens are not limited)
  std::int64_t rate_limit_requests_per_minute = 6000;  // 0: no limit
  std::int64_t rate_limit_burst = 200;                 // at least 1 unless the limit is off
  // [login] password sign-in (docs/security.md): Argon2id runs on its own small pool of
  // threads, never on those that serve requests; failures are throttled (LoginThrottle).
  int login_password_workers = 1;
  int login_password_nice = 10;          // the workers' CPU priority below the request threads
  int login_password_queue = 16;         // sign-ins waiting for a worker; more get 503
  std::int64_t login_free_failures = 5;  // per account from one address
  std::int64_t login_free_address_failures = 20;  // per address, over all accounts
  int login_window_seconds = 15 * 60;
  int login_base_delay_seconds = 1;
  int login_max_delay_seconds = 15 * 60;
  // [password_hash] what hashing a password or a recovery code costs (server/crypto.hpp);
  // below OWASP's floor the server starts only with allow_below_owasp_floor (for tests)
  PasswordHashCost password_hash;
  bool password_hash_below_floor_allowed = false;
  // [secrets] the key that seals secrets stored in the database (server/secrets.hpp);
  // SCOPEGATE_SECRETS_KEY overrides it. Empty: a key file beside a SQLite database.
  std::string secrets_key_file;
  // [accounts] self-service registration (POST /api/v1/auth/register)
  bool registration_enabled = true;
  std::int64_t registrations_per_hour = 5;  // attempts per client address
  // POST /api/v1/auth/forgot-password: requests per account and per client address
  std::int64_t password_resets_per_hour = 5;
  std::string registration_tier = "FREE";  // the plan of a registered organization
  // [mail] links in mail (password reset, invitation) start with this; empty: the
  // server's own address, http://HOST:PORT of server.listen
  std::string mail_link_base_url;
  // [bootstrap]
  std::string bootstrap_organization_slug = "default";
  std::string bootstrap_organization_name = "Default";
  std::string bootstrap_admin_email = "admin@localhost";
};

// Every problem found, one per line: "scopegate.toml:3:9: error: ...".
struct ConfigError {
  std::vector<std::string> messages;
};

// Parses TOML text; `file_name` is what errors print.
Result<Config, ConfigError> parse_config(std::string_view file_name, std::string_view text);
// Reads and parses a file; a missing file is an error.
Result<Config, ConfigError> load_config(const std::string& path);

struct Overrides {
  std::optional<std::string> listen;  // HOST:PORT
  std::optional<std::string> database_path;
  std::optional<std::string> policy_directory;
  std::optional<std::string> gateway_policy_directory;
  std::optional<std::string> policy_shadow_directory;
  std::optional<std::string> gateway_shadow_directory;
};
Result<Config, ConfigError> apply_overrides(Config config, const Overrides& overrides);

// What goes wrong when every password worker hashes at once at [password_hash]'s cost in
// `physical_bytes` of memory (memory_limit()): an error when that takes more than half of it
// (with memory overcommitted, the kernel's OOM killer would stop the server rather than a
// hash failing); nothing when it fits. Server::start refuses such a configuration.
std::optional<std::string> password_hash_memory_problem(const Config& config,
                                                        std::uint64_t physical_bytes);
// The memory this process may use: the least of the machine's `physical_bytes` and a
// control group's limit, given as the text of cgroup v2's memory.max ("max": none) or of
// cgroup v1's memory.limit_in_bytes (empty when the file is missing). In a container,
// the machine's memory is the host's.
std::uint64_t memory_limit(std::uint64_t physical_bytes, std::string_view cgroup_v2_max,
                           std::string_view cgroup_v1_limit);
// memory_limit() of this machine (sysconf) and of the control group at /sys/fs/cgroup (a
// container's own); nullopt when the machine's memory is unknown.
std::optional<std::uint64_t> process_memory_limit();

// "127.0.0.1:8080" -> host, port; "[::1]:8080" too.
bool parse_listen(std::string_view text, std::string& host, std::uint16_t& port);

}  // namespace scopegate::server
