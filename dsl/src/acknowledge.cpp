#include "acknowledge.hpp"

#include <algorithm>
#include <string>
#include <variant>

#include <fmt/format.h>

#include "scopegate/suggest.hpp"
#include "style_warnings.hpp"
#include "warnings.hpp"

namespace scopegate {

namespace {

struct Acknowledged {
  const ast::Acknowledgement* acknowledgement = nullptr;
  std::shared_ptr<const SourceFile> file;
  ast::Range block;
  std::string owner;  // "scope 'a:b'", "role 'x'", "the forbid rule", "the public block"
  bool used = false;
};

std::vector<Acknowledged> acknowledgements_in(const std::vector<ast::File>& files) {
  std::vector<Acknowledged> out;
  const auto add = [&](const ast::File& file, const std::vector<ast::Acknowledgement>& list,
                       ast::Range block, const std::string& owner) {
    for (const ast::Acknowledgement& a : list) out.push_back({&a, file.source, block, owner});
  };
  for (const ast::File& file : files) {
    for (const ast::Declaration& declaration : file.declarations) {
      if (const auto* scope = std::get_if<ast::ScopeDecl>(&declaration)) {
        add(file, scope->acknowledgements, scope->range,
            fmt::format("scope '{}'", scope->name.text));
      } else if (const auto* role = std::get_if<ast::RoleDecl>(&declaration)) {
        add(file, role->acknowledgements, role->range, fmt::format("role '{}'", role->name.text));
      } else if (const auto* forbid = std::get_if<ast::ForbidDecl>(&declaration)) {
        add(file, forbid->acknowledgements, forbid->range, "the forbid rule");
      } else if (const auto* access = std::get_if<ast::AccessBlock>(&declaration)) {
        add(file, access->acknowledgements, access->range,
            access->access == Access::public_ ? "the public block" : "the authenticated block");
      }
    }
  }
  return out;
}

bool covers(const Acknowledged& a, const Diagnostic& warning) {
  return a.acknowledgement->code.text == warning.code && warning.span.file &&
         a.file->name == warning.span.file->name && warning.span.offset >= a.block.offset &&
         warning.span.offset < a.block.offset + a.block.length;
}

Diagnostic unused(const Acknowledged& a) {
  const ast::Word& code = a.acknowledgement->code;
  Diagnostic d;
  d.severity = Severity::warning;
  d.code = "unused-allow-warning";
  d.span = make_span(a.file, code.range.offset, code.range.length);
  std::vector<std::string> codes(warning_codes().begin(), warning_codes().end());
  if (std::find(codes.begin(), codes.end(), code.text) == codes.end()) {
    d.message = fmt::format("'{}' is not a warning code", code.text);
    const auto suggestion = closest_match(code.text, codes);
    d.help = suggestion ? fmt::format("did you mean '{}'?", *suggestion)
                        : "only warnings can be allowed; docs/diagnostics.md lists their codes";
  } else {
    d.message = fmt::format("`allow_warning {}` in {} allows no warning", code.text, a.owner);
    d.help = fmt::format("{} draws no '{}' warning: remove the line", a.owner, code.text);
  }
  return d;
}

}  // namespace

std::string acknowledge_help(std::string_view code) {
  return fmt::format("or, if it is intended, say so in this block: `allow_warning {} \"why\"`",
                     code);
}

void apply_acknowledgements(const std::vector<ast::File>& files, Diagnostics& warnings,
                            Lints lints) {
  std::vector<Acknowledged> acknowledged = acknowledgements_in(files);
  Diagnostics kept;
  for (const Diagnostic& warning : warnings.items()) {
    bool silenced = false;
    for (Acknowledged& a : acknowledged) {
      if (!covers(a, warning)) continue;
      a.used = true;
      silenced = true;
    }
    if (!silenced) kept.add(warning);
  }
  for (const Acknowledged& a : acknowledged) {
    const bool lint_ran =
        lints == Lints::warnings_and_style || a.acknowledgement->code.text != scope_name_style_code;
    if (!a.used && lint_ran) kept.add(unused(a));
  }
  warnings = std::move(kept);
}

}  // namespace scopegate
