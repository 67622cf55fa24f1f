// Password sign-in over real HTTP: guessing is throttled per account and address and per
// address, a throttled attempt is refused before its password is looked at, the owner at
// another address is never locked out, and a full password pool answers 503 at once.
// (LoginThrottle and WorkerPool themselves: login_throttle_test.cpp.)
#include <catch2/catch.hpp>

#include <future>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

// Requests arrive through a trusted proxy on loopback, so that X-Forwarded-For names the
// client address each attempt comes from. The first delay is a minute, so that no attempt
// of a test can find it over, however slow the machine.
void through_proxy(Harness& h) {
  h.config.trusted_proxies = {"127.0.0.1"};
  h.config.login_base_delay_seconds = 60;
}

Reply sign_in(const Harness& h, const std::string& from, const std::string& password,
              const std::string& email = "admin@localhost") {
  return h.client().post(
      "/api/v1/auth/login",
      {{"organizationSlug", "default"}, {"email", email}, {"password", password}},
      {{"X-Forwarded-For", from}});
}

}  // namespace

TEST_CASE("e2e: the sixth wrong password from one address gets 429, even with the right one") {
  Harness h(through_proxy);
  for (int i = 0; i < 5; ++i) {
    INFO("attempt " << i + 1);
    CHECK(sign_in(h, "203.0.113.9", "wrong-password").status == 401);
  }
  // Throttled: refused before the password is looked at, so the right one gets 429 too.
  const auto throttled = sign_in(h, "203.0.113.9", admin_password);
  CHECK(throttled.status == 429);
  CHECK(throttled.headers.at("Retry-After") == "60");
  CHECK(throttled.json().at("message") == "too many failed sign-ins; retry in 60 s");
  CHECK(throttled.json().at("status") == 429);
  // Letter case does not make another account.
  CHECK(sign_in(h, "203.0.113.9", admin_password, "ADMIN@localhost").status == 429);

  // The owner, from another address, signs in at once.
  CHECK(sign_in(h, "192.0.2.1", admin_password).status == 200);

  // The throttled attempts are audited as failures, like the wrong passwords.
  const auto token = h.bearer();
  REQUIRE(eventually([&] {
    const auto page =
        h.client()
            .get("/api/v1/audit-logs?eventType=USER_LOGIN&actorEmail=admin%40localhost", token)
            .json();
    int throttled_attempts = 0;
    for (const auto& entry : page.at("content")) {
      if (entry.at("errorMessage") == "too many failed sign-ins") {
        CHECK(entry.at("result") == "FAILURE");
        CHECK(entry.at("ipAddress") == "203.0.113.9");
        throttled_attempts += entry.at("details").value("count", 1);
      }
    }
    return throttled_attempts == 1;  // ADMIN@localhost is audited under its own spelling
  }));
}

TEST_CASE("e2e: guesses sent all at once get no more than the five free attempts") {
  Harness h(through_proxy);
  std::vector<std::future<Reply>> replies;
  for (int i = 0; i < 12; ++i) {
    replies.push_back(std::async(std::launch::async,
                                 [&h] { return sign_in(h, "203.0.113.9", "wrong-password"); }));
  }
  int hashed = 0;
  int throttled = 0;
  for (auto& reply : replies) {
    const auto status = reply.get().status;
    hashed += status == 401 ? 1 : 0;
    throttled += status == 429 ? 1 : 0;
  }
  CHECK(hashed == 5);
  CHECK(throttled == 7);
}

TEST_CASE("e2e: one address guessing over many accounts is throttled after 20 failures") {
  Harness h(through_proxy);
  for (int i = 0; i < 20; ++i) {
    INFO("account " << i);
    CHECK(sign_in(h, "198.51.100.7", "guess", "user" + std::to_string(i) + "@example.com").status ==
          401);
  }
  CHECK(sign_in(h, "198.51.100.7", admin_password).status == 429);
  CHECK(sign_in(h, "192.0.2.1", admin_password).status == 200);
}

TEST_CASE("e2e: the throttle's thresholds come from the [login] settings") {
  Harness h([](Harness& harness) {
    through_proxy(harness);
    harness.config.login_free_failures = 2;
    harness.config.login_base_delay_seconds = 30;
  });
  CHECK(sign_in(h, "203.0.113.9", "wrong").status == 401);
  CHECK(sign_in(h, "203.0.113.9", "wrong").status == 401);
  const auto throttled = sign_in(h, "203.0.113.9", "wrong");
  CHECK(throttled.status == 429);
  CHECK(throttled.headers.at("Retry-After") == "30");
}

TEST_CASE("e2e: a sign-in that finds every password worker busy gets 503 with Retry-After") {
  Harness h([](Harness& harness) {
    one_password_worker(harness);
    harness.config.login_free_failures = 1000;
    harness.config.login_free_address_failures = 1000;
  });
  // Sign-ins at once on one worker: whoever finds it busy is refused at once.
  expect_busy_worker_refusals(
      [&h] {
        return h.client().post("/api/v1/auth/login", {{"organizationSlug", "default"},
                                                      {"email", "admin@localhost"},
                                                      {"password", admin_password}});
      },
      200, "sign-ins");
  // The pool is free again (its worker marks itself free just after it answers): the
  // next sign-in goes through.
  CHECK(eventually([&h] {
    return h.client()
               .post("/api/v1/auth/login", {{"organizationSlug", "default"},
                                            {"email", "admin@localhost"},
                                            {"password", admin_password}})
               .status == 200;
  }));
}

TEST_CASE("a deferred answer is sent once, and work that fails to start answers 500") {
  const HttpOptions options;
  const HttpErrorBody errors = [](int status, std::string_view message, std::string_view) {
    return std::to_string(status) + " " + std::string(message);
  };
  const auto count = [](const std::string& bytes, std::string_view what) {
    std::size_t n = 0;
    for (auto at = bytes.find(what); at != std::string::npos; at = bytes.find(what, at + 1)) ++n;
    return n;
  };
  const std::string two_requests =
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";

  // Answered twice from another thread: the first counts, and the next request follows.
  const HttpHandler twice = [](const HttpRequest& request) {
    HttpResponse response;
    response.later = [path = request.path](HttpResponder respond) {
      std::thread([respond, path] {
        HttpResponse first;
        first.body = "first " + path;
        respond(first);
        HttpResponse second;
        second.body = "second " + path;
        respond(second);
      }).detach();
    };
    return response;
  };
  const auto sent = answer_connection_bytes(two_requests, options, twice, errors);
  CHECK(count(sent, "HTTP/1.1 200") == 2);
  CHECK(count(sent, "first /a") == 1);
  CHECK(count(sent, "first /b") == 1);
  CHECK(count(sent, "second") == 0);

  // The work cannot start: 500, and the connection goes on.
  const HttpHandler failing = [](const HttpRequest&) {
    HttpResponse response;
    response.later = [](HttpResponder) { throw std::runtime_error("no worker"); };
    return response;
  };
  const auto refused = answer_connection_bytes(two_requests, options, failing, errors);
  CHECK(count(refused, "HTTP/1.1 500") == 2);
  CHECK(count(refused, "500 internal error") == 2);
}

TEST_CASE("e2e: a sign-in the handler refuses is logged and counted with the refusal's reason") {
  Harness h(through_proxy);
  CHECK(sign_in(h, "203.0.113.9", "wrong-password").status == 401);
  CHECK(h.client()
            .post("/api/v1/auth/login", {{"organizationSlug", "default"}, {"password", "x"}})
            .status == 400);
  CHECK(h.client()
            .send("POST", "/api/v1/auth/login", {{"Content-Type", "application/json"}}, "{not json")
            .status == 400);
  CHECK(sign_in(h, "203.0.113.9", admin_password).status == 200);
  const auto metrics = h.client().get("/metrics").body;
  const auto counted = [&](const std::string& reason, const std::string& endpoint) {
    return metrics.find("scopegate_decisions_total{policy=\"api\",reason=\"" + reason +
                        "\",endpoint=\"" + endpoint + "\"} 1\n") != std::string::npos;
  };
  CHECK(counted("unauthenticated", "POST /api/v1/auth/login"));
  CHECK(counted("invalid_request", "POST /api/v1/auth/login"));
  CHECK(counted("allowed", "POST /api/v1/auth/login"));
  CHECK(counted("malformed_json", "-"));  // refused before the endpoint is looked up
  h.stop();                               // flushes the log
  const auto log = read_file(h.config.log_file);
  const auto logged = [&](const std::string& status, const std::string& reason) {
    const std::regex line("POST /api/v1/auth/login " + status +
                          " [0-9.]+ms principal=\\S+ reason=" + reason + "\n");
    return std::regex_search(log, line);
  };
  CHECK(logged("401", "unauthenticated"));
  CHECK(logged("400", "invalid_request"));
  CHECK(logged("400", "malformed_json"));
  CHECK(logged("200", "allowed"));
}
