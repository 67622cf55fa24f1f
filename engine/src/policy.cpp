// Policy::decide, the principals a Policy makes, and its read-only accessors. The route
// search is RouteTrie::find (route_trie.cpp); PolicyBuilder builds what decide() reads.
#include "scopegate/policy.hpp"

#include <algorithm>
#include <functional>

#include "condition_program.hpp"
#include "path_scan.hpp"
#include "policy_impl.hpp"
#include "scopegate/path.hpp"

namespace scopegate {
namespace {

constexpr std::string_view unauthenticated_message = "Authentication required";
constexpr std::string_view method_not_allowed_message = "Method not allowed for this path";
constexpr std::string_view allowed_message = "Allowed";

// The request's method as the route search and the forbid rules compare it: a method no
// route line names (TRACE, or `*` itself) is Method::any, which only `*` routes accept.
Method request_method(std::string_view text) noexcept {
  return parse_method(text).value_or(Method::any);
}

// The request conditions read: the caller's, or one made of the method and the path the
// first time a condition asks (decide(principal, method, path) was given nothing else).
class ConditionRequest {
 public:
  ConditionRequest(std::string_view method, std::string_view target, const Request* given) noexcept
      : m_method(method), m_target(target), m_given(given) {}

  const Request& get() noexcept {
    if (m_given == nullptr)
      m_given = &m_made.emplace(Request{m_method, m_target, std::nullopt, {}, std::nullopt});
    return *m_given;
  }

 private:
  std::string_view m_method;
  std::string_view m_target;
  const Request* m_given;
  std::optional<Request> m_made;
};

// The first route line granting `entry`'s endpoint whose scope `principal` holds and may
// use and whose condition holds: an API key counts plain scopes only, a user any scope
// but future ones. Sets `failed` to the first held grant whose condition failed. Bits of
// another policy mean nothing here, so such a principal holds no scope (fail closed).
// `holds(condition)` evaluates a grant's condition. The first grant is checked on the
// entry's copy of it, so that when it decides, the Grant itself is not read.
template <typename Holds>
const Grant* find_grant(const Policy::Impl& impl, const TrieEntry& entry,
                        const Principal& principal, bool bound, const Holds& holds,
                        const Grant*& failed) noexcept {
  if (!bound || entry.grant_count == 0) return nullptr;
  const bool key = principal.kind() == PrincipalKind::api_key;
  const Grant* const grants = impl.grants.data() + entry.grants_begin;
  const unsigned counts = key ? first_counts_for_key : first_counts_for_user;
  if ((entry.flags & counts) != 0 && principal.scopes().contains(entry.first_scope)) {
    if ((entry.flags & first_has_condition) == 0 || holds(grants->condition->index)) return grants;
    if (failed == nullptr) failed = grants;
  }
  for (const Grant& grant : std::span<const Grant>(grants + 1, entry.grant_count - 1)) {
    const ScopeKind kind = grant.scope_kind;
    const bool grant_counts = key ? counts_for_key(kind) : counts_for_user(kind);
    if (!grant_counts || !principal.scopes().contains(grant.scope)) continue;
    if (!grant.has_condition() || holds(grant.condition->index)) return &grant;
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

// Room for the parameters a forbid rule binds, left uninitialized (decide() runs often):
// PathParam is an implicit-lifetime type, so writing one into the bytes creates it.
class ParamBuffer {
 public:
  PathParam* data() noexcept { return std::launder(reinterpret_cast<PathParam*>(m_bytes)); }
  PathParam& operator[](std::size_t i) noexcept { return data()[i]; }

 private:
  alignas(PathParam) unsigned char m_bytes[sizeof(PathParam) * max_path_params];
};

// The rule of `link` when it refuses this request, else null. A condition the principal
// alone decides (e.g. `principal.kind == "api_key" and ...` for a user) is not evaluated,
// and its parameters are not bound. The condition reads the parameters the rule's own
// template binds: for a rule whose template covers the endpoint's (which matches the
// path already), the segments at its `{name}` positions, without comparing the path.
const ForbidRule* matching_forbid(const Policy::Impl& impl, const ForbidLink& link, Method method,
                                  ConditionRequest& request, const PathSegments& segments,
                                  const Principal& principal, bool bound) noexcept {
  const ForbidRule& rule = impl.forbids[link.rule];
  if (rule.method != Method::any && rule.method != method) return nullptr;
  const ConditionProgram::Verdict verdict =
      rule.condition == no_condition ? ConditionProgram::Verdict::yes
                                     : impl.conditions.verdict(rule.condition, principal);
  if (verdict == ConditionProgram::Verdict::no) return nullptr;
  ParamBuffer params;
  std::size_t count = 0;
  if (link.covers) {
    if (verdict == ConditionProgram::Verdict::depends) {
      const std::uint32_t first = impl.forbid_params_begin[link.rule];
      const std::uint32_t last = impl.forbid_params_begin[link.rule + 1];
      for (std::uint32_t p = first; p != last; ++p) {
        const ForbidParam& param = impl.forbid_params[p];
        params[count++] = {param.name, segments.segment(param.segment)};
      }
    }
  } else if (!template_matches(rule.parsed, segments, params.data(), count)) {
    return nullptr;
  }
  if (verdict == ConditionProgram::Verdict::yes) return &rule;
  const EvalContext context{request.get(), segments, principal, {params.data(), count}, bound};
  // A value the condition cannot read refuses, as the rule would.
  return impl.conditions.evaluate(rule.condition, context, true) ? &rule : nullptr;
}

}  // namespace

Policy::Policy(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Policy::Policy(Policy&&) noexcept = default;
Policy& Policy::operator=(Policy&&) noexcept = default;
Policy::~Policy() = default;

// With only a method and a path, no Request is built unless a condition reads it.
Decision Policy::decide(const Principal& principal, std::string_view method, std::string_view path,
                        const Request* given) const noexcept {
  Decision decision;
  decision.m_policy = this;
  decision.m_for_key = principal.kind() == PrincipalKind::api_key;

  PathSegments segments;
  if (const PathError error = path_scan::split(path, segments); error != PathError::none) {
    decision.m_reason = Reason::invalid_path;
    decision.m_path_error = error;
    decision.m_message = describe(error);
    return decision;
  }

  const Method request = request_method(method);
  const RouteMatch match = m_impl->routes.find(segments, request);
  if (match.entry == no_index) {
    if (match.path_methods != 0) {
      decision.m_reason = Reason::method_not_allowed;
      decision.m_message = method_not_allowed_message;
      decision.m_allowed_methods = m_impl->allow_headers[match.path_methods];
    } else {
      decision.m_reason = Reason::no_route;
      decision.m_message = no_route_message;
    }
    return decision;
  }

  const TrieEntry& entry = m_impl->entries[match.entry];
  const Endpoint& endpoint = m_impl->endpoints[entry.endpoint];
  decision.m_endpoint = &endpoint;
  decision.m_rule = &endpoint.location;
  const ParamSlot* slots = m_impl->params.data() + entry.params_begin;
  for (std::size_t i = 0; i < entry.param_count; ++i) {
    const std::size_t at = match.captured[slots[i].wildcard];
    new (decision.m_params + sizeof(PathParam) * i) PathParam{
        m_impl->param_names[slots[i].name],
        {segments.path.data() + segments.begin[at], segments.end[at] - segments.begin[at]}};
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
  ConditionRequest conditions_request(method, path, given);
  const auto holds = [&](std::uint32_t condition) {
    const EvalContext context{conditions_request.get(), segments, principal, decision.params(),
                              bound};
    return m_impl->conditions.evaluate(condition, context, false);  // unreadable: no grant
  };
  const Grant* failed = nullptr;
  if (entry.access == Access::public_) {
    conclude(Reason::allowed, allowed_message, nullptr);
  } else if (principal.kind() == PrincipalKind::anonymous) {
    conclude(Reason::unauthenticated, unauthenticated_message, nullptr);
  } else if (entry.access == Access::authenticated) {
    conclude(Reason::allowed, allowed_message, nullptr);
  } else if (const Grant* grant = find_grant(*m_impl, entry, principal, bound, holds, failed)) {
    conclude(Reason::allowed, allowed_message, grant);
  } else if (failed != nullptr) {
    conclude(Reason::condition_failed, failed->condition->message, nullptr);
    decision.m_failed_grant = failed;
    decision.m_rule = &failed->condition->location;
  } else if (principal.kind() == PrincipalKind::user || (entry.flags & no_key_scope) == 0) {
    conclude(Reason::missing_scope, {}, nullptr);  // message() reads the endpoint's Granting
  } else {
    conclude(Reason::api_key_not_supported, {}, nullptr);
  }
  // A matching forbid rule refuses what would be allowed, whatever granted it.
  if (decision.allowed() && entry.forbids_begin != no_index) {
    const ForbidLink* link = m_impl->forbid_links.data() + entry.forbids_begin;
    do {
      if (const ForbidRule* rule = matching_forbid(*m_impl, *link, request, conditions_request,
                                                   segments, principal, bound)) {
        conclude(Reason::forbidden, rule->message, nullptr);
        decision.m_grant = nullptr;
        decision.m_forbid = rule;
        decision.m_rule = &rule->location;
        break;
      }
    } while (!(link++)->last);
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
    case PrincipalKind::anonymous:
      return rebound;
    case PrincipalKind::api_key:
      rebound = principal_for_key(principal.scope_names());
      break;
    case PrincipalKind::user:
      rebound = principal_for_role(principal.role());
      break;
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

// The index of the item of `items` named `name`, by binary search in `index` (the
// indexes of `items` sorted by name); null if none.
template <typename Index, typename Items>
const Index* find_named(const std::vector<Index>& index, const Items& items,
                        std::string_view name) noexcept {
  const auto found = std::lower_bound(
      index.begin(), index.end(), name,
      [&items](Index at, std::string_view wanted) { return items[at].name < wanted; });
  return found != index.end() && items[*found].name == name ? &*found : nullptr;
}

const Granting no_granting;

// The bytes `text` holds on the heap: none while its characters live inside the string
// object itself (the small-string buffer, whatever its size in this standard library).
std::size_t heap_bytes(const std::string& text) noexcept {
  const std::less<const char*> before;
  const auto* const object = reinterpret_cast<const char*>(&text);
  const bool inside = !before(text.data(), object) && before(text.data(), object + sizeof(text));
  return inside ? 0 : text.capacity() + 1;
}

}  // namespace

std::optional<ScopeId> Policy::find_scope(std::string_view name) const noexcept {
  const ScopeId* const found = find_named(m_impl->scope_index, m_impl->scopes, name);
  if (found == nullptr) return std::nullopt;
  return *found;
}

const Role* Policy::find_role(std::string_view name) const noexcept {
  const std::uint32_t* const found = find_named(m_impl->role_index, m_impl->roles, name);
  if (found == nullptr) return nullptr;
  return &m_impl->roles[*found];
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

const Endpoint* Policy::find_endpoint(Method method,
                                      std::string_view path_template) const noexcept {
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
  total += pool(impl.names) + pool(impl.scope_ids) + pool(impl.grants) +
           pool(impl.grant_conditions) + pool(impl.grantings);
  total += impl.routes.memory_usage() + pool(impl.param_names) + pool(impl.entries) +
           pool(impl.params) + pool(impl.forbid_links) + pool(impl.forbid_params) +
           pool(impl.forbid_params_begin) + pool(impl.scope_index) + pool(impl.role_index);
  total += impl.roles.size() * set;
  for (const ForbidRule& rule : impl.forbids) {
    total += pool(rule.parsed.segments);
    for (const Segment& segment : rule.parsed.segments) {
      total += heap_bytes(segment.text);
    }
  }
  return total;
}

}  // namespace scopegate
