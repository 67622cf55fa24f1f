// Engine: the hot-swappable holder. Principals built for an earlier policy are rebound
// by name; replace() while other threads decide never tears a decision.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"

using namespace scopegate;
using namespace scopegate::test;

namespace {

// Policy "A": s:read (id 0) grants GET /x/{id}. Policy "B" declares the scopes in the
// other order, so the same bit means another scope, and GET /x/{id} needs s:write.
Policy policy_a() {
  PolicyInput in;
  in.scopes = {scope("s:read"), scope("s:write")};
  in.routes = {route(Method::get, "/x/{id}", "s:read", "policy A"),
               route(Method::post, "/x", "s:write", "policy A")};
  in.roles = {role("member", {"s:read"})};
  return build(std::move(in));
}

Policy policy_b() {
  PolicyInput in;
  in.scopes = {scope("s:write"), scope("s:read")};
  in.routes = {route(Method::get, "/x/{id}", "s:write", "policy B"),
               route(Method::get, "/only-b", "s:read", "policy B")};
  in.roles = {role("member", {"s:write"})};
  return build(std::move(in));
}

}  // namespace

TEST_CASE("engine: replace swaps the policy and principals are rebound by name") {
  Engine engine{policy_a()};
  std::shared_ptr<const Policy> first = engine.policy();
  const Principal key = first->principal_for_key({"s:read"});
  const Principal member = first->principal_for_role("member");
  CHECK(key.policy_id() == first->id());

  Decision before = engine.decide(key, "GET", "/x/1");
  INFO(describe(before));
  REQUIRE(before.allowed());
  CHECK(before.endpoint()->description == "policy A");
  CHECK(engine.decide(member, "GET", "/x/1").allowed());
  // A refusal's message is looked up in its policy when asked, after the swap below.
  const Decision refused_by_a = engine.decide(first->principal_for_key({}), "POST", "/x");
  CHECK(refused_by_a.reason() == Reason::missing_scope);

  engine.replace(policy_b());
  const std::shared_ptr<const Policy> second = engine.policy();
  CHECK(second->id() != first->id());

  // The old decisions keep pointing into policy A, which they alone keep alive now.
  first.reset();
  CHECK(before.endpoint()->description == "policy A");
  CHECK(refused_by_a.message() == "API key does not have required scope: s:write");

  struct Row {
    const char* note;
    const Principal* principal;
    const char* method;
    const char* path;
    Reason reason;
  };
  const std::vector<Row> rows = {
      {"key from A: s:read no longer grants GET /x/{id}", &key, "GET", "/x/2",
       Reason::missing_scope},
      {"key from A: rebound s:read grants B's route", &key, "GET", "/only-b", Reason::allowed},
      {"route only in A is gone", &key, "POST", "/x", Reason::no_route},
      {"role from A is rebound to B's member", &member, "GET", "/x/3", Reason::allowed},
      {"B's member lacks s:read", &member, "GET", "/only-b", Reason::missing_scope},
  };
  for (const Row& row : rows) {
    INFO(row.note);
    const Decision d = engine.decide(*row.principal, row.method, row.path);
    INFO(describe(d));
    CHECK(d.reason() == row.reason);
  }
  const Decision refused = engine.decide(key, "GET", "/x/2");
  CHECK(refused.message() == "API key does not have required scope: s:write");

  const Principal rebound = second->rebind(key);
  CHECK(rebound.policy_id() == second->id());
  CHECK(rebound.scope_names() == key.scope_names());
  CHECK(second->decide(rebound, "GET", "/only-b").allowed());
}

TEST_CASE("engine: decisions stay consistent while another thread replaces the policy") {
  Engine engine{policy_a()};
  const Principal key = engine.policy()->principal_for_key({"s:read"});
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::atomic<long> seen_a{0};
  std::atomic<long> seen_b{0};

  auto worker = [&](int n) {
    const std::string path = "/x/" + std::to_string(n);
    while (!stop.load(std::memory_order_relaxed)) {
      const Decision d = engine.decide(key, "GET", path);
      const Endpoint* e = d.endpoint();
      if (e == nullptr ||
          d.param("id") != std::optional<std::string_view>(std::string_view(path).substr(3))) {
        ++bad;
      } else if (e->description == "policy A") {
        // Under A the key's s:read grants the route.
        if (!d.allowed() || d.granted_by() != std::optional<std::string_view>("s:read")) ++bad;
        ++seen_a;
      } else if (e->description == "policy B") {
        if (d.reason() != Reason::missing_scope ||
            d.message() != "API key does not have required scope: s:write") {
          ++bad;
        }
        ++seen_b;
      } else {
        ++bad;
      }
    }
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back(worker, i);
  // At least 100 swaps, and on until the workers have decided a few hundred times: on a
  // loaded machine they may not have been scheduled at all during the first 100.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int i = 0; i < 100 || (seen_a + seen_b < 300 && std::chrono::steady_clock::now() < deadline);
       ++i) {
    engine.replace(i % 2 == 0 ? policy_b() : policy_a());
    std::this_thread::yield();
  }
  engine.replace(policy_b());
  stop = true;
  for (std::thread& t : threads) t.join();

  INFO("decisions under A: " << seen_a << ", under B: " << seen_b);
  CHECK(bad == 0);
  CHECK(seen_a + seen_b > 0);
  const Decision last = engine.decide(key, "GET", "/x/9");
  CHECK(last.reason() == Reason::missing_scope);
}

TEST_CASE("engine: rebinding after replace keeps the principal's identity and allowed_cidrs") {
  using namespace scopegate::test::cond;
  // Conditions read principal.org (a grant) and principal.id and allowed_cidrs (forbid
  // rules): a rebound principal that lost them would be decided differently.
  const auto conditional_policy = [] {
    PolicyInput input;
    input.scopes = {scope("s:read")};
    input.routes = {when(route(Method::get, "/x/{id}", "s:read"),
                         cmp(attr("principal.org"), CompareOp::eq, str("acme")))};
    input.roles = {role("member", {"s:read"})};
    input.forbids = {
        forbid(Method::any, "/**", cmp(attr("principal.id"), CompareOp::eq, str("k-revoked")),
               "revoked"),
        forbid(Method::any, "/**",
               all({cmp(attr("principal.allowed_cidrs"), CompareOp::ne, list({})),
                    not_(in(attr("request.ip"), attr("principal.allowed_cidrs")))}),
               "not from this address"),
    };
    return build(std::move(input));
  };
  Engine engine{conditional_policy()};
  Principal key = engine.policy()->principal_for_key({"s:read"});
  key.set_identity("k-1", "deploy key", "acme");
  key.set_allowed_cidrs({*parse_cidr("10.0.0.0/8")});
  Principal revoked = engine.policy()->principal_for_key({"s:read"});
  revoked.set_identity("k-revoked", "old key", "acme");
  Principal member = engine.policy()->principal_for_role("member");
  member.set_identity("u-1", "Ann", "acme");
  member.set_allowed_cidrs({*parse_cidr("2001:db8::/32")});

  const auto decide = [&](const Principal& who, const char* address) {
    Request request{"GET", "/x/1", std::nullopt, {}, std::nullopt};
    request.ip = parse_ip(address);
    return engine.decide(who, request);
  };
  const auto check_all = [&](const char* when) {
    INFO(when);
    CHECK(decide(key, "10.1.2.3").allowed());
    CHECK(decide(key, "192.0.2.1").message() == "not from this address");
    CHECK(decide(revoked, "10.1.2.3").message() == "revoked");
    CHECK(decide(member, "2001:db8::1").allowed());
    CHECK(decide(member, "10.1.2.3").reason() == Reason::forbidden);
  };
  check_all("before replace");
  const std::uint64_t first_id = engine.policy()->id();
  engine.replace(conditional_policy());
  REQUIRE(engine.policy()->id() != first_id);
  REQUIRE(key.policy_id() == first_id);
  check_all("after replace: rebound by name");

  const Principal rebound = engine.policy()->rebind(key);
  CHECK(rebound.id() == "k-1");
  CHECK(rebound.name() == "deploy key");
  CHECK(rebound.org() == "acme");
  REQUIRE(rebound.allowed_cidrs().size() == 1);
  CHECK(rebound.allowed_cidrs()[0] == *parse_cidr("10.0.0.0/8"));
  const Principal rebound_member = engine.policy()->rebind(member);
  CHECK(rebound_member.role() == "member");
  CHECK(rebound_member.org() == "acme");
  REQUIRE(rebound_member.allowed_cidrs().size() == 1);
}

TEST_CASE("engine: a replaced policy is freed once no decision holds it") {
  // A reload must not keep the old policy's memory: only decisions hold it.
  Engine engine{policy_a()};
  const std::weak_ptr<const Policy> a = engine.policy();
  const Principal key = engine.policy()->principal_for_key({"s:read"});
  {
    const Decision d = engine.decide(key, "GET", "/x/1");
    CHECK(d.allowed());
    engine.replace(policy_b());
    CHECK_FALSE(a.expired());  // `d` holds it
  }
  CHECK(a.expired());
  const Decision d = engine.decide(key, "GET", "/only-b");
  INFO(describe(d));
  CHECK(d.allowed());
  REQUIRE(d.endpoint() != nullptr);
  CHECK(d.endpoint()->description == "policy B");
}

TEST_CASE("engine: engines used in turn on one thread each decide by their own policy") {
  const Policy probe = policy_a();
  const Principal key = probe.principal_for_key({"s:read"});
  Engine engine_a{policy_a()};
  Engine engine_b{policy_b()};
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    const Decision by_a = engine_a.decide(key, "GET", "/x/1");
    const Decision by_b = engine_b.decide(key, "GET", "/x/1");
    CHECK(by_a.allowed());
    CHECK(by_b.reason() == Reason::missing_scope);
    REQUIRE(by_a.endpoint() != nullptr);
    REQUIRE(by_b.endpoint() != nullptr);
    CHECK(by_a.endpoint()->description == "policy A");
    CHECK(by_b.endpoint()->description == "policy B");
  }
  // An engine made where another was, while a decision of the first still holds its
  // policy, decides by its own (a cache keyed by the engine's address would not).
  std::vector<Decision> kept;
  for (int round = 0; round < 4; ++round) {
    INFO("round " << round);
    const bool is_a = round % 2 == 0;
    const Engine engine{is_a ? policy_a() : policy_b()};
    kept.push_back(engine.decide(key, "GET", "/x/1"));
    REQUIRE(kept.back().endpoint() != nullptr);
    CHECK(kept.back().endpoint()->description == (is_a ? "policy A" : "policy B"));
  }
}
