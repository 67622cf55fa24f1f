// ConditionProgram: the compiled form of every condition in one Policy, and its
// evaluator. Private to engine/. Built once by PolicyBuilder (condition_compile.cpp);
// evaluate() (condition_evaluate.cpp) is const, allocation-free and never throws.
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

// What `principal.kind` reads for each kind of principal.
constexpr std::string_view principal_kind_name(PrincipalKind kind) noexcept {
  switch (kind) {
    case PrincipalKind::api_key:
      return "api_key";
    case PrincipalKind::user:
      return "user";
    case PrincipalKind::anonymous:
      return "anonymous";
  }
  return "anonymous";
}

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

  // Whether the condition at `root` holds for the request. A value it compared that is
  // present but cannot be read as it is compared (an integer that is not a plain decimal
  // one, such as `+5`, `5.0` or `1e3`; a query parameter or header sent more than once
  // with different values) makes the answer `if_unreadable` instead: false for a grant's
  // condition, true for a forbid rule's, so that such a request is refused either way
  // rather than read differently by the server behind.
  bool evaluate(std::uint32_t root, const EvalContext& context, bool if_unreadable) const noexcept;

  // What `root` gives when the principal alone decides it: its kind and whether its
  // allowed_cidrs is empty. Precomputed for each of those 6 cases from the shortcut
  // comparisons and the literals, through `and`, `or` and `not` (a branch that is false
  // for the case makes an `and` false whatever its other operands read, and so on).
  // `depends` means evaluate() must look at the request.
  enum class Verdict : std::uint8_t { depends, no, yes };
  Verdict verdict(std::uint32_t root, const Principal& principal) const noexcept {
    return root < m_nodes.size() ? verdict_for(m_nodes[root], case_of(principal))
                                 : Verdict::depends;
  }

  std::size_t memory_usage() const noexcept;

 private:
  // Comparisons that the shipped policies use on every request, decided without
  // building a Value for each side: they fill Node::verdicts (see verdicts_of()).
  enum class Shortcut : std::uint8_t {
    none,
    principal_kind,       // principal.kind ==/!= "api_key" | "user" | "anonymous" | other
    allowed_cidrs_empty,  // principal.allowed_cidrs ==/!= []
  };

  // The 6 cases a verdict is known for: case_of() is 2 * kind + (allowed_cidrs empty ?
  // 0 : 1), and a Verdict for case c sits at bits 2c and 2c + 1 of Node::verdicts.
  static constexpr unsigned case_count = 6;
  static unsigned case_of(const Principal& principal) noexcept {
    return static_cast<unsigned>(principal.kind()) * 2 +
           (principal.allowed_cidrs().empty() ? 0 : 1);
  }

  struct Node {
    ConditionSpec::Kind kind = ConditionSpec::Kind::boolean_literal;
    Shortcut shortcut = Shortcut::none;
    std::uint16_t verdicts = 0;      // a Verdict per case (see case_of()); 0: all depend
    std::uint8_t shortcut_kind = 0;  // principal_kind: the PrincipalKind, or 0xFF for none
    CompareOp op = CompareOp::eq;
    ValueType type = ValueType::boolean;
    Attribute attribute = Attribute::request_method;
    bool coerce_integer = false;  // a string attribute compared with an integer
    std::string text;             // string literal, or attribute key
    std::int64_t integer = 0;     // integer/time literal, boolean as 0/1
    IpAddress ip;
    Cidr cidr;
    ScopeId scope = 0;  // a string literal resolved for `in principal.scopes`
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
  std::uint16_t verdicts_of(const Node& node) const noexcept;
  static Verdict verdict_for(const Node& node, unsigned principal_case) noexcept {
    return static_cast<Verdict>(node.verdicts >> (2 * principal_case) & 3U);
  }
  // `unreadable` is set when a value compared cannot be read (see evaluate()).
  Value value_of(const Node& node, const EvalContext& context, bool& unreadable) const noexcept;
  bool test(const Node& node, const EvalContext& context, unsigned principal_case,
            bool& unreadable) const noexcept;

  std::vector<Node> m_nodes;
};

}  // namespace scopegate
