// The policy diff: for each policy, what every scope and role reaches (endpoint ->
// conditions), computed from Endpoint::grants and the implies closures, then compared
// by endpoint method and template. Cost: O(grants x scopes implying the granting
// scope) per policy, plus O(roles x grants), plus the comparison.
#include "scopegate/dsl/diff.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "scopegate/dsl/format.hpp"

namespace scopegate {

namespace {

using ConditionSet = std::vector<std::string>;  // sorted, unique; empty: always

// Conditions seen for one endpoint while enumerating grants.
struct Accumulator {
  bool always = false;
  ConditionSet conditions;

  void add(const std::string* condition) {
    if (condition == nullptr) {
      always = true;
    } else if (!always) {
      conditions.push_back(*condition);
    }
  }

  ConditionSet finish() const {
    if (always) return {};
    ConditionSet out = conditions;
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
};

using ReachMap = std::unordered_map<std::uint32_t, Accumulator>;  // endpoint index ->

std::string key_of(Method method, std::string_view path_template) {
  return fmt::format("{} {}", to_string(method), path_template);
}

EndpointRef ref_of(const Endpoint& endpoint) {
  return {std::string(to_string(endpoint.method)), std::string(endpoint.path_template)};
}

// One policy, enumerated.
class Side {
 public:
  explicit Side(const Policy& policy) : m_policy(policy) {
    const auto& endpoints = policy.endpoints();
    for (std::uint32_t i = 0; i < endpoints.size(); ++i) {
      m_index.emplace(key_of(endpoints[i].method, endpoints[i].path_template), i);
    }
    for (const Scope& scope : policy.scopes()) m_scope_index.emplace(scope.name, &scope);
    for (const Role& role : policy.roles()) m_role_index.emplace(role.name, &role);
    enumerate();
  }

  const Policy& policy() const { return m_policy; }
  const Endpoint& endpoint(std::uint32_t index) const { return m_policy.endpoints()[index]; }

  std::optional<std::uint32_t> find(const std::string& key) const {
    const auto it = m_index.find(key);
    if (it == m_index.end()) return std::nullopt;
    return it->second;
  }
  const Scope* scope(std::string_view name) const {
    const auto it = m_scope_index.find(name);
    return it == m_scope_index.end() ? nullptr : it->second;
  }
  const Role* role(std::string_view name) const {
    const auto it = m_role_index.find(name);
    return it == m_role_index.end() ? nullptr : it->second;
  }
  const ReachMap& scope_reach(ScopeId id) const { return m_scope_reach[id]; }
  const ReachMap& role_reach(const Role& role) const {
    return m_role_reach[static_cast<std::size_t>(&role - m_policy.roles().data())];
  }
  // Granting scope name -> conditions, for one endpoint.
  const std::map<std::string, Accumulator>& grants_of(std::uint32_t endpoint) const {
    return m_grants[endpoint];
  }

 private:
  const std::string* condition_of(const Grant& grant) {
    if (!grant.has_condition()) return nullptr;
    const std::string_view text = grant.condition->text;
    auto it = m_canonical.find(text);
    if (it == m_canonical.end()) {
      it = m_canonical.emplace(std::string(text), canonical_condition_text(text)).first;
    }
    return &it->second;
  }

  void enumerate() {
    const auto& scopes = m_policy.scopes();
    const auto& endpoints = m_policy.endpoints();
    const auto& roles = m_policy.roles();
    // Which scopes hold each scope through their closure.
    std::vector<std::vector<ScopeId>> holders(scopes.size());
    for (ScopeId s = 0; s < scopes.size(); ++s) {
      for (const ScopeId t : scopes[s].closure) holders[t].push_back(s);
    }
    m_scope_reach.resize(scopes.size());
    m_role_reach.resize(roles.size());
    m_grants.resize(endpoints.size());
    for (std::uint32_t e = 0; e < endpoints.size(); ++e) {
      for (const Grant& grant : endpoints[e].grants) {
        const std::string* condition = condition_of(grant);
        const ScopeKind granting = scopes[grant.scope].kind;
        m_grants[e][std::string(scopes[grant.scope].name)].add(condition);
        if (granting == ScopeKind::future) continue;
        for (const ScopeId holder : holders[grant.scope]) {
          const ScopeKind kind = scopes[holder].kind;
          if (kind == ScopeKind::future) continue;
          if (kind == ScopeKind::plain && granting != ScopeKind::plain) continue;
          m_scope_reach[holder][e].add(condition);
        }
        for (std::size_t r = 0; r < roles.size(); ++r) {
          if (roles[r].closure.contains(grant.scope)) m_role_reach[r][e].add(condition);
        }
      }
    }
  }

  const Policy& m_policy;
  std::unordered_map<std::string, std::uint32_t> m_index;
  std::unordered_map<std::string_view, const Scope*> m_scope_index;  // views into the policy
  std::unordered_map<std::string_view, const Role*> m_role_index;
  std::map<std::string, std::string, std::less<>> m_canonical;
  std::vector<ReachMap> m_scope_reach;
  std::vector<ReachMap> m_role_reach;
  std::vector<std::map<std::string, Accumulator>> m_grants;
};

const ReachMap& empty_reach() {
  static const ReachMap empty;
  return empty;
}

// Compares what one subject reaches in the old and the new policy.
SubjectDiff compare(const Side& old_side, const ReachMap& old_reach, const Side& new_side,
                    const ReachMap& new_reach) {
  SubjectDiff diff;
  std::vector<std::pair<std::uint32_t, Reach>> gained;
  std::vector<std::pair<std::uint32_t, Reach>> lost;
  std::vector<std::pair<std::uint32_t, ReachChange>> changed;
  for (const auto& [index, accumulator] : new_reach) {
    const Endpoint& endpoint = new_side.endpoint(index);
    const auto old_index = old_side.find(key_of(endpoint.method, endpoint.path_template));
    const auto old_it = old_index ? old_reach.find(*old_index) : old_reach.end();
    ConditionSet now = accumulator.finish();
    if (old_it == old_reach.end()) {
      gained.push_back({index, {ref_of(endpoint), std::move(now)}});
      continue;
    }
    ConditionSet before = old_it->second.finish();
    if (before != now) {
      changed.push_back({index, {ref_of(endpoint), std::move(before), std::move(now)}});
    }
  }
  for (const auto& [index, accumulator] : old_reach) {
    const Endpoint& endpoint = old_side.endpoint(index);
    const auto new_index = new_side.find(key_of(endpoint.method, endpoint.path_template));
    if (new_index && new_reach.contains(*new_index)) continue;
    lost.push_back({index, {ref_of(endpoint), accumulator.finish()}});
  }
  const auto by_index = [](const auto& a, const auto& b) { return a.first < b.first; };
  std::sort(gained.begin(), gained.end(), by_index);
  std::sort(lost.begin(), lost.end(), by_index);
  std::sort(changed.begin(), changed.end(), by_index);
  for (auto& item : gained) diff.gained.push_back(std::move(item.second));
  for (auto& item : lost) diff.lost.push_back(std::move(item.second));
  for (auto& item : changed) diff.changed.push_back(std::move(item.second));
  return diff;
}

bool has_changes(const SubjectDiff& diff) {
  return !diff.gained.empty() || !diff.lost.empty() || !diff.changed.empty();
}

std::vector<ForbidRef> forbid_refs(const Policy& policy) {
  std::vector<ForbidRef> refs;
  for (const ForbidRule& rule : policy.forbids()) {
    refs.push_back({std::string(to_string(rule.method)), std::string(rule.path_template),
                    rule.condition == UINT32_MAX ? std::string()
                                                 : canonical_condition_text(rule.condition_text),
                    std::string(rule.message)});
  }
  return refs;
}

std::string forbid_key(const ForbidRef& rule) {
  return rule.method + '\n' + rule.path_template + '\n' + rule.condition;
}

void diff_forbids(const Policy& old_policy, const Policy& new_policy, PolicyDiff& diff) {
  const std::vector<ForbidRef> before = forbid_refs(old_policy);
  const std::vector<ForbidRef> after = forbid_refs(new_policy);
  std::map<std::string, std::vector<const ForbidRef*>> old_by_key;
  for (const ForbidRef& rule : before) old_by_key[forbid_key(rule)].push_back(&rule);
  std::map<std::string, std::size_t> used;
  for (const ForbidRef& rule : after) {
    const std::string key = forbid_key(rule);
    auto& matches = old_by_key[key];
    std::size_t& next = used[key];
    if (next >= matches.size()) {
      diff.forbids_added.push_back(rule);
      continue;
    }
    const ForbidRef& old_rule = *matches[next++];
    if (old_rule.message != rule.message)
      diff.forbid_messages_changed.push_back({rule, old_rule.message});
  }
  for (const ForbidRef& rule : before) {
    const std::string key = forbid_key(rule);
    std::size_t& count = used[key];
    // Rules of this key beyond those matched are removed; consume them in order.
    const auto& matches = old_by_key[key];
    const std::size_t position = static_cast<std::size_t>(
        std::find(matches.begin(), matches.end(), &rule) - matches.begin());
    if (position >= count) diff.forbids_removed.push_back(rule);
  }
}

void diff_endpoints(const Side& old_side, const Side& new_side, PolicyDiff& diff) {
  for (const Endpoint& endpoint : new_side.policy().endpoints()) {
    const auto old_index = old_side.find(key_of(endpoint.method, endpoint.path_template));
    if (!old_index) {
      diff.endpoints_added.push_back({ref_of(endpoint), endpoint.access});
      continue;
    }
    const Endpoint& before = old_side.endpoint(*old_index);
    if (before.access != endpoint.access) {
      diff.endpoints_changed.push_back({ref_of(endpoint), before.access, endpoint.access});
    }
    // Grants present on both sides whose conditions differ.
    const auto& old_grants = old_side.grants_of(*old_index);
    const auto new_index = *new_side.find(key_of(endpoint.method, endpoint.path_template));
    for (const auto& [scope, accumulator] : new_side.grants_of(new_index)) {
      const auto it = old_grants.find(scope);
      if (it == old_grants.end()) continue;
      ConditionSet was = it->second.finish();
      ConditionSet now = accumulator.finish();
      if (was != now)
        diff.conditions.push_back({ref_of(endpoint), scope, std::move(was), std::move(now)});
    }
  }
  for (const Endpoint& endpoint : old_side.policy().endpoints()) {
    if (!new_side.find(key_of(endpoint.method, endpoint.path_template))) {
      diff.endpoints_removed.push_back({ref_of(endpoint), endpoint.access});
    }
  }
}

void diff_subjects(const Side& old_side, const Side& new_side, PolicyDiff& diff) {
  const Policy& before = old_side.policy();
  const Policy& after = new_side.policy();
  for (ScopeId id = 0; id < after.scopes().size(); ++id) {
    const Scope& scope = after.scopes()[id];
    const Scope* old_scope = old_side.scope(scope.name);
    if (old_scope == nullptr) {
      diff.scopes_added.push_back({std::string(scope.name), scope.kind});
    } else if (old_scope->kind != scope.kind) {
      diff.scope_kinds_changed.push_back({std::string(scope.name), old_scope->kind, scope.kind});
    }
    const ReachMap& old_reach =
        old_scope == nullptr
            ? empty_reach()
            : old_side.scope_reach(static_cast<ScopeId>(old_scope - before.scopes().data()));
    SubjectDiff subject = compare(old_side, old_reach, new_side, new_side.scope_reach(id));
    subject.name = std::string(scope.name);
    subject.kind = std::string(kind_name(scope.kind));
    if (has_changes(subject)) diff.scopes.push_back(std::move(subject));
  }
  for (ScopeId id = 0; id < before.scopes().size(); ++id) {
    const Scope& scope = before.scopes()[id];
    if (new_side.scope(scope.name) != nullptr) continue;
    diff.scopes_removed.push_back({std::string(scope.name), scope.kind});
    SubjectDiff subject = compare(old_side, old_side.scope_reach(id), new_side, empty_reach());
    subject.name = std::string(scope.name);
    subject.kind = std::string(kind_name(scope.kind));
    if (has_changes(subject)) diff.scopes.push_back(std::move(subject));
  }
  for (const Role& role : after.roles()) {
    const Role* old_role = old_side.role(role.name);
    if (old_role == nullptr) diff.roles_added.push_back(std::string(role.name));
    const ReachMap& old_reach =
        old_role == nullptr ? empty_reach() : old_side.role_reach(*old_role);
    SubjectDiff subject = compare(old_side, old_reach, new_side, new_side.role_reach(role));
    subject.name = std::string(role.name);
    subject.kind = "role";
    if (has_changes(subject)) diff.roles.push_back(std::move(subject));
  }
  for (const Role& role : before.roles()) {
    if (new_side.role(role.name) != nullptr) continue;
    diff.roles_removed.push_back(std::string(role.name));
    SubjectDiff subject = compare(old_side, old_side.role_reach(role), new_side, empty_reach());
    subject.name = std::string(role.name);
    subject.kind = "role";
    if (has_changes(subject)) diff.roles.push_back(std::move(subject));
  }
}

// ---------------------------------------------------------------- rendering --------

std::string when_text(const std::vector<std::string>& conditions) {
  if (conditions.empty()) return "always";
  std::string out;
  for (const std::string& condition : conditions) {
    if (!out.empty()) out += " | ";
    out += "when " + condition;
  }
  return out;
}

std::string reach_line(char sign, const Reach& reach) {
  std::string line = fmt::format("  {} {}", sign, to_string(reach.endpoint));
  if (!reach.conditions.empty()) line += "  (" + when_text(reach.conditions) + ")";
  return line + "\n";
}

void render_subject(std::string& out, std::string_view what, const SubjectDiff& subject) {
  out += fmt::format("{} {}{}:\n", what, subject.name,
                     subject.kind == "role" ? "" : fmt::format(" ({})", subject.kind));
  for (const Reach& reach : subject.gained) out += reach_line('+', reach);
  for (const Reach& reach : subject.lost) out += reach_line('-', reach);
  for (const ReachChange& change : subject.changed) {
    out += fmt::format("  ~ {}  ({} -> {})\n", to_string(change.endpoint),
                       when_text(change.old_conditions), when_text(change.new_conditions));
  }
}

std::string forbid_text(const ForbidRef& rule) {
  std::string text = fmt::format("forbid {} {}", rule.method, rule.path_template);
  if (!rule.condition.empty()) text += " when " + rule.condition;
  return text;
}

std::size_t subject_changes(const std::vector<SubjectDiff>& subjects) {
  std::size_t count = 0;
  for (const SubjectDiff& subject : subjects) {
    count += subject.gained.size() + subject.lost.size() + subject.changed.size();
  }
  return count;
}

}  // namespace

std::string to_string(const EndpointRef& endpoint) {
  return endpoint.method + " " + endpoint.path_template;
}

std::string_view kind_name(ScopeKind kind) noexcept {
  switch (kind) {
    case ScopeKind::plain:
      return "plain";
    case ScopeKind::future:
      return "future";
    case ScopeKind::user:
      return "user";
  }
  return "plain";
}

bool PolicyDiff::identical() const noexcept {
  return endpoints_added.empty() && endpoints_removed.empty() && endpoints_changed.empty() &&
         scopes_added.empty() && scopes_removed.empty() && scope_kinds_changed.empty() &&
         roles_added.empty() && roles_removed.empty() && scopes.empty() && roles.empty() &&
         conditions.empty() && forbids_added.empty() && forbids_removed.empty();
}

PolicyDiff diff_policies(const Policy& old_policy, const Policy& new_policy) {
  const Side old_side(old_policy);
  const Side new_side(new_policy);
  PolicyDiff diff;
  diff_endpoints(old_side, new_side, diff);
  diff_subjects(old_side, new_side, diff);
  diff_forbids(old_policy, new_policy, diff);
  return diff;
}

std::string render_diff(const PolicyDiff& diff) {
  std::string out;
  const auto section = [&out](std::string_view title) {
    if (!out.empty()) out += '\n';
    out += title;
    out += ":\n";
  };
  if (!diff.endpoints_added.empty() || !diff.endpoints_removed.empty() ||
      !diff.endpoints_changed.empty()) {
    section("endpoints");
    for (const auto& e : diff.endpoints_added) {
      out += fmt::format("  + {}  ({})\n", to_string(e.endpoint), to_string(e.access));
    }
    for (const auto& e : diff.endpoints_removed) {
      out += fmt::format("  - {}  ({})\n", to_string(e.endpoint), to_string(e.access));
    }
    for (const auto& e : diff.endpoints_changed) {
      out += fmt::format("  ~ {}  ({} -> {})\n", to_string(e.endpoint), to_string(e.old_access),
                         to_string(e.new_access));
    }
  }
  if (!diff.scopes_added.empty() || !diff.scopes_removed.empty() ||
      !diff.scope_kinds_changed.empty() || !diff.roles_added.empty() ||
      !diff.roles_removed.empty()) {
    section("declarations");
    for (const auto& s : diff.scopes_added)
      out += fmt::format("  + scope {} ({})\n", s.name, kind_name(s.kind));
    for (const auto& s : diff.scopes_removed)
      out += fmt::format("  - scope {} ({})\n", s.name, kind_name(s.kind));
    for (const auto& s : diff.scope_kinds_changed) {
      out += fmt::format("  ~ scope {} ({} -> {})\n", s.name, kind_name(s.old_kind),
                         kind_name(s.new_kind));
    }
    for (const auto& r : diff.roles_added) out += fmt::format("  + role {}\n", r);
    for (const auto& r : diff.roles_removed) out += fmt::format("  - role {}\n", r);
  }
  for (const SubjectDiff& subject : diff.scopes) {
    if (!out.empty()) out += '\n';
    render_subject(out, "scope", subject);
  }
  for (const SubjectDiff& subject : diff.roles) {
    if (!out.empty()) out += '\n';
    render_subject(out, "role", subject);
  }
  if (!diff.conditions.empty()) {
    section("conditions");
    for (const ConditionChange& c : diff.conditions) {
      const char sign = c.old_conditions.empty() ? '+' : c.new_conditions.empty() ? '-' : '~';
      out += fmt::format("  {} {} by {}: {} -> {}\n", sign, to_string(c.endpoint), c.scope,
                         when_text(c.old_conditions), when_text(c.new_conditions));
    }
  }
  if (!diff.forbids_added.empty() || !diff.forbids_removed.empty() ||
      !diff.forbid_messages_changed.empty()) {
    section("forbid rules");
    for (const ForbidRef& rule : diff.forbids_added) out += "  + " + forbid_text(rule) + "\n";
    for (const ForbidRef& rule : diff.forbids_removed) out += "  - " + forbid_text(rule) + "\n";
    for (const ForbidMessageChange& change : diff.forbid_messages_changed) {
      out += fmt::format("  ~ {}: message \"{}\" -> \"{}\"\n", forbid_text(change.rule),
                         change.old_message, change.rule.message);
    }
  }
  if (!out.empty()) out += '\n';
  const std::size_t count =
      diff.endpoints_added.size() + diff.endpoints_removed.size() + diff.endpoints_changed.size() +
      diff.scopes_added.size() + diff.scopes_removed.size() + diff.scope_kinds_changed.size() +
      diff.roles_added.size() + diff.roles_removed.size() + subject_changes(diff.scopes) +
      subject_changes(diff.roles) + diff.conditions.size() + diff.forbids_added.size() +
      diff.forbids_removed.size();
  if (count == 0) {
    out += "no difference in access\n";
  } else {
    out += fmt::format("{} difference{} in access\n", count, count == 1 ? "" : "s");
  }
  return out;
}

}  // namespace scopegate
