// TOTP (RFC 6238) against the RFC's own test vectors, HOTP (RFC 4226) and Base32
// (RFC 4648) against theirs, the otpauth URI an app scans, the QR code's PNG, and
// recovery codes.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <set>
#include <string>

#include "server/crypto.hpp"
#include "server/qr_png.hpp"
#include "server/recovery_codes.hpp"
#include "server/totp.hpp"
#include "test_support.hpp"

using namespace scopegate::server;
using scopegate::server::testing::test_password_hash;

namespace {

Bytes bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

}  // namespace

TEST_CASE("TOTP gives RFC 6238's test vectors for SHA-1, SHA-256 and SHA-512") {
  // RFC 6238 appendix B: 8 digits, a 30-second step, the ASCII seeds below.
  const auto sha1_seed = bytes("12345678901234567890");
  const auto sha256_seed = bytes("12345678901234567890123456789012");
  const auto sha512_seed =
      bytes("1234567890123456789012345678901234567890123456789012345678901234");
  struct Row {
    std::int64_t time;
    const char* sha1;
    const char* sha256;
    const char* sha512;
  };
  const Row rows[] = {
      {59, "94287082", "46119246", "90693936"},
      {1111111109, "07081804", "68084774", "25091201"},
      {1111111111, "14050471", "67062674", "99943326"},
      {1234567890, "89005924", "91819424", "93441116"},
      {2000000000, "69279037", "90698825", "38618901"},
      {20000000000, "65353130", "77737706", "47863826"},
  };
  for (const auto& row : rows) {
    INFO("T = " << row.time);
    CHECK(totp(sha1_seed, row.time, {8, 30, TotpHash::sha1}) == row.sha1);
    CHECK(totp(sha256_seed, row.time, {8, 30, TotpHash::sha256}) == row.sha256);
    CHECK(totp(sha512_seed, row.time, {8, 30, TotpHash::sha512}) == row.sha512);
  }
  // The server's settings (6 digits) are the last six of the same values.
  CHECK(totp(sha1_seed, 59) == "287082");
  CHECK(totp(sha1_seed, 1111111109) == "081804");
}

TEST_CASE("HOTP gives RFC 4226's test values") {
  const auto secret = bytes("12345678901234567890");
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (std::uint64_t counter = 0; counter < 10; ++counter) {
    INFO("counter " << counter);
    CHECK(hotp(secret, counter, 6, TotpHash::sha1) == expected[counter]);
  }
}

TEST_CASE("a TOTP code matches its own step and one either side, and nothing else") {
  const auto key = bytes("12345678901234567890");
  const std::int64_t at = 1111111111;  // step 37037037
  CHECK(totp_match(key, totp(key, at), at) == 37037037);
  CHECK(totp_match(key, totp(key, at - 30), at) == 37037036);
  CHECK(totp_match(key, totp(key, at + 30), at) == 37037038);
  CHECK_FALSE(totp_match(key, totp(key, at - 60), at));
  CHECK_FALSE(totp_match(key, totp(key, at + 60), at));
  CHECK_FALSE(totp_match(key, "12345", at));
  CHECK_FALSE(totp_match(key, "1234567", at));
}

TEST_CASE("Base32 gives RFC 4648's test vectors and reads its own output back") {
  const std::pair<const char*, const char*> rows[] = {
      {"", ""},
      {"f", "MY"},
      {"fo", "MZXQ"},
      {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI"},
  };
  for (const auto& [plain, encoded] : rows) {
    INFO(plain);
    CHECK(base32_encode(bytes(plain)) == encoded);
    CHECK(base32_decode(encoded) == bytes(plain));
  }
  CHECK(base32_decode("mzxw6ytboi======") == bytes("foobar"));
  CHECK_FALSE(base32_decode("MZXW6YTB0I"));  // 0 is not in the alphabet
  REQUIRE(init_crypto());
  const auto secret = new_totp_secret();
  CHECK(secret.size() == 32);
  REQUIRE(base32_decode(secret));
  CHECK(base32_decode(secret)->size() == 20);
  CHECK(new_totp_secret() != secret);
}

TEST_CASE("the otpauth URI names the issuer and account, percent-encoded, with the settings") {
  CHECK(otpauth_uri("Acme Inc", "bob@acme.test", "JBSWY3DPEHPK3PXP") ==
        "otpauth://totp/Acme%20Inc:bob%40acme.test?secret=JBSWY3DPEHPK3PXP&issuer=Acme%20Inc"
        "&algorithm=SHA1&digits=6&period=30");
}

namespace {

std::uint32_t be32(const std::string& data, std::size_t at) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(data[at])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(data[at + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(data[at + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(data[at + 3]));
}

}  // namespace

TEST_CASE("the QR code is a valid greyscale PNG with the three finder patterns in place") {
  const auto image = qr_png("otpauth://totp/Acme:bob%40acme.test?secret=JBSWY3DPEHPK3PXP", 3);
  REQUIRE(image);
  const auto& png = image->png;
  REQUIRE(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  // Walk the chunks, checking each CRC; keep IHDR and the image data.
  std::size_t at = 8;
  std::string header;
  std::string data;
  std::vector<std::string> types;
  while (at < png.size()) {
    const auto length = be32(png, at);
    const auto type = png.substr(at + 4, 4);
    const auto body = png.substr(at + 8, length);
    const auto crc = crc32(0L, reinterpret_cast<const Bytef*>(png.data() + at + 4), length + 4);
    CHECK(be32(png, at + 8 + length) == crc);
    types.push_back(type);
    if (type == "IHDR") header = body;
    if (type == "IDAT") data += body;
    at += 12 + length;
  }
  CHECK(types == std::vector<std::string>{"IHDR", "IDAT", "IEND"});
  const auto width = static_cast<int>(be32(header, 0));
  CHECK(width == image->pixels);
  CHECK(be32(header, 4) == be32(header, 0));
  CHECK(width == (image->modules + 8) * 3);
  CHECK(image->modules >= 21);
  CHECK((image->modules - 17) % 4 == 0);  // a QR version's width: 17 + 4v

  std::string raw(static_cast<std::size_t>((width + 1) * width), '\0');
  uLongf raw_size = raw.size();
  REQUIRE(uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size,
                     reinterpret_cast<const Bytef*>(data.data()), data.size()) == Z_OK);
  REQUIRE(raw_size == raw.size());
  // Module (x, y) of the symbol, read from its pixels: dark or not.
  const auto dark = [&](int x, int y) {
    const int px = (x + 4) * 3 + 1;
    const int py = (y + 4) * 3 + 1;
    return raw[static_cast<std::size_t>(py * (width + 1) + 1 + px)] == '\0';
  };
  CHECK(raw[0] == '\0');      // filter type none
  CHECK_FALSE(dark(-4, -4));  // the quiet zone is white
  const int n = image->modules;
  for (const auto& [ox, oy] : {std::pair{0, 0}, std::pair{n - 7, 0}, std::pair{0, n - 7}}) {
    INFO("finder at " << ox << "," << oy);
    for (int i = 0; i < 7; ++i) {
      CHECK(dark(ox + i, oy));  // a 7x7 dark ring
      CHECK(dark(ox + i, oy + 6));
      CHECK(dark(ox, oy + i));
      CHECK(dark(ox + 6, oy + i));
    }
    CHECK_FALSE(dark(ox + 1, oy + 1));  // then a light ring
    CHECK(dark(ox + 3, oy + 3));        // and a dark 3x3 centre
  }
}

TEST_CASE("recovery codes: 8 distinct codes of 8 characters, matched case-insensitively") {
  REQUIRE(init_crypto());
  const auto codes = new_recovery_codes();
  REQUIRE(codes.size() == 8);
  CHECK(std::set<std::string>(codes.begin(), codes.end()).size() == 8);
  for (const auto& code : codes) {
    CHECK(code.size() == 8);
    CHECK(code.find_first_of("01ilo") == std::string::npos);
  }
  const auto stored = hashed_recovery_codes({codes[0], codes[1]}, test_password_hash);
  REQUIRE(stored.size() == 2);
  CHECK(stored[0].code_hash.find(codes[0]) == std::string::npos);
  std::string shouted = codes[1];
  for (auto& c : shouted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(matching_recovery_code(stored, shouted) == stored[1].id);
  CHECK(matching_recovery_code(stored, codes[0].substr(0, 4) + "-" + codes[0].substr(4)) ==
        stored[0].id);
  CHECK_FALSE(matching_recovery_code(stored, codes[2]));
  CHECK_FALSE(matching_recovery_code(stored, "short"));
}
