#include "server/credential_checks.hpp"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "server/clock.hpp"
#include "server/crypto.hpp"

namespace scopegate::server {

std::size_t check_new_credentials(Store& store, FirewallProvider& provider, const Secrets& secrets,
                                  spdlog::logger& logger) {
  const auto unchecked = store.list_unchecked_credentials();
  if (!unchecked) {
    logger.error("credential check: cannot list credentials: {}", unchecked.error().message);
    return 0;
  }
  std::size_t checked = 0;
  for (auto credential : *unchecked) {
    auto data = secrets.open(credential.sealed_data, credential_context(credential.id));
    ProviderOutcome outcome;
    if (data) {
      outcome = provider.verify_credential(credential, *data);
      sodium_memzero(data->data(), data->size());
    } else {
      outcome = {false, std::nullopt, "the stored data does not open with the server's key"};
    }
    const auto at = format_stored(now());
    credential.valid = outcome.ok;
    credential.last_verified_at = at;
    credential.verification_error = outcome.ok ? std::nullopt : outcome.error;
    credential.updated_at = at;
    AuditEntry audit;
    audit.id = generate_uuid();
    audit.organization_id = credential.organization_id;
    audit.event_type = "CREDENTIAL_VERIFY";
    audit.actor_type = "SYSTEM";
    audit.resource_type = "CREDENTIAL";
    audit.resource_id = credential.id;
    audit.resource_name = credential.name;
    audit.result = outcome.ok ? "SUCCESS" : "FAILURE";
    audit.error_message = credential.verification_error;
    audit.created_at = at;
    const auto saved = store.record_credential_check(credential, audit);
    if (!saved) {
      logger.error("credential check: cannot record the check of {}: {}", credential.id,
                   saved.error().message);
      continue;
    }
    ++checked;
  }
  return checked;
}

}  // namespace scopegate::server
