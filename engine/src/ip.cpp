#include "scopegate/ip.hpp"

#include <cstdio>

namespace scopegate {
namespace {

constexpr std::array<std::uint8_t, 12> v4_mapped_prefix = {0, 0, 0, 0, 0,    0,
                                                           0, 0, 0, 0, 0xff, 0xff};

// Parses a dotted quad into out[0..4); no leading zeros beyond a single "0".
bool parse_v4(std::string_view text, std::uint8_t* out) noexcept {
  std::size_t part = 0;
  std::size_t i = 0;
  while (part < 4) {
    if (i >= text.size() || text[i] < '0' || text[i] > '9') return false;
    unsigned value = 0;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
      if (value > 255 || i - start >= 3) return false;
      ++i;
    }
    if (i - start > 1 && text[start] == '0') return false;
    out[part++] = static_cast<std::uint8_t>(value);
    if (part < 4) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
  }
  return i == text.size();
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_v6(std::string_view text, std::array<std::uint8_t, 16>& out) noexcept {
  std::array<std::uint16_t, 8> groups{};
  std::size_t count = 0;
  std::size_t gap = 0;  // where "::" stands, when has_gap
  bool has_gap = false;
  std::size_t i = 0;
  if (text.size() >= 2 && text[0] == ':' && text[1] == ':') {
    has_gap = true;
    i = 2;
    if (i == text.size()) {
      out.fill(0);
      return true;
    }
  } else if (!text.empty() && text[0] == ':') {
    return false;
  }
  while (i < text.size()) {
    if (count == 8) return false;
    // An embedded IPv4 tail: this group holds a '.'.
    const std::string_view rest = text.substr(i);
    if (rest.substr(0, rest.find(':')).find('.') != std::string_view::npos) {
      if (count > 6) return false;
      std::uint8_t v4[4];
      if (!parse_v4(rest, v4)) return false;
      groups[count++] = static_cast<std::uint16_t>(v4[0] << 8 | v4[1]);
      groups[count++] = static_cast<std::uint16_t>(v4[2] << 8 | v4[3]);
      i = text.size();
      break;
    }
    std::size_t digits = 0;
    unsigned value = 0;
    while (i < text.size() && hex_digit(text[i]) >= 0) {
      if (++digits > 4) return false;
      value = value * 16 + static_cast<unsigned>(hex_digit(text[i]));
      ++i;
    }
    if (digits == 0) return false;
    groups[count++] = static_cast<std::uint16_t>(value);
    if (i == text.size()) break;
    if (text[i] != ':') return false;
    ++i;
    if (i < text.size() && text[i] == ':') {
      if (has_gap) return false;
      has_gap = true;
      gap = count;
      ++i;
      if (i == text.size()) break;
    } else if (i == text.size()) {
      return false;  // trailing single ':'
    }
  }
  if (!has_gap && count != 8) return false;
  if (has_gap && count == 8) return false;
  std::array<std::uint16_t, 8> full{};
  if (!has_gap) gap = count;
  const std::size_t tail = count - gap;
  for (std::size_t k = 0; k < gap; ++k) full[k] = groups[k];
  for (std::size_t k = 0; k < tail; ++k) full[8 - tail + k] = groups[gap + k];
  for (std::size_t k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<std::uint8_t>(full[k] >> 8);
    out[2 * k + 1] = static_cast<std::uint8_t>(full[k] & 0xff);
  }
  return true;
}

}  // namespace

bool IpAddress::is_v4() const noexcept {
  for (std::size_t i = 0; i < 12; ++i) {
    if (bytes[i] != v4_mapped_prefix[i]) return false;
  }
  return true;
}

std::optional<IpAddress> parse_ip(std::string_view text) noexcept {
  IpAddress address;
  if (text.find(':') == std::string_view::npos) {
    for (std::size_t i = 0; i < 12; ++i) address.bytes[i] = v4_mapped_prefix[i];
    if (!parse_v4(text, address.bytes.data() + 12)) return std::nullopt;
    return address;
  }
  if (!parse_v6(text, address.bytes)) return std::nullopt;
  return address;
}

std::string to_string(const IpAddress& address) {
  char buffer[64];
  const auto& b = address.bytes;
  if (address.is_v4()) {
    std::snprintf(buffer, sizeof buffer, "%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
    return buffer;
  }
  std::array<unsigned, 8> groups{};
  for (std::size_t k = 0; k < 8; ++k)
    groups[k] = static_cast<unsigned>(b[2 * k] << 8 | b[2 * k + 1]);
  // The longest run (of two or more) of zero groups becomes "::" (RFC 5952).
  std::size_t best_start = 8, best_length = 0;
  for (std::size_t k = 0; k < 8;) {
    if (groups[k] != 0) {
      ++k;
      continue;
    }
    std::size_t end = k;
    while (end < 8 && groups[end] == 0) ++end;
    if (end - k > best_length && end - k >= 2) {
      best_start = k;
      best_length = end - k;
    }
    k = end;
  }
  std::string out;
  for (std::size_t k = 0; k < 8; ++k) {
    if (k == best_start) {
      out += "::";
      k += best_length - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(buffer, sizeof buffer, "%x", groups[k]);
    out += buffer;
  }
  return out;
}

bool Cidr::contains(const IpAddress& address) const noexcept {
  std::size_t bits = prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i) {
    const std::size_t take = bits >= 8 ? 8 : bits;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
    if ((address.bytes[i] & mask) != network.bytes[i]) return false;
    bits -= take;
  }
  return true;
}

std::optional<Cidr> parse_cidr(std::string_view text) noexcept {
  const std::size_t slash = text.find('/');
  const auto address = parse_ip(text.substr(0, slash));
  if (!address) return std::nullopt;
  const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  unsigned prefix = v4 ? 32 : 128;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    prefix = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      prefix = prefix * 10 + static_cast<unsigned>(c - '0');
    }
    if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
    if (prefix > (v4 ? 32U : 128U)) return std::nullopt;
  }
  Cidr cidr;
  cidr.network = *address;
  cidr.prefix = static_cast<std::uint8_t>(v4 ? prefix + 96 : prefix);
  // Host bits below the prefix must be zero.
  for (std::size_t bit = cidr.prefix; bit < 128; ++bit) {
    if ((cidr.network.bytes[bit / 8] >> (7 - bit % 8) & 1U) != 0) return std::nullopt;
  }
  return cidr;
}

std::string to_string(const Cidr& cidr) {
  const bool v4 = cidr.network.is_v4() && cidr.prefix >= 96;
  return to_string(cidr.network) + '/' + std::to_string(v4 ? cidr.prefix - 96 : cidr.prefix);
}

}  // namespace scopegate
