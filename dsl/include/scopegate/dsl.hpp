// The policy compiler: policy text -> syntax tree with spans -> lowered to builder input
// -> engine::Policy. Every error is reported, sorted, with file:line:col and a fix.
// Functions are reentrant; nothing is cached between calls.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "scopegate/dsl/diagnostic.hpp"
#include "scopegate/export.hpp"
#include "scopegate/policy.hpp"
#include "scopegate/result.hpp"

namespace scopegate {

// Compiles every given file, and every `*.policy` file (sorted by name) inside every
// given directory, as one policy. A missing path or an unreadable file is a diagnostic.
SCOPEGATE_EXPORT Result<Policy, Diagnostics> compile_files(
    const std::vector<std::filesystem::path>& paths);

// Compiles one in-memory source; `file_name` is what diagnostics print.
SCOPEGATE_EXPORT Result<Policy, Diagnostics> compile_source(std::string_view file_name,
                                                            std::string_view text);

// A compile with its warnings: `policy` is set exactly when there is no error, and
// `diagnostics` holds every error and every warning not acknowledged in the policy text,
// sorted. (compile_files() and compile_source() are these without the warnings.)
struct Compilation {
  std::optional<Policy> policy;
  Diagnostics diagnostics;
};

// Which lints a check runs: the warnings, or the warnings and the style lints
// (`scopegate check --style`: a scope name not in the `resource:action` shape).
enum class Lints : std::uint8_t { warnings, warnings_and_style };

SCOPEGATE_EXPORT Compilation check_files(const std::vector<std::filesystem::path>& paths,
                                         Lints lints = Lints::warnings);
SCOPEGATE_EXPORT Compilation check_source(std::string_view file_name, std::string_view text,
                                          Lints lints = Lints::warnings);

}  // namespace scopegate
