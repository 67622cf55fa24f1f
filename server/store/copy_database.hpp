// `scopegate migrate`: copies every row of every table from one database to another (a
// SQLite file or a PostgreSQL URI, either way), then checks that each table holds as many
// rows on both sides. Both are first opened as stores, which applies any pending
// migration, so they share one schema; the destination must hold no rows yet. Hashes,
// ids and times are copied as they are: keys, tokens and passwords keep working. The
// source is read in one transaction (a consistent snapshot); the destination is written
// in one, so a failed copy leaves it empty. Not thread-safe: a command-line tool.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scopegate/result.hpp"

namespace scopegate::server {

struct CopiedTable {
  std::string table;
  std::int64_t rows = 0;
};

// Every table with every column, in an order that satisfies the foreign keys: what
// copy_database() copies (tests check it against the schema).
struct TableColumns {
  std::string table;
  std::vector<std::string> columns;
};
const std::vector<TableColumns>& copied_tables();

// The rows copied, per table; or what went wrong, with no password in it.
Result<std::vector<CopiedTable>, std::string> copy_database(const std::string& from,
                                                            const std::string& to);

}  // namespace scopegate::server
