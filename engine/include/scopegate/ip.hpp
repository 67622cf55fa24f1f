// IP addresses and CIDR ranges for conditions (`request.ip in principal.allowed_cidrs`).
// IPv4 is held as IPv4-mapped IPv6 (::ffff:a.b.c.d), so that an IPv4 address and its
// mapped form compare equal and one CIDR type serves both. Values; parsing allocates
// nothing.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "scopegate/export.hpp"

namespace scopegate {

struct SCOPEGATE_EXPORT IpAddress {
  std::array<std::uint8_t, 16> bytes{};

  bool is_v4() const noexcept;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"; no zone ids, no brackets.
SCOPEGATE_EXPORT std::optional<IpAddress> parse_ip(std::string_view text) noexcept;
// The canonical text: dotted quad for IPv4, RFC 5952 for IPv6.
SCOPEGATE_EXPORT std::string to_string(const IpAddress& address);

struct SCOPEGATE_EXPORT Cidr {
  IpAddress network;        // host bits cleared
  std::uint8_t prefix = 0;  // 0..128, counted on the mapped form for IPv4

  bool contains(const IpAddress& address) const noexcept;
  friend bool operator==(const Cidr&, const Cidr&) = default;
};

// "10.0.0.0/8", "2001:db8::/32"; a bare address is a /32 or /128. Host bits set below
// the prefix ("10.0.0.1/8") are refused: they usually hide a typo.
SCOPEGATE_EXPORT std::optional<Cidr> parse_cidr(std::string_view text) noexcept;
SCOPEGATE_EXPORT std::string to_string(const Cidr& cidr);

}  // namespace scopegate
