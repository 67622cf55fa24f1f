// IP addresses and CIDR ranges: parse_ip, parse_cidr, their canonical text, and
// Cidr::contains across IPv4, IPv6 and IPv4-mapped IPv6.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "support.hpp"

using namespace scopegate;

namespace {

struct TextRow {
  const char* input;
  const char* canonical;  // nullptr: must be refused
};

IpAddress must_parse_ip(std::string_view text) {
  const auto parsed = parse_ip(text);
  INFO("address: '" << text << "'");
  REQUIRE(parsed.has_value());
  return *parsed;
}

Cidr must_parse_cidr(std::string_view text) {
  const auto parsed = parse_cidr(text);
  INFO("range: '" << text << "'");
  REQUIRE(parsed.has_value());
  return *parsed;
}

}  // namespace

TEST_CASE("engine: parse_ip accepts IPv4 and IPv6 forms and prints them canonically") {
  const std::vector<TextRow> rows = {
      {"0.0.0.0", "0.0.0.0"},
      {"192.0.2.1", "192.0.2.1"},
      {"255.255.255.255", "255.255.255.255"},
      {"10.0.0.0", "10.0.0.0"},
      {"::", "::"},
      {"::1", "::1"},
      {"1::", "1::"},
      {"2001:db8::1", "2001:db8::1"},
      {"2001:DB8::1", "2001:db8::1"},
      {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"0:0:0:0:0:0:0:0", "::"},
      {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
      {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
      {"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
      {"1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"},  // a single zero group stays
      {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},       // the longest run is compressed
      {"1:0:0:2:0:0:3:4", "1::2:0:0:3:4"},     // of equal runs, the first
      {"fe80:0:0:0:1:0:0:0", "fe80::1:0:0:0"},
      {"abcd:ef01:2345:6789:abcd:ef01:2345:6789", "abcd:ef01:2345:6789:abcd:ef01:2345:6789"},
      // IPv4-mapped addresses are IPv4 addresses.
      {"::ffff:192.0.2.1", "192.0.2.1"},
      {"::FFFF:192.0.2.1", "192.0.2.1"},
      {"::ffff:c000:201", "192.0.2.1"},
      {"0:0:0:0:0:ffff:c000:0201", "192.0.2.1"},
      // An embedded IPv4 tail in other IPv6 addresses.
      {"::192.0.2.1", "::c000:201"},
      {"64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
      {"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
  };
  for (const TextRow& row : rows) {
    INFO("input: '" << row.input << "'");
    const auto parsed = parse_ip(row.input);
    REQUIRE(parsed.has_value());
    CHECK(to_string(*parsed) == row.canonical);
    // The canonical text parses back to the same address.
    CHECK(parse_ip(to_string(*parsed)) == parsed);
  }
}

TEST_CASE("engine: parse_ip refuses malformed addresses") {
  const std::vector<const char*> rows = {
      "",
      " ",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "1.2.3.256",
      "1.2.3.1000",
      "01.2.3.4",  // leading zeros: octal in some parsers, refused here
      "1.2.3.04",
      "1.2.3.00",
      "1..2.3",
      "1.2.3.",
      ".1.2.3",
      "1.2.3.-4",
      "+1.2.3.4",
      "a.b.c.d",
      " 1.2.3.4",
      "1.2.3.4 ",
      "1.2.3.4/32",
      ":",
      ":::",
      "::::",
      ":1::",
      "1::2:",
      "::1:",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "::1:2:3:4:5:6:7:8",
      "1:2:3:4::5:6:7:8",
      "1:2:3:4:5:6:7:8::",
      "12345::",
      "g::",
      "1:2:3:4:5:6:7:1.2.3.4",  // the IPv4 tail would make nine groups
      "::ffff:1.2.3",
      "::ffff:01.2.3.4",
      "::ffff:1.2.3.4:5",
      "1.2.3.4::",
      "[::1]",
      "fe80::1%eth0",
      "::1 ",
  };
  for (const char* text : rows) {
    INFO("input: '" << text << "'");
    const auto parsed = parse_ip(text);
    INFO("parsed as " << (parsed ? to_string(*parsed) : std::string("nothing")));
    CHECK_FALSE(parsed.has_value());
  }
}

TEST_CASE("engine: an IPv4 address equals its IPv4-mapped IPv6 form") {
  const IpAddress v4 = must_parse_ip("192.0.2.1");
  CHECK(v4.is_v4());
  CHECK(v4 == must_parse_ip("::ffff:192.0.2.1"));
  CHECK(v4 == must_parse_ip("::ffff:c000:201"));
  CHECK_FALSE(v4 == must_parse_ip("::192.0.2.1"));  // IPv4-compatible is not mapped
  CHECK_FALSE(must_parse_ip("::192.0.2.1").is_v4());
  CHECK_FALSE(must_parse_ip("2001:db8::1").is_v4());
  CHECK_FALSE(must_parse_ip("::").is_v4());
  CHECK(must_parse_ip("0.0.0.0").is_v4());
}

TEST_CASE("engine: parse_cidr accepts ranges and bare addresses and prints them canonically") {
  const std::vector<TextRow> rows = {
      {"10.0.0.0/8", "10.0.0.0/8"},
      {"192.0.2.128/25", "192.0.2.128/25"},
      {"10.0.0.0/7", "10.0.0.0/7"},
      {"192.0.2.1/32", "192.0.2.1/32"},
      {"192.0.2.1", "192.0.2.1/32"},  // a bare address is a /32
      {"0.0.0.0/0", "0.0.0.0/0"},
      {"2001:db8::/32", "2001:db8::/32"},
      {"2001:DB8::/32", "2001:db8::/32"},
      {"2001:db8:8000::/33", "2001:db8:8000::/33"},
      {"2001:db8::1", "2001:db8::1/128"},  // a bare address is a /128
      {"2001:db8::1/128", "2001:db8::1/128"},
      {"::/0", "::/0"},
      {"::1/128", "::1/128"},
      // Written on the mapped form, an IPv4 range is the IPv4 range.
      {"::ffff:10.0.0.0/104", "10.0.0.0/8"},
      {"::ffff:0:0/96", "0.0.0.0/0"},
  };
  for (const TextRow& row : rows) {
    INFO("input: '" << row.input << "'");
    const auto parsed = parse_cidr(row.input);
    REQUIRE(parsed.has_value());
    CHECK(to_string(*parsed) == row.canonical);
    CHECK(parse_cidr(to_string(*parsed)) == parsed);
  }
  // IPv4 prefixes are counted on the mapped form.
  CHECK(must_parse_cidr("10.0.0.0/8").prefix == 104);
  CHECK(must_parse_cidr("0.0.0.0/0").prefix == 96);
  CHECK(must_parse_cidr("192.0.2.1").prefix == 128);
  CHECK(must_parse_cidr("::/0").prefix == 0);
  CHECK(must_parse_cidr("10.0.0.0/8") == must_parse_cidr("::ffff:10.0.0.0/104"));
  CHECK(must_parse_cidr("10.0.0.0/8").network == must_parse_ip("10.0.0.0"));
}

TEST_CASE("engine: parse_cidr refuses host bits, bad prefixes and bad addresses") {
  const std::vector<const char*> rows = {
      "",
      "/8",
      "10.0.0.1/8",  // host bits set
      "11.0.0.0/7",  // 11 = 0b00001011: its last bit lies below a /7
      "192.0.2.1/31",
      "10.0.0.0/0",
      "2001:db8::1/64",
      "2001:db8::/16",
      "::1/0",
      "::ffff:10.0.0.0/8",  // a /8 on the mapped form leaves ffff in the host bits
      "10.0.0.0/33",        // prefix bounds
      "10.0.0.0/128",
      "::/129",
      "::/1000",
      "10.0.0.0/",
      "10.0.0.0/08",  // leading zero in the prefix
      "10.0.0.0/008",
      "::/00",
      "10.0.0.0/-1",
      "10.0.0.0/+8",
      "10.0.0.0/8/8",
      "10.0.0.0/ 8",
      "10.0.0.0 /8",
      "10.0.0.0/8 ",
      "10.0.0.0/a",
      "10.0.0/8",
      "256.0.0.0/8",
      "010.0.0.0/8",
      "1::2::/32",
      "[::]/0",
  };
  for (const char* text : rows) {
    INFO("input: '" << text << "'");
    const auto parsed = parse_cidr(text);
    INFO("parsed as " << (parsed ? to_string(*parsed) : std::string("nothing")));
    CHECK_FALSE(parsed.has_value());
  }
}

TEST_CASE("engine: Cidr::contains across IPv4, IPv6, mapped forms and /0") {
  struct Row {
    const char* cidr;
    const char* address;
    bool contained;
  };
  const std::vector<Row> rows = {
      {"10.0.0.0/8", "10.0.0.0", true},
      {"10.0.0.0/8", "10.1.2.3", true},
      {"10.0.0.0/8", "10.255.255.255", true},
      {"10.0.0.0/8", "11.0.0.0", false},
      {"10.0.0.0/8", "9.255.255.255", false},
      {"10.0.0.0/8", "::ffff:10.1.2.3", true},  // the mapped form is the same address
      {"10.0.0.0/8", "::ffff:a01:203", true},
      {"10.0.0.0/8", "::10.1.2.3", false},  // IPv4-compatible is another address
      {"10.0.0.0/8", "2001:db8::1", false},
      {"192.0.2.128/25", "192.0.2.128", true},
      {"192.0.2.128/25", "192.0.2.200", true},
      {"192.0.2.128/25", "192.0.2.127", false},
      {"192.0.2.1/32", "192.0.2.1", true},
      {"192.0.2.1", "192.0.2.2", false},
      {"0.0.0.0/0", "203.0.113.9", true},  // every IPv4 address
      {"0.0.0.0/0", "0.0.0.0", true},
      {"0.0.0.0/0", "::ffff:203.0.113.9", true},
      {"0.0.0.0/0", "2001:db8::1", false},  // but no IPv6 one
      {"0.0.0.0/0", "::", false},
      {"::/0", "2001:db8::1", true},  // every address at all
      {"::/0", "192.0.2.1", true},
      {"::/0", "::", true},
      {"2001:db8::/32", "2001:db8::1", true},
      {"2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true},
      {"2001:db8::/32", "2001:db9::", false},
      {"2001:db8::/32", "192.0.2.1", false},
      {"2001:db8:8000::/33", "2001:db8:8000::1", true},
      {"2001:db8:8000::/33", "2001:db8:7fff::1", false},
      {"2001:db8::1/128", "2001:db8::1", true},
      {"2001:db8::1/128", "2001:db8::2", false},
      {"::ffff:0:0/96", "198.51.100.7", true},
      {"::ffff:0:0/96", "::1", false},
  };
  for (const Row& row : rows) {
    INFO(row.cidr << " contains " << row.address);
    CHECK(must_parse_cidr(row.cidr).contains(must_parse_ip(row.address)) == row.contained);
  }
}
