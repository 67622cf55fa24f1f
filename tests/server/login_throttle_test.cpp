// Password-guessing defences, without a server: the login throttle driven by explicit
// times, and the bounded worker pool that runs password hashing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#ifdef __linux__
#include <sys/resource.h>
#include <unistd.h>
#endif

#include "server/login_throttle.hpp"
#include "server/worker_pool.hpp"

using namespace scopegate::server;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const LoginThrottle::Clock::time_point t0 =
    LoginThrottle::Clock::time_point{} + std::chrono::hours(1);

void fail(LoginThrottle& throttle, std::string_view account, std::string_view address,
          LoginThrottle::Clock::time_point at, int times = 1) {
  for (int i = 0; i < times; ++i) throttle.record_failure(account, address, at);
}

}  // namespace

TEST_CASE("login throttle: five failures are free, then each attempt waits twice as long") {
  LoginThrottle throttle({});
  fail(throttle, "alice", "192.0.2.1", t0, 4);
  CHECK(throttle.check("alice", "192.0.2.1", t0).allowed);
  fail(throttle, "alice", "192.0.2.1", t0);  // the fifth
  struct Row {
    const char* note;
    int failures_after_fifth;
    std::int64_t delay_seconds;
  };
  const std::vector<Row> rows = {
      {"after the fifth failure: 1 s", 0, 1},
      {"after the sixth: 2 s", 1, 2},
      {"after the seventh: 4 s", 2, 4},
      {"after the tenth: 32 s", 5, 32},
      {"after the fourteenth: 512 s", 9, 512},
      {"after the fifteenth: 1024 s, capped at 900 s", 10, 900},
      {"after the fortieth: still 900 s", 35, 900},
  };
  int recorded = 0;
  auto at = t0;
  for (const auto& row : rows) {
    INFO(row.note);
    // Each further failure comes exactly when the previous delay has passed.
    while (recorded < row.failures_after_fifth) {
      const auto wait = throttle.check("alice", "192.0.2.1", at);
      REQUIRE_FALSE(wait.allowed);
      at += seconds(wait.retry_after_seconds);
      REQUIRE(throttle.check("alice", "192.0.2.1", at).allowed);
      fail(throttle, "alice", "192.0.2.1", at);
      ++recorded;
    }
    const auto refused = throttle.check("alice", "192.0.2.1", at);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.retry_after_seconds == row.delay_seconds);
    CHECK_FALSE(
        throttle.check("alice", "192.0.2.1", at + seconds(row.delay_seconds) - milliseconds(1))
            .allowed);
    CHECK(throttle.check("alice", "192.0.2.1", at + seconds(row.delay_seconds)).allowed);
  }
}

TEST_CASE("login throttle: an attacker's failures never delay the owner at another address") {
  LoginThrottle throttle({});
  fail(throttle, "alice", "203.0.113.9", t0, 30);
  CHECK_FALSE(throttle.check("alice", "203.0.113.9", t0).allowed);
  CHECK(throttle.check("alice", "192.0.2.1", t0).allowed);
  // Nor another account from the attacker's address, until the address's own count runs out.
  CHECK_FALSE(throttle.check("bob", "203.0.113.9", t0).allowed);  // 30 > 20 per address
}

TEST_CASE("login throttle: one address spraying many accounts is delayed after 20 failures") {
  LoginThrottle throttle({});
  for (int i = 0; i < 19; ++i) fail(throttle, "user" + std::to_string(i), "198.51.100.7", t0);
  CHECK(throttle.check("someone-else", "198.51.100.7", t0).allowed);
  fail(throttle, "user19", "198.51.100.7", t0);
  const auto refused = throttle.check("someone-else", "198.51.100.7", t0);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after_seconds == 1);
  CHECK(throttle.check("someone-else", "192.0.2.1", t0).allowed);
}

TEST_CASE("login throttle: a quiet window forgets, and a success clears the account's count") {
  LoginThrottle throttle({});
  fail(throttle, "alice", "192.0.2.1", t0, 5);
  CHECK_FALSE(throttle.check("alice", "192.0.2.1", t0).allowed);
  // 15 minutes without a failure: the count starts again from zero.
  const auto later = t0 + seconds(15 * 60 + 1);
  CHECK(throttle.check("alice", "192.0.2.1", later).allowed);
  fail(throttle, "alice", "192.0.2.1", later);
  CHECK(throttle.check("alice", "192.0.2.1", later).allowed);

  fail(throttle, "bob", "192.0.2.2", t0, 4);
  throttle.record_success("bob", "192.0.2.2");
  fail(throttle, "bob", "192.0.2.2", t0, 4);
  CHECK(throttle.check("bob", "192.0.2.2", t0).allowed);  // 4 since the success, not 8
}

TEST_CASE("login throttle: memory stays bounded, and a full table keeps its delays") {
  LoginThrottleSettings settings;
  settings.max_entries = 100;
  LoginThrottle throttle(settings);
  fail(throttle, "alice", "192.0.2.1", t0, 5);
  for (int i = 0; i < 1000; ++i) {
    fail(throttle, "alice", "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250), t0);
  }
  const auto [pairs, addresses] = throttle.tracked();
  CHECK(pairs <= 100);
  CHECK(addresses <= 100);
  CHECK_FALSE(throttle.check("alice", "192.0.2.1", t0).allowed);
  // Once the window has passed, expired entries make room again.
  const auto later = t0 + seconds(15 * 60 + 1);
  fail(throttle, "carol", "192.0.2.3", later, 5);
  CHECK_FALSE(throttle.check("carol", "192.0.2.3", later).allowed);
  CHECK(throttle.tracked().first == 1);
}

TEST_CASE("login throttle: attempts in flight together cannot pass the limit together") {
  LoginThrottle throttle({});
  std::atomic<int> allowed{0};
  std::vector<std::thread> attempts;
  for (int i = 0; i < 32; ++i) {
    attempts.emplace_back([&] { allowed += throttle.begin("alice", "192.0.2.1", t0).allowed; });
  }
  for (auto& attempt : attempts) attempt.join();
  // begin() counts each allowed attempt as a failure in the step that allows it: five
  // are free, the rest find the fifth failure's delay.
  CHECK(allowed == 5);
}

TEST_CASE("login throttle: a success gives back the failure begin() counted for it") {
  LoginThrottle throttle({});
  for (int i = 0; i < 19; ++i) {
    REQUIRE(throttle.begin("user" + std::to_string(i), "192.0.2.1", t0).allowed);
  }
  REQUIRE(throttle.begin("alice", "192.0.2.1", t0).allowed);  // the 20th, then it succeeds
  throttle.record_success("alice", "192.0.2.1");
  CHECK(throttle.check("bob", "192.0.2.1", t0).allowed);  // 19 failures at the address
}

TEST_CASE("login throttle: long delays never overflow, whatever the settings allow") {
  struct Row {
    const char* note;
    std::int64_t base_seconds;
    std::int64_t max_seconds;
    std::int64_t expected_seconds;
  };
  const std::vector<Row> rows = {
      {"base 9 s, capped at 900 s", 9, 900, 900},
      {"base 1 hour, capped at 7 days", 3600, 7 * 24 * 3600, 7 * 24 * 3600},
  };
  for (const auto& row : rows) {
    INFO(row.note);
    LoginThrottleSettings settings;
    settings.base_delay = seconds(row.base_seconds);
    settings.max_delay = seconds(row.max_seconds);
    settings.window = seconds(row.max_seconds);
    LoginThrottle throttle(settings);
    fail(throttle, "alice", "192.0.2.1", t0, 80);  // 75 doublings asked for, 30 done
    const auto refused = throttle.check("alice", "192.0.2.1", t0);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.retry_after_seconds == row.expected_seconds);
  }
}

TEST_CASE("worker pool: a full queue refuses at once, and every accepted job runs") {
  std::promise<void> release;
  const auto gate = release.get_future().share();
  std::atomic<int> started{0};
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2, 3);
    const auto blocked = [&, gate] {
      ++started;
      gate.wait();
      ++ran;
    };
    REQUIRE(pool.try_submit(blocked));
    REQUIRE(pool.try_submit(blocked));
    const auto deadline = std::chrono::steady_clock::now() + seconds(5);
    while (started < 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    REQUIRE(started == 2);  // both workers are busy: what comes now waits in the queue
    int accepted = 0;
    for (int i = 0; i < 5; ++i) accepted += pool.try_submit(blocked) ? 1 : 0;
    CHECK(accepted == 3);
    CHECK(pool.pending() == 5);
    release.set_value();
  }  // the destructor lets every accepted job finish
  CHECK(ran == 5);
}

TEST_CASE("worker pool: without a queue, a job is accepted only while a worker is free") {
  std::promise<void> release;
  const auto gate = release.get_future().share();
  std::atomic<int> ran{0};
  {
    WorkerPool pool(1, 0);
    REQUIRE(pool.try_submit([&, gate] {
      gate.wait();
      ++ran;
    }));
    CHECK_FALSE(pool.try_submit([&] { ++ran; }));
    release.set_value();
  }
  CHECK(ran == 1);
  WorkerPool idle(1, 0);
  std::promise<void> done;
  REQUIRE(idle.try_submit([&] { done.set_value(); }));
  CHECK(done.get_future().wait_for(seconds(5)) == std::future_status::ready);
}

#ifdef __linux__
TEST_CASE("worker pool: workers run at the niceness they were given, below their creator") {
  // The pool is made by a thread that is itself at nice 3 (unless the test already runs
  // nicer): its workers must be 7 below that, not at 7.
  std::thread creator([] {
    const int base = std::max(getpriority(PRIO_PROCESS, 0), 3);
    REQUIRE(setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), base) == 0);
    WorkerPool pool(1, 0, 7);
    std::promise<int> seen;
    REQUIRE(pool.try_submit(
        [&] { seen.set_value(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()))); }));
    // Nice values stop at 19.
    CHECK(seen.get_future().get() == std::min(base + 7, 19));
  });
  creator.join();
}
#endif
