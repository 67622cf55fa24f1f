// The style lints that `scopegate check --style` adds to the warnings: a scope name not
// in the lower-case `resource:action` shape (`scope-name-style`). A name is valid as any
// OAuth 2.0 scope-token; the shape is a house style, asked for only. Pure function.
#pragma once

#include <string_view>

#include "scopegate/dsl/diagnostic.hpp"
#include "scopegate/dsl/lower.hpp"

namespace scopegate {

inline constexpr std::string_view scope_name_style_code = "scope-name-style";

// One warning per scope declared with a name not in the `resource:action` shape.
Diagnostics find_style_warnings(const Model& model);

}  // namespace scopegate
