#include "explain_request.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "scopegate/suggest.hpp"

namespace scopegate::cli {

namespace {

std::string_view trim_blanks(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// Key scopes that grant nothing, so that a typo is not mistaken for a policy decision.
void check_key_scopes(const Policy& policy, const std::vector<std::string>& names,
                      std::vector<std::string>& warnings) {
  std::vector<std::string> known;
  for (const Scope& scope : policy.scopes()) known.emplace_back(scope.name);
  for (const std::string& name : names) {
    const auto id = policy.find_scope(name);
    if (!id) {
      std::string warning = fmt::format("unknown scope `{}`: it grants nothing", name);
      if (const auto suggestion = closest_match(name, known)) {
        warning += fmt::format("; did you mean `{}`?", *suggestion);
      }
      warnings.push_back(std::move(warning));
      continue;
    }
    const ScopeKind kind = policy.scopes()[*id].kind;
    if (kind != ScopeKind::plain) {
      warnings.push_back(
          fmt::format("`{}` is a {}: API keys never hold it", name, to_string(kind)));
    }
  }
}

}  // namespace

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = trim_blanks(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::vector<std::string> split_scope_list(std::string_view text) {
  std::vector<std::string> names;
  std::string name;
  for (const char c : text) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!name.empty()) names.push_back(std::move(name));
      name.clear();
    } else {
      name += c;
    }
  }
  if (!name.empty()) names.push_back(std::move(name));
  return names;
}

IpAddress parse_request_ip(std::string_view text) {
  const auto ip = parse_ip(text);
  if (!ip) throw RequestError("ip", fmt::format("`{}` is not an IP address", text));
  return *ip;
}

std::vector<Cidr> parse_cidr_list(const std::vector<std::string>& items) {
  std::vector<Cidr> cidrs;
  for (const std::string& item : items) {
    const auto cidr = parse_cidr(item);
    if (!cidr) {
      throw RequestError("allowed_cidrs",
                         fmt::format("`{}` is not an address or CIDR range", item));
    }
    cidrs.push_back(*cidr);
  }
  return cidrs;
}

std::pair<std::string, std::string> parse_header_line(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    throw RequestError("headers", fmt::format("`{}`: write a header as `Name: value`", text));
  }
  return {std::string(trim_blanks(text.substr(0, colon))),
          std::string(trim_blanks(text.substr(colon + 1)))};
}

void check_method(std::string_view method) {
  std::string upper(method);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper != method && parse_method(upper)) {
    throw RequestError(
        "method",
        fmt::format("`{}`: HTTP methods are case-sensitive; did you mean `{}`?", method, upper));
  }
}

void check_caller(const ExplainRequest& request) {
  if (request.caller == Caller::anonymous) {
    const std::pair<std::string_view, const std::string*> identity[] = {
        {"id", &request.id}, {"name", &request.name}, {"org", &request.org}};
    for (const auto& [field, value] : identity) {
      if (!value->empty()) {
        throw RequestError(std::string(field),
                           "an anonymous caller has no identity: name a key's scopes or a role");
      }
    }
  }
  if (request.caller != Caller::api_key && !request.allowed_cidrs.empty()) {
    throw RequestError("allowed_cidrs", "address ranges belong to an API key: name its scopes");
  }
}

Principal principal_for_request(const Policy& policy, const ExplainRequest& request,
                                std::vector<std::string>& warnings) {
  check_caller(request);
  Principal principal;
  switch (request.caller) {
    case Caller::anonymous:
      return principal;
    case Caller::user:
      if (policy.find_role(request.role) == nullptr) {
        std::vector<std::string> roles;
        for (const Role& role : policy.roles()) roles.emplace_back(role.name);
        throw RequestError(
            "role",
            fmt::format("unknown role `{}`; the policy has: {}", request.role,
                        roles.empty() ? "no roles" : fmt::to_string(fmt::join(roles, ", "))));
      }
      principal = policy.principal_for_role(request.role);
      break;
    case Caller::api_key:
      check_key_scopes(policy, request.scopes, warnings);
      principal = policy.principal_for_key(request.scopes);
      principal.set_allowed_cidrs(request.allowed_cidrs);
      break;
  }
  principal.set_identity(request.id, request.name, request.org);
  return principal;
}

Decision decide_request(const Policy& policy, const Principal& principal,
                        const ExplainRequest& request) {
  std::vector<Header> headers;
  for (const auto& [name, value] : request.headers) headers.push_back({name, value});
  return policy.decide(
      principal, Request{request.method, request.path, request.ip, headers, request.time.seconds});
}

}  // namespace scopegate::cli
