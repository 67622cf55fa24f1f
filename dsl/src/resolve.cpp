#include "scopegate/dsl/resolve.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include <fmt/format.h>

#include "scopegate/method.hpp"
#include "suggest.hpp"

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

class Resolver {
 public:
  ResolveResult run(const std::vector<ast::File>& files) {
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
      add_route(at, route, Access::scoped, decl.name.text, decl.kind);
    }
  }

  void add(const Locator& at, const ast::AccessBlock& block) {
    for (const auto& route : block.routes) {
      add_route(at, route, block.access, {}, ScopeKind::plain);
    }
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

  void add_route(const Locator& at, const ast::Route& route, Access access,
                 const std::string& scope, ScopeKind kind) {
    const auto method = parse_method(route.method.text);
    if (!method) {
      Diagnostic d;
      d.code = "unknown-method";
      d.message = fmt::format("unknown method '{}'", route.method.text);
      d.span = at.span(route.method.range);
      d.help = methods_help(route.method.text);
      m_result.diagnostics.add(std::move(d));
      return;
    }
    RouteEntry entry;
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

  void check_single_summary(const Locator& at, const std::vector<ast::Metadata>& summaries,
                            const std::string& owner) {
    for (std::size_t i = 1; i < summaries.size(); ++i) {
      Diagnostic d;
      d.code = "duplicate-metadata";
      d.message = fmt::format("{} has more than one summary", owner);
      d.span = at.span(summaries[i].keyword);
      d.help = "keep one `summary` line; put further text in `note` lines";
      d.notes.push_back({at.span(summaries.front().keyword), "the first summary is here"});
      m_result.diagnostics.add(std::move(d));
    }
  }

  ResolveResult m_result;
};

}  // namespace

ResolveResult resolve(const std::vector<ast::File>& files) { return Resolver{}.run(files); }

}  // namespace scopegate
