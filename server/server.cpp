#include "server/server.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <pthread.h>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <thread>

#include "scopegate/engine.hpp"
#include "server/app.hpp"
#include "server/attempt_limiter.hpp"
#include "server/audit_writer.hpp"
#include "server/auth.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/gateway.hpp"
#include "server/gateway_policy.hpp"
#include "server/http.hpp"
#include "server/json.hpp"
#include "server/load_policy.hpp"
#include "server/login_throttle.hpp"
#include "server/metrics_endpoint.hpp"
#include "server/net.hpp"
#include "server/password_policy.hpp"
#include "server/provider.hpp"
#include "server/secrets.hpp"
#include "server/shadow.hpp"
#include "server/store/open_store.hpp"
#include "server/store/store.hpp"
#include "server/sweeper.hpp"
#include "server/text.hpp"
#include "server/worker_pool.hpp"

namespace scopegate::server {

namespace {

constexpr std::size_t generated_password_length = 24;

std::shared_ptr<spdlog::logger> make_logger(const Config& config) {
  static std::atomic<int> instances{0};
  const auto name = fmt::format("scopegate-{}", instances++);
  spdlog::sink_ptr sink;
  if (config.log_file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(config.log_file);
  }
  auto logger = std::make_shared<spdlog::logger>(name, std::move(sink));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(config.log_level));
  logger->flush_on(spdlog::level::warn);
  return logger;
}

// First start on an empty database: the organization and its admin, created once even
// when several instances start together on one database (the loser of either insert's
// unique constraint leaves it to the winner).
Result<Done, std::string> bootstrap(const Config& config, Store& store, std::ostream& notices) {
  const auto users = store.count_users();
  if (!users) return unexpected(users.error().message);
  if (*users > 0) return Done{};
  auto organization = store.find_organization_by_slug(config.bootstrap_organization_slug);
  if (!organization) return unexpected(organization.error().message);
  Organization org;
  if (*organization) {
    org = **organization;
  } else {
    org = Organization{generate_uuid(), config.bootstrap_organization_slug,
                       config.bootstrap_organization_name, format_stored(now())};
    org.subscription_tier = "PLATFORM";  // the operator's own organization: no limits
    const auto created = store.create_organization(org);
    if (!created && created.error().kind == StoreError::Kind::conflict) {
      return bootstrap(config, store, notices);  // another instance created it first
    }
    if (!created) return unexpected(created.error().message);
  }
  const char* chosen = std::getenv("SCOPEGATE_ADMIN_PASSWORD");
  const bool from_env = chosen != nullptr && *chosen != '\0';
  if (from_env) {
    // The rule every new password meets (POST /users, a reset): not weaker for the admin.
    const TextRule rule{max_password_characters, min_password_characters, Controls::none};
    if (auto problem = check_text(chosen, rule)) {
      return unexpected(fmt::format(
          "SCOPEGATE_ADMIN_PASSWORD {} (the admin's password: {} to {} characters, no control "
          "characters)",
          *problem, min_password_characters, max_password_characters));
    }
  }
  const std::string password =
      from_env ? std::string(chosen) : random_alphanumeric(generated_password_length);
  User admin;
  admin.id = generate_uuid();
  admin.organization_id = org.id;
  admin.email = config.bootstrap_admin_email;
  admin.name = "Administrator";
  admin.role = "admin";
  try {
    admin.password_hash = hash_password(password, config.password_hash);
  } catch (const std::runtime_error& failure) {
    return unexpected(std::string(failure.what()));
  }
  admin.created_at = format_stored(now());
  const auto created = store.create_user(admin, {}, nullptr);
  // Another instance on the same database bootstrapped it first, and announced it.
  if (!created && created.error().kind == StoreError::Kind::conflict) return Done{};
  if (!created) return unexpected(created.error().message);
  const std::string shown = from_env ? "$SCOPEGATE_ADMIN_PASSWORD" : password;
  notices << fmt::format(
      "scopegate: new database: created organization `{}` ({}) and admin user `{}`\n", org.slug,
      org.name, admin.email);
  if (from_env) {
    notices << "scopegate: the admin password is the value of SCOPEGATE_ADMIN_PASSWORD\n";
  } else {
    notices << fmt::format("scopegate: admin password (shown this once): {}\n", password);
  }
  // With the password in the environment, the body is double-quoted so that the shell
  // expands $SCOPEGATE_ADMIN_PASSWORD when the command is pasted.
  const std::string body =
      from_env
          ? fmt::format(R"("{{\"organizationSlug\":\"{}\",\"email\":\"{}\",\"password\":\"{}\"}}")",
                        org.slug, admin.email, shown)
          : fmt::format(R"('{{"organizationSlug":"{}","email":"{}","password":"{}"}}')", org.slug,
                        admin.email, shown);
  notices << fmt::format(
      "scopegate: sign in with:\n"
      "  curl -s -X POST http://{}:{}/api/v1/auth/login -H 'Content-Type: application/json' \\\n"
      "    -d {}\n",
      config.listen_host, config.listen_port, body);
  notices.flush();
  return Done{};
}

// Seals a known text at the first start and opens it at every later one: a key that is
// not the one the stored secrets were sealed with stops the server before it serves.
Result<Done, std::string> check_secrets_key(Store& store, const LoadedSecrets& loaded,
                                            const std::string& database) {
  constexpr std::string_view context = "secrets-key-check";
  constexpr std::string_view known = "scopegate secrets key check";
  const auto stored = store.claim_secrets_check(loaded.secrets->seal(known, context));
  if (!stored) {
    return unexpected(fmt::format("{}: error: cannot check the secrets key: {}", database,
                                  stored.error().message));
  }
  const auto opened = loaded.secrets->open(*stored, context);
  if (opened && *opened == known) return Done{};
  return unexpected(fmt::format(
      "{}: error: the secrets key from {} does not open the secrets stored in this database: "
      "they were sealed with another key. Start with the key this database was first started "
      "with ({} or its key file); without it its credentials cannot be read",
      database, loaded.source, secrets_key_variable));
}

}  // namespace

struct Server::Parts {
  Config config;
  std::shared_ptr<spdlog::logger> logger;
  std::unique_ptr<Store> store;
  std::unique_ptr<Secrets> secrets;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Engine> gateway_engine;  // null without a gateway
  std::unique_ptr<Metrics> metrics;
  // Candidate policies judging requests beside the live ones; null when not configured.
  std::unique_ptr<Engine> shadow_engine;
  std::unique_ptr<Engine> gateway_shadow_engine;
  std::unique_ptr<ShadowPolicy> shadow;
  std::unique_ptr<ShadowPolicy> gateway_shadow;
  std::vector<std::unique_ptr<PolicyReloader>> shadow_reloaders;
  std::unique_ptr<FirewallProvider> provider;
  std::unique_ptr<AuditWriter> audit;
  std::unique_ptr<Sweeper> sweeper;
  std::unique_ptr<WorkerPool> password_workers;
  std::unique_ptr<LoginThrottle> login_throttle;
  std::unique_ptr<AttemptLimiter> registration_limiter;
  std::unique_ptr<AttemptLimiter> reset_limiter;
  std::unique_ptr<Services> services;
  std::unique_ptr<App> app;
  std::unique_ptr<Gateway> gateway;
  std::unique_ptr<PolicyReloader> reloader;
  std::unique_ptr<PolicyReloader> gateway_reloader;
  std::unique_ptr<HttpServer> http;
};

namespace {

Metrics::Snapshot metrics_snapshot(Server::Parts& parts) {
  Metrics::Snapshot snapshot;
  const auto keys = key_cache_stats();
  snapshot.key_cache_hits = keys.hits;
  snapshot.key_cache_misses = keys.misses;
  const auto add = [&](Surface surface, const PolicyReloader* reloader) {
    if (reloader == nullptr) return;
    const auto stats = reloader->stats();
    snapshot.policies.push_back({surface, stats.applied, stats.refused, reloader->policy_hash()});
  };
  add(Surface::api, parts.reloader.get());
  add(Surface::gateway, parts.gateway_reloader.get());
  for (const auto* shadow : {parts.shadow.get(), parts.gateway_shadow.get()}) {
    if (shadow != nullptr) snapshot.shadows.push_back(shadow->counts());
  }
  const auto audit = parts.audit->stats();
  snapshot.audit_queue_depth = audit.queued;
  snapshot.audit_write_errors = audit.write_errors;
  return snapshot;
}

// Every request: /metrics, the gateway's path, or scopegate's own API.
HttpHandler front_handler(Server::Parts& parts) {
  return [&parts](const HttpRequest& request) {
    if (request.path == metrics_path) {
      return metrics_response(request, parts.config.metrics_bearer_token, *parts.metrics,
                              [&parts] { return metrics_snapshot(parts); });
    }
    if (parts.gateway && parts.gateway->handles(request.path)) {
      return parts.gateway->handle(request);
    }
    return parts.app->handle(request);
  };
}

}  // namespace

Result<std::unique_ptr<Server>, std::vector<std::string>> Server::start(const Config& config,
                                                                        std::ostream& notices) {
  if (!init_crypto())
    return unexpected(std::vector<std::string>{"error: libsodium failed to initialize"});
  if (config.password_hash.below_owasp_floor() && !config.password_hash_below_floor_allowed) {
    return unexpected(std::vector<std::string>{fmt::format(
        "error: [password_hash] iterations = {}, memory_kib = {} is below OWASP's floor for "
        "Argon2id ({}): raise it, or set password_hash.allow_below_owasp_floor = true (for "
        "tests)",
        config.password_hash.iterations, config.password_hash.memory_kib, owasp_floor_text())});
  }
  if (const auto memory = process_memory_limit()) {
    if (auto problem = password_hash_memory_problem(config, *memory)) {
      return unexpected(std::vector<std::string>{std::move(*problem)});
    }
  }
  auto parts = std::make_unique<Parts>();
  parts->config = config;
  try {
    parts->logger = make_logger(config);
  } catch (const spdlog::spdlog_ex& error) {
    return unexpected(std::vector<std::string>{
        fmt::format("{}: error: cannot open the log file: {}", config.log_file, error.what())});
  }
  auto fingerprint = fingerprint_policy_directory(config.policy_directory);
  auto policy = load_policy_and_warnings(config.policy_directory);
  if (!policy) return unexpected(std::move(policy.error()));
  for (const std::string& line : policy->warnings) parts->logger->warn("policy: {}", line);
  parts->engine = std::make_unique<Engine>(std::move(policy->policy));
  DirectoryFingerprint gateway_fingerprint;
  if (!config.gateway_policy_directory.empty()) {
    gateway_fingerprint = fingerprint_policy_directory(config.gateway_policy_directory);
    auto gateway = load_policy_and_warnings(config.gateway_policy_directory);
    if (!gateway) return unexpected(std::move(gateway.error()));
    auto clashes = scope_collisions(*parts->engine->policy(), gateway->policy);
    if (!clashes.empty()) return unexpected(std::move(clashes));
    for (const std::string& line : gateway->warnings)
      parts->logger->warn("gateway policy: {}", line);
    parts->gateway_engine = std::make_unique<Engine>(std::move(gateway->policy));
  }

  const auto database = redact_location(config.database_path);
  auto store =
      open_store(config.database_path,
                 StoreOptions{config.database_revocation,
                              std::chrono::milliseconds(config.database_timeout_milliseconds)});
  if (!store) {
    return unexpected(std::vector<std::string>{
        fmt::format("{}: error: cannot open the database: {}", database, store.error().message)});
  }
  parts->store = std::move(*store);
  auto secrets = load_secrets(config);
  if (!secrets) return unexpected(std::vector<std::string>{secrets.error()});
  const auto key_checked = check_secrets_key(*parts->store, *secrets, database);
  if (!key_checked && secrets->created) {
    // The key file was missing, not wrong: a new one cannot open what the database holds.
    std::filesystem::remove(*secrets->created);
    return unexpected(std::vector<std::string>{fmt::format(
        "{}: error: the secrets key file {} is missing, and this database holds secrets sealed "
        "with a key: restore the file from your backup (or set {}); a new key cannot open them",
        database, *secrets->created, secrets_key_variable)});
  }
  if (!key_checked) return unexpected(std::vector<std::string>{key_checked.error()});
  if (secrets->notice) notices << *secrets->notice;
  if (secrets->warning) parts->logger->warn("{}", *secrets->warning);
  for (const std::string& proxy : config.trusted_proxies) {
    // Anyone who can reach the server could then choose their address: a key's
    // allowedCidrs and the per-address throttles would mean nothing.
    if (const auto range = parse_cidr(proxy); range && range->prefix < 8) {
      parts->logger->warn(
          "network.trusted_proxies holds {}: every address in it may set X-Forwarded-For and "
          "X-Real-IP, so a client there chooses the address a key's allowedCidrs and the "
          "sign-in throttle see; list only your proxies' addresses",
          proxy);
    }
  }
  if (!config.metrics_bearer_token.empty() && config.metrics_bearer_token.size() < 16) {
    parts->logger->warn(
        "metrics.bearer_token is {} characters: a token under 16 can be guessed; use e.g. "
        "`openssl rand -hex 16`",
        config.metrics_bearer_token.size());
  }
  if (config.password_hash.below_owasp_floor()) {
    parts->logger->warn(
        "passwords are hashed below OWASP's floor for Argon2id (t=2, m=19456 KiB, or an "
        "equivalent): [password_hash] iterations = {}, memory_kib = {}: fit for tests only",
        config.password_hash.iterations, config.password_hash.memory_kib);
  }
  parts->secrets = std::move(secrets->secrets);

  for (const auto& [directory, engine] :
       {std::pair{&config.policy_shadow_directory, &parts->shadow_engine},
        std::pair{&config.gateway_shadow_directory, &parts->gateway_shadow_engine}}) {
    if (directory->empty()) continue;
    auto candidate = load_policy(*directory);
    if (!candidate) return unexpected(std::move(candidate.error()));
    *engine = std::make_unique<Engine>(std::move(*candidate));
  }
  if (parts->gateway_shadow_engine && !parts->gateway_engine) {
    return unexpected(std::vector<std::string>{
        "error: a gateway shadow policy needs a gateway policy (--gateway-policies)"});
  }
  parts->metrics = std::make_unique<Metrics>();
  parts->provider = make_immediate_provider();
  parts->audit = std::make_unique<AuditWriter>(
      *parts->store, std::chrono::milliseconds(config.audit_flush_milliseconds), parts->logger);
  parts->sweeper = std::make_unique<Sweeper>(*parts->store, *parts->provider,
                                             std::chrono::seconds(config.sweep_interval_seconds),
                                             parts->logger, parts->secrets.get());
  parts->password_workers = std::make_unique<WorkerPool>(
      config.login_password_workers, static_cast<std::size_t>(config.login_password_queue),
      config.login_password_nice);
  parts->login_throttle = std::make_unique<LoginThrottle>(
      LoginThrottleSettings{config.login_free_failures, config.login_free_address_failures,
                            std::chrono::seconds(config.login_window_seconds),
                            std::chrono::seconds(config.login_base_delay_seconds),
                            std::chrono::seconds(config.login_max_delay_seconds)});
  parts->services = std::make_unique<Services>(Services{
      parts->config, *parts->store, *parts->engine, *parts->audit, *parts->provider,
      parts->sweeper.get(), parts->logger, *parts->password_workers, *parts->login_throttle,
      parts->gateway_engine.get(), parts->metrics.get(), parts->secrets.get()});
  parts->registration_limiter =
      std::make_unique<AttemptLimiter>(config.registrations_per_hour, std::chrono::hours(1));
  parts->services->registration_limiter = parts->registration_limiter.get();
  parts->reset_limiter =
      std::make_unique<AttemptLimiter>(config.password_resets_per_hour, std::chrono::hours(1));
  parts->services->reset_limiter = parts->reset_limiter.get();
  try {
    parts->services->decoy_password_hash =
        hash_password(random_alphanumeric(24), config.password_hash);
  } catch (const std::runtime_error& failure) {
    return unexpected(std::vector<std::string>{fmt::format("error: {}", failure.what())});
  }
  auto app = App::create(*parts->services);
  if (!app) {
    auto problems = std::move(app.error());
    problems.insert(problems.begin(), "error: the policy and the server's handlers do not match:");
    return unexpected(std::move(problems));
  }
  parts->app = std::move(*app);
  if (parts->shadow_engine) {
    parts->shadow =
        std::make_unique<ShadowPolicy>(Surface::api, *parts->shadow_engine, parts->logger);
    parts->app->set_shadow(parts->shadow.get());
  }
  if (parts->gateway_shadow_engine) {
    parts->gateway_shadow = std::make_unique<ShadowPolicy>(
        Surface::gateway, *parts->gateway_shadow_engine, parts->logger);
  }
  parts->sweeper->wake();
  const App* checker = parts->app.get();
  const Engine* gateway_engine = parts->gateway_engine.get();
  parts->reloader = std::make_unique<PolicyReloader>(
      config.policy_directory, *parts->engine,
      [checker, gateway_engine](const Policy& candidate) {
        auto problems = checker->check_policy(candidate);
        if (gateway_engine != nullptr) {
          auto clashes = scope_collisions(candidate, *gateway_engine->policy());
          problems.insert(problems.end(), clashes.begin(), clashes.end());
        }
        return problems;
      },
      parts->logger, std::move(fingerprint));
  if (gateway_engine != nullptr) {
    parts->gateway =
        std::make_unique<Gateway>(*parts->services, *gateway_engine, parts->app->authorizer(),
                                  config.gateway_path, parts->gateway_shadow.get());
    const Engine* api_engine = parts->engine.get();
    parts->gateway_reloader = std::make_unique<PolicyReloader>(
        config.gateway_policy_directory, *parts->gateway_engine,
        [api_engine](const Policy& candidate) {
          return scope_collisions(*api_engine->policy(), candidate);
        },
        parts->logger, std::move(gateway_fingerprint));
  }

  HttpOptions options;
  options.host = config.listen_host;
  options.port = config.listen_port;
  options.threads = config.threads;
  options.max_body_bytes = config.max_body_bytes;
  options.max_header_bytes = config.max_header_bytes;
  options.idle_timeout_seconds = config.idle_timeout_seconds;
  options.shutdown_grace_seconds = config.shutdown_grace_seconds;
  options.max_connections = static_cast<std::size_t>(config.max_connections);
  options.request_head_timeout = std::chrono::seconds(config.request_head_timeout_seconds);
  options.request_body_timeout = std::chrono::seconds(config.request_body_timeout_seconds);
  options.warn = [logger = parts->logger](std::string_view line) {
    logger->warn("http: {}", line);
  };
  auto http = HttpServer::listen(options, front_handler(*parts),
                                 [](int status, std::string_view message, std::string_view path) {
                                   return error_body(status, message, path);
                                 });
  if (!http) return unexpected(std::vector<std::string>{fmt::format("error: {}", http.error())});
  parts->http = std::move(*http);
  // Last of all that can fail, so that a start that fails creates no admin whose password
  // it shows and then forgets (a port in use, a policy the handlers do not match).
  const auto bootstrapped = bootstrap(config, *parts->store, notices);
  if (!bootstrapped) {
    return unexpected(std::vector<std::string>{fmt::format(
        "{}: error: cannot bootstrap the database: {}", database, bootstrapped.error())});
  }
  parts->reloader->watch(std::chrono::milliseconds(config.reload_interval_milliseconds));
  for (const auto& [directory, engine] :
       {std::pair{&config.policy_shadow_directory, parts->shadow_engine.get()},
        std::pair{&config.gateway_shadow_directory, parts->gateway_shadow_engine.get()}}) {
    if (engine == nullptr) continue;
    parts->shadow_reloaders.push_back(std::make_unique<PolicyReloader>(
        *directory, *engine, [](const Policy&) { return std::vector<std::string>{}; },
        parts->logger, fingerprint_policy_directory(*directory)));
    parts->shadow_reloaders.back()->watch(
        std::chrono::milliseconds(config.reload_interval_milliseconds));
  }
  if (parts->gateway_reloader) {
    parts->gateway_reloader->watch(std::chrono::milliseconds(config.reload_interval_milliseconds));
    parts->logger->info("gateway: forward-auth at {} (policy {})", config.gateway_path,
                        config.gateway_policy_directory);
  }
  parts->logger->info("database {}: {}", database, parts->store->describe());
  parts->logger->info("listening on {}:{} (policy {}, database {})", config.listen_host,
                      parts->http->port(), config.policy_directory, database);
  parts->logger->flush();
  return std::unique_ptr<Server>(new Server(std::move(parts)));
}

Server::Server(std::unique_ptr<Parts> parts) : m_parts(std::move(parts)) {}

Server::~Server() {
  // Order matters: no more reloads, sign-ins or requests (the sign-ins' answers go to
  // connections the HTTP server owns), then no more background writes, then the database.
  m_parts->reloader.reset();
  m_parts->gateway_reloader.reset();
  m_parts->shadow_reloaders.clear();
  m_parts->password_workers.reset();
  m_parts->http.reset();
  m_parts->sweeper.reset();
  m_parts->audit.reset();
  m_parts->gateway.reset();
  m_parts->app.reset();
  m_parts->store.reset();
  m_parts->logger->info("stopped; database closed");
  m_parts->logger->flush();
}

std::uint16_t Server::port() const noexcept { return m_parts->http->port(); }

void Server::run() {
  m_parts->http->run();
  m_parts->audit->flush();
}

ReloadOutcome Server::reload(std::string_view trigger) {
  auto outcome = m_parts->reloader->reload(trigger);
  if (!m_parts->gateway_reloader) return outcome;
  auto gateway = m_parts->gateway_reloader->reload(trigger);
  outcome.applied = outcome.applied && gateway.applied;
  outcome.problems.insert(outcome.problems.end(), gateway.problems.begin(), gateway.problems.end());
  return outcome;
}

PolicyReloader::Stats Server::reload_stats() const noexcept {
  auto stats = m_parts->reloader->stats();
  if (m_parts->gateway_reloader) {
    const auto gateway = m_parts->gateway_reloader->stats();
    stats.applied += gateway.applied;
    stats.refused += gateway.refused;
  }
  return stats;
}

HttpHandler Server::handler() const { return front_handler(*m_parts); }

void Server::stop() {
  m_parts->logger->info("stopping: draining requests in flight");
  m_parts->http->stop();
}

namespace {

sigset_t handled_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  return signals;
}

}  // namespace

void block_termination_signals() {
  const auto signals = handled_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

void serve_until_signal(Server& server) {
  std::thread watcher([&server] {
    const auto signals = handled_signals();
    int received = 0;
    while (sigwait(&signals, &received) == 0 && received == SIGHUP) server.reload("SIGHUP");
    server.stop();
  });
  server.run();
  if (watcher.joinable()) watcher.join();
}

}  // namespace scopegate::server
