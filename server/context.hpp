// What a handler sees: the request, the engine's decision, the authenticated actor, the
// parsed JSON body, the client's address, and the services it may use. HandlerTable is
// the server's side of "the engine is the router": one handler per policy endpoint,
// keyed by method and template exactly as the policy writes them.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/logger.h>
#include <nlohmann/json.hpp>

#include "scopegate/decision.hpp"
#include "scopegate/engine.hpp"
#include "scopegate/method.hpp"
#include "server/config.hpp"
#include "server/http.hpp"
#include "server/store/records.hpp"

namespace scopegate::server {

class Store;
class AuditWriter;
class FirewallProvider;
class Sweeper;
class WorkerPool;
class LoginThrottle;
class AttemptLimiter;
class Metrics;
class Secrets;

enum class ActorKind { user, api_key };

// Who is calling. A key acts as its creator (`user`) within the creator's organization.
struct Actor {
  ActorKind kind = ActorKind::user;
  User user;
  Organization organization;
  std::optional<ApiKey> key;

  bool is_admin() const { return user.role == "admin"; }
  // What logs show: the key prefix or the user id, never a secret.
  std::string label() const;
  std::string_view actor_type() const { return kind == ActorKind::api_key ? "API_KEY" : "USER"; }
};

struct Services {
  const Config& config;
  Store& store;
  Engine& engine;
  AuditWriter& audit;
  FirewallProvider& provider;
  Sweeper* sweeper = nullptr;
  std::shared_ptr<spdlog::logger> logger;
  // Password sign-in (handlers/auth.cpp): Argon2id runs on these workers, never on the
  // threads that serve requests, and failed sign-ins are throttled.
  WorkerPool& password_workers;
  LoginThrottle& login_throttle;
  // The gateway policy (server/gateway.hpp), when one is loaded: keys may hold its scopes.
  const Engine* gateway_engine = nullptr;
  Metrics* metrics = nullptr;  // what /metrics shows; null: nothing is counted
  // The key that seals stored secrets (server/secrets.hpp); null: handlers that need it
  // answer 503.
  const Secrets* secrets = nullptr;
  // POST /auth/register's attempts per client address (handlers/register.cpp).
  AttemptLimiter* registration_limiter = nullptr;
  // POST /auth/forgot-password's requests per account and per client address
  // (handlers/passwords.cpp).
  AttemptLimiter* reset_limiter = nullptr;
  // What a sign-in with an unknown email is checked against (handlers/auth.cpp): a hash made
  // at start at the configured cost, so that a failed sign-in takes as long whether or not
  // the email is known (hashes stored at another cost aside: a stored hash keeps its own).
  std::string decoy_password_hash = {};
};

struct RequestContext {
  const HttpRequest& request;
  const Decision& decision;
  const Actor* actor = nullptr;          // null on public endpoints
  const nlohmann::json* body = nullptr;  // null when the request had no body
  std::string client_ip;
  Services& services;

  // The path parameter `name`, percent-decoded.
  std::string param(std::string_view name) const;
  // A query parameter, percent-decoded; nullopt when absent.
  std::optional<std::string> query(std::string_view name) const;
  // An audit entry stamped with this request's actor, organization, address and time.
  // AuditId::when_written leaves the id empty for the AuditWriter to fill in when it
  // writes the entry (a denial coalesced into another one never needs an id).
  enum class AuditId { now, when_written };
  AuditEntry audit(std::string_view event_type, AuditId id = AuditId::now) const;
};

using Handler = std::function<HttpResponse(RequestContext&)>;

class HandlerTable {
 public:
  void add(Method method, std::string path_template, Handler handler);
  const Handler* find(Method method, std::string_view path_template) const;
  // Every mismatch between the table and the policy, one message each; empty when every
  // policy endpoint has a handler and every handler a policy endpoint.
  std::vector<std::string> check_against(const Policy& policy) const;

 private:
  struct Entry {
    Method method;
    std::string path_template;
    Handler handler;
  };
  std::vector<Entry> m_entries;
  std::map<std::string, std::array<const Handler*, method_count>, std::less<>> m_index;
};

}  // namespace scopegate::server
