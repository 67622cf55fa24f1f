// Helpers for the server tests: the shared temporary directory and file reading
// (tests/test_files.hpp), under the names the server tests use.
#pragma once

#include "test_files.hpp"

namespace scopegate::server::testing {

using scopegate::testing::read_file;
using scopegate::testing::TempDir;

}  // namespace scopegate::server::testing
