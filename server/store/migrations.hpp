// The schema, as numbered migrations applied in order at start. Portable SQL (TEXT ids
// and times, INTEGER flags, no SQLite-only types) so that a PostgreSQL store can reuse it.
#pragma once

#include <string_view>
#include <vector>

namespace scopegate::server {

struct Migration {
  int version;
  std::string_view description;
  std::vector<std::string_view> statements;
};

const std::vector<Migration>& migrations();

}  // namespace scopegate::server
