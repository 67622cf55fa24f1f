// `scopegate explain --batch FILE`: JSON lines in, one request per line
// (`{"method", "path", "scopes" | "role", "id", "name", "org", "allowed_cidrs", "ip",
// "headers", "time"}`), and one JSON decision per line out, the object `explain --format
// json` prints, against a policy compiled once. A bad line gets `{"line", "error",
// "field"}` instead, and the rest still run. Single-threaded use.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string_view>

#include "explain_request.hpp"
#include "request_time.hpp"

namespace scopegate::cli {

// The request one line describes; a line without `time` is decided at `time`. Throws
// RequestError for a line that is not such an object or holds a bad value.
ExplainRequest request_from_json_line(std::string_view line, const RequestTime& time);

struct BatchCounts {
  std::size_t decided = 0;
  std::size_t denied = 0;
  std::size_t bad_lines = 0;
};

// Reads `in` to its end and writes one line to `out` for every line that is not blank;
// key-scope warnings go to `warnings` as `line N: warning: ...`.
BatchCounts explain_batch(const Policy& policy, std::istream& in, std::ostream& out,
                          std::ostream& warnings, const RequestTime& time);

}  // namespace scopegate::cli
