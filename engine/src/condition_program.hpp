// ConditionProgram: the compiled form of every condition in one Policy, and its
// evaluator. Private to engine/. Built once by PolicyBuilder; evaluate() is const,
// allocation-free and never throws.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/condition.hpp"
#include "scopegate/decision.hpp"
#include "scopegate/path.hpp"
#include "scopegate/principal.hpp"
#include "scopegate/result.hpp"
#include "scopegate/scope_set.hpp"

namespace scopegate {

class Policy;

inline constexpr std::uint32_t no_condition = UINT32_MAX;

struct ConditionError {
  ConditionErrorKind kind = ConditionErrorKind::type;
  std::uint32_t tag = 0;
  std::string message;  // lowercase, no trailing period
  std::string help;
};

// What a condition may look at while one decision is made.
struct EvalContext {
  const Request& request;
  const PathSegments& path;
  const Principal& principal;
  std::span<const PathParam> params;
  bool principal_bound;  // principal's scope bits belong to this policy
};

class ConditionProgram {
 public:
  // A name -> ScopeId lookup, for `"x:y" in principal.scopes`.
  using ScopeLookup = std::function<std::optional<ScopeId>(std::string_view)>;

  // Compiles `spec`; returns the root index for evaluate(). `params` are the names the
  // route binds (nullptr: not checked, e.g. in forbid rules and scope-wide conditions
  // checked per route by the caller).
  Result<std::uint32_t, ConditionError> compile(const ConditionSpec& spec,
                                                const ScopeLookup& scopes,
                                                const std::vector<std::string>* params);

  bool evaluate(std::uint32_t root, const EvalContext& context) const noexcept;

  std::size_t memory_usage() const noexcept;

 private:
  // Comparisons that the shipped policies use on every request, decided without
  // building a Value for each side (see test()).
  enum class Shortcut : std::uint8_t {
    none,
    principal_kind,       // principal.kind ==/!= "api_key" | "user" | "anonymous" | other
    allowed_cidrs_empty,  // principal.allowed_cidrs ==/!= []
  };

  struct Node {
    ConditionSpec::Kind kind = ConditionSpec::Kind::boolean_literal;
    Shortcut shortcut = Shortcut::none;
    std::uint8_t shortcut_kind = 0;  // principal_kind: the PrincipalKind, or 0xFF for none
    CompareOp op = CompareOp::eq;
    ValueType type = ValueType::boolean;
    Attribute attribute = Attribute::request_method;
    bool coerce_integer = false;  // a string attribute compared with an integer
    std::string text;             // string literal, or attribute key
    std::int64_t integer = 0;     // integer/time literal, boolean as 0/1
    IpAddress ip;
    Cidr cidr;
    ScopeId scope = 0;            // a string literal resolved for `in principal.scopes`
    bool scope_known = false;
    std::vector<std::string> strings;
    std::vector<std::int64_t> integers;
    std::vector<Cidr> cidrs;
    std::vector<std::uint32_t> children;
  };
  struct Value;

  Result<std::uint32_t, ConditionError> compile_node(const ConditionSpec& spec,
                                                     const ScopeLookup& scopes,
                                                     const std::vector<std::string>* params);
  static void set_shortcut(Node& node, const Node& left, const Node& right) noexcept;
  Value value_of(const Node& node, const EvalContext& context) const noexcept;
  bool test(const Node& node, const EvalContext& context) const noexcept;

  std::vector<Node> m_nodes;
};


}  // namespace scopegate
