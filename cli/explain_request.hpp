// One request as `scopegate explain` takes it, from the command line or from a line of
// `--batch` input: the caller (an API key, a user with a role, or nobody, with the
// identity and address ranges conditions read), the method and path, and the request
// attributes (ip, headers, time). The checks are the same for both sources; a bad value
// is a RequestError naming its field. Values own what they hold; single-threaded use.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "request_time.hpp"
#include "scopegate/engine.hpp"

namespace scopegate::cli {

enum class Caller : std::uint8_t { anonymous, api_key, user };

struct ExplainRequest {
  std::string method;
  std::string path;  // optionally with `?query`
  Caller caller = Caller::anonymous;
  std::vector<std::string> scopes;  // api_key
  std::string role;                 // user
  // principal.id, principal.name, principal.org (the bundled server sets the user's id,
  // email and organization slug); empty means missing.
  std::string id;
  std::string name;
  std::string org;
  std::vector<Cidr> allowed_cidrs;  // api_key only
  std::optional<IpAddress> ip;
  std::vector<std::pair<std::string, std::string>> headers;
  RequestTime time;
};

// A value that cannot be used: `field` as a batch line names it ("ip", "allowed_cidrs").
class RequestError : public std::runtime_error {
 public:
  RequestError(std::string field, const std::string& message)
      : std::runtime_error(message), m_field(std::move(field)) {}
  const std::string& field() const noexcept { return m_field; }

 private:
  std::string m_field;
};

// The checked parts; each throws RequestError naming `field`.
IpAddress parse_request_ip(std::string_view text);
std::vector<Cidr> parse_cidr_list(const std::vector<std::string>& items);
std::pair<std::string, std::string> parse_header_line(std::string_view text);  // "Name: value"
// `get` is refused with a did-you-mean: methods are case-sensitive and it would decide 405.
void check_method(std::string_view method);
// Identity and ranges need a caller: nobody has none.
void check_caller(const ExplainRequest& request);

// "a, b,,c" -> {"a", "b", "c"}; "" -> {} (a key with no scopes).
std::vector<std::string> split_list(std::string_view text);

// Scope names as `--scopes` takes them: an OAuth scope string (RFC 6749: separated by
// spaces) or a comma-separated list, or both. "a b,c" -> {"a", "b", "c"}; "" -> {}.
// A name with a comma in it is given by `--scope NAME`, one name each, unsplit.
std::vector<std::string> split_scope_list(std::string_view text);

// The principal the request names, for `policy`. An unknown role is a RequestError; key
// scopes that grant nothing (unknown, or a user or future scope) come back as warnings.
Principal principal_for_request(const Policy& policy, const ExplainRequest& request,
                                std::vector<std::string>& warnings);

// The engine's decision for the request.
Decision decide_request(const Policy& policy, const Principal& principal,
                        const ExplainRequest& request);

}  // namespace scopegate::cli
