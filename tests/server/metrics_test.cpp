// Who may read /metrics (server/metrics_endpoint.hpp), and what a scrape counts for a
// policy reloaded mid-way (server/metrics.hpp). The whole scrape of the real server,
// read by Prometheus's own parser: metrics_test.py.
#include <catch2/catch.hpp>

#include "scopegate/dsl.hpp"
#include "server/metrics.hpp"
#include "server/metrics_endpoint.hpp"

using namespace scopegate::server;

TEST_CASE("metrics: without a token only loopback peers may scrape, with one only its bearer") {
  struct Row {
    const char* note;
    const char* peer;
    const char* authorization;
    const char* token;
    bool allowed;
  };
  const Row rows[] = {
      {"IPv4 loopback", "127.0.0.1", "", "", true},
      {"anywhere in 127/8", "127.8.9.10", "", "", true},
      {"IPv6 loopback", "::1", "", "", true},
      {"a private address", "10.0.0.5", "", "", false},
      {"a public address", "192.0.2.1", "", "", false},
      {"no peer (in-process)", "", "", "", false},
      {"the token from anywhere", "192.0.2.1", "Bearer s3cret", "s3cret", true},
      {"loopback without the token", "127.0.0.1", "", "s3cret", false},
      {"a wrong token", "127.0.0.1", "Bearer s3cret!", "s3cret", false},
      {"a prefix of the token", "127.0.0.1", "Bearer s3cre", "s3cret", false},
      {"another scheme", "127.0.0.1", "Basic s3cret", "s3cret", false},
  };
  for (const auto& row : rows) {
    INFO(row.note);
    CHECK(metrics_allowed(row.peer, row.authorization, row.token) == row.allowed);
  }
}

TEST_CASE("metrics: counts survive a reload, and an unknown reason counts as other") {
  auto first = scopegate::compile_source("one.policy", "scope a:read {\n  GET /v1/a\n}\n");
  auto second =
      scopegate::compile_source("two.policy", "scope a:read {\n  GET /v1/a\n  GET /v1/b\n}\n");
  REQUIRE(first);
  REQUIRE(second);
  Metrics metrics;
  const auto* one = metrics.counters_for(Surface::gateway, *first);
  CHECK(metrics.counters_for(Surface::gateway, *first) == one);
  metrics.record_request({one, &first->endpoints()[0]}, "allowed", std::chrono::microseconds(30));
  const auto* two = metrics.counters_for(Surface::gateway, *second);
  CHECK(two != one);
  metrics.record_request({two, second->find_endpoint(scopegate::Method::get, "/v1/a")}, "allowed",
                         std::chrono::microseconds(30));
  metrics.record_request({two, nullptr}, "something new", std::chrono::seconds(5));
  const auto text = metrics.render({});
  CHECK(text.find("scopegate_decisions_total{policy=\"gateway\",reason=\"allowed\",endpoint=\"GET "
                  "/v1/a\"} 2\n") != std::string::npos);
  CHECK(text.find("scopegate_decisions_total{policy=\"gateway\",reason=\"other\",endpoint=\"-\"} "
                  "1\n") != std::string::npos);
  CHECK(text.find("scopegate_request_duration_seconds_bucket{policy=\"gateway\",route_class="
                  "\"unrouted\",le=\"1\"} 0\n") != std::string::npos);
  CHECK(text.find("scopegate_request_duration_seconds_bucket{policy=\"gateway\",route_class="
                  "\"unrouted\",le=\"+Inf\"} 1\n") != std::string::npos);
}
