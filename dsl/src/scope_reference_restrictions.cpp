// Which kinds of caller each forbid rule refuses on each endpoint, for the access matrix.
// The rule's condition is parsed again from its text and evaluated three-valued with
// only `principal.kind` known: a condition false for a kind never refuses it.
#include <memory>
#include <optional>
#include <variant>

#include "node_kinds.hpp"
#include "scope_reference_model.hpp"
#include "scopegate/dsl/parse.hpp"
#include "scopegate/template.hpp"

namespace scopegate::docs {

namespace {

enum class Truth : std::uint8_t { no, yes, maybe };

Truth negate(Truth truth) {
  return truth == Truth::maybe ? Truth::maybe : truth == Truth::yes ? Truth::no : Truth::yes;
}

// `principal.kind` against the string literal on the other side, if that is the shape.
std::optional<std::string> kind_literal(const ast::Expression& left, const ast::Expression& right) {
  if (left.kind == ExpressionKind::attribute && left.text == "principal.kind" &&
      right.kind == ExpressionKind::string) {
    return right.text;
  }
  if (right.kind == ExpressionKind::attribute && right.text == "principal.kind" &&
      left.kind == ExpressionKind::string) {
    return left.text;
  }
  return std::nullopt;
}

Truth evaluate(const ast::Condition& condition, std::uint32_t index, std::string_view kind) {
  const ast::Expression& node = condition.nodes[index];
  const auto operand = [&](std::size_t i) -> const ast::Expression& {
    return condition.nodes[node.operands[i]];
  };
  switch (node.kind) {
    case ExpressionKind::boolean:
      return node.boolean ? Truth::yes : Truth::no;
    case ExpressionKind::compare: {
      if (node.op != CompareOp::eq && node.op != CompareOp::ne) return Truth::maybe;
      const auto literal = kind_literal(operand(0), operand(1));
      if (!literal) return Truth::maybe;
      const Truth equal = *literal == kind ? Truth::yes : Truth::no;
      return node.op == CompareOp::eq ? equal : negate(equal);
    }
    case ExpressionKind::in: {
      const ast::Expression& left = operand(0);
      const ast::Expression& right = operand(1);
      if (left.kind != ExpressionKind::attribute || left.text != "principal.kind" ||
          right.kind != ExpressionKind::list) {
        return Truth::maybe;
      }
      for (const std::uint32_t item : right.operands) {
        if (condition.nodes[item].kind == ExpressionKind::string &&
            condition.nodes[item].text == kind) {
          return Truth::yes;
        }
      }
      return Truth::no;
    }
    case ExpressionKind::not_:
      return negate(evaluate(condition, node.operands[0], kind));
    case ExpressionKind::and_:
    case ExpressionKind::or_: {
      const Truth decisive = node.kind == ExpressionKind::and_ ? Truth::no : Truth::yes;
      Truth result = negate(decisive);
      for (const std::uint32_t child : node.operands) {
        const Truth truth = evaluate(condition, child, kind);
        if (truth == decisive) return decisive;
        if (truth == Truth::maybe) result = Truth::maybe;
      }
      return result;
    }
    default:
      return Truth::maybe;
  }
}

// The rule's condition as a syntax tree, or none when it has none (or, which a compiled
// policy rules out, it does not parse: then every kind may be refused).
std::optional<ast::Condition> parsed_condition(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const std::string wrapped = "forbid * / when " + std::string(text) + " {}";
  ParseResult parsed = parse(std::make_shared<SourceFile>(SourceFile{"condition", wrapped}));
  if (!parsed.diagnostics.empty() || parsed.file.declarations.size() != 1) return std::nullopt;
  auto* forbid = std::get_if<ast::ForbidDecl>(&parsed.file.declarations[0]);
  if (forbid == nullptr || !forbid->condition) return std::nullopt;
  return std::move(*forbid->condition);
}

struct CallerKind {
  std::string_view name;   // as principal.kind reads it
  std::string_view label;  // as the page says it
};
constexpr CallerKind caller_kinds[] = {
    {"api_key", "API keys"}, {"user", "users"}, {"anonymous", "anonymous callers"}};

// Whether a caller of `kind` gets as far as the forbid rules on `endpoint`: anyone on a
// public endpoint, no anonymous caller elsewhere, no key where only users are granted.
bool reaches(const Endpoint& endpoint, std::string_view kind) {
  if (endpoint.access == Access::public_) return true;
  if (kind == "anonymous") return false;
  return endpoint.access == Access::authenticated || kind == "user" ||
         !endpoint.key_scopes().empty();
}

}  // namespace

std::vector<std::vector<Restriction>> restrictions(const Policy& policy) {
  std::vector<std::vector<Restriction>> result(policy.endpoints().size());
  std::vector<Template> templates;
  for (const Endpoint& endpoint : policy.endpoints()) templates.push_back(endpoint.parsed());
  for (std::size_t r = 0; r < policy.forbids().size(); ++r) {
    const ForbidRule& rule = policy.forbids()[r];
    const std::optional<ast::Condition> condition = parsed_condition(rule.condition_text);
    for (std::size_t e = 0; e < policy.endpoints().size(); ++e) {
      const Endpoint& endpoint = policy.endpoints()[e];
      const bool some_method = endpoint.method == Method::any && rule.method != Method::any;
      if (rule.method != Method::any && rule.method != endpoint.method && !some_method) continue;
      if (!covers(rule.parsed, templates[e])) continue;
      Restriction restriction{r, {}, true, some_method ? rule.method : Method::any};
      for (const CallerKind& kind : caller_kinds) {
        if (!reaches(endpoint, kind.name)) continue;
        const Truth truth =
            condition ? evaluate(*condition, condition->root, kind.name) : Truth::yes;
        if (truth == Truth::no) continue;
        restriction.kinds.emplace_back(kind.label);
        if (truth == Truth::maybe) restriction.always = false;
      }
      if (!restriction.kinds.empty()) result[e].push_back(std::move(restriction));
    }
  }
  return result;
}

}  // namespace scopegate::docs
