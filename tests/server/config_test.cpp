#include <catch2/catch.hpp>

#include "server/config.hpp"

using namespace scopegate::server;

namespace {
std::string first_error(const scopegate::Result<Config, ConfigError>& result) {
  REQUIRE_FALSE(result);
  REQUIRE_FALSE(result.error().messages.empty());
  return result.error().messages.front();
}
}  // namespace

TEST_CASE("an empty config file gives every default") {
  const auto config = parse_config("scopegate.toml", "");
  REQUIRE(config);
  CHECK(config->listen_host == "127.0.0.1");
  CHECK(config->listen_port == 8080);
  CHECK(config->database_path == "./scopegate.db");
  CHECK(config->policy_directory == "./policies");
  CHECK(config->log_level == "info");
  CHECK(config->bootstrap_organization_slug == "default");
  CHECK(config->bootstrap_organization_name == "Default");
  CHECK(config->bootstrap_admin_email == "admin@localhost");
  CHECK(config->trusted_proxies.empty());
  CHECK(config->max_connections == 1024);
  CHECK(config->request_head_timeout_seconds == 10);
  CHECK(config->request_body_timeout_seconds == 30);
  CHECK(config->database_timeout_milliseconds == 5000);
}

TEST_CASE("config values are read from their sections") {
  const auto config = parse_config("scopegate.toml", R"(
[server]
listen = "0.0.0.0:9000"
threads = 4
max_connections = 64
request_head_timeout_seconds = 5
request_body_timeout_seconds = 7
[database]
path = "/var/lib/scopegate.db"
timeout_milliseconds = 250
[limits]
max_body_bytes = 2048
[network]
trusted_proxies = ["10.0.0.0/8", "::1"]
[sessions]
max_hours = 12
)");
  REQUIRE(config);
  CHECK(config->listen_host == "0.0.0.0");
  CHECK(config->listen_port == 9000);
  CHECK(config->threads == 4);
  CHECK(config->database_path == "/var/lib/scopegate.db");
  CHECK(config->max_body_bytes == 2048);
  CHECK(config->trusted_proxies.size() == 2);
  CHECK(config->session_max_hours == 12);
  CHECK(config->max_connections == 64);
  CHECK(config->request_head_timeout_seconds == 5);
  CHECK(config->request_body_timeout_seconds == 7);
  CHECK(config->database_timeout_milliseconds == 250);
}

TEST_CASE("an unknown config key is reported with file:line:col") {
  const auto message =
      first_error(parse_config("conf.toml", "[server]\nthreads = 2\nlisten_port = 80\n"));
  CHECK(message.rfind("conf.toml:3:", 0) == 0);
  CHECK(message.find("unknown key `server.listen_port`") != std::string::npos);
}

TEST_CASE("an unknown config section is reported") {
  const auto message =
      first_error(parse_config("conf.toml", "\n[sever]\nlisten = \"1.2.3.4:5\"\n"));
  CHECK(message.find("conf.toml:2:") == 0);
  CHECK(message.find("unknown section `sever`") != std::string::npos);
}

TEST_CASE("a bad config value is reported with its position") {
  const auto type = first_error(parse_config("c.toml", "[server]\nthreads = \"four\"\n"));
  CHECK(type == "c.toml:2:11: error: `server.threads` must be an integer from 1 to 64");
  const auto listen = first_error(parse_config("c.toml", "[server]\nlisten = \"nowhere\"\n"));
  CHECK(listen.find("c.toml:2:10: error: `server.listen` must be HOST:PORT") == 0);
  const auto proxy =
      first_error(parse_config("c.toml", "[network]\ntrusted_proxies = [\"10.0.0.0/99\"]\n"));
  CHECK(proxy.find("c.toml:2:20: error: trusted proxy") == 0);
  const auto level = first_error(parse_config("c.toml", "[log]\nlevel = \"loud\"\n"));
  CHECK(level.find("`log.level` must be one of") != std::string::npos);
}

TEST_CASE("every problem in a config file is reported at once") {
  const auto result = parse_config("c.toml", "[server]\nthreads = 0\nbogus = 1\n[x]\n");
  REQUIRE_FALSE(result);
  CHECK(result.error().messages.size() == 3);
}

TEST_CASE("malformed TOML is reported with its position") {
  const auto message = first_error(parse_config("c.toml", "[server\nthreads = 2\n"));
  CHECK(message.rfind("c.toml:1:", 0) == 0);
}

TEST_CASE("a missing config file is an error") {
  const auto result = load_config("/nonexistent/scopegate.toml");
  REQUIRE_FALSE(result);
  CHECK(result.error().messages.front().find("cannot read") != std::string::npos);
}

TEST_CASE("command-line flags override the config file") {
  const auto base = parse_config(
      "c.toml", "[server]\nlisten = \"127.0.0.1:1111\"\n[database]\npath = \"a.db\"\n");
  REQUIRE(base);
  Overrides overrides;
  overrides.listen = "[::1]:2222";
  overrides.database_path = "b.db";
  overrides.policy_directory = "pol";
  const auto config = apply_overrides(*base, overrides);
  REQUIRE(config);
  CHECK(config->listen_host == "::1");
  CHECK(config->listen_port == 2222);
  CHECK(config->database_path == "b.db");
  CHECK(config->policy_directory == "pol");
  overrides.listen = "127.0.0.1:99999";
  CHECK_FALSE(apply_overrides(*base, overrides));
}

TEST_CASE("the policy reload interval defaults to a second, and 0 turns watching off") {
  CHECK(parse_config("scopegate.toml", "")->reload_interval_milliseconds == 1000);
  const auto off = parse_config("scopegate.toml", "[policy]\nreload_interval_milliseconds = 0\n");
  REQUIRE(off);
  CHECK(off->reload_interval_milliseconds == 0);
  const auto message =
      first_error(parse_config("conf.toml", "[policy]\nreload_interval_milliseconds = -5\n"));
  CHECK(message.rfind("conf.toml:2:", 0) == 0);
  CHECK(message.find("`policy.reload_interval_milliseconds` must be an integer") !=
        std::string::npos);
}

TEST_CASE("the per-key rate limit defaults to 6000 a minute in bursts of 200") {
  const auto config = parse_config("scopegate.toml", "");
  REQUIRE(config);
  CHECK(config->rate_limit_requests_per_minute == 6000);
  CHECK(config->rate_limit_burst == 200);
  const auto set =
      parse_config("scopegate.toml", "[rate_limit]\nrequests_per_minute = 60\nburst = 3\n");
  REQUIRE(set);
  CHECK(set->rate_limit_requests_per_minute == 60);
  CHECK(set->rate_limit_burst == 3);
}

TEST_CASE("rate_limit.requests_per_minute = 0 turns the limit off, whatever the burst") {
  const auto off = parse_config("scopegate.toml", "[rate_limit]\nrequests_per_minute = 0\n");
  REQUIRE(off);
  CHECK(off->rate_limit_requests_per_minute == 0);
  const auto zero_burst =
      parse_config("scopegate.toml", "[rate_limit]\nrequests_per_minute = 0\nburst = 0\n");
  REQUIRE(zero_burst);
  CHECK(zero_burst->rate_limit_burst == 0);
}

TEST_CASE("passwords are hashed at OWASP's floor unless [password_hash] says otherwise") {
  const auto config = parse_config("scopegate.toml", "");
  REQUIRE(config);
  CHECK(config->password_hash.iterations == 2);
  CHECK(config->password_hash.memory_kib == 19456);
  const auto set =
      parse_config("scopegate.toml", "[password_hash]\niterations = 3\nmemory_kib = 65536\n");
  REQUIRE(set);
  CHECK(set->password_hash.iterations == 3);
  CHECK(set->password_hash.memory_kib == 65536);
  // What libsodium's Argon2id refuses is refused here, with the place.
  const auto message = first_error(parse_config("c.toml", "[password_hash]\nmemory_kib = 4\n"));
  CHECK(message.rfind("c.toml:2:", 0) == 0);
  CHECK(message.find("`password_hash.memory_kib` must be an integer from 8 to 1048576") !=
        std::string::npos);
  CHECK(first_error(parse_config("c.toml", "[password_hash]\niterations = 0\n"))
            .find("`password_hash.iterations`") != std::string::npos);
  CHECK(first_error(parse_config("c.toml", "[password_hash]\niterations = 101\n"))
            .find("`password_hash.iterations`") != std::string::npos);
  CHECK(first_error(parse_config("c.toml", "[password_hash]\nmemory_kib = 1048577\n"))
            .find("`password_hash.memory_kib`") != std::string::npos);
  CHECK_FALSE(config->password_hash_below_floor_allowed);
  const auto allowed = parse_config(
      "c.toml",
      "[password_hash]\niterations = 1\nmemory_kib = 8\nallow_below_owasp_floor = true\n");
  REQUIRE(allowed);
  CHECK(allowed->password_hash_below_floor_allowed);
}

TEST_CASE(
    "a password hash cost that every worker at once could not fit in half the memory is refused") {
  constexpr std::uint64_t eight_gib = 8ULL << 30;
  auto config = parse_config("scopegate.toml", "");
  REQUIRE(config);
  CHECK_FALSE(password_hash_memory_problem(*config, eight_gib));  // 19 MiB, one worker
  config->password_hash.memory_kib = 1024 * 1024;
  config->login_password_workers = 4;  // 4 GiB: half of 8 fits
  CHECK_FALSE(password_hash_memory_problem(*config, eight_gib));
  config->login_password_workers = 5;
  CHECK(password_hash_memory_problem(*config, eight_gib) ==
        "error: [password_hash] memory_kib = 1048576 with login.password_workers = 5 hashes "
        "with up to 5120 MiB at once, more than half of the 8192 MiB this process may use: "
        "lower either");
}

TEST_CASE("the memory a process may use is the least of the machine's and its control group's") {
  constexpr std::uint64_t host = 64ULL << 30;
  CHECK(memory_limit(host, "", "") == host);                     // no control group files
  CHECK(memory_limit(host, "max\n", "") == host);                // cgroup v2 without a limit
  CHECK(memory_limit(host, "536870912\n", "") == 512ULL << 20);  // a 512 MiB container
  CHECK(memory_limit(host, "", "1073741824\n") == 1ULL << 30);   // cgroup v1
  // cgroup v1's "no limit" is a number above the machine's memory.
  CHECK(memory_limit(host, "", "9223372036854771712\n") == host);
}

TEST_CASE("a login delay longer than the window it is counted in is refused") {
  CHECK(first_error(parse_config("c.toml", "[login]\nwindow_seconds = 60\n")) ==
        "c.toml:2:18: error: `login.max_delay_seconds` must not be longer than "
        "`login.window_seconds` (a count is forgotten after the window without a failure)");
  CHECK(first_error(parse_config("c.toml", "[login]\nmax_delay_seconds = 3600\n")) ==
        "c.toml:2:21: error: `login.max_delay_seconds` must not be longer than "
        "`login.window_seconds` (a count is forgotten after the window without a failure)");
  CHECK(parse_config("c.toml", "[login]\nwindow_seconds = 60\nmax_delay_seconds = 60\n"));
}

TEST_CASE("bad rate_limit values are reported with file:line:col") {
  CHECK(
      first_error(parse_config("c.toml", "[rate_limit]\nrequests_per_minute = -1\n")) ==
      "c.toml:2:23: error: `rate_limit.requests_per_minute` must be an integer from 0 to 6000000");
  CHECK(
      first_error(parse_config("c.toml", "[rate_limit]\nrequests_per_minute = \"60\"\n")) ==
      "c.toml:2:23: error: `rate_limit.requests_per_minute` must be an integer from 0 to 6000000");
  CHECK(
      first_error(parse_config("c.toml", "[rate_limit]\nrequests_per_minute = 1.5\n")) ==
      "c.toml:2:23: error: `rate_limit.requests_per_minute` must be an integer from 0 to 6000000");
  CHECK(first_error(parse_config("c.toml", "[rate_limit]\nburst = -3\n")) ==
        "c.toml:2:9: error: `rate_limit.burst` must be an integer from 0 to 1000000");
  CHECK(first_error(parse_config("c.toml", "[rate_limit]\nburst = true\n")) ==
        "c.toml:2:9: error: `rate_limit.burst` must be an integer from 0 to 1000000");
  CHECK(first_error(parse_config("c.toml", "[rate_limit]\nburst = 0\n")) ==
        "c.toml:2:9: error: `rate_limit.burst` must be at least 1 while "
        "`rate_limit.requests_per_minute` is not 0 (0 turns the limit off)");
  CHECK(
      first_error(parse_config("c.toml", "[rate_limit]\nrequests_per_minute = 10\nburst = 0\n")) ==
      "c.toml:3:9: error: `rate_limit.burst` must be at least 1 while "
      "`rate_limit.requests_per_minute` is not 0 (0 turns the limit off)");
  const auto unknown = first_error(parse_config("c.toml", "[rate_limit]\nper_second = 5\n"));
  CHECK(unknown.rfind("c.toml:2:", 0) == 0);
  CHECK(unknown.find("error: unknown key `rate_limit.per_second`") != std::string::npos);
}

TEST_CASE("the gateway is off by default, and its path must be a plain path") {
  const auto none = parse_config("scopegate.toml", "");
  REQUIRE(none);
  CHECK(none->gateway_policy_directory.empty());
  CHECK(none->gateway_path == "/authz");
  const auto set =
      parse_config("scopegate.toml", "[gateway]\npolicies = \"notes\"\npath = \"/_auth/check\"\n");
  REQUIRE(set);
  CHECK(set->gateway_policy_directory == "notes");
  CHECK(set->gateway_path == "/_auth/check");
  Overrides overrides;
  overrides.gateway_policy_directory = "other";
  CHECK(apply_overrides(*set, overrides)->gateway_policy_directory == "other");
  for (const char* bad : {"authz", "/", "/authz/", "/a?b", "/a/../b", "/a//b"}) {
    const auto message =
        first_error(parse_config("conf.toml", std::string("[gateway]\npath = \"") + bad + "\"\n"));
    CHECK(message.rfind("conf.toml:2:", 0) == 0);
    CHECK(message.find("`gateway.path` must be a path such as `/authz`") != std::string::npos);
  }
}

TEST_CASE("shadow policies are read from [policy] and [gateway], and overridden by flags") {
  const auto config = parse_config(
      "scopegate.toml", "[policy]\nshadow = \"next\"\n[gateway]\nshadow_policies = \"gw-next\"\n");
  REQUIRE(config);
  CHECK(config->policy_shadow_directory == "next");
  CHECK(config->gateway_shadow_directory == "gw-next");
  Overrides overrides;
  overrides.policy_shadow_directory = "a";
  overrides.gateway_shadow_directory = "b";
  const auto overridden = apply_overrides(*config, overrides);
  REQUIRE(overridden);
  CHECK(overridden->policy_shadow_directory == "a");
  CHECK(overridden->gateway_shadow_directory == "b");
  CHECK(first_error(parse_config("c.toml", "[policy]\nshadow = 3\n")).find("`policy.shadow`") !=
        std::string::npos);
}

TEST_CASE("database.revocation defaults to notify, and takes every-request") {
  CHECK(parse_config("scopegate.toml", "")->database_revocation == Revocation::notify);
  const auto exact = parse_config("scopegate.toml", "[database]\nrevocation = \"every-request\"\n");
  REQUIRE(exact);
  CHECK(exact->database_revocation == Revocation::every_request);
  const auto notify = parse_config("scopegate.toml", "[database]\nrevocation = \"notify\"\n");
  REQUIRE(notify);
  CHECK(notify->database_revocation == Revocation::notify);
  CHECK(first_error(parse_config("c.toml", "[database]\nrevocation = \"never\"\n")) ==
        "c.toml:2:14: error: `database.revocation` must be notify or every-request, got `never`");
}
