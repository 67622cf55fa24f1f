// Rendering: GCC-style lines, a gutter, a caret/tilde underline that stays under the
// span with tabs and UTF-8 before it, `= help:` and `note:` lines, a summary line.
#include <catch2/catch.hpp>

#include <memory>
#include <sstream>

#include "scopegate/dsl/diagnostic.hpp"

namespace {

using scopegate::Diagnostic;
using scopegate::Diagnostics;
using scopegate::make_span;

std::shared_ptr<const scopegate::SourceFile> file(std::string name, std::string text) {
  return std::make_shared<const scopegate::SourceFile>(
      scopegate::SourceFile{std::move(name), std::move(text)});
}

Diagnostic error(std::string code, scopegate::Span span, std::string message) {
  Diagnostic d;
  d.code = std::move(code);
  d.span = std::move(span);
  d.message = std::move(message);
  return d;
}

}  // namespace

TEST_CASE("make_span computes 1-based line and byte column") {
  const auto f = file("a.policy", "ab\ncd\n\nef");
  CHECK(make_span(f, 0, 1).line == 1);
  CHECK(make_span(f, 0, 1).column == 1);
  CHECK(make_span(f, 4, 1).line == 2);
  CHECK(make_span(f, 4, 1).column == 2);
  CHECK(make_span(f, 7, 2).line == 4);
  CHECK(make_span(f, 7, 2).column == 1);
  CHECK(make_span(f, 100, 0).offset == 9);  // clamped to the end of the text
}

TEST_CASE("a diagnostic renders GCC-style with help and notes") {
  const auto f = file("p/api.policy", "scope a:b {\n  scopes sesions:read x\n}\n");
  Diagnostic d = error("unknown-scope", make_span(f, 21, 12), "unknown scope 'sesions:read'");
  d.help = "did you mean 'sessions:read'?";
  d.notes.push_back({make_span(f, 6, 3), "'a:b' is defined here"});
  Diagnostics diagnostics;
  diagnostics.add(d);
  CHECK(diagnostics.render() ==
        "p/api.policy:2:10: error: unknown scope 'sesions:read' [unknown-scope]\n"
        "    2 |   scopes sesions:read x\n"
        "      |          ^~~~~~~~~~~~\n"
        "      = help: did you mean 'sessions:read'?\n"
        "p/api.policy:1:7: note: 'a:b' is defined here\n"
        "    1 | scope a:b {\n"
        "      |       ^~~\n"
        "1 error generated.\n");
  std::ostringstream out;
  out << diagnostics;
  CHECK(out.str() == diagnostics.render());
}

TEST_CASE("the underline stays under the span after tabs and UTF-8") {
  const auto f = file("t.policy", "\tnote \"caf\xC3\xA9\" x\r\n");
  // `x` is at byte 14; on screen: tab to column 8, `note "café" ` is 12 columns.
  Diagnostics diagnostics;
  diagnostics.add(error("syntax-error", make_span(f, 14, 1), "unexpected 'x'"));
  CHECK(diagnostics.render() ==
        "t.policy:1:15: error: unexpected 'x' [syntax-error]\n"
        "    1 |         note \"caf\xC3\xA9\" x\n"
        "      |                     ^\n"
        "1 error generated.\n");
}

TEST_CASE("an empty span is one caret, a span past the line end stops at it") {
  const auto f = file("t.policy", "ab\ncd");
  Diagnostics diagnostics;
  diagnostics.add(error("a", make_span(f, 1, 0), "empty"));
  diagnostics.add(error("b", make_span(f, 1, 10), "long"));
  CHECK(diagnostics.render() ==
        "t.policy:1:2: error: empty [a]\n"
        "    1 | ab\n"
        "      |  ^\n"
        "t.policy:1:2: error: long [b]\n"
        "    1 | ab\n"
        "      |  ^\n"
        "2 errors generated.\n");
}

TEST_CASE("a long line's excerpt is a window around the span, marked where it is cut") {
  // An error at the end of a 300 KB line: 60 bytes either side, not the whole line.
  const std::string line = std::string(300000, 'a') + " x" + std::string(1000, 'b');
  const auto f = file("t.policy", line + "\n");
  Diagnostics diagnostics;
  diagnostics.add(error("syntax-error", make_span(f, 300001, 1), "unexpected 'x'"));
  const std::string shown =
      "\u2026" + std::string(59, 'a') + " x" + std::string(59, 'b') + "\u2026";
  CHECK(diagnostics.render() ==
        "t.policy:1:300002: error: unexpected 'x' [syntax-error]\n"
        "    1 | " +
            shown +
            "\n"
            "      | " +
            std::string(61, ' ') +
            "^\n"
            "1 error generated.\n");
}

TEST_CASE("a long line that is not UTF-8 is windowed too") {
  // 300 KB of continuation bytes: no code point boundary to cut at.
  const auto f = file("t.policy", std::string(300000, '\x80') + " x\n");
  Diagnostics diagnostics;
  diagnostics.add(error("syntax-error", make_span(f, 300001, 1), "unexpected 'x'"));
  CHECK(diagnostics.render().size() < 400);
}

TEST_CASE("control characters in an excerpt are shown as U+FFFD, keeping the caret in place") {
  // A raw ESC would recolour the terminal; it takes one column, as U+FFFD does.
  const auto f = file("t.policy", "GET /a \"\x1b[31mred\" x\n");
  Diagnostics diagnostics;
  diagnostics.add(error("syntax-error", make_span(f, 18, 1), "unexpected 'x'"));
  CHECK(diagnostics.render() ==
        "t.policy:1:19: error: unexpected 'x' [syntax-error]\n"
        "    1 | GET /a \"\xEF\xBF\xBD[31mred\" x\n"
        "      |                   ^\n"
        "1 error generated.\n");
}

TEST_CASE("diagnostics sort by file, then offset, then code") {
  const auto a = file("a.policy", "0123456789");
  const auto b = file("b.policy", "0123456789");
  Diagnostics diagnostics;
  diagnostics.add(error("z", make_span(b, 1, 1), "4"));
  diagnostics.add(error("y", make_span(a, 5, 1), "3"));
  diagnostics.add(error("x", make_span(a, 5, 1), "2"));
  diagnostics.add(error("w", make_span(a, 2, 1), "1"));
  diagnostics.add(error("v", {}, "0"));
  diagnostics.sort();
  std::string order;
  for (const auto& d : diagnostics.items()) order += d.message;
  CHECK(order == "01234");
  CHECK(diagnostics.error_count() == 5);
}

TEST_CASE("a file-level diagnostic has no line, a global one no file") {
  Diagnostics diagnostics;
  Diagnostic missing = error("file-not-found", {}, "no such file or directory");
  missing.span.file = file("policies/x.policy", "");
  diagnostics.add(missing);
  CHECK(diagnostics.render() ==
        "policies/x.policy: error: no such file or directory [file-not-found]\n"
        "1 error generated.\n");
  CHECK(Diagnostics{}.render().empty());
}

TEST_CASE("the summary line counts warnings and errors") {
  const auto f = file("t.policy", "x");
  Diagnostics diagnostics;
  Diagnostic warning = error("w", make_span(f, 0, 1), "careful");
  warning.severity = scopegate::Severity::warning;
  diagnostics.add(warning);
  CHECK(diagnostics.render().ends_with("\n1 warning generated.\n"));
  diagnostics.add(error("e", make_span(f, 0, 1), "bad"));
  diagnostics.add(error("e", make_span(f, 0, 1), "bad"));
  CHECK(diagnostics.render().ends_with("\n1 warning and 2 errors generated.\n"));
  CHECK(diagnostics.error_count() == 2);
}
