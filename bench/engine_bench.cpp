// Engine benchmarks (issue 2). One decision per benchmark iteration, cycling through a
// fixed, shuffled request mix, so the Time column is the cost of one decision.
//   BM_decide_shipped        Policy::decide on policies/ (the shipped policy)
//   BM_engine_decide_shipped Engine::decide on the same mix (atomic snapshot + keepalive)
//   BM_split_path_shipped    split_path() alone on the same mix's paths
//   BM_baseline_shipped      a hand-written hash map from "METHOD template" to scope
//                            bits, with the template already known, on the same mix
//   BM_decide_large/N        Policy::decide on a generated policy: 1,000 scopes,
//                            10,000 route templates, over a mix of N requests
//   BM_baseline_large/N      the baseline on those mixes (scope ids tested on the
//                            principal's ScopeSet: the policy has more than 64 scopes)
//   BM_decide_large_cold/4096  the 4096 mix with each request's principal and path
//                            an allocation of its own: cold request data
//   BM_compile_large         compile_source() of that generated policy text
//   BM_compile_shipped       compile_files() of policies/
// Counters: routes, policy_bytes (Policy::memory_usage()) and bytes_per_route.
// See docs/performance.md for the figures and bench/run-engine-bench to reproduce them.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "scopegate/dsl.hpp"
#include "scopegate/engine.hpp"

namespace {

using scopegate::Access;
using scopegate::Decision;
using scopegate::Endpoint;
using scopegate::Method;
using scopegate::Policy;
using scopegate::Principal;
using scopegate::PrincipalKind;
using scopegate::SegmentKind;

// One request of a mix as decide() is handed it: a principal of the mix's fixed set and
// the method and path as views into the mix's one text, where the requests lie in the
// order they are decided (as a server's read buffer holds them; the server builds the
// principal just before it asks, so its principal is in cache too).
struct Request {
  const Principal* principal = nullptr;
  std::string_view method;
  std::string_view path;
};

// A request while the mix is made. `baseline_key` is what the hand-written baseline looks
// up: the request's method with the template of the endpoint it was made from (already
// known), or a key no endpoint has for unknown routes and wrong methods.
struct Draft {
  const Principal* principal = nullptr;
  std::string method;
  std::string path;
  std::string baseline_key;
};

struct Mix {
  Mix() = default;
  Mix(Mix&&) = default;  // the views stay valid: the text's buffer and the deque move
  Mix& operator=(Mix&&) = default;
  Mix(const Mix&) = delete;

  std::deque<Principal> principals;  // stable addresses for Request::principal
  std::vector<Draft> drafts;         // until pack()
  std::vector<Request> requests;
  std::vector<std::string> baseline_keys;  // baseline_keys[i] for requests[i]
  // Every request's method and path, in order. Not a std::string: a short one would
  // live inside the object and move with it, away from the views.
  std::vector<char> text;
  std::deque<std::string> own_paths;  // paths of their own (large_cold())

  // Lays the drafts out as requests: methods and paths one after the other in `text`.
  // Once: the text is sized for these drafts, so the views stay valid.
  void pack() {
    if (!text.empty()) throw std::logic_error("Mix::pack() runs once");
    std::size_t size = 0;
    for (const Draft& draft : drafts) size += draft.method.size() + draft.path.size();
    text.reserve(size);
    const auto append = [this](std::string_view part) {
      const std::size_t at = text.size();
      text.insert(text.end(), part.begin(), part.end());
      return std::string_view(text.data() + at, part.size());
    };
    for (Draft& draft : drafts) {
      const std::string_view method = append(draft.method);
      requests.push_back({draft.principal, method, append(draft.path)});
      baseline_keys.push_back(std::move(draft.baseline_key));
    }
    drafts.clear();
  }
};

// A concrete path for `endpoint`, with parameter values chosen by `variant`.
std::string concrete_path(const Endpoint& endpoint, std::size_t variant) {
  static const std::array<std::string_view, 3> ids = {"42", "7f9c2ba4-e88f-4c1b-9a0e-2d6b3c8e1f00",
                                                      "1234567"};
  std::string path;
  for (const auto& segment : endpoint.parsed().segments) {
    switch (segment.kind) {
      case SegmentKind::literal:
        path += '/';
        path += segment.text;
        break;
      case SegmentKind::param:
        path += '/';
        path += ids[variant % ids.size()];
        break;
      case SegmentKind::any:
        path += "/x";
        break;
      case SegmentKind::rest:
        if (variant % 2 == 0) path += "/7/roles";
        break;
    }
  }
  return path.empty() ? "/" : path;
}

std::string baseline_key(std::string_view method, std::string_view path_template) {
  std::string key(method);
  key += ' ';
  key += path_template;
  return key;
}

// The method a request for `endpoint` uses, and the key the baseline finds it under.
std::pair<std::string, std::string> method_and_key(const Endpoint& endpoint, std::size_t variant) {
  const std::string_view listed = scopegate::to_string(endpoint.method);
  const std::string method = endpoint.method == Method::any
                                 ? std::string(variant % 2 == 0 ? "GET" : "DELETE")
                                 : std::string(listed);
  return {method, baseline_key(listed, endpoint.path_template)};
}

// Requests that match no endpoint (404) or no endpoint for their method (405).
void add_misses(Mix& mix, const std::vector<const Principal*>& principals,
                const std::vector<std::pair<std::string, std::string>>& misses) {
  for (const auto& [method, path] : misses) {
    for (const Principal* principal : principals) {
      mix.drafts.push_back({principal, method, path, baseline_key(method, path)});
    }
  }
}

void shuffle(Mix& mix) {
  std::mt19937 random(20261127);
  std::shuffle(mix.drafts.begin(), mix.drafts.end(), random);
}

// Every endpoint of the shipped policy with concrete ids, for every principal (anonymous,
// keys with 0 to 4 scopes, an admin and a member), plus unknown routes and 405s.
Mix shipped_mix(const Policy& policy) {
  Mix mix;
  mix.principals.emplace_back();
  mix.principals.push_back(policy.principal_for_key(std::vector<std::string>{}));
  mix.principals.push_back(policy.principal_for_key({"sessions:read"}));
  mix.principals.push_back(policy.principal_for_key({"sessions:read", "sessions:write"}));
  mix.principals.push_back(
      policy.principal_for_key({"sessions:read", "sessions:write", "resources:read"}));
  mix.principals.push_back(policy.principal_for_key(
      {"sessions:read", "sessions:write", "resources:read", "audit:read"}));
  mix.principals.push_back(policy.principal_for_role("admin"));
  mix.principals.push_back(policy.principal_for_role("member"));
  std::vector<const Principal*> principals;
  for (const Principal& principal : mix.principals) principals.push_back(&principal);

  for (const Endpoint& endpoint : policy.endpoints()) {
    for (std::size_t variant = 0; variant < 2; ++variant) {
      auto [method, key] = method_and_key(endpoint, variant);
      const std::string path = concrete_path(endpoint, variant);
      for (const Principal* principal : principals) {
        mix.drafts.push_back({principal, method, path, key});
      }
    }
  }
  add_misses(mix, principals,
             {{"GET", "/api/v1/nowhere"},
              {"GET", "/api/v2/sessions"},
              {"POST", "/api/v1/sessions/42/delete"},
              {"GET", "/favicon.ico"},
              {"DELETE", "/api/v1/sessions"},
              {"PUT", "/api/v1/audit-logs"},
              {"PATCH", "/api/v1/sessions/42"}});
  shuffle(mix);
  mix.pack();
  return mix;
}

// The generated policy: 500 resources, each with a :read and a :write scope (1,000
// scopes) of 10 routes each (10,000 route templates), and two roles.
std::string generated_policy_text() {
  static const std::array<std::string_view, 20> qualifiers = {
      "archive", "billing",  "build",    "cloud",   "customer", "edge",    "export",
      "fleet",   "import",   "internal", "legacy",  "mobile",   "partner", "payment",
      "public",  "regional", "shared",   "staging", "storage",  "team"};
  static const std::array<std::string_view, 25> nouns = {
      "accounts",  "alerts",      "backups", "buckets", "certificates", "clusters", "contacts",
      "databases", "deployments", "devices", "domains", "events",       "files",    "firewalls",
      "images",    "invoices",    "jobs",    "keys",    "networks",     "nodes",    "orders",
      "pipelines", "projects",    "queues",  "reports"};
  static const std::array<std::pair<std::string_view, std::string_view>, 10> reads = {{
      {"GET", ""},
      {"GET", "/{id}"},
      {"GET", "/{id}/history"},
      {"GET", "/{id}/members"},
      {"GET", "/{id}/members/{member_id}"},
      {"GET", "/{id}/events"},
      {"GET", "/{id}/events/{event_id}"},
      {"GET", "/{id}/settings"},
      {"GET", "/{id}/tags"},
      {"GET", "/{id}/status"},
  }};
  static const std::array<std::pair<std::string_view, std::string_view>, 10> writes = {{
      {"POST", ""},
      {"PUT", "/{id}"},
      {"PATCH", "/{id}"},
      {"DELETE", "/{id}"},
      {"POST", "/{id}/start"},
      {"POST", "/{id}/stop"},
      {"POST", "/{id}/members"},
      {"DELETE", "/{id}/members/{member_id}"},
      {"PUT", "/{id}/settings"},
      {"POST", "/{id}/tags"},
  }};
  std::string text = "# generated by bench/engine_bench.cpp\n";
  std::string viewer_scopes;
  for (const auto qualifier : qualifiers) {
    for (const auto noun : nouns) {
      const std::string resource = std::string(qualifier) + "-" + std::string(noun);
      const auto add_scope = [&](std::string_view action, const auto& routes) {
        text += "scope " + resource + ":" + std::string(action) + " {\n";
        text += "  summary \"" + std::string(action) + " " + resource + "\"\n";
        for (const auto& [method, suffix] : routes) {
          text += "  " + std::string(method) + " /api/v1/" + resource + std::string(suffix) +
                  "  \"" + std::string(method) + " " + resource + std::string(suffix) + "\"\n";
        }
        text += "}\n\n";
      };
      add_scope("read", reads);
      add_scope("write", writes);
      viewer_scopes += " " + resource + ":read";
    }
  }
  text += "role admin { scopes * }\n";
  text += "role viewer { scopes" + viewer_scopes + " }\n";
  return text;
}

// `size` requests over the generated policy: random endpoints with concrete ids, and
// paths with `/unknown` appended (mostly no route) and wrong methods (1 in 16 each).
// Like the shipped mix, the requests come from a fixed set of principals: anonymous, an
// admin, a viewer, and 330 API keys. 250 of the keys hold 4 scopes each and between them
// every scope once. The other 80 hold 0 to 4 random scopes (16 of each count). A key
// request makes the draws of a key of its own of i % 5 scopes, one of them granting its
// endpoint for i even (the mix until de5b3f9, so the endpoints and paths stay the same),
// and is made by the fixed key holding that granting scope, or else by one of the 16
// keys of i % 5 random scopes. About 37% of key requests hold a granting scope.
Mix large_mix(const Policy& policy, std::size_t size) {
  Mix mix;
  std::mt19937 random(42);      // the requests
  std::mt19937 key_random(43);  // the fixed keys, and which random key a request has
  const auto& endpoints = policy.endpoints();
  const auto& scopes = policy.scopes();
  const auto pick_from = [](std::mt19937& from, std::size_t size) {
    return std::uniform_int_distribution<std::size_t>(0, size - 1)(from);
  };
  const auto pick = [&](std::size_t size) { return pick_from(random, size); };
  const Principal* anonymous = &mix.principals.emplace_back();
  const Principal* admin = &mix.principals.emplace_back(policy.principal_for_role("admin"));
  const Principal* viewer = &mix.principals.emplace_back(policy.principal_for_role("viewer"));
  constexpr std::size_t scopes_per_key = 4;
  constexpr std::size_t random_keys_per_count = 16;
  std::vector<std::string_view> shuffled;
  for (const auto& scope : scopes) shuffled.push_back(scope.name);
  std::shuffle(shuffled.begin(), shuffled.end(), key_random);
  std::unordered_map<std::string_view, const Principal*> key_holding;  // scope -> key
  for (std::size_t first = 0; first < shuffled.size(); first += scopes_per_key) {
    const auto held =
        std::span(shuffled).subspan(first, std::min(scopes_per_key, shuffled.size() - first));
    const Principal* key = &mix.principals.emplace_back(
        policy.principal_for_key(std::vector<std::string>(held.begin(), held.end())));
    for (const std::string_view name : held) key_holding[name] = key;
  }
  std::vector<const Principal*> random_keys;  // random_keys_per_count of 0 scopes, then 1, ...
  for (std::size_t count = 0; count <= scopes_per_key; ++count) {
    for (std::size_t k = 0; k < random_keys_per_count; ++k) {
      std::vector<std::string> names;
      while (names.size() < count)
        names.emplace_back(scopes[pick_from(key_random, scopes.size())].name);
      random_keys.push_back(&mix.principals.emplace_back(policy.principal_for_key(names)));
    }
  }
  for (std::size_t i = 0; i < size; ++i) {
    const Endpoint& endpoint = endpoints[pick(endpoints.size())];
    const std::size_t variant = pick(6);
    auto [method, key] = method_and_key(endpoint, variant);
    std::string path = concrete_path(endpoint, variant);
    const std::size_t kind = i % 16;
    if (kind == 14) {
      // No route, or (after a template ending in a resource, `/unknown` is an `{id}`)
      // another one: the baseline is handed the template decide() finds.
      path += "/unknown";
      const Endpoint* found = policy.decide(Principal{}, method, path).endpoint();
      key = found != nullptr
                ? baseline_key(scopegate::to_string(found->method), found->path_template)
                : baseline_key(method, path);
    } else if (kind == 15) {
      method = "OPTIONS";  // the generated policy lists no OPTIONS route: 405
      key = baseline_key(method, endpoint.path_template);
    }
    const Principal* principal = nullptr;
    if (kind == 0) {
      principal = anonymous;
    } else if (kind == 1) {
      principal = admin;
    } else if (kind == 2) {
      principal = viewer;
    } else {
      const std::size_t count = i % 5;
      const bool granting = count > 0 && i % 2 == 0 && !endpoint.key_scopes().empty();
      for (std::size_t drawn = granting ? 1 : 0; drawn < count; ++drawn) pick(scopes.size());
      principal = granting ? key_holding.at(endpoint.key_scopes().front())
                           : random_keys[count * random_keys_per_count +
                                         pick_from(key_random, random_keys_per_count)];
    }
    mix.drafts.push_back({principal, std::move(method), std::move(path), std::move(key)});
  }
  mix.pack();
  return mix;
}

// What the baseline knows per "METHOD template": who may call it, and which scope bits
// grant it to a key and to a user.
struct BaselineEntry {
  Access access = Access::scoped;
  std::uint64_t key_mask = 0;
  std::uint64_t user_mask = 0;
};

struct BaselineRequest {
  PrincipalKind kind = PrincipalKind::anonymous;
  std::uint64_t held = 0;  // the principal's scope bits
  const std::string* key = nullptr;
};

struct Baseline {
  std::unordered_map<std::string, BaselineEntry> routes;
  std::vector<BaselineRequest> requests;

  bool allowed(const BaselineRequest& request) const {
    const auto found = routes.find(*request.key);
    if (found == routes.end()) return false;
    const BaselineEntry& entry = found->second;
    switch (entry.access) {
      case Access::public_:
        return true;
      case Access::authenticated:
        return request.kind != PrincipalKind::anonymous;
      case Access::scoped:
        break;
    }
    const std::uint64_t mask =
        request.kind == PrincipalKind::api_key ? entry.key_mask : entry.user_mask;
    return (request.held & mask) != 0;
  }
};

std::uint64_t scope_bits(const Policy& policy, std::span<const std::string_view> names) {
  std::uint64_t bits = 0;
  for (const std::string_view name : names) {
    const auto id = policy.find_scope(name);
    if (id && *id < 64) bits |= std::uint64_t{1} << *id;
  }
  return bits;
}

Baseline make_baseline(const Policy& policy, const Mix& mix) {
  if (policy.scopes().size() > 64) throw std::runtime_error("baseline needs <= 64 scopes");
  Baseline baseline;
  for (const Endpoint& endpoint : policy.endpoints()) {
    baseline.routes[baseline_key(scopegate::to_string(endpoint.method), endpoint.path_template)] = {
        endpoint.access, scope_bits(policy, endpoint.key_scopes()),
        scope_bits(policy, endpoint.user_scopes())};
  }
  for (std::size_t i = 0; i < mix.requests.size(); ++i) {
    const Principal& principal = *mix.requests[i].principal;
    std::uint64_t held = 0;
    for (std::uint32_t id = 0; id < policy.scopes().size(); ++id) {
      if (principal.scopes().contains(id)) held |= std::uint64_t{1} << id;
    }
    baseline.requests.push_back({principal.kind(), held, &mix.baseline_keys[i]});
  }
  return baseline;
}

// The same hand-written baseline for a policy of more than 64 scopes: the granting scope
// ids kept in the map's entry (up to 4, which the generated policy never exceeds: each
// of its endpoints has one granting scope), tested on the principal's own ScopeSet as
// decide() tests them.
struct WideEntry {
  Access access = Access::scoped;
  std::uint8_t key_count = 0;
  std::uint8_t user_count = 0;
  std::array<scopegate::ScopeId, 4> key_scopes{};
  std::array<scopegate::ScopeId, 4> user_scopes{};
};

struct WideRequest {
  const Principal* principal = nullptr;
  const std::string* key = nullptr;
};

struct WideBaseline {
  std::unordered_map<std::string, WideEntry> routes;
  std::vector<WideRequest> requests;

  bool allowed(const WideRequest& request) const {
    const auto found = routes.find(*request.key);
    if (found == routes.end()) return false;
    const WideEntry& entry = found->second;
    const PrincipalKind kind = request.principal->kind();
    switch (entry.access) {
      case Access::public_:
        return true;
      case Access::authenticated:
        return kind != PrincipalKind::anonymous;
      case Access::scoped:
        break;
    }
    const bool key = kind == PrincipalKind::api_key;
    const std::uint8_t count = key ? entry.key_count : entry.user_count;
    const auto& scopes = key ? entry.key_scopes : entry.user_scopes;
    for (std::uint8_t i = 0; i < count; ++i) {
      if (request.principal->scopes().contains(scopes[i])) return true;
    }
    return false;
  }
};

WideBaseline make_wide_baseline(const Policy& policy, const Mix& mix) {
  WideBaseline baseline;
  const auto ids = [&policy](std::span<const std::string_view> names, auto& out) {
    if (names.size() > out.size()) throw std::runtime_error("wide baseline: > 4 granting scopes");
    for (std::size_t i = 0; i < names.size(); ++i) out[i] = policy.find_scope(names[i]).value();
    return static_cast<std::uint8_t>(names.size());
  };
  for (const Endpoint& endpoint : policy.endpoints()) {
    WideEntry entry;
    entry.access = endpoint.access;
    entry.key_count = ids(endpoint.key_scopes(), entry.key_scopes);
    entry.user_count = ids(endpoint.user_scopes(), entry.user_scopes);
    baseline.routes[baseline_key(scopegate::to_string(endpoint.method), endpoint.path_template)] =
        entry;
  }
  for (std::size_t i = 0; i < mix.requests.size(); ++i) {
    baseline.requests.push_back({mix.requests[i].principal, &mix.baseline_keys[i]});
  }
  return baseline;
}

struct Fixture {
  std::shared_ptr<const Policy> policy;
  Mix mix;
  std::string error;
};

const Fixture& shipped() {
  static const Fixture fixture = [] {
    Fixture result;
    auto compiled = scopegate::compile_files({std::string(SCOPEGATE_SOURCE_DIR) + "/policies"});
    if (!compiled) {
      result.error = compiled.error().render();
      return result;
    }
    result.policy = std::make_shared<const Policy>(std::move(*compiled));
    result.mix = shipped_mix(*result.policy);
    return result;
  }();
  return fixture;
}

const std::string& large_text() {
  static const std::string text = generated_policy_text();
  return text;
}

struct LargePolicy {
  std::shared_ptr<const Policy> policy;
  std::string error;
};

const LargePolicy& large_policy() {
  static const LargePolicy large = [] {
    LargePolicy result;
    auto compiled = scopegate::compile_source("generated.policy", large_text());
    if (!compiled) {
      result.error = compiled.error().render().substr(0, 2000);
    } else {
      result.policy = std::make_shared<const Policy>(std::move(*compiled));
    }
    return result;
  }();
  return large;
}

// The generated policy with a mix of `size` requests.
Fixture large(std::size_t size) {
  const LargePolicy& large = large_policy();
  Fixture fixture;
  fixture.error = large.error;
  if (!large.policy) return fixture;
  fixture.policy = large.policy;
  fixture.mix = large_mix(*large.policy, size);
  return fixture;
}

// The mix of `size` requests with its request data cold, much as this harness laid it
// out until de5b3f9: each request's principal a copy of its own (the anonymous, admin
// and viewer ones too, which were shared) and its path a string of its own, allocated
// in request order (the methods stay in the mix's text). Each decision then reads its
// principal, its scope bits and its path where no other decision did, and those reads
// push the policy out of the caches: what a caller whose requests' data is not in cache
// pays on top of BM_decide_large.
Fixture large_cold(std::size_t size) {
  Fixture fixture = large(size);
  if (!fixture.policy) return fixture;
  Mix& mix = fixture.mix;
  for (Request& request : mix.requests) {
    request.principal = &mix.principals.emplace_back(*request.principal);
    request.path = mix.own_paths.emplace_back(request.path);
  }
  return fixture;
}

void add_policy_counters(benchmark::State& state, const Fixture& fixture) {
  const double routes = static_cast<double>(fixture.policy->endpoints().size());
  const double bytes = static_cast<double>(fixture.policy->memory_usage());
  state.counters["routes"] = routes;
  state.counters["scopes"] = static_cast<double>(fixture.policy->scopes().size());
  state.counters["policy_bytes"] = bytes;
  state.counters["bytes_per_route"] = bytes / routes;
  state.counters["mix"] = static_cast<double>(fixture.mix.requests.size());
}

// The share of the mix that is allowed, so that a broken mix (all denied) shows.
double allowed_share(const Fixture& fixture) {
  std::size_t allowed = 0;
  for (const Request& request : fixture.mix.requests) {
    if (fixture.policy->decide(*request.principal, request.method, request.path).allowed()) {
      ++allowed;
    }
  }
  return static_cast<double>(allowed) / static_cast<double>(fixture.mix.requests.size());
}

void run_decide(benchmark::State& state, const Fixture& fixture) {
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  const Policy& policy = *fixture.policy;
  const std::vector<Request>& requests = fixture.mix.requests;
  std::size_t next = 0;
  for (auto _ : state) {
    const Request& request = requests[next];
    Decision decision = policy.decide(*request.principal, request.method, request.path);
    benchmark::DoNotOptimize(decision);
    if (++next == requests.size()) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
  add_policy_counters(state, fixture);
  state.counters["allowed_share"] = allowed_share(fixture);
}

void BM_decide_shipped(benchmark::State& state) { run_decide(state, shipped()); }
BENCHMARK(BM_decide_shipped);

void BM_engine_decide_shipped(benchmark::State& state) {
  const Fixture& fixture = shipped();
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  auto compiled = scopegate::compile_files({std::string(SCOPEGATE_SOURCE_DIR) + "/policies"});
  const scopegate::Engine engine{std::move(*compiled)};
  // Principals bound to the engine's own policy, so that none needs rebinding.
  const auto current = engine.policy();
  std::vector<Principal> principals;
  principals.reserve(fixture.mix.requests.size());
  for (const Request& request : fixture.mix.requests) {
    principals.push_back(current->rebind(*request.principal));
  }
  const std::vector<Request>& requests = fixture.mix.requests;
  std::size_t next = 0;
  for (auto _ : state) {
    const Request& request = requests[next];
    Decision decision = engine.decide(principals[next], request.method, request.path);
    benchmark::DoNotOptimize(decision);
    if (++next == requests.size()) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_engine_decide_shipped);

// split_path() alone on the shipped mix's paths: the part of a decision that validates
// and splits the path, before any route is looked at.
void BM_split_path_shipped(benchmark::State& state) {
  const Fixture& fixture = shipped();
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  const std::vector<Request>& requests = fixture.mix.requests;
  std::size_t next = 0;
  for (auto _ : state) {
    scopegate::PathSegments segments;
    const auto error = scopegate::split_path(requests[next].path, segments);
    benchmark::DoNotOptimize(error);
    benchmark::DoNotOptimize(segments);
    if (++next == requests.size()) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_split_path_shipped);

// Times `baseline` (a Baseline or a WideBaseline of `fixture`'s mix), once it is checked
// to agree with the engine on every request: otherwise the comparison means nothing.
template <typename AnyBaseline>
void run_baseline(benchmark::State& state, const Fixture& fixture, const AnyBaseline& baseline) {
  for (std::size_t i = 0; i < baseline.requests.size(); ++i) {
    const Request& request = fixture.mix.requests[i];
    const bool engine_allowed =
        fixture.policy->decide(*request.principal, request.method, request.path).allowed();
    if (engine_allowed != baseline.allowed(baseline.requests[i])) {
      const std::string message = "baseline disagrees with the engine on " +
                                  std::string(request.method) + " " + std::string(request.path);
      state.SkipWithError(message.c_str());
      return;
    }
  }
  std::size_t next = 0;
  for (auto _ : state) {
    bool allowed = baseline.allowed(baseline.requests[next]);
    benchmark::DoNotOptimize(allowed);
    if (++next == baseline.requests.size()) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_baseline_shipped(benchmark::State& state) {
  const Fixture& fixture = shipped();
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  run_baseline(state, fixture, make_baseline(*fixture.policy, fixture.mix));
}
BENCHMARK(BM_baseline_shipped);

// The argument is the size of the request mix: 512 is about the shipped mix's size
// (456), 4096 spreads the requests over more of the trie and of memory.
void BM_decide_large(benchmark::State& state) {
  run_decide(state, large(static_cast<std::size_t>(state.range(0))));
}
BENCHMARK(BM_decide_large)->Arg(512)->Arg(4096);

// The wide baseline on the same mixes: what the large mixes cost a hand-written map that
// is handed the template, so that the growth from /512 to /4096 (the policy's memory no
// longer in cache) can be told apart from the engine's own.
void BM_baseline_large(benchmark::State& state) {
  const Fixture fixture = large(static_cast<std::size_t>(state.range(0)));
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  run_baseline(state, fixture, make_wide_baseline(*fixture.policy, fixture.mix));
}
BENCHMARK(BM_baseline_large)->Arg(512)->Arg(4096);

// The 4096-request mix with cold request data (see large_cold()).
void BM_decide_large_cold(benchmark::State& state) {
  run_decide(state, large_cold(static_cast<std::size_t>(state.range(0))));
}
BENCHMARK(BM_decide_large_cold)->Arg(4096);

void BM_compile_large(benchmark::State& state) {
  const std::string& text = large_text();
  for (auto _ : state) {
    auto compiled = scopegate::compile_source("generated.policy", text);
    if (!compiled) {
      state.SkipWithError("the generated policy does not compile");
      return;
    }
    benchmark::DoNotOptimize(compiled);
  }
  state.counters["source_bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_compile_large)->Unit(benchmark::kMillisecond);

void BM_compile_shipped(benchmark::State& state) {
  for (auto _ : state) {
    auto compiled = scopegate::compile_files({std::string(SCOPEGATE_SOURCE_DIR) + "/policies"});
    if (!compiled) {
      state.SkipWithError("the shipped policy does not compile");
      return;
    }
    benchmark::DoNotOptimize(compiled);
  }
}
BENCHMARK(BM_compile_shipped)->Unit(benchmark::kMicrosecond);

}  // namespace

// Conditions cost (issue 4's target: a decision through conditions and forbid rules
// costs at most 2x a plain one). Two versions of the same key-accessible policy, one
// plain and one with the shipped kinds of rules (a `when` size cap on audit logs and the
// allowed_cidrs forbid rule on every /api/v1 route), decided over the same mix, with
// the same full Request (client IP, no headers), and API keys that carry allowed_cidrs
// that admit that IP, so every forbid condition is evaluated to the end.
constexpr std::string_view condition_policy_routes = R"(
scope sessions:read {
  GET /api/v1/sessions        "List all sessions"
  GET /api/v1/sessions/{id}   "Get session details"
}
scope sessions:write {
  POST /api/v1/sessions              "Start a new session"
  POST /api/v1/sessions/{id}/stop    "Stop a session"
  POST /api/v1/sessions/{id}/extend  "Extend session duration"
}
scope resources:read {
  GET /api/v1/resources       "List all resources"
  GET /api/v1/resources/{id}  "Get resource details"
}
public { GET /healthz }
authenticated { GET /api/v1/auth/me }
role admin { scopes * }
)";

std::string condition_policy_text(bool with_conditions) {
  std::string text(condition_policy_routes);
  if (with_conditions) {
    text += R"(
scope audit:read {
  GET /api/v1/audit-logs "List audit logs" when not request.query.size > 100
}
forbid * /api/v1/** when principal.kind == "api_key" and principal.allowed_cidrs != []
                     and not request.ip in principal.allowed_cidrs {
  message "API key is not allowed from this address"
}
)";
  } else {
    text += "scope audit:read {\n  GET /api/v1/audit-logs \"List audit logs\"\n}\n";
  }
  return text;
}

const Fixture& condition_fixture(bool with_conditions) {
  static const std::array<Fixture, 2> fixtures = [] {
    std::array<Fixture, 2> result;
    for (const bool conditions : {false, true}) {
      Fixture& fixture = result[conditions ? 1 : 0];
      auto compiled = scopegate::compile_source("bench.policy", condition_policy_text(conditions));
      if (!compiled) {
        fixture.error = compiled.error().render();
        continue;
      }
      fixture.policy = std::make_shared<const Policy>(std::move(*compiled));
      fixture.mix = shipped_mix(*fixture.policy);
      for (Principal& principal : fixture.mix.principals) {
        if (principal.kind() == scopegate::PrincipalKind::api_key) {
          principal.set_allowed_cidrs(
              {*scopegate::parse_cidr("10.0.0.0/8"), *scopegate::parse_cidr("192.0.2.0/24")});
        }
      }
    }
    return result;
  }();
  return fixtures[with_conditions ? 1 : 0];
}

void run_decide_request(benchmark::State& state, const Fixture& fixture) {
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  const Policy& policy = *fixture.policy;
  const std::vector<Request>& requests = fixture.mix.requests;
  const auto client = scopegate::parse_ip("10.1.2.3");
  std::size_t next = 0;
  for (auto _ : state) {
    const Request& request = requests[next];
    const scopegate::Request input{request.method, request.path, client, {}, 1'790'000'000};
    Decision decision = policy.decide(*request.principal, input);
    benchmark::DoNotOptimize(decision);
    if (++next == requests.size()) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
  add_policy_counters(state, fixture);
  std::size_t allowed = 0;
  for (const Request& request : requests) {
    const scopegate::Request input{request.method, request.path, client, {}, 1'790'000'000};
    allowed += policy.decide(*request.principal, input).allowed() ? 1 : 0;
  }
  state.counters["allowed_share"] =
      static_cast<double>(allowed) / static_cast<double>(requests.size());
}

void BM_decide_plain_rules(benchmark::State& state) {
  run_decide_request(state, condition_fixture(false));
}
BENCHMARK(BM_decide_plain_rules);

void BM_decide_condition_rules(benchmark::State& state) {
  run_decide_request(state, condition_fixture(true));
}
BENCHMARK(BM_decide_condition_rules);

BENCHMARK_MAIN();
