// A request that waits for a password worker (on_password_worker(), handlers/accounts.hpp)
// is authenticated and decided again when a worker takes it: what changed about its caller
// while it waited counts. The server's own pool cannot be held still from outside, so the
// request goes through on_password_worker() with a pool this test holds, on the services a
// second instance on the same database would have; the users and their sessions are made
// through the real server (Harness), and the changes too.
#include <catch2/catch.hpp>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <future>

#include "admin_fixture.hpp"
#include "scopegate/dsl.hpp"
#include "server/audit_writer.hpp"
#include "server/auth.hpp"
#include "server/authorizer.hpp"
#include "server/handlers/accounts.hpp"
#include "server/json.hpp"
#include "server/login_throttle.hpp"
#include "server/provider.hpp"
#include "server/worker_pool.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

// Services as a second instance on the Harness's database has them, with one password
// worker that the test can keep busy.
struct SecondInstance {
  explicit SecondInstance(Harness& h)
      : store(h.open_store()),
        engine([&h] {
          auto policy = scopegate::compile_files({h.config.policy_directory});
          REQUIRE(policy);
          return std::move(*policy);
        }()),
        logger(std::make_shared<spdlog::logger>("password-worker-test",
                                                std::make_shared<spdlog::sinks::null_sink_mt>())),
        audit(*store, std::chrono::milliseconds(100), logger),
        provider(make_immediate_provider()),
        workers(1, 4),
        throttle({}),
        services{h.config, *store, engine, audit, *provider, nullptr, logger, workers, throttle} {}

  // What the work saw, when it ran.
  struct Outcome {
    HttpResponse answer;
    bool ran = false;
    std::string actor_name;
  };

  // `method` `target` by `caller`, judged and admitted as App::run does, handed to
  // on_password_worker() while the worker is busy; `meanwhile` runs before the worker is
  // freed.
  Outcome waited(const std::string& method, const std::string& target, const Headers& caller,
                 const std::function<void()>& meanwhile) {
    HttpRequest request;
    request.method = method;
    request.target = target;
    request.path = target;
    for (const auto& [name, value] : caller) {
      std::string lowercase = name;
      for (auto& c : lowercase) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.emplace_back(lowercase, value);
    }
    const auto policy = engine.policy();
    const auto authenticated = authenticate(request, *store, *policy);
    REQUIRE(authenticated);
    std::vector<scopegate::Header> headers;
    const auto facts =
        request_facts(request.method, request.target, "127.0.0.1", request, headers, now());
    const auto decision = policy->decide(*authenticated->principal, facts);
    REQUIRE(decision.allowed());
    RequestContext context{request, decision,    authenticated->actor.get(),
                           nullptr, "127.0.0.1", services};

    // Shared with the jobs, which may outlive this call if a REQUIRE below fails.
    auto release = std::make_shared<std::promise<void>>();
    auto seen = std::make_shared<Outcome>();
    auto answered = std::make_shared<std::promise<void>>();
    REQUIRE(workers.try_submit([freed = release->get_future().share()] { freed.wait(); }));
    auto response = on_password_worker(context, "tests", [seen](RequestContext& deferred) {
      seen->ran = true;
      if (deferred.actor != nullptr) seen->actor_name = deferred.actor->user.name;
      return json_response(201, Json::object());
    });
    REQUIRE(response.later);
    response.later([seen, answered](HttpResponse given) {
      seen->answer = std::move(given);
      answered->set_value();
    });
    struct Release {
      std::shared_ptr<std::promise<void>> release;
      ~Release() { release->set_value(); }
    };
    {
      const Release freed{release};
      meanwhile();
    }
    answered->get_future().wait();
    return *seen;
  }

  std::unique_ptr<Store> store;
  scopegate::Engine engine;
  std::shared_ptr<spdlog::logger> logger;
  AuditWriter audit;
  std::unique_ptr<FirewallProvider> provider;
  WorkerPool workers;
  LoginThrottle throttle;
  Services services;
};

std::string id_of(Harness& h, const Headers& user) {
  return h.client().get("/api/v1/auth/me", user).json().at("id").get<std::string>();
}

std::string message_of(const HttpResponse& response) {
  return Json::parse(response.body).at("message").get<std::string>();
}

}  // namespace

TEST_CASE(
    "e2e: a request that waited for a password worker is refused if its caller was "
    "disabled, deleted, demoted or its key revoked meanwhile") {
  Harness h;
  const auto admin = h.bearer();
  SecondInstance second(h);
  const auto sender = h.signed_in("sender@localhost", "admin");
  const auto path = "/api/v1/users/" + id_of(h, sender);
  const std::string creation = "/api/v1/users";

  SECTION("unchanged: the work runs, with the caller as it is now") {
    const auto outcome = second.waited("POST", creation, sender, [&] {
      REQUIRE(patch(h, path, {{"name", "Renamed"}}, admin).status == 200);
    });
    CHECK(outcome.answer.status == 201);
    CHECK(outcome.answer.later_reason.empty());
    CHECK(outcome.ran);
    CHECK(outcome.actor_name == "Renamed");
  }
  SECTION("disabled: 401, as any request of a disabled user") {
    const auto outcome = second.waited("POST", creation, sender, [&] {
      REQUIRE(patch(h, path, {{"isActive", false}}, admin).status == 200);
    });
    CHECK(outcome.answer.status == 401);
    CHECK(message_of(outcome.answer) == "user account is disabled");
    CHECK(outcome.answer.later_reason == "unauthenticated");
    CHECK_FALSE(outcome.ran);
  }
  SECTION("deleted: 401") {
    const auto outcome = second.waited("POST", creation, sender, [&] {
      REQUIRE(h.client().send("DELETE", path, admin).status == 204);
    });
    CHECK(outcome.answer.status == 401);
    CHECK_FALSE(outcome.ran);
  }
  SECTION("demoted to member: 403, as the member's own request of an admin route") {
    const auto outcome = second.waited("POST", creation, sender, [&] {
      REQUIRE(patch(h, path, {{"isOrgAdmin", false}}, admin).status == 200);
    });
    CHECK(outcome.answer.status == 403);
    CHECK(outcome.answer.later_reason == "missing_scope");
    CHECK_FALSE(outcome.ran);
  }
  SECTION("an API key revoked: 401") {
    const auto key = h.key({"sessions:read"});
    std::string key_id;
    for (const auto& listed : h.client().get("/api/v1/api-keys", admin).json()) {
      if (key.rfind(listed.at("keyPrefix").get<std::string>(), 0) == 0) {
        key_id = listed.at("id").get<std::string>();
      }
    }
    REQUIRE_FALSE(key_id.empty());
    const auto outcome = second.waited("GET", "/api/v1/sessions", {{"X-API-Key", key}}, [&] {
      REQUIRE(h.client().send("DELETE", "/api/v1/api-keys/" + key_id, admin).status == 204);
    });
    CHECK(outcome.answer.status == 401);
    CHECK_FALSE(outcome.ran);
  }
}
