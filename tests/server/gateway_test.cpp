// End-to-end: the forward-auth endpoint (server/gateway.hpp) over real HTTP, asked the
// way nginx, Caddy, Traefik and Envoy ask it, on the notes API of tests/server/gateway/.
// The same requests through a real nginx and a real Caddy: gateway_proxies_test.py.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "harness.hpp"
#include "server/config.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;
namespace fs = std::filesystem;

namespace {

const std::string notes_policy = SCOPEGATE_SOURCE_DIR "/tests/server/gateway";

Harness gateway_harness() {
  return Harness([](Harness& h) { h.config.gateway_policy_directory = notes_policy; });
}

// What nginx's auth_request sends: the original method and URI, and the client's headers.
Reply ask_nginx(const Harness& h, const std::string& method, const std::string& uri,
                std::map<std::string, std::string> headers = {}) {
  headers["X-Original-Method"] = method;
  headers["X-Original-URI"] = uri;
  return h.client().get("/authz", headers);
}

// `headers` with what Traefik's and Caddy's forward auth add: the original method and URI.
std::map<std::string, std::string> with_forwarded(std::map<std::string, std::string> headers,
                                                  const std::string& method,
                                                  const std::string& uri) {
  headers["X-Forwarded-Method"] = method;
  headers["X-Forwarded-Uri"] = uri;
  return headers;
}

std::string header(const Reply& reply, const std::string& name) {
  const auto found = reply.headers.find(name);
  return found == reply.headers.end() ? std::string("(absent)") : found->second;
}

void copy_directory(const fs::path& from, const fs::path& to) {
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

}  // namespace

TEST_CASE("gateway: a key with the scope is allowed, with what the upstream needs to know") {
  auto h = gateway_harness();
  const auto key = h.key({"notes:read", "sessions:read"});
  const auto reply = ask_nginx(h, "GET", "/v1/notes/42?full=1", with_key(key));
  CHECK(reply.status == 200);
  CHECK(reply.body.empty());
  CHECK(header(reply, "X-Scopegate-Endpoint") == "GET /v1/notes/{id}");
  CHECK(header(reply, "X-Scopegate-Params") == "id=42");
  // The gateway policy's scopes the key holds; sessions:read is the server's own.
  CHECK(header(reply, "X-Scopegate-Scopes") == "notes:read");
  const auto keys = h.client().get("/api/v1/api-keys", h.bearer()).json();
  CHECK(header(reply, "X-Scopegate-Key-Id") == keys[0].at("id").get<std::string>());
  // The same key still works on scopegate's own API.
  CHECK(h.client().get("/api/v1/sessions", with_key(key)).status == 200);
}

TEST_CASE("gateway: refusals have the server API's statuses and JSON bodies") {
  auto h = gateway_harness();
  const auto reader = h.key({"notes:read"});

  const auto no_key = ask_nginx(h, "GET", "/v1/notes");
  CHECK(no_key.status == 401);
  CHECK(no_key.json().at("message") == "authentication required");
  CHECK(no_key.json().at("path") == "/v1/notes");
  CHECK(header(no_key, "WWW-Authenticate").find("Bearer") != std::string::npos);

  CHECK(ask_nginx(h, "GET", "/v1/notes", with_key("egk_live_not-a-key")).status == 401);

  const auto no_scope = ask_nginx(h, "POST", "/v1/notes", with_key(reader));
  CHECK(no_scope.status == 403);
  CHECK(
      no_scope.body ==
      R"({"error":"Insufficient permissions","message":"API key does not have required scope: notes:write"})");
  CHECK(header(no_scope, "X-Scopegate-Scopes") == "(absent)");

  const auto unknown = ask_nginx(h, "GET", "/v1/elsewhere", with_key(reader));
  CHECK(unknown.status == 404);
  CHECK(unknown.json().at("path") == "/v1/elsewhere");

  const auto wrong_method = ask_nginx(h, "PUT", "/v1/notes/1", with_key(reader));
  CHECK(wrong_method.status == 405);
  CHECK(header(wrong_method, "Allow") == "GET, DELETE");

  const auto bad_path = ask_nginx(h, "GET", "/v1/notes/../admin", with_key(reader));
  CHECK(bad_path.status == 400);
}

TEST_CASE("gateway: public routes need no credentials and carry empty caller headers") {
  auto h = gateway_harness();
  const auto reply = ask_nginx(h, "GET", "/v1/status");
  CHECK(reply.status == 200);
  CHECK(header(reply, "X-Scopegate-Endpoint") == "GET /v1/status");
  CHECK(header(reply, "X-Scopegate-Scopes").empty());
  CHECK(header(reply, "X-Scopegate-Key-Id").empty());
  CHECK(header(reply, "X-Scopegate-User-Id").empty());
}

TEST_CASE("gateway: Traefik's and Caddy's headers, Envoy's path prefix, and neither") {
  auto h = gateway_harness();
  const auto writer = h.key({"notes:write"});

  // Traefik and Caddy: X-Forwarded-Method and X-Forwarded-Uri, any method on /authz.
  const auto forwarded =
      h.client().send("POST", "/authz", with_forwarded(with_key(writer), "DELETE", "/v1/notes/9"));
  CHECK(forwarded.status == 200);
  CHECK(header(forwarded, "X-Scopegate-Endpoint") == "DELETE /v1/notes/{id}");
  CHECK(header(forwarded, "X-Scopegate-Params") == "id=9");

  // Envoy's ext_authz with path_prefix "/authz": the original method, the path below it.
  const auto envoy = h.client().send("DELETE", "/authz/v1/notes/9", with_key(writer));
  CHECK(envoy.status == 200);
  CHECK(header(envoy, "X-Scopegate-Endpoint") == "DELETE /v1/notes/{id}");
  CHECK(h.client().send("GET", "/authz/v1/notes/9", with_key(writer)).status == 403);

  // A request at /authz that says nothing about the original one.
  const auto bare = h.client().get("/authz", with_key(writer));
  CHECK(bare.status == 400);
  CHECK(bare.json().at("message").get<std::string>().find("X-Original-URI") != std::string::npos);
  // /authzfoo is not the gateway's: the server's own API answers (no such route).
  CHECK(h.client().get("/authzfoo", with_key(writer)).status == 404);
}

TEST_CASE("gateway: a client's copy of the other proxy's headers is refused, not believed") {
  auto h = gateway_harness();
  const auto reader = h.key({"notes:read"});
  // Through Caddy a client sends DELETE /v1/notes/1 and adds nginx's pair, naming a read:
  // Caddy sets its own pair and passes the client's on. Which pair is the proxy's?
  auto both = with_forwarded(with_key(reader), "DELETE", "/v1/notes/1");
  both["X-Original-Method"] = "GET";
  both["X-Original-URI"] = "/v1/notes/1";
  const auto refused = h.client().get("/authz", both);
  CHECK(refused.status == 400);
  CHECK(refused.json().at("message").get<std::string>().find("not both") != std::string::npos);
  // One header of the other pair is enough; so through nginx, the other way round.
  auto one = with_key(reader);
  one["X-Original-Method"] = "GET";
  one["X-Original-URI"] = "/v1/notes/1";
  one["X-Forwarded-Uri"] = "/v1/status";
  CHECK(h.client().get("/authz", one).status == 400);
  // A header of the pair twice, and a method that is no HTTP token, are refused too.
  const auto twice =
      h.client().raw_status("GET /authz HTTP/1.1\r\nHost: x\r\nX-API-Key: " + reader +
                            "\r\nX-Original-Method: GET\r\nX-Original-URI: /v1/status\r\n"
                            "X-Original-URI: /v1/notes/1\r\nConnection: close\r\n\r\n");
  CHECK(twice == 400);
  CHECK(ask_nginx(h, "GET principal=admin", "/v1/notes/1", with_key(reader)).status == 400);
  // Methods are case-sensitive; a framework that upper-cases `delete` runs a DELETE.
  CHECK(ask_nginx(h, "delete", "/v1/notes/1", with_key(reader)).status == 400);
  CHECK(ask_nginx(h, "GET", "/v1/notes/1", with_key(reader)).status == 200);
  auto forwarded_twice =
      h.client().raw_status("GET /authz HTTP/1.1\r\nHost: x\r\nX-API-Key: " + reader +
                            "\r\nX-Forwarded-Method: GET\r\nX-Forwarded-Method: DELETE\r\n"
                            "X-Forwarded-Uri: /v1/notes/1\r\nConnection: close\r\n\r\n");
  CHECK(forwarded_twice == 400);
}

TEST_CASE("gateway: a request carrying a method override or a URL rewrite header is refused") {
  auto h = gateway_harness();
  const auto writer = h.key({"notes:write"});
  // Symfony, Laravel and Rack::MethodOverride run this POST as a DELETE; older Symfony,
  // Zend and IIS URL Rewrite take the URL from X-Original-URL or X-Rewrite-URL.
  for (const std::string name : {"X-HTTP-Method-Override", "X-Method-Override", "X-HTTP-Method",
                                 "X-Original-URL", "X-Rewrite-URL"}) {
    auto headers = with_key(writer);
    headers[name] = name.find("URL") == std::string::npos ? "DELETE" : "/v1/notes/1";
    const auto nginx = ask_nginx(h, "POST", "/v1/notes", headers);
    CHECK(nginx.status == 400);
    CHECK(nginx.json().at("message").get<std::string>().find("the proxy must remove it") !=
          std::string::npos);
    // Envoy's way too: the original request below the gateway path.
    CHECK(h.client().send("POST", "/authz/v1/notes", headers).status == 400);
  }
  CHECK(ask_nginx(h, "POST", "/v1/notes", with_key(writer)).status == 200);
}

TEST_CASE("gateway: X-Scopegate-Params holds each value decoded, then encoded as in a query") {
  auto h = gateway_harness();
  const auto reader = h.key({"notes:read"});
  // A segment may hold & and = as they are: they must not make a second parameter.
  const auto injected = ask_nginx(h, "GET", "/v1/notes/1&owner=admin", with_key(reader));
  REQUIRE(injected.status == 200);
  CHECK(header(injected, "X-Scopegate-Params") == "id=1%26owner%3Dadmin");
  const auto encoded = ask_nginx(h, "GET", "/v1/notes/a%20b%C3%A9~x", with_key(reader));
  REQUIRE(encoded.status == 200);
  CHECK(header(encoded, "X-Scopegate-Params") == "id=a%20b%C3%A9~x");
}

TEST_CASE("gateway: a revoked key is refused on its next request") {
  auto h = gateway_harness();
  const auto token = h.bearer();
  const auto key = h.key({"notes:read"});
  REQUIRE(ask_nginx(h, "GET", "/v1/notes", with_key(key)).status == 200);
  const auto id = h.client().get("/api/v1/api-keys", token).json()[0].at("id").get<std::string>();
  REQUIRE(h.client().send("DELETE", "/api/v1/api-keys/" + id, token).status == 204);
  const auto refused = ask_nginx(h, "GET", "/v1/notes", with_key(key));
  CHECK(refused.status == 401);
  CHECK(refused.json().at("message") == "API key has been revoked");
}

TEST_CASE("gateway: a signed-in user is judged by the gateway policy's role") {
  auto h = gateway_harness();
  const auto reply = ask_nginx(h, "POST", "/v1/notes", h.bearer());
  CHECK(reply.status == 200);
  CHECK(header(reply, "X-Scopegate-Scopes") == "notes:read notes:write");
  const auto me = h.client().get("/api/v1/auth/me", h.bearer()).json();
  CHECK(header(reply, "X-Scopegate-User-Id") == me.at("id").get<std::string>());
  CHECK(header(reply, "X-Scopegate-Key-Id").empty());
}

TEST_CASE("gateway: keys may hold scopes of both policies, and only scopes one defines") {
  auto h = gateway_harness();
  const auto token = h.bearer();
  const auto both = nlohmann::json{{"name", "both"}, {"scopes", {"notes:write", "sessions:read"}}};
  CHECK(h.client().post("/api/v1/api-keys", both, token).status == 201);
  const auto unknown = nlohmann::json{{"name", "typo"}, {"scopes", {"notes:wrte"}}};
  const auto refused = h.client().post("/api/v1/api-keys", unknown, token);
  CHECK(refused.status == 400);
  CHECK(refused.json().at("validationErrors").at("scopes") == "unknown scope: notes:wrte");
}

TEST_CASE("gateway: a key's refusal is audited and its rate limit counts gateway requests") {
  auto h = Harness([](Harness& harness) {
    harness.config.gateway_policy_directory = notes_policy;
    harness.config.rate_limit_requests_per_minute = 60;
    harness.config.rate_limit_burst = 2;
  });
  const auto token = h.bearer();
  const auto key = h.key({"notes:read", "audit:read"});
  CHECK(ask_nginx(h, "POST", "/v1/notes", with_key(key)).status == 403);
  CHECK(eventually([&] {
    const auto denied = h.client().get("/api/v1/audit-logs?eventType=ACCESS_DENIED", token).json();
    return denied.at("totalElements") == 1 &&
           denied.at("content")[0].at("resourceName") == "POST /v1/notes" &&
           denied.at("content")[0].at("errorMessage") ==
               "API key does not have required scope: notes:write";
  }));
  // The burst of 2 is spent (one above): the server's own API and the gateway share it.
  CHECK(h.client().get("/api/v1/sessions", with_key(key)).status == 403);
  const auto limited = ask_nginx(h, "GET", "/v1/notes", with_key(key));
  CHECK(limited.status == 429);
  CHECK(header(limited, "Retry-After") != "(absent)");
}

TEST_CASE("gateway: a scope defined in both policies stops the server, naming both") {
  TempDir clash;
  write_file(clash.path() / "api.policy",
             "scope sessions:read {\n  GET /v1/sessions\n}\nrole admin { scopes * }\n");
  const auto all = start_refusal(
      clash, [&](Config& config) { config.gateway_policy_directory = clash.path().string(); });
  CHECK(all.find("api.policy:1:7: error: scope `sessions:read` is defined in both") !=
        std::string::npos);
  CHECK(all.find("policies/api.policy:") != std::string::npos);  // the server's definition
}

TEST_CASE("gateway: the gateway policy is hot reloaded, and only when it passes its tests") {
  TempDir policies;
  copy_directory(notes_policy, policies.path());
  auto h = Harness([&](Harness& harness) {
    harness.config.gateway_policy_directory = policies.path().string();
    harness.config.reload_interval_milliseconds = 100;
  });
  const auto reader = h.key({"notes:read"});
  REQUIRE(ask_nginx(h, "GET", "/v1/notes/1/history", with_key(reader)).status == 404);
  const auto original = read_file(policies.path() / "notes.policy");
  const std::string with_history = "GET /v1/notes/{id}/history\n  GET /v1/notes/{id}  ";

  // An edit that breaks the policy's own tests (notes:read no longer reads a note).
  auto broken = original;
  broken.replace(broken.find("GET /v1/notes/{id}"), 18, "GET /v1/notez/{id}");
  write_file(policies.path() / "notes.policy", broken);
  REQUIRE(eventually([&] { return h.server->reload_stats().refused == 1; }));
  CHECK(ask_nginx(h, "GET", "/v1/notes/1", with_key(reader)).status == 200);
  CHECK(read_file(h.config.log_file).find("refused: the policy tests fail") != std::string::npos);

  // A scope that the server's policy defines too.
  write_file(policies.path() / "notes.policy",
             original + "\nscope sessions:read {\n  GET /v1/mine\n}\n");
  REQUIRE(eventually([&] { return h.server->reload_stats().refused == 2; }));
  CHECK(read_file(h.config.log_file).find("is defined in both") != std::string::npos);

  // A good edit is applied.
  auto good = original;
  good.replace(good.find("GET /v1/notes/{id}"), 18, with_history);
  write_file(policies.path() / "notes.policy", good);
  REQUIRE(eventually([&] { return h.server->reload_stats().applied == 1; }));
  const auto reply = ask_nginx(h, "GET", "/v1/notes/1/history", with_key(reader));
  CHECK(reply.status == 200);
  CHECK(header(reply, "X-Scopegate-Endpoint") == "GET /v1/notes/{id}/history");
}
