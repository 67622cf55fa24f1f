#include "server/store/open_store.hpp"

#include <algorithm>

#include "server/store/postgres_store.hpp"
#include "server/store/sqlite_store.hpp"

namespace scopegate::server {

namespace {

constexpr std::string_view sqlite_prefix = "sqlite:";

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The query of a URI with the value of every `password` parameter replaced.
std::string redact_query(std::string_view query) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const auto end = std::min(query.find('&', start), query.size());
    const auto parameter = query.substr(start, end - start);
    out += starts_with(parameter, "password=") ? "password=***" : std::string(parameter);
    if (end == query.size()) return out;
    out += '&';
    start = end + 1;
  }
}

}  // namespace

StoreKind store_kind(std::string_view location) {
  return starts_with(location, "postgresql://") || starts_with(location, "postgres://")
             ? StoreKind::postgres
             : StoreKind::sqlite;
}

std::string sqlite_file(std::string_view location) {
  if (starts_with(location, sqlite_prefix)) location.remove_prefix(sqlite_prefix.size());
  return std::string(location);
}

std::string redact_location(std::string_view location) {
  if (store_kind(location) != StoreKind::postgres) return std::string(location);
  const auto authority_start = location.find("://") + 3;
  const auto authority_end =
      std::min(location.find_first_of("/?", authority_start), location.size());
  const auto authority = location.substr(authority_start, authority_end - authority_start);
  std::string out(location.substr(0, authority_start));
  // user:password@host: the last `@` ends the user information (a password may hold `@`).
  const auto at = authority.rfind('@');
  const auto colon = at == std::string_view::npos ? at : authority.substr(0, at).find(':');
  if (colon != std::string_view::npos) {
    out += authority.substr(0, colon);
    out += ":***";
    out += authority.substr(at);
  } else {
    out += authority;
  }
  const auto rest = location.substr(authority_end);
  const auto question = rest.find('?');
  if (question == std::string_view::npos) return out + std::string(rest);
  out += rest.substr(0, question + 1);
  return out + redact_query(rest.substr(question + 1));
}

std::string_view revocation_name(Revocation revocation) {
  return revocation == Revocation::notify ? "notify" : "every-request";
}

StoreResult<std::unique_ptr<Store>> open_store(const std::string& location,
                                               const StoreOptions& options) {
  if (store_kind(location) == StoreKind::postgres) return open_postgres_store(location, options);
  return open_sqlite_store(sqlite_file(location), options.timeout);
}

}  // namespace scopegate::server
