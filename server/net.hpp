// IP addresses and CIDR ranges for trusted-proxy checks and client-address detection.
// Parsing goes through inet_pton; values are plain and thread-safe to share.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scopegate::server {

struct IpAddress {
  int version = 4;                       // 4 or 6
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4 bytes
};

struct Cidr {
  IpAddress network;
  int prefix = 32;
};

std::optional<IpAddress> parse_ip(std::string_view text);
// "10.0.0.0/8", "::1/128", or a bare address (a /32 or /128).
std::optional<Cidr> parse_cidr(std::string_view text);
bool contains(const Cidr& range, const IpAddress& address);

// The client's address for a request from `peer`: the right-most X-Forwarded-For entry
// that is not itself a trusted proxy when `peer` is trusted, then X-Real-IP when `peer`
// is trusted, then `peer`.
std::string client_ip(std::string_view peer, std::string_view forwarded_for,
                      std::string_view real_ip, const std::vector<Cidr>& trusted);

}  // namespace scopegate::server
