// Principal: who is asking. An API key (the scopes it was created with), a signed-in
// user (a role), or nobody. Built by Policy::principal_for_key/principal_for_role, which
// resolve names to scope bits once, so that decide() only tests bits. A value type.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "scopegate/export.hpp"
#include "scopegate/ip.hpp"
#include "scopegate/scope_set.hpp"

namespace scopegate {

enum class PrincipalKind : std::uint8_t { anonymous, api_key, user };

class SCOPEGATE_EXPORT Principal {
 public:
  // Nobody: allowed on `public` endpoints only.
  Principal() = default;

  PrincipalKind kind() const noexcept { return m_kind; }
  // The scopes held after the `implies` closure, as bits of the policy it was built for.
  const ScopeSet& scopes() const noexcept { return m_scopes; }
  // The names it was built from: the key's scopes (as given) or the role.
  const std::vector<std::string>& scope_names() const noexcept { return m_scope_names; }
  const std::string& role() const noexcept { return m_role; }
  // The Policy::id() of the policy whose scope numbering `scopes()` uses.
  std::uint64_t policy_id() const noexcept { return m_policy_id; }

  // Attributes that conditions may read (principal.id, .name, .org, .allowed_cidrs);
  // empty means missing. Set by the caller after building the principal.
  const std::string& id() const noexcept { return m_id; }
  const std::string& name() const noexcept { return m_name; }
  const std::string& org() const noexcept { return m_org; }
  std::span<const Cidr> allowed_cidrs() const noexcept { return m_allowed_cidrs; }
  Principal& set_identity(std::string id, std::string name, std::string org) {
    m_id = std::move(id);
    m_name = std::move(name);
    m_org = std::move(org);
    return *this;
  }
  Principal& set_allowed_cidrs(std::vector<Cidr> cidrs) {
    m_allowed_cidrs = std::move(cidrs);
    return *this;
  }

 private:
  friend class Policy;
  PrincipalKind m_kind = PrincipalKind::anonymous;
  ScopeSet m_scopes;
  std::uint64_t m_policy_id = 0;
  std::vector<std::string> m_scope_names;
  std::string m_role;
  std::string m_id;
  std::string m_name;
  std::string m_org;
  std::vector<Cidr> m_allowed_cidrs;
};

}  // namespace scopegate
