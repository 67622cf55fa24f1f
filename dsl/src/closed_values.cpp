#include "closed_values.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "node_kinds.hpp"
#include "scopegate/suggest.hpp"

namespace scopegate {

namespace {

class ValueChecker {
 public:
  Diagnostics run(const Model& model) {
    for (const RouteEntry& route : model.routes) {
      if (route.spec.condition) walk(*route.spec.condition, route.condition_nodes);
    }
    for (const ForbidEntry& forbid : model.forbids) {
      if (forbid.spec.condition) walk(*forbid.spec.condition, forbid.condition_nodes);
    }
    return std::move(m_out);
  }

 private:
  void walk(const ConditionSpec& node, const std::vector<Span>& spans) {
    for (const ConditionSpec& child : node.children) walk(child, spans);
    if (node.children.size() != 2) return;
    const ConditionSpec& left = node.children[0];
    const ConditionSpec& right = node.children[1];
    const bool equality = node.kind == ConditionKind::compare &&
                          (node.op == CompareOp::eq || node.op == CompareOp::ne);
    if (equality) {
      if (left.kind == ConditionKind::attribute && right.kind == ConditionKind::string_literal) {
        check(left.text, right, spans);
      } else if (right.kind == ConditionKind::attribute &&
                 left.kind == ConditionKind::string_literal) {
        check(right.text, left, spans);
      }
    } else if (node.kind == ConditionKind::in && left.kind == ConditionKind::attribute &&
               right.kind == ConditionKind::list_literal) {
      for (const ConditionSpec& item : right.children) {
        if (item.kind == ConditionKind::string_literal) check(left.text, item, spans);
      }
    }
  }

  void check(const std::string& attribute, const ConditionSpec& value,
             const std::vector<Span>& spans) {
    const auto info = find_attribute(attribute);
    if (!info || value.tag >= spans.size()) return;
    const auto closed = closed_values(info->attribute);
    if (closed.empty() || std::find(closed.begin(), closed.end(), value.text) != closed.end()) {
      return;
    }
    const Span& span = spans[value.tag];
    if (!span.file || !m_seen.emplace(span.file->name, span.offset).second) return;
    const std::vector<std::string> values(closed.begin(), closed.end());
    std::string listed;
    for (const std::string& v : values)
      listed += fmt::format("{}\"{}\"", listed.empty() ? "" : ", ", v);
    Diagnostic d;
    d.code = "unknown-value";
    d.span = span;
    d.message = fmt::format("'{}' is never '{}'", attribute, value.text);
    d.help = fmt::format("{} is one of {}", attribute, listed);
    if (auto suggestion = suggest(value.text, values)) {
      d.help = fmt::format("did you mean \"{}\"? {}", *suggestion, d.help);
    }
    m_out.add(std::move(d));
  }

  // The value written in another case or with `-` for `_` ("get", "api-key"), else the
  // closest by spelling.
  static std::optional<std::string> suggest(const std::string& written,
                                            const std::vector<std::string>& values) {
    const auto fold = [](std::string text) {
      for (char& c : text) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (c == '-' || c == ' ') c = '_';
      }
      return text;
    };
    for (const std::string& value : values) {
      if (fold(value) == fold(written)) return value;
    }
    return closest_match(written, values);
  }

  std::set<std::pair<std::string, std::size_t>> m_seen;
  Diagnostics m_out;
};

}  // namespace

Diagnostics check_closed_values(const Model& model) { return ValueChecker{}.run(model); }

}  // namespace scopegate
