// Helpers for the server tests: the shared temporary directory, file reading and writing
// (tests/test_files.hpp), under the names the server tests use, and the password hash cost
// they use.
#pragma once

#include "server/crypto.hpp"
#include "test_files.hpp"

namespace scopegate::server::testing {

using scopegate::testing::read_file;
using scopegate::testing::TempDir;
using scopegate::testing::write_file;

// The cheapest Argon2id libsodium accepts, for the tests' servers ([password_hash]) and for
// hashes the tests make: the default (OWASP's floor) costs about 40 ms of CPU and 19 MiB a
// hash, two thirds of what the end-to-end tests spend. The tests that pin the default
// configure it (secrets_claims_e2e_test.cpp, storage_claims_test.cpp).
inline constexpr PasswordHashCost test_password_hash{1, 8};

}  // namespace scopegate::server::testing
