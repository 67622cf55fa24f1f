// The scope reference, as `scopegate docs` prints it: the page that tells an API's
// users which scope grants which endpoints, generated from a compiled policy.
// Everything specific (scope names, summaries, routes and their descriptions, use
// cases, notes, conditions, forbid rules, the refusal message) comes from the policy;
// the generator only adds the section headings and a few sentences that hold for any
// policy. Markdown for the repository, HTML (one self-contained page with an access
// matrix) for a browser, and the endpoints as an OpenAPI 3.1 document (JSON) for API
// tools. Pure functions; reentrant.
#pragma once

#include <cstdint>
#include <string>

#include "scopegate/export.hpp"
#include "scopegate/policy.hpp"

namespace scopegate {

enum class ReferenceFormat : std::uint8_t { markdown, html, openapi };

// The whole page, ending in a newline.
SCOPEGATE_EXPORT std::string scope_reference(const Policy& policy, ReferenceFormat format);

}  // namespace scopegate
