// `scopegate serve [--config FILE] [--listen HOST:PORT] [--db PATH|URL] [--policies DIR]
// [--gateway-policies DIR] [--shadow-policies DIR] [--gateway-shadow-policies DIR]`: runs the
// bundled HTTP server (and, with a gateway policy, the forward-auth endpoint of docs/gateway.md)
// until SIGINT/SIGTERM; SIGHUP (and, unless `policy.reload_interval_milliseconds` is 0, a change to
// the policy directory) reloads the policy, keeping the last good one if the new one fails.
// Settings come from --config, else
// ./scopegate.toml when it exists, else the defaults; the flags override them. Any
// configuration, policy or database problem is printed and the server does not start.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "server/server.hpp"

namespace scopegate::cli {

namespace {

struct ServeOptions {
  std::string config;
  std::string listen;
  std::string database;
  std::string policies;
  std::string gateway_policies;
  std::string shadow_policies;
  std::string gateway_shadow_policies;
};

constexpr std::string_view default_config_file = "scopegate.toml";

Exit run_serve(const ServeOptions& options) {
  using namespace scopegate::server;
  Result<Config, ConfigError> config = Config{};
  if (!options.config.empty()) {
    config = load_config(options.config);
  } else if (std::error_code ignored; std::filesystem::exists(default_config_file, ignored)) {
    config = load_config(std::string(default_config_file));
  }
  Overrides overrides;
  if (!options.listen.empty()) overrides.listen = options.listen;
  if (!options.database.empty()) overrides.database_path = options.database;
  if (!options.policies.empty()) overrides.policy_directory = options.policies;
  if (!options.gateway_policies.empty()) {
    overrides.gateway_policy_directory = options.gateway_policies;
  }
  if (!options.shadow_policies.empty()) overrides.policy_shadow_directory = options.shadow_policies;
  if (!options.gateway_shadow_policies.empty()) {
    overrides.gateway_shadow_directory = options.gateway_shadow_policies;
  }
  if (config) config = apply_overrides(std::move(*config), overrides);
  if (!config) {
    for (const auto& message : config.error().messages) std::cerr << message << '\n';
    std::cerr << "scopegate: the server was not started\n";
    return Exit::policy_error;
  }
  block_termination_signals();
  create_files_owner_only();
  auto server = Server::start(*config, std::cout);
  if (!server) {
    for (const auto& message : server.error()) std::cerr << message << '\n';
    std::cerr << "scopegate: the server was not started\n";
    return Exit::policy_error;
  }
  std::cout << fmt::format("scopegate: listening on http://{}:{}\n", config->listen_host,
                           (*server)->port())
            << std::flush;
  serve_until_signal(**server);
  server->reset();
  std::cout << "scopegate: stopped\n";
  return Exit::ok;
}

}  // namespace

void add_serve_command(CLI::App& app, Outcome& outcome) {
  auto options = std::make_shared<ServeOptions>();
  auto* command = app.add_subcommand("serve", "Run the bundled HTTP server (the EntryGuard API)");
  command->add_option("--config", options->config,
                      "TOML configuration file (default: ./scopegate.toml when present)");
  command->add_option("--listen", options->listen,
                      "HOST:PORT to listen on (default 127.0.0.1:8080)");
  command->add_option("--db", options->database,
                      "SQLite database file or postgresql:// URI (default ./scopegate.db)");
  command->add_option("--policies", options->policies, "policy directory (default ./policies)");
  command->add_option("--gateway-policies", options->gateway_policies,
                      "a protected API's policy directory: answer a reverse proxy's "
                      "forward-auth requests at /authz (docs/gateway.md)");
  command->add_option("--shadow-policies", options->shadow_policies,
                      "a candidate policy that judges every request beside the live one, "
                      "counted and logged, never answering (docs/gateway.md)");
  command->add_option("--gateway-shadow-policies", options->gateway_shadow_policies,
                      "the same for the gateway policy");
  command->callback([options, &outcome] { outcome.exit = run_serve(*options); });
}

}  // namespace scopegate::cli
