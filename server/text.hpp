// The check every string a client sends goes through (JSON body fields, query
// parameters) before a handler uses or stores it. A string passes check_text() when it
//   - is valid UTF-8: shortest-form sequences only, no surrogates (U+D800..U+DFFF),
//     nothing above U+10FFFF;
//   - holds no control character (C0 U+0000..U+001F, DEL U+007F, C1 U+0080..U+009F)
//     other than those its field allows;
//   - is within its field's length limits, counted in characters (Unicode code points),
//     the unit the messages name.
// A field's own format (an address, a timestamp) is checked by its caller afterwards, on
// text that is known to hold no NUL. A failure is a value: the reason, worded for the
// field's `validationErrors` entry ("must be at most 255 characters").
// Pure functions over borrowed text; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace scopegate::server {

// The control characters a field accepts.
enum class Controls {
  none,                 // names, identifiers, addresses, passwords
  tab_and_line_breaks,  // free text: U+0009, U+000A and U+000D; never NUL or the rest
};

struct TextRule {
  std::size_t max_characters = 255;
  std::size_t min_characters = 0;
  Controls controls = Controls::none;
};

// Why `text` breaks `rule`, or nullopt when it does not. The first problem found, in
// this order: invalid UTF-8, a control character, too long, too short.
std::optional<std::string> check_text(std::string_view text, const TextRule& rule);

// `text` for a field of a log line, unchanged when it is printable ASCII or valid UTF-8
// without controls: a space, a backslash, a control character and a byte that is not
// UTF-8 become `\xHH`, so that a field cannot forge another (`reason=allowed`) or a line.
std::string log_field(std::string_view text);

// `text` percent-encoded (upper-case hex) but for RFC 3986's unreserved characters: ASCII
// letters and digits and `-._~`. For a value in a query string or a URI's label.
std::string percent_encoded(std::string_view text);

}  // namespace scopegate::server
