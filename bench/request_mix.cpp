// The shipped and the large request mixes (request_mix.hpp): concrete paths for each
// endpoint, the principals that ask, unknown routes and wrong methods, in a fixed order.
#include "request_mix.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <span>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace bench {
namespace {

using scopegate::Endpoint;
using scopegate::Method;
using scopegate::SegmentKind;

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

}  // namespace

void Mix::pack() {
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

std::string baseline_key(std::string_view method, std::string_view path_template) {
  std::string key(method);
  key += ' ';
  key += path_template;
  return key;
}

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

}  // namespace bench
