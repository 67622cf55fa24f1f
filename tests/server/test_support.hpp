// Helpers for the server tests: the shared temporary directory, file reading and writing
// (tests/test_files.hpp), under the names the server tests use.
#pragma once

#include "test_files.hpp"

namespace scopegate::server::testing {

using scopegate::testing::read_file;
using scopegate::testing::TempDir;
using scopegate::testing::write_file;

}  // namespace scopegate::server::testing
