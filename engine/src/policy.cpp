// Policy::decide and the read-only accessors. See policy_builder.cpp for how the trie
// and the grants are built.
#include "scopegate/policy.hpp"

#include <algorithm>

#include "condition_program.hpp"
#include "policy_impl.hpp"
#include "scopegate/path.hpp"

namespace scopegate {
namespace {

constexpr std::string_view unauthenticated_message = "Authentication required";
constexpr std::string_view no_route_message = "No endpoint matches this path";
constexpr std::string_view method_not_allowed_message = "Method not allowed for this path";
constexpr std::string_view allowed_message = "Allowed";

// Where the search stands; lives on decide()'s stack.
struct Search {
  Search(const PathSegments& segments, std::size_t slot) noexcept : path(segments), method_slot(slot) {}

  const PathSegments& path;
  std::size_t method_slot;  // index into TrieNode::by_method; method_count if unknown
  std::array<std::uint8_t, max_path_segments> captured;  // segment index of each wildcard
  std::size_t captured_count = 0;
  std::uint32_t endpoint = no_index;
  std::uint8_t path_methods = 0;  // methods of every endpoint matching the path (for 405)
};

std::uint32_t endpoint_for(const TrieNode& node, std::size_t method_slot) noexcept {
  constexpr auto any = static_cast<std::size_t>(Method::any);
  if (method_slot < any && node.by_method[method_slot] != no_index) {
    return node.by_method[method_slot];
  }
  return node.by_method[any];
}

// Literals are sorted by (size, text): most probes stop at the size comparison.
std::uint32_t find_literal(const TrieNode& node, std::string_view segment, bool encoded) noexcept {
  const auto& literals = node.literals;
  if (encoded) {  // rare: compare decoded bytes, one by one
    for (const auto& [text, child] : literals) {
      if (compare_segment(segment, text) == 0) return child;
    }
    return no_index;
  }
  std::size_t low = 0;
  std::size_t high = literals.size();
  while (low < high) {
    const std::size_t middle = (low + high) / 2;
    const std::string& text = literals[middle].first;
    int order = segment.size() < text.size() ? -1 : segment.size() > text.size() ? 1 : 0;
    if (order == 0) order = std::char_traits<char>::compare(segment.data(), text.data(), text.size());
    if (order == 0) return literals[middle].second;
    if (order > 0) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return no_index;
}

// Terminal check at `node` for the request's method; collects the methods of every
// node that matches the path (the Allow header of a 405).
bool accept(const std::vector<TrieNode>& nodes, std::uint32_t index, Search& search) noexcept {
  const TrieNode& node = nodes[index];
  if (!node.has_endpoints) return false;
  const std::uint32_t endpoint = endpoint_for(node, search.method_slot);
  if (endpoint != no_index) {
    search.endpoint = endpoint;
    return true;
  }
  search.path_methods |= node.method_mask;
  return false;
}

bool match(const std::vector<TrieNode>& nodes, std::uint32_t index, std::size_t depth,
           Search& search) noexcept {
  const TrieNode& node = nodes[index];
  if (depth == search.path.size) {
    if (accept(nodes, index, search)) return true;
  } else {
    if (!node.literals.empty()) {
      const std::uint32_t child =
          find_literal(node, search.path.segment(depth), search.path.encoded(depth));
      if (child != no_index && match(nodes, child, depth + 1, search)) return true;
    }
    if (node.single != no_index) {
      search.captured[search.captured_count++] = static_cast<std::uint8_t>(depth);
      if (match(nodes, node.single, depth + 1, search)) return true;
      --search.captured_count;
    }
  }
  return node.rest != no_index && accept(nodes, node.rest, search);
}

std::size_t method_slot_of(std::string_view method) noexcept {
  const auto slot = [&](Method m) {
    return method == to_string(m) ? static_cast<std::size_t>(m) : method_count;
  };
  if (method.empty()) return method_count;
  switch (method.front()) {
    case 'G': return slot(Method::get);
    case 'P':
      return method.size() == 4 ? slot(Method::post) : method.size() == 3 ? slot(Method::put)
                                                                           : slot(Method::patch);
    case 'D': return slot(Method::delete_);
    case 'H': return slot(Method::head);
    case 'O': return slot(Method::options);
    default: return method_count;
  }
}

// The first route line granting `endpoint` whose scope `principal` holds and may use
// and whose condition holds: an API key counts plain scopes only, a user any scope but
// future ones. Sets `failed` to the first held grant whose condition failed. Bits of
// another policy mean nothing here, so such a principal holds no scope (fail closed).
const Grant* find_grant(const Policy::Impl& impl, const Endpoint& endpoint,
                        const Principal& principal, const EvalContext& context,
                        const Grant*& failed) noexcept {
  if (!context.principal_bound) return nullptr;
  const bool key = principal.kind() == PrincipalKind::api_key;
  for (const Grant& grant : endpoint.grants) {
    const ScopeKind kind = impl.scopes[grant.scope].kind;
    const bool counts = key ? kind == ScopeKind::plain : kind != ScopeKind::future;
    if (!counts || !principal.scopes().contains(grant.scope)) continue;
    if (!grant.has_condition() || impl.conditions.evaluate(grant.condition, context)) return &grant;
    if (failed == nullptr) failed = &grant;
  }
  return nullptr;
}

// Does `parsed` match the concrete path? (Literals compare after percent-decoding.)
// Binds its `{name}` segments into `params`, returning how many through `count`.
bool template_matches(const Template& parsed, const PathSegments& path, PathParam* params,
                      std::size_t& count) noexcept {
  const auto& segments = parsed.segments;
  count = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].kind == SegmentKind::rest) return true;
    if (i >= path.size) return false;
    const std::string_view segment = path.segment(i);
    if (segments[i].kind == SegmentKind::literal) {
      const bool equal = path.encoded(i) ? compare_segment(segment, segments[i].text) == 0
                                         : segment == segments[i].text;
      if (!equal) return false;
    } else if (segments[i].kind == SegmentKind::param) {
      params[count++] = {segments[i].text, segment};
    }
  }
  return segments.size() == path.size;
}

}  // namespace

Policy::Policy(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Policy::Policy(Policy&&) noexcept = default;
Policy& Policy::operator=(Policy&&) noexcept = default;
Policy::~Policy() = default;

Decision Policy::decide(const Principal& principal, std::string_view method,
                        std::string_view path) const noexcept {
  return decide(principal, Request{method, path, std::nullopt, {}, std::nullopt});
}

Decision Policy::decide(const Principal& principal, const Request& request) const noexcept {
  const std::string_view method = request.method;
  const std::string_view path = request.target;
  Decision decision;
  decision.m_policy = this;
  decision.m_for_key = principal.kind() == PrincipalKind::api_key;

  PathSegments segments;
  if (const PathError error = split_path(path, segments); error != PathError::none) {
    decision.m_reason = Reason::invalid_path;
    decision.m_path_error = error;
    decision.m_message = describe(error);
    return decision;
  }

  Search search(segments, method_slot_of(method));
  if (!match(m_impl->nodes, 0, 0, search)) {
    if (search.path_methods != 0) {
      decision.m_reason = Reason::method_not_allowed;
      decision.m_message = method_not_allowed_message;
      decision.m_allowed_methods = m_impl->allow_headers[search.path_methods];
    } else {
      decision.m_reason = Reason::no_route;
      decision.m_message = no_route_message;
    }
    return decision;
  }

  const Endpoint& endpoint = m_impl->endpoints[search.endpoint];
  decision.m_endpoint = &endpoint;
  decision.m_rule = &endpoint.location;
  for (std::size_t i = 0; i < endpoint.params.size(); ++i) {
    const Endpoint::ParamSlot slot = endpoint.params[i];
    new (decision.m_params + sizeof(PathParam) * i) PathParam{
        endpoint.parsed.segments[slot.segment].text, segments.segment(search.captured[slot.wildcard])};
  }
  decision.m_param_count = static_cast<std::uint8_t>(endpoint.params.size());

  // Every exit below returns `decision` itself, so it is built in place (no copy).
  const auto conclude = [&](Reason reason, std::string_view message, const Grant* grant) {
    decision.m_reason = reason;
    decision.m_message = message;
    if (grant != nullptr) {
      decision.m_grant = grant;
      decision.m_rule = &grant->location;
    }
  };

  const bool bound = principal.policy_id() == m_impl->id;
  const EvalContext context{request, segments, principal, decision.params(), bound};
  const Grant* failed = nullptr;
  if (endpoint.access == Access::public_) {
    conclude(Reason::allowed, allowed_message, nullptr);
  } else if (principal.kind() == PrincipalKind::anonymous) {
    conclude(Reason::unauthenticated, unauthenticated_message, nullptr);
  } else if (endpoint.access == Access::authenticated) {
    conclude(Reason::allowed, allowed_message, nullptr);
  } else if (const Grant* grant = find_grant(*m_impl, endpoint, principal, context, failed)) {
    conclude(Reason::allowed, allowed_message, grant);
  } else if (failed != nullptr) {
    conclude(Reason::condition_failed, failed->condition_message, nullptr);
    decision.m_failed_grant = failed;
    decision.m_rule = &failed->condition_location;
  } else if (principal.kind() == PrincipalKind::user) {
    conclude(Reason::missing_scope, endpoint.user_message, nullptr);
  } else if (endpoint.key_scopes.empty()) {
    conclude(Reason::api_key_not_supported, endpoint.key_message, nullptr);
  } else {
    conclude(Reason::missing_scope, endpoint.key_message, nullptr);
  }
  // A matching forbid rule refuses what would be allowed, whatever granted it. Its
  // condition reads the parameters its own template binds.
  if (decision.allowed() && !endpoint.forbids.empty()) {
    const std::size_t slot = search.method_slot;
    std::array<PathParam, max_path_params> forbid_params;
    for (const std::uint32_t index : endpoint.forbids) {
      const ForbidRule& rule = m_impl->forbids[index];
      const bool method_matches =
          rule.method == Method::any || static_cast<std::size_t>(rule.method) == slot;
      std::size_t bound_count = 0;
      if (!method_matches ||
          !template_matches(rule.parsed, segments, forbid_params.data(), bound_count)) {
        continue;
      }
      const EvalContext forbid_context{request, segments, principal,
                                       {forbid_params.data(), bound_count}, bound};
      if (rule.condition == UINT32_MAX ||
          m_impl->conditions.evaluate(rule.condition, forbid_context)) {
        conclude(Reason::forbidden, rule.message, nullptr);
        decision.m_grant = nullptr;
        decision.m_forbid = &rule;
        decision.m_rule = &rule.location;
        break;
      }
    }
  }
  return decision;
}

Principal Policy::principal_for_key(std::span<const std::string_view> scopes) const {
  Principal principal;
  principal.m_kind = PrincipalKind::api_key;
  principal.m_policy_id = m_impl->id;
  principal.m_scopes = ScopeSet(m_impl->scopes.size());
  for (const std::string_view name : scopes) {
    principal.m_scope_names.emplace_back(name);
    if (const auto id = find_scope(name)) principal.m_scopes.insert_all(m_impl->scopes[*id].closure);
  }
  return principal;
}

Principal Policy::principal_for_key(std::initializer_list<std::string_view> scopes) const {
  return principal_for_key(std::span<const std::string_view>(scopes.begin(), scopes.size()));
}

Principal Policy::principal_for_key(const std::vector<std::string>& scopes) const {
  std::vector<std::string_view> views(scopes.begin(), scopes.end());
  return principal_for_key(std::span<const std::string_view>(views));
}

Principal Policy::principal_for_role(std::string_view role) const {
  Principal principal;
  principal.m_kind = PrincipalKind::user;
  principal.m_policy_id = m_impl->id;
  principal.m_role = std::string(role);
  if (const Role* found = find_role(role)) {
    principal.m_scopes = found->closure;
  } else {
    principal.m_scopes = ScopeSet(m_impl->scopes.size());
  }
  return principal;
}

Principal Policy::rebind(const Principal& principal) const {
  Principal rebound;
  switch (principal.kind()) {
    case PrincipalKind::anonymous: return rebound;
    case PrincipalKind::api_key: rebound = principal_for_key(principal.scope_names()); break;
    case PrincipalKind::user: rebound = principal_for_role(principal.role()); break;
  }
  rebound.set_identity(principal.id(), principal.name(), principal.org());
  rebound.set_allowed_cidrs({principal.allowed_cidrs().begin(), principal.allowed_cidrs().end()});
  return rebound;
}

const std::vector<Scope>& Policy::scopes() const noexcept { return m_impl->scopes; }
const std::vector<Endpoint>& Policy::endpoints() const noexcept { return m_impl->endpoints; }
const std::vector<Role>& Policy::roles() const noexcept { return m_impl->roles; }
const std::vector<ForbidRule>& Policy::forbids() const noexcept { return m_impl->forbids; }

std::optional<ScopeId> Policy::find_scope(std::string_view name) const noexcept {
  const auto found = m_impl->scope_index.find(name);
  if (found == m_impl->scope_index.end()) return std::nullopt;
  return found->second;
}

const Role* Policy::find_role(std::string_view name) const noexcept {
  const auto found = m_impl->role_index.find(name);
  if (found == m_impl->role_index.end()) return nullptr;
  return &m_impl->roles[found->second];
}

const Endpoint* Policy::find_endpoint(Method method, std::string_view path_template) const noexcept {
  for (const Endpoint& endpoint : m_impl->endpoints) {
    if (endpoint.method == method && endpoint.path_template == path_template) return &endpoint;
  }
  return nullptr;
}

std::uint64_t Policy::id() const noexcept { return m_impl->id; }

std::size_t Policy::memory_usage() const noexcept {
  const auto text = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
  const auto location = [&](const SourceLocation& l) { return text(l.file); };
  std::size_t total = sizeof(Impl);
  total += m_impl->nodes.capacity() * sizeof(TrieNode);
  for (const TrieNode& node : m_impl->nodes) {
    total += node.literals.capacity() * sizeof(node.literals[0]);
    for (const auto& [literal, child] : node.literals) total += text(literal);
  }
  total += m_impl->endpoints.capacity() * sizeof(Endpoint);
  for (const Endpoint& e : m_impl->endpoints) {
    total += text(e.path_template) + text(e.description) + location(e.location);
    total += e.parsed.segments.capacity() * sizeof(Segment);
    for (const Segment& s : e.parsed.segments) total += text(s.text);
    total += e.grants.capacity() * sizeof(Grant);
    for (const Grant& g : e.grants) {
      total += text(g.path_template) + location(g.location) + text(g.condition_text) +
               text(g.condition_message) + location(g.condition_location);
    }
    total += e.forbids.capacity() * sizeof(std::uint32_t);
    total += (e.key_scopes.capacity() + e.user_scopes.capacity()) * sizeof(std::string);
    for (const auto& s : e.key_scopes) total += text(s);
    for (const auto& s : e.user_scopes) total += text(s);
    total += text(e.key_message) + text(e.user_message);
  }
  total += m_impl->scopes.capacity() * sizeof(Scope);
  for (const Scope& s : m_impl->scopes) {
    total += text(s.name) + text(s.summary) + location(s.location);
    total += (m_impl->scopes.size() + 63) / 64 * 8 + s.implies.capacity() * sizeof(ScopeId);
    for (const auto& u : s.use_cases) total += sizeof(std::string) + text(u);
    for (const auto& n : s.notes) total += sizeof(std::string) + text(n);
  }
  for (const std::string& header : m_impl->allow_headers) total += text(header);
  total += m_impl->scope_index.size() * (sizeof(std::string) + sizeof(ScopeId) + 32);
  total += m_impl->conditions.memory_usage();
  total += m_impl->forbids.capacity() * sizeof(ForbidRule);
  for (const ForbidRule& rule : m_impl->forbids) {
    total += text(rule.path_template) + text(rule.condition_text) + text(rule.message);
  }
  total += m_impl->roles.capacity() * sizeof(Role);
  for (const Role& r : m_impl->roles) total += (m_impl->scopes.size() + 63) / 64 * 8 + text(r.name);
  return total;
}

}  // namespace scopegate
