// The background check of new credentials: every credential not checked yet has its data
// opened with the server's key and checked by the provider (FirewallProvider::
// verify_credential); the outcome (`isValid`, `lastVerifiedAt`, `verificationError`) is
// written with a CREDENTIAL_VERIFY audit entry (actor SYSTEM). The sweeper runs it on
// every pass. The opened data never leaves this function. Thread-safe as its arguments.
#pragma once

#include <cstddef>

#include <spdlog/logger.h>

#include "server/provider.hpp"
#include "server/secrets.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

// Returns how many credentials were checked.
std::size_t check_new_credentials(Store& store, FirewallProvider& provider, const Secrets& secrets,
                                  spdlog::logger& logger);

}  // namespace scopegate::server
