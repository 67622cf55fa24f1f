// The per-API-key rate limit (API.md: "429 with `Retry-After` when a key exceeds its rate
// limit") — the limiter driven by explicit times, then the server over real HTTP — and
// the audit entries of refused logins.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "server/rate_limiter.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;
using std::chrono::seconds;

namespace {

const RateLimiter::Clock::time_point t0 = RateLimiter::Clock::time_point{} + std::chrono::hours(1);

int count_allowed(RateLimiter& limiter, std::string_view key, RateLimiter::Clock::time_point at,
                  int attempts) {
  int allowed = 0;
  for (int i = 0; i < attempts; ++i) allowed += limiter.acquire(key, at).allowed ? 1 : 0;
  return allowed;
}

}  // namespace

TEST_CASE("rate limiter: a key gets its burst at once, then one request per interval") {
  RateLimiter limiter(60, 3);  // one token per second, three in the bucket
  CHECK(count_allowed(limiter, "k", t0, 3) == 3);
  const auto refused = limiter.acquire("k", t0);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after_seconds == 1);
  CHECK_FALSE(limiter.acquire("k", t0 + std::chrono::milliseconds(999)).allowed);
  CHECK(limiter.acquire("k", t0 + seconds(1)).allowed);
  CHECK_FALSE(limiter.acquire("k", t0 + seconds(1)).allowed);
  // After a full refill period the whole burst is back, and never more than the burst.
  CHECK(count_allowed(limiter, "k", t0 + seconds(60), 10) == 3);
}

TEST_CASE("rate limiter: Retry-After is whole seconds rounded up, and at least 1") {
  RateLimiter slow(2, 1);  // one token every 30 seconds
  CHECK(slow.acquire("k", t0).allowed);
  CHECK(slow.acquire("k", t0).retry_after_seconds == 30);
  CHECK(slow.acquire("k", t0 + std::chrono::milliseconds(100)).retry_after_seconds == 30);
  CHECK(slow.acquire("k", t0 + std::chrono::milliseconds(29'500)).retry_after_seconds == 1);

  RateLimiter fast(6000, 1);  // one token every 10 ms
  CHECK(fast.acquire("k", t0).allowed);
  const auto refused = fast.acquire("k", t0);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after_seconds == 1);
}

TEST_CASE("rate limiter: refused requests take no token") {
  RateLimiter limiter(60, 2);
  CHECK(count_allowed(limiter, "k", t0, 2) == 2);
  CHECK(count_allowed(limiter, "k", t0 + std::chrono::milliseconds(500), 100) == 0);
  CHECK(count_allowed(limiter, "k", t0 + seconds(1), 5) == 1);
}

TEST_CASE("rate limiter: keys do not share a bucket") {
  RateLimiter limiter(60, 2);
  CHECK(count_allowed(limiter, "a", t0, 5) == 2);
  CHECK(count_allowed(limiter, "b", t0, 5) == 2);
  CHECK(count_allowed(limiter, "c", t0, 1) == 1);
}

TEST_CASE("rate limiter: the default settings allow a burst of 200 and then 100 per second") {
  RateLimiter limiter(6000, 200);
  CHECK(count_allowed(limiter, "k", t0, 250) == 200);
  CHECK(count_allowed(limiter, "k", t0 + seconds(1), 250) == 100);
}

TEST_CASE("rate limiter: 0 requests per minute turns it off and stores nothing") {
  RateLimiter limiter(0, 0);
  CHECK_FALSE(limiter.enabled());
  CHECK(count_allowed(limiter, "k", t0, 10'000) == 10'000);
  CHECK(limiter.tracked_keys() == 0);
}

TEST_CASE("rate limiter: entries of keys idle for a refill period are dropped") {
  RateLimiter limiter(60, 3);  // refill period: 3 seconds
  for (int i = 0; i < 1000; ++i) CHECK(limiter.acquire("key-" + std::to_string(i), t0).allowed);
  CHECK(limiter.tracked_keys() == 1000);
  // Each shard sweeps on its next use once its buckets are full again (1000 new keys
  // reach every shard); the buckets of keys in use stay.
  for (int i = 0; i < 1000; ++i) {
    CHECK(limiter.acquire("late-" + std::to_string(i), t0 + seconds(4)).allowed);
  }
  CHECK(limiter.tracked_keys() == 1000);
  // Dropping a full bucket loses nothing: the key gets its whole burst again.
  CHECK(count_allowed(limiter, "key-1", t0 + seconds(4), 5) == 3);
}

TEST_CASE("rate limiter: threads racing on one key get exactly the burst") {
  RateLimiter limiter(60, 50);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] { allowed += count_allowed(limiter, "shared", t0, 100); });
  }
  for (auto& thread : threads) thread.join();
  CHECK(allowed == 50);
}

TEST_CASE("e2e: a key over its rate limit gets 429 with Retry-After, other keys and users do not") {
  Harness h([](Harness& harness) {
    // One token every 30 seconds, three in the bucket: the fourth request within the
    // test is refused unless the test takes 30 seconds to send it.
    harness.config.rate_limit_requests_per_minute = 2;
    harness.config.rate_limit_burst = 3;
  });
  const auto key = h.key({"sessions:read"}, "limited");
  const auto other = h.key({"sessions:read"}, "other");
  for (int i = 0; i < 3; ++i) {
    CHECK(h.client().get("/api/v1/sessions", with_key(key)).status == 200);
  }

  const auto limited = h.client().get("/api/v1/sessions", with_key(key));
  REQUIRE(limited.status == 429);
  REQUIRE(limited.headers.count("Retry-After") == 1);
  const auto retry_after = std::stoi(limited.headers.at("Retry-After"));
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 30);
  CHECK(limited.headers.at("Retry-After") == std::to_string(retry_after));
  const auto body = limited.json();
  std::vector<std::string> fields;
  const auto ordered = nlohmann::ordered_json::parse(limited.body);
  for (const auto& [name, value] : ordered.items()) fields.push_back(name);
  CHECK(fields == std::vector<std::string>{"timestamp", "status", "error", "message", "path"});
  CHECK(body.at("status") == 429);
  CHECK(body.at("error") == "Too Many Requests");
  const std::string message =
      "rate limit exceeded: this API key may make 2 requests per minute, in bursts of up to 3; "
      "retry in " +
      std::to_string(retry_after) + " s";
  CHECK(body.at("message") == message);
  CHECK(body.at("path") == "/api/v1/sessions");
  CHECK(body.at("timestamp").get<std::string>().size() == 20);

  // The limit is the key's, on every endpoint, and is checked before the decision: a
  // request the key would be refused (403) is 429 as well.
  CHECK(h.client().get("/api/v1/auth/me", {{"Authorization", "ApiKey " + key}}).status == 429);
  CHECK(h.client().get("/api/v1/resources", with_key(key)).status == 429);
  // Authentication still comes first: a bad key is 401, not 429.
  CHECK(h.client().get("/api/v1/sessions", with_key(key + "x")).status == 401);

  for (int i = 0; i < 3; ++i) {
    CHECK(h.client().get("/api/v1/sessions", with_key(other)).status == 200);
  }
  const auto user = h.bearer();
  for (int i = 0; i < 10; ++i) {
    CHECK(h.client().get("/api/v1/sessions", user).status == 200);
  }
  // Bearer wins when both are sent, so the limited key does not limit that request.
  auto both = user;
  both["X-API-Key"] = key;
  CHECK(h.client().get("/api/v1/sessions", both).status == 200);

  h.stop();  // flushes the log and the batched audit writes
  const auto log = read_file(h.config.log_file);
  CHECK(log.find("GET /api/v1/sessions 429 ") != std::string::npos);
  CHECK(log.find("principal=" + key.substr(0, 15) + " reason=rate_limited") != std::string::npos);
  CHECK(log.find(key) == std::string::npos);
  // A refused request writes no audit entry (the 403 path's ACCESS_DENIED is not reached).
  const auto store = h.open_store();
  const auto organization = store->find_organization_by_slug("default");
  REQUIRE(organization);
  REQUIRE(*organization);
  AuditFilter filter;
  filter.organization_id = (*organization)->id;
  filter.event_type = std::string("ACCESS_DENIED");
  const auto denied = store->query_audit(filter);
  REQUIRE(denied);
  CHECK(denied->total == 0);
}

TEST_CASE("e2e: with requests_per_minute = 0 a key is never limited") {
  Harness h([](Harness& harness) {
    harness.config.rate_limit_requests_per_minute = 0;
    harness.config.rate_limit_burst = 1;
  });
  const auto key = h.key({"sessions:read"});
  int ok = 0;
  for (int i = 0; i < 50; ++i) {
    ok += h.client().get("/api/v1/sessions", with_key(key)).status == 200 ? 1 : 0;
  }
  CHECK(ok == 50);
}

TEST_CASE("e2e: a refused login is a USER_LOGIN FAILURE entry that never holds the password") {
  const std::string secret = "Wr0ng-Passw0rd-q7x3k9";
  Harness h;
  const auto token = h.bearer();
  const auto admin_id = h.client().get("/api/v1/auth/me", token).json().at("id").get<std::string>();
  const auto login = [&](const std::string& slug, const std::string& email) {
    return h.client().post("/api/v1/auth/login",
                           {{"organizationSlug", slug}, {"email", email}, {"password", secret}});
  };
  CHECK(login("default", "admin@localhost").status == 401);
  CHECK(login("default", "admin@localhost").status == 401);
  CHECK(login("default", "nobody@example.com").status == 401);
  CHECK(login("nowhere", "stranger@example.com").status == 401);

  // Failures are batched like ACCESS_DENIED; identical ones may share one entry with
  // details.count, so count the attempts, not the entries.
  const auto failures = [&](const std::string& email) {
    const auto page =
        h.client().get("/api/v1/audit-logs?eventType=USER_LOGIN&actorEmail=" + email, token).json();
    std::vector<nlohmann::json> found;
    for (const auto& entry : page.at("content")) {
      if (entry.at("result") == "FAILURE") found.push_back(entry);
    }
    return found;
  };
  const auto attempts = [](const std::vector<nlohmann::json>& entries) {
    int total = 0;
    for (const auto& entry : entries) total += entry.at("details").value("count", 1);
    return total;
  };
  REQUIRE(eventually([&] {
    return attempts(failures("admin%40localhost")) == 2 &&
           attempts(failures("nobody%40example.com")) == 1;
  }));
  const auto wrong_password = failures("admin%40localhost").front();
  CHECK(wrong_password.at("actorType") == "USER");
  CHECK(wrong_password.at("resourceType") == "USER");
  CHECK(wrong_password.at("resourceId") == admin_id);
  CHECK(wrong_password.at("resourceName") == "admin@localhost");
  CHECK(wrong_password.at("errorMessage") == "invalid password");
  CHECK(wrong_password.at("ipAddress") == "127.0.0.1");
  CHECK(wrong_password.at("organizationName") == "Default");

  const auto unknown = failures("nobody%40example.com").front();
  CHECK(unknown.at("actorType") == "USER");
  CHECK(unknown.at("resourceId").is_null());
  CHECK(unknown.at("resourceName") == "nobody@example.com");
  CHECK(unknown.at("errorMessage") == "unknown user");

  // The successful login of bearer() is still there, as SUCCESS, shaped the same way.
  const auto all = h.client().get("/api/v1/audit-logs?eventType=USER_LOGIN&size=100", token).json();
  int successes = 0;
  for (const auto& entry : all.at("content")) {
    if (entry.at("result") == "SUCCESS") {
      ++successes;
      CHECK(entry.at("actorEmail") == "admin@localhost");
      CHECK(entry.at("errorMessage").is_null());
    }
  }
  CHECK(successes >= 1);

  h.stop();
  const auto log = read_file(h.config.log_file);
  CHECK(log.find("login failed: unknown organization \"nowhere\" from 127.0.0.1") !=
        std::string::npos);
  CHECK(log.find("stranger@example.com") == std::string::npos);
  // The password is nowhere: not in the database (with its WAL) and not in the log; and
  // a login to no organization left no trace of its email in any organization's audit.
  for (const auto& entry : std::filesystem::directory_iterator(h.dir.path())) {
    INFO(entry.path().string());
    const auto content = read_file(entry.path());
    CHECK(content.find(secret) == std::string::npos);
    CHECK(content.find("stranger@example.com") == std::string::npos);
  }
}
