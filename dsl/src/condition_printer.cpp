#include "condition_printer.hpp"

#include <memory>
#include <variant>

#include "scopegate/dsl/format.hpp"
#include "scopegate/dsl/parse.hpp"

namespace scopegate {

namespace {

using Kind = ast::Expression::Kind;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Binding strength, loosest first; a node printed where a stronger one is expected
// gets parentheses.
int level(const ast::Expression& node) {
  switch (node.kind) {
    case Kind::or_:
      return 1;
    case Kind::and_:
      return 2;
    case Kind::not_:
      return 3;
    default:
      return 4;
  }
}

std::string single_spaced(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (is_space(c)) {
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
    case Kind::string:
      return quote(node.text);
    case Kind::integer:
      return std::to_string(node.integer);
    case Kind::boolean:
      return node.boolean ? "true" : "false";
    case Kind::ip:
    case Kind::cidr:
    case Kind::attribute:
      return node.text;
    case Kind::list: {
      std::string out = "[";
      for (std::size_t i = 0; i < node.operands.size(); ++i) {
        if (i > 0) out += ", ";
        out += print(node.operands[i], 0);
      }
      return out + "]";
    }
    case Kind::compare:
      return print(node.operands[0], 0) + " " + std::string(to_string(node.op)) + " " +
             print(node.operands[1], 0);
    case Kind::in:
      return print(node.operands[0], 0) + " in " + print(node.operands[1], 0);
    case Kind::not_:
      return "not " + print(node.operands[0], 3);
    case Kind::and_:
    case Kind::or_: {
      const bool is_and = node.kind == Kind::and_;
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
