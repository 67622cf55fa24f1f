// Who may call what: scopes, `implies`, roles, future and user scopes, public and
// authenticated endpoints, and the exact refusal messages; PolicyBuilder only (no dsl).
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "support.hpp"

using namespace scopegate;
using namespace scopegate::test;

namespace {

struct Expect {
  const char* note;
  Principal principal;
  const char* method;
  const char* path;
  Reason reason;
  std::optional<std::string> message = std::nullopt;     // exact, when given
  std::optional<std::string> granted_by = std::nullopt;  // when allowed by scope
};

void check_rows(const Policy& policy, const std::vector<Expect>& rows) {
  for (const Expect& row : rows) {
    INFO(row.note << ": " << row.method << " " << row.path);
    const Decision d = policy.decide(row.principal, row.method, row.path);
    INFO(describe(d));
    CHECK(d.reason() == row.reason);
    CHECK(d.allowed() == (row.reason == Reason::allowed));
    CHECK(d.status() == status_for(row.reason));
    if (row.message) CHECK(d.message() == *row.message);
    if (row.granted_by) {
      CHECK(d.granted_by() == std::optional<std::string_view>(*row.granted_by));
    }
    if (row.reason != Reason::allowed) CHECK_FALSE(d.message().empty());
  }
}

std::string missing(std::string_view scopes) {
  return "API key does not have required scope: " + std::string(scopes);
}

}  // namespace

TEST_CASE("engine: reason codes and statuses are the documented ones") {
  struct Row {
    Reason reason;
    const char* code;
    int status;
  };
  const std::vector<Row> rows = {
      {Reason::allowed, "allowed", 200},
      {Reason::invalid_path, "invalid_path", 400},
      {Reason::unauthenticated, "unauthenticated", 401},
      {Reason::api_key_not_supported, "api_key_not_supported", 403},
      {Reason::missing_scope, "missing_scope", 403},
      {Reason::no_route, "no_route", 404},
      {Reason::condition_failed, "condition_failed", 403},
      {Reason::forbidden, "forbidden", 403},
      {Reason::method_not_allowed, "method_not_allowed", 405},
      {Reason::no_policy, "no_policy", 503},
  };
  // Every Reason has its row.
  CHECK(rows.size() == static_cast<std::size_t>(Reason::no_policy) + 1);
  for (const Row& row : rows) {
    INFO(row.code);
    CHECK(to_string(row.reason) == row.code);
    CHECK(status_for(row.reason) == row.status);
  }
}

TEST_CASE("engine: implies is transitive and nothing is implied unless written") {
  PolicyInput in;
  in.scopes = {
      scope("chain:top", ScopeKind::plain, {"chain:mid"}),
      scope("chain:mid", ScopeKind::plain, {"chain:low"}),
      scope("chain:low"),
      scope("solo:read"),
      scope("solo:write"),
  };
  in.routes = {
      route(Method::get, "/top", "chain:top"),    route(Method::get, "/mid", "chain:mid"),
      route(Method::get, "/low", "chain:low"),    route(Method::get, "/solo", "solo:read"),
      route(Method::post, "/solo", "solo:write"),
  };
  const Policy policy = build(std::move(in));

  SECTION("closures are precomputed on the scopes") {
    const auto top = policy.find_scope("chain:top");
    const auto mid = policy.find_scope("chain:mid");
    const auto low = policy.find_scope("chain:low");
    const auto solo = policy.find_scope("solo:read");
    REQUIRE(top);
    REQUIRE(mid);
    REQUIRE(low);
    REQUIRE(solo);
    const auto top_closure = policy.scopes()[*top].closure;
    std::vector<ScopeId> expected{*top, *mid, *low};
    std::sort(expected.begin(), expected.end());
    CHECK(std::vector<ScopeId>(top_closure.begin(), top_closure.end()) == expected);
    CHECK(policy.scopes()[*low].closure.size() == 1);
    CHECK(policy.scopes()[*solo].closure.size() == 1);
    CHECK_FALSE(policy.find_scope("chain:none").has_value());
  }

  const Principal top = policy.principal_for_key({"chain:top"});
  const Principal mid = policy.principal_for_key({"chain:mid"});
  const Principal low = policy.principal_for_key({"chain:low"});
  const Principal write = policy.principal_for_key({"solo:write"});
  check_rows(policy,
             {
                 {"top holds itself", top, "GET", "/top", Reason::allowed, {}, "chain:top"},
                 {"top implies mid", top, "GET", "/mid", Reason::allowed},
                 {"top implies low through mid", top, "GET", "/low", Reason::allowed},
                 {"mid implies low", mid, "GET", "/low", Reason::allowed},
                 {"implies does not run backwards: mid lacks top", mid, "GET", "/top",
                  Reason::missing_scope, missing("chain:top")},
                 {"low lacks mid", low, "GET", "/mid", Reason::missing_scope, missing("chain:mid")},
                 {"write does not include read", write, "GET", "/solo", Reason::missing_scope,
                  missing("solo:read")},
                 {"write holds write", write, "POST", "/solo", Reason::allowed, {}, "solo:write"},
             });
  CHECK(top.scopes().count() == 3);
  CHECK(top.kind() == PrincipalKind::api_key);
  CHECK(top.scope_names() == std::vector<std::string>{"chain:top"});
}

TEST_CASE(
    "engine: roles grant their closure, scopes star is every scope, unknown role holds nothing") {
  PolicyInput in;
  in.scopes = {
      scope("data:read"),
      scope("data:write"),
      scope("data:admin", ScopeKind::user, {"data:write"}),
      scope("data:export", ScopeKind::future),
  };
  in.routes = {
      route(Method::get, "/data", "data:read"),
      route(Method::post, "/data", "data:write"),
      route(Method::delete_, "/data", "data:admin"),
  };
  in.roles = {all_scopes_role("admin"), role("reader", {"data:read"}),
              role("operator", {"data:admin"})};
  const Policy policy = build(std::move(in));

  const Principal admin = policy.principal_for_role("admin");
  const Principal reader = policy.principal_for_role("reader");
  const Principal op = policy.principal_for_role("operator");
  const Principal ghost = policy.principal_for_role("ghost");
  CHECK(admin.kind() == PrincipalKind::user);
  CHECK(admin.role() == "admin");
  CHECK(ghost.kind() == PrincipalKind::user);
  CHECK(ghost.scopes().empty());
  CHECK(policy.find_role("ghost") == nullptr);
  REQUIRE(policy.find_role("admin") != nullptr);
  CHECK(policy.find_role("admin")->all_scopes);
  CHECK(policy.find_role("admin")->closure.count() == policy.scopes().size());

  check_rows(
      policy,
      {
          {"admin reads", admin, "GET", "/data", Reason::allowed},
          {"admin writes", admin, "POST", "/data", Reason::allowed},
          {"admin holds user scopes too",
           admin,
           "DELETE",
           "/data",
           Reason::allowed,
           {},
           "data:admin"},
          {"reader reads", reader, "GET", "/data", Reason::allowed, {}, "data:read"},
          {"reader cannot write", reader, "POST", "/data", Reason::missing_scope},
          {"reader cannot administer", reader, "DELETE", "/data", Reason::missing_scope},
          {"operator administers", op, "DELETE", "/data", Reason::allowed},
          {"operator writes through implies",
           op,
           "POST",
           "/data",
           Reason::allowed,
           {},
           "data:write"},
          {"operator does not read: nothing implied unless written", op, "GET", "/data",
           Reason::missing_scope},
          {"unknown role reads nothing", ghost, "GET", "/data", Reason::missing_scope},
          {"unknown role writes nothing", ghost, "POST", "/data", Reason::missing_scope},
          {"unknown role administers nothing", ghost, "DELETE", "/data", Reason::missing_scope},
      });

  const Decision d = policy.decide(reader, "DELETE", "/data");
  CHECK(to_vector(d.required_scopes()) == std::vector<std::string>{"data:admin"});
}

TEST_CASE("engine: a future scope grants nothing through what it implies until released") {
  const auto policy_with = [](ScopeKind export_kind) {
    PolicyInput in;
    in.scopes = {
        scope("data:delete"),
        scope("data:export", export_kind, {"data:delete"}),
        scope("data:admin", ScopeKind::plain, {"data:export"}),
    };
    in.routes = {route(Method::delete_, "/data/{id}", "data:delete")};
    in.roles = {role("beta", {"data:export"}), role("admin", {"data:admin"})};
    return build(std::move(in));
  };
  const Policy future = policy_with(ScopeKind::future);
  for (const Principal& who :
       {future.principal_for_role("beta"), future.principal_for_role("admin"),
        future.principal_for_key({"data:admin"})}) {
    CHECK(future.decide(who, "DELETE", "/data/1").reason() == Reason::missing_scope);
  }
  // Released (`future scope` becomes `scope`): what it implies is granted at once.
  const Policy released = policy_with(ScopeKind::plain);
  CHECK(released.decide(released.principal_for_role("beta"), "DELETE", "/data/1").allowed());
  CHECK(released.decide(released.principal_for_key({"data:admin"}), "DELETE", "/data/1").allowed());
}

TEST_CASE("engine: future and user scopes never grant an API key") {
  PolicyInput in;
  in.scopes = {
      scope("items:read"),
      scope("items:write", ScopeKind::future),
      scope("items:manage", ScopeKind::user),
      scope("items:sneaky", ScopeKind::plain, {"items:manage"}),
      scope("items:all", ScopeKind::user),
  };
  in.routes = {
      route(Method::get, "/items", "items:read"),
      route(Method::post, "/items", "items:manage"),
      route(Method::delete_, "/items/{id}", "items:manage"),
      route(Method::any, "/items/admin/**", "items:all"),
      route(Method::get, "/sneaky", "items:sneaky"),
  };
  in.roles = {role("manager", {"items:manage"}), role("viewer", {"items:read"}),
              all_scopes_role("admin")};
  const Policy policy = build(std::move(in));

  const std::string unsupported(key_unsupported_message);
  const Principal key_user_scope = policy.principal_for_key({"items:manage"});
  const Principal key_future = policy.principal_for_key({"items:write"});
  const Principal key_sneaky = policy.principal_for_key({"items:sneaky"});
  const Principal key_every_name = policy.principal_for_key(
      {"items:read", "items:write", "items:manage", "items:sneaky", "items:all"});
  const Principal key_none = policy.principal_for_key(std::vector<std::string>{});
  const Principal key_unknown = policy.principal_for_key({"items:bogus", "nope:nope"});
  const Principal manager = policy.principal_for_role("manager");
  const Principal viewer = policy.principal_for_role("viewer");
  const Principal admin = policy.principal_for_role("admin");

  check_rows(
      policy,
      {
          {"key naming the user scope", key_user_scope, "POST", "/items",
           Reason::api_key_not_supported, unsupported},
          {"key naming the user scope, param route", key_user_scope, "DELETE", "/items/9",
           Reason::api_key_not_supported, unsupported},
          {"key with no scope on a user endpoint", key_none, "POST", "/items",
           Reason::api_key_not_supported, unsupported},
          {"key with every name on a user endpoint", key_every_name, "POST", "/items",
           Reason::api_key_not_supported, unsupported},
          {"key with every name on a user wildcard endpoint", key_every_name, "PATCH",
           "/items/admin/x/y", Reason::api_key_not_supported, unsupported},
          {"key with every name on the wildcard root", key_every_name, "GET", "/items/admin",
           Reason::api_key_not_supported, unsupported},
          {"plain scope implying a user scope still does not open it to a key", key_sneaky, "POST",
           "/items", Reason::api_key_not_supported, unsupported},
          {"plain scope implying a user scope still grants its own route",
           key_sneaky,
           "GET",
           "/sneaky",
           Reason::allowed,
           {},
           "items:sneaky"},
          {"future scope grants nothing", key_future, "GET", "/items", Reason::missing_scope,
           missing("items:read")},
          {"unknown names grant nothing", key_unknown, "GET", "/items", Reason::missing_scope,
           missing("items:read")},
          {"key with every name reads",
           key_every_name,
           "GET",
           "/items",
           Reason::allowed,
           {},
           "items:read"},
          {"user with the role", manager, "POST", "/items", Reason::allowed, {}, "items:manage"},
          {"user with the role, param route", manager, "DELETE", "/items/9", Reason::allowed},
          {"user without the role", viewer, "POST", "/items", Reason::missing_scope},
          {"admin in the wildcard",
           admin,
           "PATCH",
           "/items/admin/x/y",
           Reason::allowed,
           {},
           "items:all"},
          {"manager not in the wildcard", manager, "GET", "/items/admin", Reason::missing_scope},
      });

  CHECK(key_unknown.scope_names() == std::vector<std::string>{"items:bogus", "nope:nope"});
  CHECK(key_unknown.scopes().empty());

  const Decision for_key = policy.decide(key_none, "POST", "/items");
  CHECK(for_key.required_scopes().empty());
  const Decision for_user = policy.decide(viewer, "POST", "/items");
  CHECK(to_vector(for_user.required_scopes()) == std::vector<std::string>{"items:manage"});
  REQUIRE(for_user.endpoint() != nullptr);
  CHECK(for_user.endpoint()->key_scopes().empty());
  // The endpoint's precomputed refusal for keys is the one decide() gives a key.
  CHECK(for_user.endpoint()->key_message() == for_key.message());
  // decide() reads a grant's scope kind from the grant itself.
  for (const Endpoint& endpoint : policy.endpoints()) {
    for (const Grant& grant : endpoint.grants) {
      CAPTURE(endpoint.path_template, policy.scopes()[grant.scope].name);
      CHECK(grant.scope_kind == policy.scopes()[grant.scope].kind);
    }
  }
}

TEST_CASE("engine: public allows anyone, authenticated any principal, anonymous gets 401") {
  PolicyInput in;
  in.scopes = {scope("s:read")};
  in.routes = {
      open_route(Access::public_, Method::post, "/login", "Sign in"),
      open_route(Access::public_, Method::get, "/healthz"),
      open_route(Access::authenticated, Method::get, "/me"),
      route(Method::get, "/things", "s:read"),
  };
  in.roles = {role("nobody", {})};
  const Policy policy = build(std::move(in));

  const Principal anonymous;
  const Principal key_none = policy.principal_for_key(std::vector<std::string>{});
  const Principal key = policy.principal_for_key({"s:read"});
  const Principal user = policy.principal_for_role("nobody");
  const Principal ghost = policy.principal_for_role("ghost");
  CHECK(anonymous.kind() == PrincipalKind::anonymous);

  check_rows(policy, {
                         {"anonymous logs in", anonymous, "POST", "/login", Reason::allowed},
                         {"anonymous checks health", anonymous, "GET", "/healthz", Reason::allowed},
                         {"key logs in", key_none, "POST", "/login", Reason::allowed},
                         {"user checks health", user, "GET", "/healthz", Reason::allowed},
                         {"anonymous profile", anonymous, "GET", "/me", Reason::unauthenticated},
                         {"anonymous scoped", anonymous, "GET", "/things", Reason::unauthenticated},
                         {"key without scopes profile", key_none, "GET", "/me", Reason::allowed},
                         {"key with scopes profile", key, "GET", "/me", Reason::allowed},
                         {"user without scopes profile", user, "GET", "/me", Reason::allowed},
                         {"user with unknown role profile", ghost, "GET", "/me", Reason::allowed},
                         {"anonymous unknown route is still 404", anonymous, "GET", "/nothing",
                          Reason::no_route},
                         {"anonymous wrong method on public route", anonymous, "GET", "/login",
                          Reason::method_not_allowed},
                     });

  const Decision d = policy.decide(anonymous, "POST", "/login");
  REQUIRE(d.endpoint() != nullptr);
  CHECK(d.endpoint()->access == Access::public_);
  CHECK(d.endpoint()->description == "Sign in");
  CHECK_FALSE(d.granted_by().has_value());
  CHECK(d.required_scopes().empty());
  CHECK(policy.decide(anonymous, "GET", "/me").status() == 401);
}

TEST_CASE("engine: missing-scope messages name the required scope or scopes exactly") {
  PolicyInput in;
  in.scopes = {scope("sessions:read"), scope("sessions:write"), scope("reports:all"),
               scope("reports:one")};
  in.routes = {
      route(Method::get, "/api/v1/sessions", "sessions:read"),
      route(Method::post, "/api/v1/sessions", "sessions:write"),
      route(Method::any, "/reports/**", "reports:all"),
      route(Method::get, "/reports/{id}", "reports:one"),
  };
  const Policy policy = build(std::move(in));
  const Principal none = policy.principal_for_key(std::vector<std::string>{});
  const Principal write = policy.principal_for_key({"sessions:write"});
  const Principal all = policy.principal_for_key({"reports:all"});
  const Principal one = policy.principal_for_key({"reports:one"});

  check_rows(policy,
             {
                 {"one scope", none, "POST", "/api/v1/sessions", Reason::missing_scope,
                  "API key does not have required scope: sessions:write"},
                 {"write lacks read", write, "GET", "/api/v1/sessions", Reason::missing_scope,
                  "API key does not have required scope: sessions:read"},
                 {"two granting scopes, own line and a covering wildcard", none, "GET",
                  "/reports/7", Reason::missing_scope,
                  "API key does not have required scope: reports:all or reports:one"},
                 {"wildcard only", none, "DELETE", "/reports/7", Reason::missing_scope,
                  "API key does not have required scope: reports:all"},
                 {"the covering wildcard grants the specific endpoint",
                  all,
                  "GET",
                  "/reports/7",
                  Reason::allowed,
                  {},
                  "reports:all"},
                 {"the specific scope grants its endpoint",
                  one,
                  "GET",
                  "/reports/7",
                  Reason::allowed,
                  {},
                  "reports:one"},
                 {"the specific scope does not grant the wildcard", one, "GET", "/reports/7/pdf",
                  Reason::missing_scope, "API key does not have required scope: reports:all"},
             });

  const Decision d = policy.decide(none, "GET", "/reports/7");
  CHECK(to_vector(d.required_scopes()) == std::vector<std::string>{"reports:all", "reports:one"});
  REQUIRE(d.endpoint() != nullptr);
  CHECK(d.endpoint()->path_template == "/reports/{id}");
  CHECK(d.endpoint()->grants.size() == 2);
}

TEST_CASE("engine: a decision names its endpoint and deciding rule") {
  PolicyInput in;
  ScopeSpec s = scope("s:read");
  s.location = {"a.policy", 1, 1};
  in.scopes = {std::move(s)};
  RouteSpec r = route(Method::get, "/x/{id}", "s:read", "Get x");
  r.location = {"a.policy", 3, 3};
  in.routes = {std::move(r)};
  const Policy policy = build(std::move(in));

  const Decision allowed = policy.decide(policy.principal_for_key({"s:read"}), "GET", "/x/1");
  REQUIRE(allowed.allowed());
  REQUIRE(allowed.endpoint() != nullptr);
  CHECK(allowed.endpoint()->method == Method::get);
  CHECK(allowed.endpoint()->path_template == "/x/{id}");
  CHECK(allowed.endpoint()->description == "Get x");
  CHECK(allowed.endpoint()->location == SourceLocation{"a.policy", 3, 3});
  REQUIRE(allowed.rule() != nullptr);
  CHECK(*allowed.rule() == SourceLocation{"a.policy", 3, 3});
  CHECK(to_string(*allowed.rule()) == "a.policy:3");
  CHECK(policy.find_endpoint(Method::get, "/x/{id}") == allowed.endpoint());
  CHECK(policy.find_endpoint(Method::post, "/x/{id}") == nullptr);

  const Decision refused =
      policy.decide(policy.principal_for_key(std::vector<std::string>{}), "GET", "/x/1");
  CHECK(refused.endpoint() == allowed.endpoint());
  REQUIRE(refused.rule() != nullptr);
  CHECK(refused.rule()->line == 3);

  const Decision unknown = policy.decide(Principal{}, "GET", "/y");
  CHECK(unknown.endpoint() == nullptr);
  CHECK(unknown.rule() == nullptr);
}

TEST_CASE("engine: a route granted by several scopes is allowed by any one the caller may use") {
  // decide() checks an endpoint's first grant on its trie entry's copy and the others on
  // the Grant records: each of them granting, for keys and for users. /mixed/{id} is
  // granted first by a user scope (the covering `**`), then by a plain one: a key skips
  // the first and is allowed by the second.
  PolicyInput in;
  in.scopes = {scope("p:first"),
               scope("p:second"),
               scope("u:first", ScopeKind::user),
               scope("u:second", ScopeKind::user),
               scope("u:wide", ScopeKind::user),
               scope("p:one")};
  in.routes = {
      route(Method::get, "/plain", "p:first"),   route(Method::get, "/plain", "p:second"),
      route(Method::get, "/user", "u:first"),    route(Method::get, "/user", "u:second"),
      route(Method::get, "/mixed/**", "u:wide"), route(Method::get, "/mixed/{id}", "p:one"),
  };
  in.roles = {role("first", {"p:first", "u:first", "u:wide"}),
              role("second", {"p:second", "u:second", "p:one"}), role("none", {})};
  const Policy policy = build(std::move(in));
  const Principal key_first = policy.principal_for_key({"p:first", "u:first"});
  const Principal key_second = policy.principal_for_key({"p:second", "u:second"});
  const Principal user_first = policy.principal_for_role("first");
  const Principal user_second = policy.principal_for_role("second");
  const std::string unsupported(key_unsupported_message);

  check_rows(
      policy,
      {
          {"key, first", key_first, "GET", "/plain", Reason::allowed, {}, "p:first"},
          {"key, second", key_second, "GET", "/plain", Reason::allowed, {}, "p:second"},
          {"user, first", user_first, "GET", "/plain", Reason::allowed, {}, "p:first"},
          {"user, second", user_second, "GET", "/plain", Reason::allowed, {}, "p:second"},
          {"key, first user scope", key_first, "GET", "/user", Reason::api_key_not_supported,
           unsupported},
          {"key, second user scope", key_second, "GET", "/user", Reason::api_key_not_supported,
           unsupported},
          {"user, first user scope", user_first, "GET", "/user", Reason::allowed, {}, "u:first"},
          {"user, second user scope", user_second, "GET", "/user", Reason::allowed, {}, "u:second"},
      });
  const Principal key_one = policy.principal_for_key({"p:one"});
  const Principal key_wide = policy.principal_for_key({"u:wide", "p:first"});
  const Principal nobody = policy.principal_for_role("none");
  check_rows(
      policy,
      {
          {"key, plain second after user first",
           key_one,
           "GET",
           "/mixed/7",
           Reason::allowed,
           {},
           "p:one"},
          {"key, user first only", key_wide, "GET", "/mixed/7", Reason::missing_scope,
           missing("p:one")},
          {"user, user first", user_first, "GET", "/mixed/7", Reason::allowed, {}, "u:wide"},
          {"user, plain second", user_second, "GET", "/mixed/7", Reason::allowed, {}, "p:one"},
          {"user, none", nobody, "GET", "/plain", Reason::missing_scope,
           "User does not have required scope: p:first or p:second"},
          {"user, none, user scopes", nobody, "GET", "/user", Reason::missing_scope,
           "User does not have required scope: u:first or u:second"},
      });
  for (const char* path : {"/plain", "/user"}) {
    INFO(path);
    for (std::size_t held = 0; held < 2; ++held) {
      const Decision d = policy.decide(held == 0 ? user_first : user_second, "GET", path);
      REQUIRE(d.endpoint() != nullptr);
      REQUIRE(d.endpoint()->grants.size() == 2);
      CHECK(d.rule() == &d.endpoint()->grants[held].location);
    }
  }
}
