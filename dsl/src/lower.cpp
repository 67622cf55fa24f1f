#include "scopegate/dsl/lower.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "scopegate/dsl/format.hpp"
#include "scopegate/method.hpp"
#include "scopegate/source_location.hpp"
#include "scopegate/suggest.hpp"

namespace scopegate {

namespace {

// Spans for one file in O(log lines) each (make_span scans from the start).
class Locator {
 public:
  explicit Locator(std::shared_ptr<const SourceFile> file) : m_file(std::move(file)) {
    m_line_starts.push_back(0);
    const std::string& text = m_file->text;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') m_line_starts.push_back(i + 1);
    }
  }

  Span span(ast::Range range) const {
    Span span;
    span.file = m_file;
    span.offset = range.offset;
    span.length = range.length;
    const auto next = std::upper_bound(m_line_starts.begin(), m_line_starts.end(), range.offset);
    const auto line = static_cast<std::size_t>(next - m_line_starts.begin());
    span.line = static_cast<std::uint32_t>(line);
    span.column = static_cast<std::uint32_t>(range.offset - m_line_starts[line - 1] + 1);
    return span;
  }

  SourceLocation location(ast::Range range) const {
    const Span s = span(range);
    return {m_file->name, s.line, s.column};
  }

  std::string_view text() const { return m_file->text; }

 private:
  std::shared_ptr<const SourceFile> m_file;
  std::vector<std::size_t> m_line_starts;
};

std::string methods_help(std::string_view written) {
  const std::string list = "methods are GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS and * (any)";
  std::string upper(written);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (parse_method(upper)) {
    return fmt::format("methods are upper-case: did you mean '{}'?", upper);
  }
  std::vector<std::string> names(method_names.begin(), method_names.end() - 1);
  if (auto suggestion = closest_match(upper, names)) {
    return fmt::format("did you mean '{}'? {}", *suggestion, list);
  }
  return list;
}

// A condition converted for the builder: its tree, and the span of each node by tag.
struct ConvertedCondition {
  ConditionSpec spec;
  std::vector<Span> nodes;
  std::string text;
  SourceLocation location;
  Span span;           // the whole expression
  bool is_or = false;  // its root is an `or` (parenthesized when joined with `and`)
};

ConditionSpec::Kind spec_kind(ast::Expression::Kind kind) {
  using K = ast::Expression::Kind;
  using S = ConditionSpec::Kind;
  switch (kind) {
    case K::string:
      return S::string_literal;
    case K::integer:
      return S::integer_literal;
    case K::boolean:
      return S::boolean_literal;
    case K::ip:
      return S::ip_literal;
    case K::cidr:
      return S::cidr_literal;
    case K::list:
      return S::list_literal;
    case K::attribute:
      return S::attribute;
    case K::compare:
      return S::compare;
    case K::in:
      return S::in;
    case K::not_:
      return S::not_;
    case K::and_:
      return S::and_;
    case K::or_:
      return S::or_;
  }
  return S::boolean_literal;
}

// The node and its operands, tagged in the order they are visited (tags continue
// `spans`). Depth is bounded by the parser's max_condition_depth.
ConditionSpec convert_node(const Locator& at, const ast::Condition& condition, std::uint32_t index,
                           std::vector<Span>& spans) {
  const ast::Expression& node = condition.nodes[index];
  ConditionSpec spec;
  spec.kind = spec_kind(node.kind);
  spec.op = node.op;
  spec.text = node.text;
  spec.integer = node.integer;
  spec.boolean = node.boolean;
  spec.tag = static_cast<std::uint32_t>(spans.size());
  spans.push_back(at.span(node.range));
  for (const std::uint32_t operand : node.operands) {
    spec.children.push_back(convert_node(at, condition, operand, spans));
  }
  return spec;
}

ConvertedCondition convert(const Locator& at, const ast::Condition& condition,
                           std::size_t first_tag = 0) {
  ConvertedCondition converted;
  converted.nodes.resize(first_tag);
  converted.spec = convert_node(at, condition, condition.root, converted.nodes);
  converted.nodes.erase(converted.nodes.begin(),
                        converted.nodes.begin() + static_cast<std::ptrdiff_t>(first_tag));
  // As `scopegate fmt` writes it, so that formatting a policy keeps its messages.
  converted.text = format_condition(condition);
  converted.location = at.location(condition.range);
  converted.span = at.span(condition.range);
  converted.is_or = condition.nodes[condition.root].kind == ast::Expression::Kind::or_;
  return converted;
}

std::string joinable(const ConvertedCondition& condition) {
  return condition.is_or ? "(" + condition.text + ")" : condition.text;
}

class Lowerer {
 public:
  LowerResult run(const std::vector<ast::File>& files) {
    for (const ast::File& file : files) {
      const Locator locator(file.source);
      for (const ast::Declaration& declaration : file.declarations) {
        std::visit([&](const auto& decl) { add(locator, decl); }, declaration);
      }
    }
    return std::move(m_result);
  }

 private:
  void add(const Locator& at, const ast::ScopeDecl& decl) {
    std::optional<ConvertedCondition> condition;
    if (decl.condition) {
      condition = convert(at, *decl.condition);
      if (decl.routes.empty()) {
        Diagnostic d;
        d.code = "bad-condition";
        d.message = fmt::format("scope '{}' has a condition but no route lines", decl.name.text);
        d.span = condition->span;
        d.help =
            "a scope's `when` applies to the scope's own route lines only (not to what it "
            "implies): put the condition on the routes it should restrict, or remove it";
        m_result.diagnostics.add(std::move(d));
      }
    }
    ScopeEntry entry;
    entry.spec.name = decl.name.text;
    entry.spec.kind = decl.kind;
    entry.spec.location = at.location(decl.name.range);
    entry.name = at.span(decl.name.range);
    check_single_summary(at, decl.summaries, fmt::format("scope '{}'", decl.name.text));
    if (!decl.summaries.empty()) entry.spec.summary = decl.summaries.front().text.value;
    for (const auto& note : decl.notes) entry.spec.notes.push_back(note.text.value);
    for (const auto& use_case : decl.use_cases) entry.spec.use_cases.push_back(use_case.text.value);
    for (const auto& implied : decl.implies) {
      entry.spec.implies.push_back(implied.text);
      entry.implies.push_back(at.span(implied.range));
    }
    m_result.model.scopes.push_back(std::move(entry));
    for (const auto& route : decl.routes) {
      add_route(at, route, Access::scoped, decl.name.text, decl.kind,
                condition ? &*condition : nullptr);
    }
  }

  void add(const Locator& at, const ast::AccessBlock& block) {
    for (const auto& route : block.routes) {
      add_route(at, route, block.access, {}, ScopeKind::plain, nullptr);
    }
  }

  void add(const Locator& at, const ast::ForbidDecl& decl) {
    check_single(at, decl.messages, "the forbid rule has more than one message",
                 "keep one `message` line", "the first message is here");
    const auto method = check_method(at, decl.method);
    if (!method) return;
    ForbidEntry entry;
    entry.spec.method = *method;
    entry.spec.path_template = decl.path_template.text;
    if (!decl.messages.empty()) entry.spec.message = decl.messages.front().text.value;
    entry.spec.location = at.location(decl.keyword);
    if (decl.condition) {
      ConvertedCondition condition = convert(at, *decl.condition);
      entry.spec.condition = std::move(condition.spec);
      entry.spec.condition_text = std::move(condition.text);
      entry.spec.condition_location = condition.location;
      entry.condition_nodes = std::move(condition.nodes);
    }
    entry.keyword = at.span(decl.keyword);
    const auto& path = decl.path_template.range;
    entry.line = at.span({decl.keyword.offset, path.offset + path.length - decl.keyword.offset});
    entry.path_template = at.span(path);
    m_result.model.forbids.push_back(std::move(entry));
  }

  void add(const Locator& at, const ast::RoleDecl& decl) {
    RoleEntry entry;
    entry.spec.name = decl.name.text;
    entry.spec.location = at.location(decl.name.range);
    entry.spec.all_scopes = decl.all_scopes;
    entry.name = at.span(decl.name.range);
    if (decl.all_scopes) entry.all_scopes = at.span(decl.all_scopes_range);
    check_single_summary(at, decl.summaries, fmt::format("role '{}'", decl.name.text));
    if (!decl.summaries.empty()) entry.spec.summary = decl.summaries.front().text.value;
    for (const auto& scope : decl.scopes) {
      entry.spec.scopes.push_back(scope.text);
      entry.scopes.push_back(at.span(scope.range));
    }
    m_result.model.roles.push_back(std::move(entry));
  }

  std::optional<Method> check_method(const Locator& at, const ast::Word& written) {
    const auto method = parse_method(written.text);
    if (!method) {
      Diagnostic d;
      d.code = "unknown-method";
      d.message = fmt::format("unknown method '{}'", written.text);
      d.span = at.span(written.range);
      d.help = methods_help(written.text);
      m_result.diagnostics.add(std::move(d));
    }
    return method;
  }

  void add_route(const Locator& at, const ast::Route& route, Access access,
                 const std::string& scope, ScopeKind kind,
                 const ConvertedCondition* scope_condition) {
    const auto method = check_method(at, route.method);
    if (!method) return;
    RouteEntry entry;
    add_conditions(at, route, scope_condition, entry);
    entry.spec.method = *method;
    entry.spec.path_template = route.path_template.text;
    if (route.description) entry.spec.description = route.description->value;
    entry.spec.access = access;
    entry.spec.scope = scope;
    entry.spec.location = at.location(route.method.range);
    const std::size_t start = route.method.range.offset;
    const auto& path = route.path_template.range;
    entry.line = at.span({start, path.offset + path.length - start});
    entry.path_template = at.span(route.path_template.range);
    entry.scope_kind = kind;
    m_result.model.routes.push_back(std::move(entry));
  }

  // The scope's condition, the route's own, or both joined by `and`.
  static void add_conditions(const Locator& at, const ast::Route& route,
                             const ConvertedCondition* scope_condition, RouteEntry& entry) {
    std::optional<ConvertedCondition> own;
    const std::size_t first_tag = scope_condition ? scope_condition->nodes.size() : 0;
    if (route.condition) own = convert(at, *route.condition, first_tag);
    RouteSpec& spec = entry.spec;
    if (scope_condition) {
      entry.condition_nodes = scope_condition->nodes;
      entry.scope_condition_nodes = scope_condition->nodes.size();
    }
    if (scope_condition && own) {
      entry.condition_nodes.insert(entry.condition_nodes.end(), own->nodes.begin(),
                                   own->nodes.end());
      ConditionSpec both;
      both.kind = ConditionSpec::Kind::and_;
      both.tag = static_cast<std::uint32_t>(entry.condition_nodes.size());
      entry.condition_nodes.push_back(own->span);
      both.children.push_back(scope_condition->spec);
      both.children.push_back(std::move(own->spec));
      spec.condition = std::move(both);
      spec.condition_text = joinable(*scope_condition) + " and " + joinable(*own);
      spec.condition_location = own->location;
    } else if (own) {
      entry.condition_nodes = std::move(own->nodes);
      spec.condition = std::move(own->spec);
      spec.condition_text = std::move(own->text);
      spec.condition_location = own->location;
    } else if (scope_condition) {
      spec.condition = scope_condition->spec;
      spec.condition_text = scope_condition->text;
      spec.condition_location = scope_condition->location;
    }
  }

  void check_single_summary(const Locator& at, const std::vector<ast::Metadata>& summaries,
                            const std::string& owner) {
    check_single(at, summaries, fmt::format("{} has more than one summary", owner),
                 "keep one `summary` line; put further text in `note` lines",
                 "the first summary is here");
  }

  void check_single(const Locator& at, const std::vector<ast::Metadata>& items,
                    const std::string& message, const std::string& help, const std::string& note) {
    for (std::size_t i = 1; i < items.size(); ++i) {
      Diagnostic d;
      d.code = "duplicate-metadata";
      d.message = message;
      d.span = at.span(items[i].keyword);
      d.help = help;
      d.notes.push_back({at.span(items.front().keyword), note});
      m_result.diagnostics.add(std::move(d));
    }
  }

  LowerResult m_result;
};

}  // namespace

LowerResult lower(const std::vector<ast::File>& files) { return Lowerer{}.run(files); }

std::string condition_text(std::string_view written) {
  std::string out;
  bool pending_space = false;
  for (std::size_t i = 0; i < written.size(); ++i) {
    const char c = written[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = true;
      continue;
    }
    if (c == '#') {
      while (i < written.size() && written[i] != '\n') ++i;
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    if (c != '"') {
      out.push_back(c);
      continue;
    }
    // A string, copied as written (escapes included).
    out.push_back(c);
    for (++i; i < written.size(); ++i) {
      out.push_back(written[i]);
      if (written[i] == '\\' && i + 1 < written.size()) {
        out.push_back(written[++i]);
      } else if (written[i] == '"') {
        break;
      }
    }
  }
  return out;
}

}  // namespace scopegate
