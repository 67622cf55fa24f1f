#include "server/config.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <unistd.h>
#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <sstream>

#include "scopegate/path.hpp"
#include "server/net.hpp"
#include "server/plans.hpp"

namespace scopegate::server {

namespace {

std::string where(std::string_view file, const toml::source_region& source) {
  return fmt::format("{}:{}:{}", file, source.begin.line, source.begin.column);
}

// Reads one table's keys into the config, reporting unknown keys and bad values.
class Reader {
 public:
  Reader(std::string_view file, ConfigError& errors) : m_file(file), m_errors(errors) {}

  void error(const toml::node& node, std::string_view message) {
    m_errors.messages.push_back(
        fmt::format("{}: error: {}", where(m_file, node.source()), message));
  }

  void string(const toml::node& node, std::string_view key, std::string& out) {
    if (const auto* value = node.as_string()) {
      out = value->get();
    } else {
      error(node, fmt::format("`{}` must be a string", key));
    }
  }

  void boolean(const toml::node& node, std::string_view key, bool& out) {
    if (const auto* value = node.as_boolean()) {
      out = value->get();
    } else {
      error(node, fmt::format("`{}` must be true or false", key));
    }
  }

  void integer(const toml::node& node, std::string_view key, long long low, long long high,
               auto& out) {
    const auto* value = node.as_integer();
    if (value == nullptr || value->get() < low || value->get() > high) {
      error(node, fmt::format("`{}` must be an integer from {} to {}", key, low, high));
      return;
    }
    out = static_cast<std::remove_reference_t<decltype(out)>>(value->get());
  }

 private:
  std::string_view m_file;
  ConfigError& m_errors;
};

using KeyHandler = std::function<void(Reader&, const toml::node&)>;

std::map<std::string, std::map<std::string, KeyHandler>> schema(Config& c) {
  std::map<std::string, std::map<std::string, KeyHandler>> s;
  s["server"]["listen"] = [&c](Reader& r, const toml::node& n) {
    std::string text;
    r.string(n, "server.listen", text);
    if (!text.empty() && !parse_listen(text, c.listen_host, c.listen_port)) {
      r.error(n, fmt::format("`server.listen` must be HOST:PORT, got `{}`", text));
    }
  };
  s["server"]["threads"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "server.threads", 1, 64, c.threads);
  };
  s["server"]["shutdown_grace_seconds"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "server.shutdown_grace_seconds", 0, 3600, c.shutdown_grace_seconds);
  };
  s["server"]["idle_timeout_seconds"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "server.idle_timeout_seconds", 1, 3600, c.idle_timeout_seconds);
  };
  s["server"]["max_connections"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "server.max_connections", 1, 1'000'000, c.max_connections);
  };
  s["server"]["request_head_timeout_seconds"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "server.request_head_timeout_seconds", 1, 3600, c.request_head_timeout_seconds);
  };
  s["server"]["request_body_timeout_seconds"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "server.request_body_timeout_seconds", 1, 3600, c.request_body_timeout_seconds);
  };
  s["database"]["path"] = [&c](Reader& r, const toml::node& n) {
    r.string(n, "database.path", c.database_path);
  };
  // A PostgreSQL URI (or `sqlite:PATH`): the same setting as `path`, under its other name.
  s["database"]["url"] = [&c](Reader& r, const toml::node& n) {
    r.string(n, "database.url", c.database_path);
  };
  s["database"]["revocation"] = [&c](Reader& r, const toml::node& n) {
    std::string text;
    r.string(n, "database.revocation", text);
    if (text == revocation_name(Revocation::notify)) {
      c.database_revocation = Revocation::notify;
    } else if (text == revocation_name(Revocation::every_request)) {
      c.database_revocation = Revocation::every_request;
    } else {
      r.error(n,
              fmt::format("`database.revocation` must be notify or every-request, got `{}`", text));
    }
  };
  s["database"]["timeout_milliseconds"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "database.timeout_milliseconds", 100, 600'000, c.database_timeout_milliseconds);
  };
  s["policy"]["directory"] = [&c](Reader& r, const toml::node& n) {
    r.string(n, "policy.directory", c.policy_directory);
  };
  s["policy"]["reload_interval_milliseconds"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "policy.reload_interval_milliseconds", 0, 3'600'000,
              c.reload_interval_milliseconds);
  };
  s["gateway"]["policies"] = [&c](Reader& r, const toml::node& n) {
    r.string(n, "gateway.policies", c.gateway_policy_directory);
  };
  s["policy"]["shadow"] = [&c](Reader& r, const toml::node& n) {
    r.string(n, "policy.shadow", c.policy_shadow_directory);
  };
  s["gateway"]["shadow_policies"] = [&c](Reader& r, const toml::node& n) {
    r.string(n, "gateway.shadow_policies", c.gateway_shadow_directory);
  };
  s["gateway"]["path"] = [&c](Reader& r, const toml::node& n) {
    r.string(n, "gateway.path", c.gateway_path);
    PathSegments segments;
    if (c.gateway_path.size() < 2 || c.gateway_path.back() == '/' ||
        c.gateway_path.find_first_of("?#") != std::string::npos ||
        split_path(c.gateway_path, segments) != PathError::none) {
      r.error(n, fmt::format("`gateway.path` must be a path such as `/authz`, got `{}`",
                             c.gateway_path));
    }
  };
  s["metrics"]["bearer_token"] = [&c](Reader& r, const toml::node& n) {
    r.string(n, "metrics.bearer_token", c.metrics_bearer_token);
  };
  s["log"]["level"] = [&c](Reader& r, const toml::node& n) {
    r.string(n, "log.level", c.log_level);
    static const std::vector<std::string> levels = {"trace", "debug",    "info", "warn",
                                                    "error", "critical", "off"};
    if (std::find(levels.begin(), levels.end(), c.log_level) == levels.end()) {
      r.error(n, fmt::format("`log.level` must be one of trace, debug, info, warn, error, "
                             "critical, off; got `{}`",
                             c.log_level));
    }
  };
  s["log"]["file"] = [&c](Reader& r, const toml::node& n) { r.string(n, "log.file", c.log_file); };
  s["limits"]["max_body_bytes"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "limits.max_body_bytes", 1024, 64LL * 1024 * 1024, c.max_body_bytes);
  };
  s["limits"]["max_header_bytes"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "limits.max_header_bytes", 1024, 1024LL * 1024, c.max_header_bytes);
  };
  s["network"]["trusted_proxies"] = [&c](Reader& r, const toml::node& n) {
    const auto* array = n.as_array();
    if (array == nullptr) {
      r.error(n, "`network.trusted_proxies` must be an array of IP addresses or CIDRs");
      return;
    }
    for (const auto& item : *array) {
      const auto* text = item.as_string();
      if (text == nullptr || !parse_cidr(text->get())) {
        r.error(item, "trusted proxy must be an IP address or CIDR such as `10.0.0.0/8`");
        continue;
      }
      c.trusted_proxies.push_back(text->get());
    }
  };
  s["sessions"]["default_hours"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "sessions.default_hours", 1, 720, c.session_default_hours);
  };
  s["sessions"]["max_hours"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "sessions.max_hours", 1, 720, c.session_max_hours);
  };
  s["sessions"]["admin_max_hours"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "sessions.admin_max_hours", 1, 720, c.session_admin_max_hours);
  };
  s["sessions"]["sweep_interval_seconds"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "sessions.sweep_interval_seconds", 1, 3600, c.sweep_interval_seconds);
  };
  s["tokens"]["access_token_seconds"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "tokens.access_token_seconds", 60, 7LL * 24 * 3600, c.access_token_seconds);
  };
  s["tokens"]["refresh_token_seconds"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "tokens.refresh_token_seconds", 60, 365LL * 24 * 3600, c.refresh_token_seconds);
  };
  s["audit"]["flush_milliseconds"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "audit.flush_milliseconds", 10, 60000, c.audit_flush_milliseconds);
  };
  s["audit"]["max_page_size"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "audit.max_page_size", 1, 1000, c.audit_max_page_size);
  };
  s["rate_limit"]["requests_per_minute"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "rate_limit.requests_per_minute", 0, 6'000'000, c.rate_limit_requests_per_minute);
  };
  s["rate_limit"]["burst"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "rate_limit.burst", 0, 1'000'000, c.rate_limit_burst);
  };
  // libsodium's Argon2id accepts t >= 1 and m >= 8 KiB; 1 GiB is far beyond any server's.
  s["password_hash"]["iterations"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "password_hash.iterations", 1, 100, c.password_hash.iterations);
  };
  s["password_hash"]["memory_kib"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "password_hash.memory_kib", 8, 1024 * 1024, c.password_hash.memory_kib);
  };
  s["password_hash"]["allow_below_owasp_floor"] = [&c](Reader& r, const toml::node& n) {
    r.boolean(n, "password_hash.allow_below_owasp_floor", c.password_hash_below_floor_allowed);
  };
  s["login"]["password_workers"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "login.password_workers", 1, 64, c.login_password_workers);
  };
  s["login"]["password_nice"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "login.password_nice", 0, 19, c.login_password_nice);
  };
  s["login"]["password_queue"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "login.password_queue", 0, 10'000, c.login_password_queue);
  };
  s["login"]["free_failures"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "login.free_failures", 1, 1'000'000, c.login_free_failures);
  };
  s["login"]["free_address_failures"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "login.free_address_failures", 1, 1'000'000, c.login_free_address_failures);
  };
  s["login"]["window_seconds"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "login.window_seconds", 1, 7LL * 24 * 3600, c.login_window_seconds);
  };
  s["login"]["base_delay_seconds"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "login.base_delay_seconds", 1, 3600, c.login_base_delay_seconds);
  };
  s["login"]["max_delay_seconds"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "login.max_delay_seconds", 1, 7LL * 24 * 3600, c.login_max_delay_seconds);
  };
  s["secrets"]["key_file"] = [&c](Reader& r, const toml::node& n) {
    r.string(n, "secrets.key_file", c.secrets_key_file);
  };
  s["accounts"]["registration"] = [&c](Reader& r, const toml::node& n) {
    r.boolean(n, "accounts.registration", c.registration_enabled);
  };
  s["accounts"]["registrations_per_hour"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "accounts.registrations_per_hour", 1, 1'000'000, c.registrations_per_hour);
  };
  s["accounts"]["password_resets_per_hour"] = [&c](Reader& r, const toml::node& n) {
    r.integer(n, "accounts.password_resets_per_hour", 1, 1'000'000, c.password_resets_per_hour);
  };
  s["accounts"]["registration_tier"] = [&c](Reader& r, const toml::node& n) {
    r.string(n, "accounts.registration_tier", c.registration_tier);
    if (!is_plan(c.registration_tier)) {
      r.error(n, fmt::format("`accounts.registration_tier` must be one of FREE, BUSINESS, "
                             "ENTERPRISE, PLATFORM; got `{}`",
                             c.registration_tier));
    }
  };
  s["mail"]["link_base_url"] = [&c](Reader& r, const toml::node& n) {
    r.string(n, "mail.link_base_url", c.mail_link_base_url);
    const std::string_view url = c.mail_link_base_url;
    const bool http = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
    if (!url.empty() && (!http || url.back() == '/')) {
      r.error(n, fmt::format("`mail.link_base_url` must be an http:// or https:// URL without "
                             "a trailing slash, got `{}`",
                             url));
    }
  };
  s["bootstrap"]["organization_slug"] = [&c](Reader& r, const toml::node& n) {
    r.string(n, "bootstrap.organization_slug", c.bootstrap_organization_slug);
  };
  s["bootstrap"]["organization_name"] = [&c](Reader& r, const toml::node& n) {
    r.string(n, "bootstrap.organization_name", c.bootstrap_organization_name);
  };
  s["bootstrap"]["admin_email"] = [&c](Reader& r, const toml::node& n) {
    r.string(n, "bootstrap.admin_email", c.bootstrap_admin_email);
  };
  return s;
}

}  // namespace

bool parse_listen(std::string_view text, std::string& host, std::uint16_t& port) {
  std::string_view host_part;
  std::string_view port_part;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    host_part = text.substr(1, close - 1);
    port_part = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    host_part = text.substr(0, colon);
    port_part = text.substr(colon + 1);
  }
  if (host_part.empty() || port_part.empty() || port_part.size() > 5) return false;
  unsigned value = 0;
  for (const char c : port_part) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return false;
  if (!parse_ip(host_part) && host_part != "localhost") return false;
  host = std::string(host_part == "localhost" ? "127.0.0.1" : host_part);
  port = static_cast<std::uint16_t>(value);
  return true;
}

Result<Config, ConfigError> parse_config(std::string_view file_name, std::string_view text) {
  ConfigError errors;
  toml::table root;
  try {
    root = toml::parse(text, file_name);
  } catch (const toml::parse_error& error) {
    errors.messages.push_back(
        fmt::format("{}: error: {}", where(file_name, error.source()), error.description()));
    return unexpected(std::move(errors));
  }
  Config config;
  const auto tables = schema(config);
  Reader reader(file_name, errors);
  for (const auto& [name, node] : root) {
    const auto table_schema = tables.find(std::string(name.str()));
    if (table_schema == tables.end()) {
      reader.error(node, fmt::format("unknown section `{}`", name.str()));
      continue;
    }
    const auto* table = node.as_table();
    if (table == nullptr) {
      reader.error(node, fmt::format("`{}` must be a table (`[{}]`)", name.str(), name.str()));
      continue;
    }
    for (const auto& [key, value] : *table) {
      const auto handler = table_schema->second.find(std::string(key.str()));
      if (handler == table_schema->second.end()) {
        reader.error(value, fmt::format("unknown key `{}.{}`", name.str(), key.str()));
        continue;
      }
      handler->second(reader, value);
    }
  }
  if (config.session_default_hours > config.session_max_hours) {
    errors.messages.push_back(
        fmt::format("{}: error: `sessions.default_hours` ({}) exceeds `sessions.max_hours` ({})",
                    file_name, config.session_default_hours, config.session_max_hours));
  }
  if (config.login_max_delay_seconds > config.login_window_seconds) {
    // A count is forgotten after `window` without a failure: a longer delay never ends
    // in a throttled state, so it would only look like one.
    constexpr std::string_view message =
        "`login.max_delay_seconds` must not be longer than `login.window_seconds` (a count "
        "is forgotten after the window without a failure)";
    const auto* node = root.at_path("login.max_delay_seconds").node();
    if (node == nullptr) node = root.at_path("login.window_seconds").node();
    if (node != nullptr) {
      reader.error(*node, message);
    } else {
      errors.messages.push_back(fmt::format("{}: error: {}", file_name, message));
    }
  }
  if (config.rate_limit_requests_per_minute > 0 && config.rate_limit_burst == 0) {
    // Only reachable when the file sets `burst` (the default is not 0), so it has a node.
    constexpr std::string_view message =
        "`rate_limit.burst` must be at least 1 while `rate_limit.requests_per_minute` is not 0 "
        "(0 turns the limit off)";
    if (const auto* burst = root.at_path("rate_limit.burst").node()) {
      reader.error(*burst, message);
    } else {
      errors.messages.push_back(fmt::format("{}: error: {}", file_name, message));
    }
  }
  if (!errors.messages.empty()) return unexpected(std::move(errors));
  return config;
}

Result<Config, ConfigError> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return unexpected(
        ConfigError{{fmt::format("{}: error: cannot read the configuration file", path)}});
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(path, text.str());
}

Result<Config, ConfigError> apply_overrides(Config config, const Overrides& overrides) {
  if (overrides.listen &&
      !parse_listen(*overrides.listen, config.listen_host, config.listen_port)) {
    return unexpected(ConfigError{
        {fmt::format("--listen: error: expected HOST:PORT, got `{}`", *overrides.listen)}});
  }
  if (overrides.database_path) config.database_path = *overrides.database_path;
  if (overrides.policy_directory) config.policy_directory = *overrides.policy_directory;
  if (overrides.gateway_policy_directory) {
    config.gateway_policy_directory = *overrides.gateway_policy_directory;
  }
  if (overrides.policy_shadow_directory) {
    config.policy_shadow_directory = *overrides.policy_shadow_directory;
  }
  if (overrides.gateway_shadow_directory) {
    config.gateway_shadow_directory = *overrides.gateway_shadow_directory;
  }
  return config;
}

std::uint64_t memory_limit(std::uint64_t physical_bytes, std::string_view cgroup_v2_max,
                           std::string_view cgroup_v1_limit) {
  std::uint64_t limit = physical_bytes;
  for (auto text : {cgroup_v2_max, cgroup_v1_limit}) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    std::uint64_t bytes = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), bytes);
    if (error == std::errc{} && end == text.data() + text.size() && bytes > 0) {
      limit = std::min(limit, bytes);
    }
  }
  return limit;
}

std::optional<std::uint64_t> process_memory_limit() {
  const auto pages = ::sysconf(_SC_PHYS_PAGES);
  const auto page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return std::nullopt;
  const auto read_all = [](const char* path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  return memory_limit(static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size),
                      read_all("/sys/fs/cgroup/memory.max"),
                      read_all("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
}

std::optional<std::string> password_hash_memory_problem(const Config& config,
                                                        std::uint64_t physical_bytes) {
  const std::uint64_t kib = static_cast<std::uint64_t>(config.password_hash.memory_kib) *
                            static_cast<std::uint64_t>(config.login_password_workers);
  if (kib * 1024 <= physical_bytes / 2) return std::nullopt;
  return fmt::format(
      "error: [password_hash] memory_kib = {} with login.password_workers = {} hashes with up "
      "to {} MiB at once, more than half of the {} MiB this process may use: lower either",
      config.password_hash.memory_kib, config.login_password_workers, kib / 1024,
      physical_bytes / (1024 * 1024));
}

}  // namespace scopegate::server
