// decide() allocates nothing: this executable replaces the global operator new/delete
// with counting versions and counts the allocations made inside Policy::decide and
// Engine::decide, for allowed requests and for every kind of refusal.
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
      {"refused: unauthenticated", &anonymous, "GET", "/api/v1/sessions",
       Reason::unauthenticated},
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
