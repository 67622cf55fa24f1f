// The schema on PostgreSQL: the numbered migrations of migrations.hpp, whose portable
// statements it reuses as they are, with PostgreSQL's own statements for the versions
// whose triggers SQLite spells differently (the credential and session epochs). Same
// versions, same tables and columns, same meaning.
#pragma once

#include <vector>

#include "server/store/migrations.hpp"

namespace scopegate::server::postgres {

const std::vector<Migration>& migrations();

}  // namespace scopegate::server::postgres
