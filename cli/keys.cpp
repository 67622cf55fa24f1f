// `scopegate keys create --db PATH --email USER --name NAME (--scopes "a b" | --scope NAME...)
// [--expires 30d]
// [--allowed-cidrs 10.0.0.0/8,192.0.2.1] [--gateway-policies DIR]`:
// issues an API key offline (bootstrap, CI), with the same validation as
// POST /api/v1/api-keys. The key is printed once, alone on stdout; a summary goes to
// stderr. Only its hash is stored.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "commands.hpp"
#include "explain_request.hpp"
#include "output.hpp"
#include "server/clock.hpp"
#include "server/offline_keys.hpp"

namespace scopegate::cli {

namespace {

struct KeysCreateOptions {
  std::string database = "./scopegate.db";
  std::string policies = "./policies";
  std::string gateway_policies;
  std::string organization = "default";
  std::string email;
  std::string name;
  std::string scopes;                    // --scopes: spaces or commas between names
  std::vector<std::string> scope_names;  // --scope, one name each
  std::string expires;
  std::vector<std::string> allowed_cidrs;
};

Exit run_keys_create(const KeysCreateOptions& options) {
  server::OfflineKeyRequest request;
  request.database_path = options.database;
  request.policy_directory = options.policies;
  request.gateway_policy_directory = options.gateway_policies;
  request.organization_slug = options.organization;
  request.email = options.email;
  request.name = options.name;
  request.scopes = split_scope_list(options.scopes);
  request.scopes.insert(request.scopes.end(), options.scope_names.begin(),
                        options.scope_names.end());
  request.allowed_cidrs = options.allowed_cidrs;
  if (!options.expires.empty()) request.expires = options.expires;
  create_files_owner_only();
  const auto issued = server::create_key_offline(request);
  if (!issued) {
    for (const auto& message : issued.error()) std::cerr << message << '\n';
    return Exit::policy_error;
  }
  std::string scopes;
  for (const auto& scope : issued->key.scopes) scopes += scopes.empty() ? scope : " " + scope;
  std::string allowed;
  for (const auto& range : issued->key.allowed_cidrs)
    allowed += allowed.empty() ? range : " " + range;
  std::cerr << fmt::format(
      "created API key `{}` ({}) for {} with scopes: {}{}{}\n"
      "the key is printed below once; store it now, it cannot be shown again\n",
      issued->key.name, issued->key.key_prefix, options.email, scopes,
      issued->key.expires_at
          ? fmt::format(", expiring {}", server::wire_time(*issued->key.expires_at))
          : "",
      allowed.empty() ? "" : fmt::format(", usable from: {}", allowed));
  std::cout << issued->plaintext << '\n';
  return Exit::ok;
}

}  // namespace

void add_keys_command(CLI::App& app, Outcome& outcome) {
  auto options = std::make_shared<KeysCreateOptions>();
  auto* keys = app.add_subcommand("keys", "Manage API keys offline");
  keys->require_subcommand(1);
  auto* create = keys->add_subcommand("create", "Create an API key and print it once");
  create->add_option("--db", options->database, "SQLite database file or postgresql:// URI")
      ->capture_default_str();
  create->add_option("--policies", options->policies, "policy directory")->capture_default_str();
  create->add_option("--gateway-policies", options->gateway_policies,
                     "the gateway policy directory, whose scopes a key may hold too");
  create->add_option("--org", options->organization, "organization slug")->capture_default_str();
  create->add_option("--email", options->email, "the user the key acts as")->required();
  create->add_option("--name", options->name, "a name for the key")->required();
  CLI::Option* scopes = create->add_option(
      "--scopes", options->scopes,
      "the key's scopes, separated by spaces (an OAuth scope string) or commas, e.g. "
      "\"sessions:read sessions:write\"");
  CLI::Option* scope = add_scope_option(*create, options->scope_names,
                                        "one scope of the key, its name as written (repeatable)");
  create->add_option("--expires", options->expires, "lifetime (30d, 12h, 45m) or an ISO-8601 time");
  create
      ->add_option("--allowed-cidrs", options->allowed_cidrs,
                   "comma-separated addresses or CIDR ranges the key may be used from "
                   "(default: anywhere), e.g. 10.0.0.0/8,192.0.2.1")
      ->delimiter(',');
  create->callback([options, scopes, scope, &outcome] {
    if (scopes->count() == 0 && scope->count() == 0) {
      throw CLI::RequiredError("--scopes or --scope");
    }
    outcome.exit = run_keys_create(*options);
  });
}

}  // namespace scopegate::cli
