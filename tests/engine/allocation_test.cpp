// decide() allocates nothing: this executable replaces the global operator new/delete
// with counting versions and counts the allocations made inside Policy::decide and
// Engine::decide, for allowed requests and for every kind of refusal, with and without
// conditions and forbid rules.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "support.hpp"

namespace {

// Counted only while `counting` is set, and only on the thread that set it.
thread_local bool counting = false;
thread_local std::size_t allocations = 0;

void* allocate(std::size_t size) {
  if (counting) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void* allocate_aligned(std::size_t size, std::align_val_t align) {
  if (counting) ++allocations;
  const auto a = static_cast<std::size_t>(align);
  const std::size_t rounded = (size + a - 1) / a * a;
  if (void* p = std::aligned_alloc(a, rounded == 0 ? a : rounded)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t size, std::align_val_t align) {
  return allocate_aligned(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return allocate_aligned(size, align);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

using namespace scopegate;
using namespace scopegate::test;

namespace {

Policy bundled_like_policy() {
  PolicyInput in;
  in.scopes = {scope("sessions:read"), scope("sessions:write"), scope("resources:read"),
               scope("audit:read"), scope("users:manage", ScopeKind::user)};
  in.routes = {
      route(Method::get, "/api/v1/sessions", "sessions:read"),
      route(Method::get, "/api/v1/sessions/{id}", "sessions:read"),
      route(Method::post, "/api/v1/sessions", "sessions:write"),
      route(Method::post, "/api/v1/sessions/{id}/stop", "sessions:write"),
      route(Method::post, "/api/v1/sessions/{id}/extend", "sessions:write"),
      route(Method::get, "/api/v1/resources", "resources:read"),
      route(Method::get, "/api/v1/resources/{id}", "resources:read"),
      route(Method::get, "/api/v1/audit-logs", "audit:read"),
      route(Method::any, "/api/v1/users/**", "users:manage"),
      open_route(Access::public_, Method::post, "/api/v1/auth/login"),
      open_route(Access::authenticated, Method::get, "/api/v1/auth/me"),
  };
  in.roles = {all_scopes_role("admin")};
  return build(std::move(in));
}

struct Row {
  const char* note;
  const Principal* principal;
  const char* method;
  const char* path;
  Reason reason;
};

}  // namespace

TEST_CASE("engine: the counting allocator sees allocations") {
  counting = true;
  allocations = 0;
  auto* p = new std::string(100, 'x');
  const std::size_t seen = allocations;
  counting = false;
  delete p;
  CHECK(seen >= 1);
}

TEST_CASE("engine: decide allocates nothing, allowed or refused") {
  Engine engine{bundled_like_policy()};
  const std::shared_ptr<const Policy> policy = engine.policy();
  const Principal key = policy->principal_for_key({"sessions:read", "audit:read"});
  const Principal write = policy->principal_for_key({"sessions:write"});
  const Principal admin = policy->principal_for_role("admin");
  const Principal anonymous;
  const std::string long_path = "/api/v1/sessions/" + std::string(300, 'a');

  const std::vector<Row> rows = {
      {"allowed by scope", &key, "GET", "/api/v1/sessions", Reason::allowed},
      {"allowed by scope with a param", &key, "GET",
       "/api/v1/sessions/3f2a8c1e-7d4b-4e1a-9c6f-2b5d8e0a1c3f", Reason::allowed},
      {"allowed with a long param", &key, "GET", long_path.c_str(), Reason::allowed},
      {"allowed with a query", &key, "GET", "/api/v1/audit-logs?page=0&size=20", Reason::allowed},
      {"allowed to a user by role, wildcard", &admin, "DELETE", "/api/v1/users/7/roles",
       Reason::allowed},
      {"allowed: public", &anonymous, "POST", "/api/v1/auth/login", Reason::allowed},
      {"allowed: authenticated", &write, "GET", "/api/v1/auth/me", Reason::allowed},
      {"refused: missing scope", &write, "GET", "/api/v1/sessions", Reason::missing_scope},
      {"refused: user endpoint", &key, "GET", "/api/v1/users", Reason::api_key_not_supported},
      {"refused: unauthenticated", &anonymous, "GET", "/api/v1/sessions", Reason::unauthenticated},
      {"refused: no route", &key, "GET", "/api/v1/nothing", Reason::no_route},
      {"refused: method not allowed", &key, "DELETE", "/api/v1/sessions",
       Reason::method_not_allowed},
      {"refused: invalid path", &key, "GET", "/api/v1/%2e%2e/sessions", Reason::invalid_path},
  };

  for (const Row& row : rows) {
    INFO(row.note << ": " << row.method << " " << row.path);
    // Warm-up outside the window, so one-time lazy work does not count.
    const Reason warm = policy->decide(*row.principal, row.method, row.path).reason();
    REQUIRE(warm == row.reason);

    counting = true;
    allocations = 0;
    {
      const Decision d = policy->decide(*row.principal, row.method, row.path);
      (void)d;
    }
    const std::size_t policy_allocations = allocations;
    allocations = 0;
    {
      const Decision d = engine.decide(*row.principal, row.method, row.path);
      (void)d;
    }
    const std::size_t engine_allocations = allocations;
    counting = false;

    INFO("Policy::decide allocated " << policy_allocations << " times, Engine::decide "
                                     << engine_allocations << " times");
    CHECK(policy_allocations == 0);
    CHECK(engine_allocations == 0);
  }
}

TEST_CASE("engine: only a principal from an earlier policy costs an allocation") {
  Engine engine{bundled_like_policy()};
  const Principal stale = engine.policy()->principal_for_key({"sessions:read"});
  engine.replace(bundled_like_policy());
  counting = true;
  allocations = 0;
  const Reason reason = engine.decide(stale, "GET", "/api/v1/sessions").reason();
  const std::size_t seen = allocations;
  counting = false;
  CHECK(reason == Reason::allowed);
  INFO("rebinding a stale principal allocated " << seen << " times");
  CHECK(seen >= 1);  // proves the counter watches Engine::decide at all
}

namespace {

// Conditions on grants (query, header, param, principal attributes) and forbid rules
// (allowed_cidrs, ip, time), as a policy author would write them.
Policy conditional_policy() {
  using namespace scopegate::test::cond;
  PolicyInput input;
  input.scopes = {scope("audit:read"), scope("sessions:read"),
                  scope("sessions:admin", ScopeKind::plain, {"sessions:read"})};
  input.routes = {
      when(route(Method::get, "/api/v1/audit-logs", "audit:read"),
           all({cmp(attr("request.query.size"), CompareOp::le, num(100)),
                cmp(attr("request.header.x-source"), CompareOp::ne, str("blocked"))})),
      when(route(Method::get, "/api/v1/sessions/{id}", "sessions:read"),
           all({cmp(attr("request.param.id"), CompareOp::ne, str("0")),
                in(attr("principal.org"),
                   list({str("acme-corporation-international"), str("globex")})),
                any({in(str("sessions:read"), attr("principal.scopes")),
                     cmp(attr("principal.role"), CompareOp::eq, str("admin"))})})),
      route(Method::get, "/api/v1/sessions", "sessions:read"),
      open_route(Access::public_, Method::post, "/api/v1/auth/login"),
  };
  input.roles = {role("admin", {"audit:read", "sessions:admin"})};
  input.forbids = {
      forbid(Method::any, "/api/v1/**",
             all({cmp(attr("principal.kind"), CompareOp::eq, str("api_key")),
                  cmp(attr("principal.allowed_cidrs"), CompareOp::ne, list({})),
                  not_(in(attr("request.ip"), attr("principal.allowed_cidrs")))}),
             "API key is not allowed from this address"),
      forbid(Method::get, "/api/v1/sessions/{id}",
             cmp(attr("request.param.id"), CompareOp::eq, str("locked")), "locked"),
      forbid(Method::any, "/api/v1/**",
             any({cmp(attr("request.time"), CompareOp::ge, str("2030-01-01T00:00:00Z")),
                  in(attr("request.ip"),
                     list({cidr("203.0.113.0/24"), cidr("2001:db8:dead::/48")}))})),
      forbid(Method::post, "/api/v1/auth/login",
             cmp(attr("request.header.x-bot"), CompareOp::eq, str("yes"))),
  };
  return build(std::move(input));
}

struct RequestRow {
  const char* note;
  const Principal* principal;
  Request request;
  Reason reason;
};

}  // namespace

TEST_CASE("engine: decisions that evaluate conditions and forbid rules allocate nothing") {
  Engine engine{conditional_policy()};
  const std::shared_ptr<const Policy> policy = engine.policy();
  Principal fenced = policy->principal_for_key({"audit:read", "sessions:read"});
  fenced.set_identity("key-3f2a8c1e-7d4b-4e1a-9c6f",
                      "a key with a long name, past any small buffer",
                      "acme-corporation-international");
  fenced.set_allowed_cidrs({*parse_cidr("10.0.0.0/8"), *parse_cidr("2001:db8::/32")});
  Principal open_key = policy->principal_for_key({"audit:read", "sessions:read"});
  open_key.set_identity("k", "k", "globex");
  Principal admin = policy->principal_for_role("admin");
  admin.set_identity("u-1", "Ann", "acme-corporation-international");
  const Principal anonymous;

  const std::vector<Header> headers = {
      {"Accept", "application/json"},
      {"X-Source", "dashboard-with-a-long-value-past-small-buffers"},
      {"User-Agent", "curl/8"}};
  const std::vector<Header> blocked = {{"x-source", "blocked"}};
  const std::vector<Header> bot = {{"X-Bot", "yes"}};
  const auto inside = parse_ip("10.1.2.3");
  const auto inside_v6 = parse_ip("2001:db8::42");
  const auto outside = parse_ip("192.0.2.1");
  const auto banned = parse_ip("203.0.113.9");
  const std::int64_t now = 1771410600;  // 2026-02-18T10:30:00Z

  const std::vector<RequestRow> rows = {
      {"allowed: query, header, ip in allowed_cidrs",
       &fenced,
       {"GET", "/api/v1/audit-logs?page=2&size=50", inside, headers, now},
       Reason::allowed},
      {"allowed: IPv6 in allowed_cidrs",
       &fenced,
       {"GET", "/api/v1/audit-logs?size=100", inside_v6, headers, now},
       Reason::allowed},
      {"allowed: param, org in list, scope in principal.scopes",
       &fenced,
       {"GET", "/api/v1/sessions/42", inside, headers, now},
       Reason::allowed},
      {"allowed: key without ranges, no ip, no time",
       &open_key,
       {"GET", "/api/v1/sessions/42", std::nullopt, {}, std::nullopt},
       Reason::allowed},
      {"allowed: user by role",
       &admin,
       {"GET", "/api/v1/sessions/42", outside, headers, now},
       Reason::allowed},
      {"allowed: public with forbid rules checked",
       &anonymous,
       {"POST", "/api/v1/auth/login", outside, headers, now},
       Reason::allowed},
      {"condition_failed: query too big",
       &fenced,
       {"GET", "/api/v1/audit-logs?size=500", inside, headers, now},
       Reason::condition_failed},
      {"condition_failed: query not a number",
       &fenced,
       {"GET", "/api/v1/audit-logs?size=lots", inside, headers, now},
       Reason::condition_failed},
      {"condition_failed: query missing",
       &open_key,
       {"GET", "/api/v1/audit-logs", std::nullopt, {}, now},
       Reason::condition_failed},
      {"condition_failed: header",
       &fenced,
       {"GET", "/api/v1/audit-logs?size=5", inside, blocked, now},
       Reason::condition_failed},
      {"condition_failed: param",
       &admin,
       {"GET", "/api/v1/sessions/0", inside, headers, now},
       Reason::condition_failed},
      {"forbidden: ip outside allowed_cidrs",
       &fenced,
       {"GET", "/api/v1/audit-logs?size=50", outside, headers, now},
       Reason::forbidden},
      {"forbidden: no ip with allowed_cidrs",
       &fenced,
       {"GET", "/api/v1/sessions", std::nullopt, headers, now},
       Reason::forbidden},
      {"forbidden: param",
       &open_key,
       {"GET", "/api/v1/sessions/locked", std::nullopt, {}, now},
       Reason::forbidden},
      {"forbidden: banned range",
       &admin,
       {"GET", "/api/v1/sessions", banned, headers, now},
       Reason::forbidden},
      {"forbidden: time",
       &admin,
       {"GET", "/api/v1/sessions", inside, headers, 1893456000},
       Reason::forbidden},
      {"forbidden: public",
       &anonymous,
       {"POST", "/api/v1/auth/login", std::nullopt, bot, std::nullopt},
       Reason::forbidden},
  };

  for (const RequestRow& row : rows) {
    INFO(row.note << ": " << row.request.method << " " << row.request.target);
    const Decision warm = policy->decide(*row.principal, row.request);
    INFO("warm-up: " << describe(warm));
    REQUIRE(warm.reason() == row.reason);

    counting = true;
    allocations = 0;
    {
      const Decision d = policy->decide(*row.principal, row.request);
      (void)d;
    }
    const std::size_t policy_allocations = allocations;
    allocations = 0;
    {
      const Decision d = engine.decide(*row.principal, row.request);
      (void)d;
    }
    const std::size_t engine_allocations = allocations;
    counting = false;

    INFO("Policy::decide allocated " << policy_allocations << " times, Engine::decide "
                                     << engine_allocations << " times");
    CHECK(policy_allocations == 0);
    CHECK(engine_allocations == 0);
  }
}
