// Diagnostics for policy authors: what is wrong, exactly where (file:line:col and a
// byte span), and what to do about it. Rendered GCC-style with the source line, a
// caret/tilde underline, `= help:` and `note:` lines. Diagnostics own the source text
// they point into (shared, immutable), so they outlive the compile that made them.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/export.hpp"

namespace scopegate {

struct SourceFile {
  std::string name;  // as given by the caller, e.g. "policies/api.policy"
  std::string text;
};

struct Span {
  std::shared_ptr<const SourceFile> file;
  std::size_t offset = 0;    // bytes from the start of the file
  std::size_t length = 0;    // bytes; 0 renders as a single caret
  std::uint32_t line = 0;    // 1-based
  std::uint32_t column = 0;  // 1-based, in bytes (as GCC prints it)
};

// Makes a span and computes its line and column.
SCOPEGATE_EXPORT Span make_span(std::shared_ptr<const SourceFile> file, std::size_t offset,
                                std::size_t length);

enum class Severity : std::uint8_t { error, warning, note };

// "error", "warning", "note": as printed after file:line:col.
SCOPEGATE_EXPORT std::string_view to_string(Severity severity) noexcept;

struct Label {
  Span span;
  std::string message;  // e.g. "first defined here"
};

struct Diagnostic {
  Severity severity = Severity::error;
  std::string code;     // stable, documented in docs/diagnostics.md, e.g. "unknown-scope"
  std::string message;  // lowercase, no trailing period
  Span span;            // may have no file for errors about no file at all
  std::string help;     // a concrete fix, or empty
  std::vector<Label> notes;
};

class SCOPEGATE_EXPORT Diagnostics {
 public:
  void add(Diagnostic diagnostic);
  void append(Diagnostics other);
  // Sorted by file, then offset, then code: the order they are printed in.
  void sort();

  bool empty() const noexcept { return m_items.empty(); }
  std::size_t size() const noexcept { return m_items.size(); }
  std::size_t error_count() const noexcept;
  std::size_t warning_count() const noexcept;
  const std::vector<Diagnostic>& items() const noexcept { return m_items; }

  // Every diagnostic, rendered, followed by a summary line "2 errors generated".
  std::string render() const;

 private:
  std::vector<Diagnostic> m_items;
};

SCOPEGATE_EXPORT std::ostream& operator<<(std::ostream& out, const Diagnostics& diagnostics);
// What a Result<T, Diagnostics> accessed as a value throws with: render().
SCOPEGATE_EXPORT std::string describe_error(const Diagnostics& diagnostics);

}  // namespace scopegate
