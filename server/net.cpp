#include "server/net.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace scopegate::server {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_trusted(const IpAddress& address, const std::vector<Cidr>& trusted) {
  for (const auto& range : trusted) {
    if (contains(range, address)) return true;
  }
  return false;
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
  // inet_pton() reads up to a NUL: "1.2.3.4\0x" would pass as 1.2.3.4.
  if (text.empty() || text.size() > 45 || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string copy(text);
  IpAddress out;
  if (inet_pton(AF_INET, copy.c_str(), out.bytes.data()) == 1) {
    out.version = 4;
    return out;
  }
  if (inet_pton(AF_INET6, copy.c_str(), out.bytes.data()) == 1) {
    static constexpr std::array<std::uint8_t, 12> mapped = {0, 0, 0, 0, 0,    0,
                                                            0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(out.bytes.data(), mapped.data(), mapped.size()) == 0) {
      IpAddress v4;
      v4.version = 4;
      std::memcpy(v4.bytes.data(), out.bytes.data() + 12, 4);
      return v4;
    }
    out.version = 6;
    return out;
  }
  return std::nullopt;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = parse_ip(text.substr(0, slash));
  if (!address) return std::nullopt;
  const int max_prefix = address->version == 4 ? 32 : 128;
  Cidr out{*address, max_prefix};
  if (slash == std::string_view::npos) return out;
  const auto digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3) return std::nullopt;
  int prefix = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    prefix = prefix * 10 + (c - '0');
  }
  if (prefix > max_prefix) return std::nullopt;
  out.prefix = prefix;
  return out;
}

bool contains(const Cidr& range, const IpAddress& address) {
  if (range.network.version != address.version) return false;
  int bits = range.prefix;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xFF : (0xFF << (8 - bits)) & 0xFF);
    if ((range.network.bytes[i] & mask) != (address.bytes[i] & mask)) return false;
  }
  return true;
}

std::string client_ip(std::string_view peer, std::string_view forwarded_for,
                      std::string_view real_ip, const std::vector<Cidr>& trusted) {
  const auto peer_address = parse_ip(peer);
  if (!peer_address || !is_trusted(*peer_address, trusted)) return std::string(peer);
  // Walk X-Forwarded-For from the right: the first hop that is not a trusted proxy is
  // the client; everything left of it could have been written by the client itself.
  std::string_view rest = forwarded_for;
  std::string_view candidate;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    const auto hop = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    const auto hop_address = parse_ip(hop);
    if (!hop_address) break;
    candidate = hop;
    if (!is_trusted(*hop_address, trusted)) return std::string(hop);
  }
  if (!candidate.empty()) return std::string(candidate);
  const auto real = trim(real_ip);
  if (parse_ip(real)) return std::string(real);
  return std::string(peer);
}

}  // namespace scopegate::server
