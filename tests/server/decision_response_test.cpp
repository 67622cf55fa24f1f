// What a client receives for each way a request is refused: one row per Reason the
// engine can give, plus the refusals of authentication. The table must name every
// Reason; a new one fails the last check until it has its row.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "scopegate/dsl.hpp"
#include "scopegate/engine.hpp"
#include "server/auth.hpp"
#include "server/decision_response.hpp"

using namespace scopegate::server;
using scopegate::Reason;

namespace {

const char* const policy_text = R"(
public {
  GET /healthz
}
scope items:read {
  GET /items/{id}
  GET /reports  when request.ip in [10.0.0.0/8]
}
scope other:read {
  GET /other
}
user scope items:manage {
  DELETE /items/{id}
}
role viewer {
  scopes items:read
}
forbid GET /items/secret when principal.kind == "api_key" {
  message "Secret items are not for API keys"
}
)";

std::optional<std::string> header(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

enum class Body { exact_403, general };
struct ReasonRow {
  const char* note;
  Reason reason;
  const char* principal;  // "anonymous", "key: SCOPE", "role: ROLE"
  Caller caller;
  const char* method;
  const char* path;
  int status;
  Body body;
  const char* message;
  std::vector<std::pair<std::string, std::string>> headers;  // that must be present
};

}  // namespace

TEST_CASE("every refusal the engine can give becomes the status, body and headers API.md asks") {
  auto policy = scopegate::compile_source("refusals.policy", policy_text);
  REQUIRE(policy);
  const std::vector<ReasonRow> rows = {
      {"a bad path is 400 with what is wrong with it",
       Reason::invalid_path,
       "anonymous",
       Caller::anonymous,
       "GET",
       "/items/%zz",
       400,
       Body::general,
       "Path contains invalid percent-encoding",
       {}},
      {"nobody on a scoped endpoint is 401 with the challenge",
       Reason::unauthenticated,
       "anonymous",
       Caller::anonymous,
       "GET",
       "/items/1",
       401,
       Body::general,
       "Authentication required",
       {{"WWW-Authenticate", std::string(www_authenticate_challenge)}}},
      {"a key on a user-only endpoint gets the exact 403 body",
       Reason::api_key_not_supported,
       "key: items:read",
       Caller::api_key,
       "DELETE",
       "/items/1",
       403,
       Body::exact_403,
       "API key authentication is not supported for this endpoint",
       {}},
      {"a key without the scope gets the exact 403 body naming it",
       Reason::missing_scope,
       "key: other:read",
       Caller::api_key,
       "GET",
       "/items/1",
       403,
       Body::exact_403,
       "API key does not have required scope: items:read",
       {}},
      {"a user without the scope gets the general 403 body",
       Reason::missing_scope,
       "role: nobody",
       Caller::user,
       "GET",
       "/items/1",
       403,
       Body::general,
       nullptr,
       {}},
      {"a key whose grant's condition fails gets the exact 403 body",
       Reason::condition_failed,
       "key: items:read",
       Caller::api_key,
       "GET",
       "/reports",
       403,
       Body::exact_403,
       nullptr,
       {}},
      {"a forbid rule refuses with its own message",
       Reason::forbidden,
       "key: items:read",
       Caller::api_key,
       "GET",
       "/items/secret",
       403,
       Body::exact_403,
       "Secret items are not for API keys",
       {}},
      {"no endpoint is 404 with the engine's text",
       Reason::no_route,
       "key: items:read",
       Caller::api_key,
       "GET",
       "/nothing",
       404,
       Body::general,
       "No endpoint matches this path",
       {}},
      {"a path without the method is 405 with Allow",
       Reason::method_not_allowed,
       "key: items:read",
       Caller::api_key,
       "POST",
       "/items/1",
       405,
       Body::general,
       "Method not allowed for this path",
       {{"Allow", "GET, DELETE"}}},
  };
  std::set<Reason> covered;
  for (const auto& row : rows) {
    DYNAMIC_SECTION(row.note) {
      const std::string who = row.principal;
      scopegate::Principal principal;
      if (who.rfind("key: ", 0) == 0) principal = policy->principal_for_key({who.substr(5)});
      if (who.rfind("role: ", 0) == 0) principal = policy->principal_for_role(who.substr(6));
      scopegate::Request request;
      request.method = row.method;
      request.target = row.path;
      request.ip = scopegate::parse_ip("192.0.2.7");
      const auto decision = policy->decide(principal, request);
      REQUIRE(decision.reason() == row.reason);

      const auto response = refusal_response(decision, row.caller, row.path);
      CHECK(response.status == row.status);
      CHECK(response.content_type == "application/json");
      const auto body = nlohmann::json::parse(response.body);
      if (row.body == Body::exact_403) {
        CHECK(body.size() == 2);
        CHECK(body.at("error") == "Insufficient permissions");
      } else {
        CHECK(body.at("status") == row.status);
        CHECK(body.at("path") == row.path);
        CHECK(body.contains("timestamp"));
        CHECK(body.contains("error"));
      }
      // The body's message is the decision's, whichever it is.
      CHECK(body.at("message") == std::string(decision.message()));
      if (row.message != nullptr) CHECK(body.at("message") == row.message);
      for (const auto& [name, value] : row.headers) CHECK(header(response, name) == value);
      if (row.status != 405) CHECK_FALSE(header(response, "Allow"));
      if (row.status != 401) CHECK_FALSE(header(response, "WWW-Authenticate"));
    }
    covered.insert(row.reason);
  }
  // An allowed decision is no refusal: answering one fails closed, never through.
  const auto allowed = policy->decide({}, "GET", "/healthz");
  REQUIRE(allowed.allowed());
  CHECK(refusal_response(allowed, Caller::anonymous, "/healthz").status == 500);
  covered.insert(Reason::allowed);

  // An Engine with no policy loaded refuses everyone alike: 503, the general body.
  const scopegate::Engine empty;
  const auto unloaded = empty.decide(policy->principal_for_key({"items:read"}), "GET", "/items/1");
  REQUIRE(unloaded.reason() == Reason::no_policy);
  const auto unavailable = refusal_response(unloaded, Caller::api_key, "/items/1");
  CHECK(unavailable.status == 503);
  const auto unavailable_body = nlohmann::json::parse(unavailable.body);
  CHECK(unavailable_body.at("status") == 503);
  CHECK(unavailable_body.at("message") == "No policy is loaded");
  CHECK(unavailable_body.at("path") == "/items/1");
  covered.insert(Reason::no_policy);

  for (int reason = 0; reason <= static_cast<int>(Reason::no_policy); ++reason) {
    INFO("reason " << scopegate::to_string(static_cast<Reason>(reason)));
    CHECK(covered.count(static_cast<Reason>(reason)) == 1);
  }
}

TEST_CASE("a failed credential is 401 with the challenge, a store failure 500 without") {
  const auto refused = authentication_refusal(AuthFailure{401, "API key has been revoked"}, "/x");
  CHECK(refused.status == 401);
  CHECK(header(refused, "WWW-Authenticate") == std::string(www_authenticate_challenge));
  CHECK(nlohmann::json::parse(refused.body).at("message") == "API key has been revoked");

  const auto failed =
      authentication_refusal(AuthFailure{500, "authentication is unavailable"}, "/x");
  CHECK(failed.status == 500);
  CHECK_FALSE(header(failed, "WWW-Authenticate"));
}
