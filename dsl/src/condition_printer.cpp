#include "condition_printer.hpp"

#include <memory>
#include <variant>

#include "node_kinds.hpp"
#include "scopegate/dsl/format.hpp"
#include "scopegate/dsl/parse.hpp"
#include "source_scan.hpp"

namespace scopegate {

namespace {

// Binding strength, loosest first; a node printed where a stronger one is expected
// gets parentheses.
int level(const ast::Expression& node) {
  switch (node.kind) {
    case ExpressionKind::or_:
      return 1;
    case ExpressionKind::and_:
      return 2;
    case ExpressionKind::not_:
      return 3;
    default:
      return 4;
  }
}

std::string single_spaced(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (parsing::is_space(c)) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::string quote(std::string_view value) {
  std::string out = "\"";
  for (const char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string ConditionPrinter::print(std::uint32_t index, int min_level) const {
  const ast::Expression& node = m_nodes[index];
  std::string body = print_bare(node);
  if (level(node) < min_level) return "(" + body + ")";
  return body;
}

std::string ConditionPrinter::print_bare(const ast::Expression& node) const {
  switch (node.kind) {
    case ExpressionKind::string:
      return quote(node.text);
    case ExpressionKind::integer:
      return std::to_string(node.integer);
    case ExpressionKind::boolean:
      return node.boolean ? "true" : "false";
    case ExpressionKind::ip:
    case ExpressionKind::cidr:
    case ExpressionKind::attribute:
      return node.text;
    case ExpressionKind::list: {
      std::string out = "[";
      for (std::size_t i = 0; i < node.operands.size(); ++i) {
        if (i > 0) out += ", ";
        out += print(node.operands[i], 0);
      }
      return out + "]";
    }
    case ExpressionKind::compare:
      return print(node.operands[0], 0) + " " + std::string(to_string(node.op)) + " " +
             print(node.operands[1], 0);
    case ExpressionKind::in:
      return print(node.operands[0], 0) + " in " + print(node.operands[1], 0);
    case ExpressionKind::not_:
      return "not " + print(node.operands[0], 3);
    case ExpressionKind::and_:
    case ExpressionKind::or_: {
      const bool is_and = node.kind == ExpressionKind::and_;
      std::string out;
      for (std::size_t i = 0; i < node.operands.size(); ++i) {
        if (i > 0) out += is_and ? " and " : " or ";
        out += print(node.operands[i], is_and ? 2 : 1);
      }
      return out;
    }
  }
  return {};
}

std::string format_condition(const ast::Condition& condition) {
  return ConditionPrinter(condition).print(condition.root, 0);
}

std::string canonical_condition_text(std::string_view text) {
  // The only way into the parser is a whole file: a forbid rule carries the condition.
  const std::string wrapped = "forbid * / when " + std::string(text) + " {}";
  ParseResult parsed = parse(std::make_shared<SourceFile>(SourceFile{"condition", wrapped}));
  if (parsed.diagnostics.empty() && parsed.file.declarations.size() == 1) {
    const auto* forbid = std::get_if<ast::ForbidDecl>(&parsed.file.declarations[0]);
    if (forbid != nullptr && forbid->condition) return format_condition(*forbid->condition);
  }
  return single_spaced(text);
}

}  // namespace scopegate
