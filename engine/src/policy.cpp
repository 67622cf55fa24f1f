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
  const TrieEntry* entry = nullptr;
  std::uint8_t path_methods = 0;  // methods of every endpoint matching the path (for 405)
};

// Segments are short: an inline loop beats a call to memcmp.
int compare_bytes(const char* a, const char* b, std::size_t size) noexcept {
  for (std::size_t i = 0; i < size; ++i) {
    if (a[i] != b[i]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]) ? -1 : 1;
  }
  return 0;
}

// Literals are sorted by (size, text): most probes stop at the size comparison.
std::uint32_t find_literal(const TrieEdge* edges, std::size_t count, std::string_view segment,
                           bool encoded) noexcept {
  if (encoded) {  // rare: compare decoded bytes, one by one
    for (std::size_t i = 0; i < count; ++i) {
      if (compare_segment(segment, edges[i].view()) == 0) return edges[i].child;
    }
    return no_index;
  }
  std::size_t low = 0;
  std::size_t high = count;
  while (low < high) {
    const std::size_t middle = (low + high) / 2;
    const TrieEdge& edge = edges[middle];
    int order = segment.size() < edge.size ? -1 : segment.size() > edge.size ? 1 : 0;
    if (order == 0) order = compare_bytes(segment.data(), edge.text, edge.size);
    if (order == 0) return edge.child;
    if (order > 0) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return no_index;
}

// Terminal check at `node` for the request's method (exact method first, then `*`);
// collects the methods of every node that matches the path (the Allow header of a 405).
bool accept(const Policy::Impl& impl, std::uint32_t index, Search& search) noexcept {
  const TrieNode& node = impl.nodes[index];
  if (node.entry_count == 0) return false;
  constexpr auto any = static_cast<std::size_t>(Method::any);
  const bool exact = search.method_slot < any && (node.method_mask >> search.method_slot & 1U) != 0;
  if (exact || (node.method_mask >> any & 1U) != 0) {
    const std::size_t wanted = exact ? search.method_slot : any;
    const TrieEntry* entry = impl.entries.data() + node.entries_begin;
    while (entry->method != wanted) ++entry;
    search.entry = entry;
    return true;
  }
  search.path_methods |= node.method_mask;
  return false;
}

bool match(const Policy::Impl& impl, std::uint32_t index, std::size_t depth, Search& search) noexcept {
  const TrieNode& node = impl.nodes[index];
  if (depth == search.path.size) {
    if (accept(impl, index, search)) return true;
  } else {
    if (node.edge_count != 0) {
      const std::uint32_t child = find_literal(impl.edges.data() + node.edges_begin, node.edge_count,
                                               search.path.segment(depth), search.path.encoded(depth));
      if (child != no_index && match(impl, child, depth + 1, search)) return true;
    }
    if (node.single != no_index) {
      search.captured[search.captured_count++] = static_cast<std::uint8_t>(depth);
      if (match(impl, node.single, depth + 1, search)) return true;
      --search.captured_count;
    }
  }
  return node.rest != no_index && accept(impl, node.rest, search);
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
    if (!grant.has_condition() || impl.conditions.evaluate(grant.condition->index, context)) return &grant;
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
  if (!match(*m_impl, 0, 0, search)) {
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

  const TrieEntry& entry = *search.entry;
  const Endpoint& endpoint = m_impl->endpoints[entry.endpoint];
  decision.m_endpoint = &endpoint;
  decision.m_rule = &endpoint.location;
  const ParamSlot* slots = m_impl->params.data() + entry.params_begin;
  for (std::size_t i = 0; i < entry.param_count; ++i) {
    new (decision.m_params + sizeof(PathParam) * i)
        PathParam{endpoint.path_template.substr(slots[i].name_offset, slots[i].name_length),
                  segments.segment(search.captured[slots[i].wildcard])};
  }
  decision.m_param_count = entry.param_count;

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
    conclude(Reason::condition_failed, failed->condition->message, nullptr);
    decision.m_failed_grant = failed;
    decision.m_rule = &failed->condition->location;
  } else if (principal.kind() == PrincipalKind::user) {
    conclude(Reason::missing_scope, endpoint.granting->user_message, nullptr);
  } else if (endpoint.granting->key_scopes.empty()) {
    conclude(Reason::api_key_not_supported, endpoint.granting->key_message, nullptr);
  } else {
    conclude(Reason::missing_scope, endpoint.granting->key_message, nullptr);
  }
  // A matching forbid rule refuses what would be allowed, whatever granted it. Its
  // condition reads the parameters its own template binds.
  if (decision.allowed() && entry.forbid_count != 0) {
    const std::size_t slot = search.method_slot;
    std::array<PathParam, max_path_params> forbid_params;
    const std::uint32_t* forbids = m_impl->forbid_lists.data() + entry.forbids_begin;
    for (std::size_t k = 0; k < entry.forbid_count; ++k) {
      const ForbidRule& rule = m_impl->forbids[forbids[k]];
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
    if (const auto id = find_scope(name)) {
      for (const ScopeId held : m_impl->scopes[*id].closure) principal.m_scopes.insert(held);
    }
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

namespace {

// Binary search in a name index sorted by name.
template <typename Index>
auto find_named(const Index& index, std::string_view name) noexcept {
  const auto found = std::lower_bound(index.begin(), index.end(), name,
                                      [](const auto& entry, std::string_view wanted) { return entry.first < wanted; });
  return found != index.end() && found->first == name ? found : index.end();
}

const Granting no_granting;

}  // namespace

std::optional<ScopeId> Policy::find_scope(std::string_view name) const noexcept {
  const auto found = find_named(m_impl->scope_index, name);
  if (found == m_impl->scope_index.end()) return std::nullopt;
  return found->second;
}

const Role* Policy::find_role(std::string_view name) const noexcept {
  const auto found = find_named(m_impl->role_index, name);
  if (found == m_impl->role_index.end()) return nullptr;
  return &m_impl->roles[found->second];
}

std::span<const std::string_view> Endpoint::key_scopes() const noexcept {
  return (granting != nullptr ? *granting : no_granting).key_scopes;
}

std::span<const std::string_view> Endpoint::user_scopes() const noexcept {
  return (granting != nullptr ? *granting : no_granting).user_scopes;
}

std::string_view Endpoint::key_message() const noexcept {
  return (granting != nullptr ? *granting : no_granting).key_message;
}

std::string_view Endpoint::user_message() const noexcept {
  return (granting != nullptr ? *granting : no_granting).user_message;
}

Template Endpoint::parsed() const {
  auto parsed = parse_template(path_template);
  return parsed ? std::move(*parsed) : Template{};
}

std::string_view TextStore::add(std::string_view text) {
  if (text.size() > m_left) {
    // Chunks double up to max_chunk, so a small policy holds little unused room.
    const std::size_t size = std::max(text.size(), std::clamp(m_reserved, min_chunk, max_chunk));
    m_chunks.push_back(std::make_unique<char[]>(size));
    m_next = m_chunks.back().get();
    m_left = size;
    m_reserved += size;
  }
  char* stored = m_next;
  std::char_traits<char>::copy(stored, text.data(), text.size());
  m_next += text.size();
  m_left -= text.size();
  return {stored, text.size()};
}

const Endpoint* Policy::find_endpoint(Method method, std::string_view path_template) const noexcept {
  for (const Endpoint& endpoint : m_impl->endpoints) {
    if (endpoint.method == method && endpoint.path_template == path_template) return &endpoint;
  }
  return nullptr;
}

std::uint64_t Policy::id() const noexcept { return m_impl->id; }

std::size_t Policy::memory_usage() const noexcept {
  const Impl& impl = *m_impl;
  const auto pool = [](const auto& vector) { return vector.capacity() * sizeof(vector[0]); };
  const std::size_t set = (impl.scopes.size() + 63) / 64 * 8;  // a role's ScopeSet words
  std::size_t total = sizeof(Impl) + impl.text.memory_usage() + impl.conditions.memory_usage();
  total += pool(impl.scopes) + pool(impl.endpoints) + pool(impl.roles) + pool(impl.forbids);
  total += pool(impl.names) + pool(impl.scope_ids) + pool(impl.grants) + pool(impl.grant_conditions) +
           pool(impl.grantings);
  total += pool(impl.nodes) + pool(impl.edges) + pool(impl.entries) + pool(impl.params) +
           pool(impl.forbid_lists) + pool(impl.scope_index) + pool(impl.role_index);
  total += impl.roles.size() * set;
  for (const ForbidRule& rule : impl.forbids) {
    total += pool(rule.parsed.segments);
    for (const Segment& segment : rule.parsed.segments) {
      total += segment.text.capacity() > 15 ? segment.text.capacity() + 1 : 0;
    }
  }
  return total;
}

}  // namespace scopegate
