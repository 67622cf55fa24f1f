// Route resolution against a brute-force reference: random policies over a small
// alphabet (so that templates share prefixes and paths collide), random paths derived
// from their templates, and every answer of Policy::decide compared with one computed
// by trying each endpoint's template in turn. Fixed seeds: deterministic.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support.hpp"

using namespace scopegate;
using namespace scopegate::test;

namespace {

// Some longer than 8 bytes, two sharing their first 8, some prefixes of others.
const std::vector<std::string> literal_alphabet = {"a",        "b",  "api",        "v1",
                                                   "sessions", "ab", "abcdefghij", "abcdefghijk"};

// Only GET..DELETE and `*` on routes; PATCH and HEAD requests reach `*` endpoints only.
const std::vector<Method> route_methods = {Method::get, Method::post, Method::put, Method::delete_,
                                           Method::any};
const std::vector<std::string> request_methods = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};

using Rng = std::mt19937;

std::size_t pick(Rng& rng, std::size_t count) {
  return std::uniform_int_distribution<std::size_t>(0, count - 1)(rng);
}

bool chance(Rng& rng, double p) { return std::bernoulli_distribution(p)(rng); }

template <typename T>
const T& pick_from(Rng& rng, const std::vector<T>& items) {
  return items[pick(rng, items.size())];
}

// ---- Random policies ------------------------------------------------------------------

// A template's segments as written, e.g. {"api", "{p3}", "**"}.
using Written = std::vector<std::string>;

std::string join_template(const Written& segments) {
  if (segments.empty()) return "/";
  std::string out;
  for (const std::string& segment : segments) out.append("/").append(segment);
  return out;
}

// One segment that is not `**`. Parameter names are unique within a template (six
// names, at most five segments) and random, so that endpoints sharing a trie node
// often bind their parameters under different names.
std::string random_segment(Rng& rng, const Written& before) {
  const std::size_t roll = pick(rng, 10);
  if (roll < 7) return pick_from(rng, literal_alphabet);
  if (roll == 9) return "*";
  while (true) {
    const std::string name = "{p" + std::to_string(pick(rng, 6)) + "}";
    if (std::find(before.begin(), before.end(), name) == before.end()) return name;
  }
}

// Grows `prefix` by random segments to `depth` (at most 5), ending in `**` sometimes.
Written extend(Rng& rng, Written prefix, std::size_t depth) {
  while (prefix.size() < depth) prefix.push_back(random_segment(rng, prefix));
  if (prefix.size() < 5 && chance(rng, 0.2)) prefix.push_back("**");
  return prefix;
}

// The first `size` segments of `segments`, without a `**` (only last).
Written prefix_of(const Written& segments, std::size_t size) {
  Written out(segments.begin(),
              segments.begin() + static_cast<std::ptrdiff_t>(std::min(size, segments.size())));
  if (!out.empty() && out.back() == "**") out.pop_back();
  return out;
}

// Templates sharing prefixes: most extend a prefix of an earlier one, some are all
// literals 4 or 5 deep (chains of nodes with one literal child), and sometimes one
// prefix gets 9 to 20 literal children "n0".."n19" (a node looked up through a hash).
std::vector<Written> random_templates(Rng& rng) {
  std::vector<Written> out;
  const std::size_t count = 4 + pick(rng, 20);
  while (out.size() < count) {
    const std::size_t roll = pick(rng, 10);
    if (roll < 2) {
      Written chain;
      const std::size_t depth = 4 + pick(rng, 2);
      while (chain.size() < depth) chain.push_back(pick_from(rng, literal_alphabet));
      out.push_back(chain);
    } else if (roll < 8 && !out.empty()) {
      const Written& base = pick_from(rng, out);
      const Written prefix = prefix_of(base, pick(rng, base.size() + 1));
      out.push_back(extend(rng, prefix, prefix.size() + pick(rng, 6 - prefix.size())));
    } else {
      out.push_back(extend(rng, {}, pick(rng, 6)));
    }
  }
  if (chance(rng, 0.25)) {
    const Written& base = pick_from(rng, out);
    const Written prefix = prefix_of(base, std::min<std::size_t>(pick(rng, base.size() + 1), 3));
    const std::size_t siblings = 9 + pick(rng, 12);
    for (std::size_t i = 0; i < siblings; ++i) {
      Written sibling = prefix;
      sibling.push_back("n" + std::to_string(i));
      out.push_back(chance(rng, 0.3) ? extend(rng, sibling, sibling.size() + 1) : sibling);
    }
  }
  return out;
}

PolicyInput random_policy_input(Rng& rng) {
  PolicyInput in;
  in.scopes = {scope("r:all")};
  for (const Written& segments : random_templates(rng)) {
    // One to three methods per template, so templates have several endpoints.
    const std::size_t methods = 1 + pick(rng, 3);
    for (std::size_t i = 0; i < methods; ++i) {
      in.routes.push_back(route(pick_from(rng, route_methods), join_template(segments), "r:all"));
    }
  }
  return in;
}

// Builds the policy, dropping the routes the builder refuses (repeats of a method and
// template, and route ties: the same method on templates of the same shape).
std::optional<std::pair<Policy, std::vector<RouteSpec>>> build_dropping_refused(PolicyInput in) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto built = try_build(in);
    if (built) return std::pair{std::move(built).value(), in.routes};
    std::set<std::size_t> refused;
    for (const BuildError& e : built.error()) {
      if (e.subject == BuildError::Subject::route) refused.insert(e.first);
    }
    std::vector<RouteSpec> kept;
    for (std::size_t i = 0; i < in.routes.size(); ++i) {
      if (refused.count(i) == 0) kept.push_back(in.routes[i]);
    }
    in.routes = std::move(kept);
  }
  return std::nullopt;
}

std::string describe_routes(const std::vector<RouteSpec>& routes) {
  std::string out;
  for (const RouteSpec& r : routes)
    out.append(to_string(r.method)).append(" ").append(r.path_template).append("\n");
  return out;
}

// ---- Random paths ---------------------------------------------------------------------

// `text` with one byte percent-encoded, in upper- or lowercase hex.
std::string encode_one_byte(Rng& rng, const std::string& text) {
  const std::string_view digits = chance(rng, 0.5) ? "0123456789ABCDEF" : "0123456789abcdef";
  const std::size_t at = pick(rng, text.size());
  const auto byte = static_cast<unsigned char>(text[at]);
  return text.substr(0, at) + '%' + digits[byte >> 4U] + digits[byte & 15U] + text.substr(at + 1);
}

// What fills a wildcard or replaces a segment: literals of the policy, near misses of
// them, and ids.
std::string random_filler(Rng& rng) {
  const std::size_t roll = pick(rng, 10);
  if (roll < 5) return pick_from(rng, literal_alphabet);
  if (roll < 7) return "n" + std::to_string(pick(rng, 24));
  if (roll < 8) return pick_from(rng, literal_alphabet) + "x";
  return std::to_string(pick(rng, 100));
}

std::string maybe_encoded(Rng& rng, std::string segment) {
  return chance(rng, 0.15) ? encode_one_byte(rng, segment) : segment;
}

// A request path: a template's segments with wildcards filled and `**` expanded to 0-3
// segments, then sometimes one segment dropped, added or replaced.
std::string random_path(Rng& rng, const std::vector<RouteSpec>& routes) {
  std::vector<std::string> segments;
  const Template parsed = parse_template(pick_from(rng, routes).path_template).value();
  for (const Segment& segment : parsed.segments) {
    if (segment.kind == SegmentKind::literal) {
      segments.push_back(maybe_encoded(rng, segment.text));
    } else if (segment.kind == SegmentKind::rest) {
      for (std::size_t n = pick(rng, 4); n > 0; --n)
        segments.push_back(maybe_encoded(rng, random_filler(rng)));
    } else {
      segments.push_back(maybe_encoded(rng, random_filler(rng)));
    }
  }
  const std::size_t mutation = pick(rng, 8);
  if (mutation == 0 && !segments.empty()) {
    segments.erase(segments.begin() + static_cast<std::ptrdiff_t>(pick(rng, segments.size())));
  } else if (mutation == 1) {
    segments.insert(segments.begin() + static_cast<std::ptrdiff_t>(pick(rng, segments.size() + 1)),
                    maybe_encoded(rng, random_filler(rng)));
  } else if (mutation == 2 && !segments.empty()) {
    segments[pick(rng, segments.size())] = maybe_encoded(rng, random_filler(rng));
  }
  if (segments.empty()) return "/";
  std::string out;
  for (const std::string& segment : segments) out.append("/").append(segment);
  return out;
}

// ---- The reference --------------------------------------------------------------------

// What a decision says about routing, comparable and printable.
struct Answer {
  Reason reason = Reason::no_route;
  std::string endpoint;  // "GET /a/{p0}"; empty unless allowed
  std::vector<std::pair<std::string, std::string>> params;
  std::string allow;  // the Allow header of a 405

  friend bool operator==(const Answer&, const Answer&) = default;
};

std::ostream& operator<<(std::ostream& out, const Answer& a) {
  out << to_string(a.reason);
  if (!a.endpoint.empty()) out << " " << a.endpoint;
  for (const auto& [name, value] : a.params) out << " " << name << "=" << value;
  if (!a.allow.empty()) out << " allow='" << a.allow << "'";
  return out;
}

Answer engine_answer(const Decision& d) {
  Answer a;
  a.reason = d.reason();
  if (d.endpoint() != nullptr) {
    a.endpoint = std::string(to_string(d.endpoint()->method)) + " " +
                 std::string(d.endpoint()->path_template);
  }
  a.params = bound_params(d);
  a.allow = d.allowed_methods();
  return a;
}

// A request path split into segments, each as sent and decoded.
struct RequestPath {
  std::vector<std::string> raw;
  std::vector<std::string> decoded;
};

RequestPath split_request(std::string_view path) {
  PathSegments split;
  REQUIRE(split_path(path, split) == PathError::none);
  RequestPath out;
  for (std::size_t i = 0; i < split.size; ++i) {
    out.raw.emplace_back(split.segment(i));
    out.decoded.push_back(percent_decode(split.segment(i)));
  }
  return out;
}

bool matches(const Template& t, const RequestPath& path) {
  const std::vector<Segment>& segments = t.segments;
  const bool rest = !segments.empty() && segments.back().kind == SegmentKind::rest;
  const std::size_t fixed = segments.size() - (rest ? 1 : 0);
  if (rest ? path.decoded.size() < fixed : path.decoded.size() != fixed) return false;
  for (std::size_t i = 0; i < fixed; ++i) {
    if (segments[i].kind == SegmentKind::literal && segments[i].text != path.decoded[i])
      return false;
  }
  return true;
}

// Precedence as a sequence compared lexicographically, greater wins: literal >
// `{param}`/`*` > `**`. A template that ends where the path ends gets a mark that beats
// `**`, the only segment another matching template can have at that position.
std::vector<int> precedence(const Template& t) {
  std::vector<int> key;
  for (const Segment& segment : t.segments) {
    key.push_back(segment.kind == SegmentKind::literal ? 3
                  : segment.kind == SegmentKind::rest  ? 0
                                                       : 2);
  }
  if (key.empty() || key.back() != 0) key.push_back(1);
  return key;
}

// Tries every endpoint: among the templates matching the path (one per shape: `{x}` and
// `*` are the same), the one of highest precedence with an endpoint for the method or
// for `*`, the exact method first. None: 405 listing every matching endpoint's method,
// or 404 when nothing matches the path.
Answer reference_answer(const std::vector<RouteSpec>& routes, std::string_view method,
                        const RequestPath& path) {
  struct Candidate {
    std::vector<int> precedence;
    int method_rank;  // 2: the request's method, 1: `*`, 0: neither
    const RouteSpec* route;
    Template parsed;
  };
  const std::optional<Method> wanted = parse_method(method);
  std::vector<Candidate> candidates;
  unsigned path_methods = 0;
  for (const RouteSpec& r : routes) {
    Template parsed = parse_template(r.path_template).value();
    if (!matches(parsed, path)) continue;
    path_methods |= 1U << static_cast<unsigned>(r.method);
    const int rank = r.method == wanted ? 2 : r.method == Method::any ? 1 : 0;
    candidates.push_back({precedence(parsed), rank, &r, std::move(parsed)});
  }
  Answer a;
  const auto best = std::max_element(
      candidates.begin(), candidates.end(), [](const Candidate& x, const Candidate& y) {
        if (x.method_rank == 0 || y.method_rank == 0)
          return x.method_rank == 0 && y.method_rank != 0;
        return std::pair(x.precedence, x.method_rank) < std::pair(y.precedence, y.method_rank);
      });
  if (best == candidates.end()) return a;
  if (best->method_rank == 0) {
    a.reason = Reason::method_not_allowed;
    for (std::size_t m = 0; m < method_count; ++m) {
      if ((path_methods >> m & 1U) == 0) continue;
      if (!a.allow.empty()) a.allow += ", ";
      a.allow += method_names[m];
    }
    return a;
  }
  a.reason = Reason::allowed;
  a.endpoint = std::string(to_string(best->route->method)) + " " + best->route->path_template;
  for (std::size_t i = 0; i < best->parsed.segments.size(); ++i) {
    const Segment& segment = best->parsed.segments[i];
    if (segment.kind == SegmentKind::param) a.params.emplace_back(segment.text, path.raw[i]);
  }
  return a;
}

}  // namespace

TEST_CASE("engine: route resolution agrees with a brute-force reference on random policies",
          "[differential]") {
  constexpr std::uint32_t seeds = 400;
  constexpr std::size_t requests_per_policy = 60;
  std::size_t policies = 0;
  std::size_t compared = 0;
  std::map<Reason, std::size_t> outcomes;
  for (std::uint32_t seed = 1; seed <= seeds; ++seed) {
    Rng rng(seed);
    const auto built = build_dropping_refused(random_policy_input(rng));
    if (!built) continue;
    ++policies;
    const auto& [policy, routes] = *built;
    const Principal key = policy.principal_for_key({"r:all"});
    INFO("seed " << seed << ", routes:\n" << describe_routes(routes));
    for (std::size_t i = 0; i < requests_per_policy; ++i) {
      const std::string& method = pick_from(rng, request_methods);
      const std::string path = random_path(rng, routes);
      INFO(method << " " << path);
      const Answer expected = reference_answer(routes, method, split_request(path));
      const Answer actual = engine_answer(policy.decide(key, method, path));
      ++compared;
      ++outcomes[expected.reason];
      CHECK(actual == expected);
      if (actual != expected) break;  // one report per policy is enough to debug it
    }
  }
  WARN("policies " << policies << ", decisions " << compared << ": allowed "
                   << outcomes[Reason::allowed] << ", 405 " << outcomes[Reason::method_not_allowed]
                   << ", 404 " << outcomes[Reason::no_route]);
  // Enough of each outcome that the test cannot pass by comparing nothing.
  CHECK(policies >= seeds * 9 / 10);
  CHECK(outcomes[Reason::allowed] >= compared / 4);
  CHECK(outcomes[Reason::method_not_allowed] >= compared / 20);
  CHECK(outcomes[Reason::no_route] >= compared / 20);
}
