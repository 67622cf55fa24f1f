#include "style_warnings.hpp"

#include <fmt/format.h>

#include "scope_names.hpp"

namespace scopegate {

Diagnostics find_style_warnings(const Model& model) {
  Diagnostics out;
  for (const ScopeEntry& scope : model.scopes) {
    if (has_resource_action_style(scope.spec.name)) continue;
    Diagnostic d;
    d.severity = Severity::warning;
    d.code = std::string(scope_name_style_code);
    d.span = scope.name;
    d.message =
        fmt::format("scope name '{}' is not in the `resource:action` style", scope.spec.name);
    const auto spelling = resource_action_spelling(scope.spec.name);
    d.help = fmt::format(
        "{}the style is `resource:action`, each part a lower-case letter followed by lower-case "
        "letters, digits or '-'; for a name another API defines, say so in this block: "
        "`allow_warning {} \"why\"`",
        spelling ? fmt::format("did you mean '{}'? ", *spelling) : std::string(),
        scope_name_style_code);
    out.add(std::move(d));
  }
  return out;
}

}  // namespace scopegate
