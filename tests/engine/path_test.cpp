// Request path validation, as a table over split_path() and over decide(): every
// refused path is `invalid_path` (400) before any route is looked at.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "support.hpp"

using namespace scopegate;
using namespace scopegate::test;

namespace {

struct PathRow {
  const char* note;
  std::string path;
  PathError error;
};

std::string repeat_segments(std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += "/s";
  return out;
}

std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

const std::vector<PathRow>& invalid_paths() {
  using namespace std::string_literals;
  static const std::vector<PathRow> rows = {
      {"dot segment", "/a/.", PathError::dot_segment},
      {"dot-dot segment", "/a/..", PathError::dot_segment},
      {"dot segment first", "/./a", PathError::dot_segment},
      {"dot-dot in the middle", "/a/../b", PathError::dot_segment},
      {"encoded dot", "/a/%2e", PathError::dot_segment},
      {"encoded dot upper-case", "/a/%2E/b", PathError::dot_segment},
      {"encoded dot-dot mixed case", "/a/%2E%2e", PathError::dot_segment},
      {"half-encoded dot-dot", "/a/.%2E", PathError::dot_segment},
      {"half-encoded dot-dot other half", "/a/%2e./b", PathError::dot_segment},
      // Tomcat, Spring and Jetty read `;...` as parameters (`..;x` is `..`, `admin;` is
      // `admin` to them), other servers do not: a raw `;` is refused wherever it stands.
      {"dot-dot before a semicolon", "/static/..;/admin", PathError::path_parameters},
      {"dot-dot before a semicolon and more", "/a/..;jsessionid=1/b", PathError::path_parameters},
      {"dot before a semicolon", "/a/.;x", PathError::path_parameters},
      {"encoded dot-dot before a semicolon", "/a/%2e%2E;/b", PathError::path_parameters},
      {"semicolon ending a literal", "/x/admin;", PathError::path_parameters},
      {"session id as a path parameter", "/app/page;jsessionid=1", PathError::path_parameters},
      {"semicolon inside a segment", "/a;b/c", PathError::path_parameters},
      {"semicolon in a long path", "/0123456789/0123456789/0123456789/abc;d",
       PathError::path_parameters},
      {"empty segment in the middle", "/a//b", PathError::empty_segment},
      {"empty segment first", "//a", PathError::empty_segment},
      {"only slashes", "//", PathError::empty_segment},
      {"trailing slash", "/a/", PathError::empty_segment},
      {"trailing slash before the query", "/a/?x=1", PathError::empty_segment},
      {"encoded slash", "/a%2fb", PathError::encoded_separator},
      {"encoded slash upper-case", "/a/%2F/b", PathError::encoded_separator},
      {"encoded backslash", "/a%5cb", PathError::encoded_separator},
      {"encoded backslash upper-case", "/a%5Cb", PathError::encoded_separator},
      {"raw backslash", "/a\\b", PathError::encoded_separator},
      {"raw backslash as traversal", "/a/..\\b", PathError::encoded_separator},
      {"raw NUL", "/a\0b"s, PathError::nul_byte},
      {"raw NUL at the end", "/a\0"s, PathError::nul_byte},
      {"encoded NUL", "/a%00b", PathError::nul_byte},
      {"tab", "/a\tb", PathError::control_character},
      {"newline", "/a\nb", PathError::control_character},
      {"carriage return", "/a\rb", PathError::control_character},
      {"byte 0x01",
       "/a\x01"
       "b",
       PathError::control_character},
      {"byte 0x1f",
       "/a\x1f"
       "b",
       PathError::control_character},
      {"DEL 0x7f",
       "/a\x7f"
       "b",
       PathError::control_character},
      {"lone percent", "/a%", PathError::bad_percent_encoding},
      {"percent with one digit", "/a%4", PathError::bad_percent_encoding},
      {"percent with one digit mid-path", "/a%4/b", PathError::bad_percent_encoding},
      {"percent with non-hex", "/a%zz", PathError::bad_percent_encoding},
      {"percent with one non-hex digit", "/a%4g", PathError::bad_percent_encoding},
      {"percent then slash", "/%/a", PathError::bad_percent_encoding},
      {"empty path", "", PathError::not_absolute},
      {"relative path", "a/b", PathError::not_absolute},
      {"query only", "?x=1", PathError::not_absolute},
      {"absolute URL", "http://host/a", PathError::not_absolute},
      {"too many segments", repeat_segments(max_path_segments + 1), PathError::too_many_segments},
      // split_path() reads 16 bytes at a time: problems at the edges of those blocks.
      {"NUL as byte 15", "/aaaaaaaaaaaaaa\0b"s, PathError::nul_byte},
      {"NUL as byte 16", "/aaaaaaaaaaaaaaa\0b"s, PathError::nul_byte},
      {"NUL as the last of 17 bytes", "/aaaaaaaaaaaaaaa\0"s, PathError::nul_byte},
      {"tab as the last of 33 bytes", "/aaaaaaaaaaaaaaa/aaaaaaaaaaaaaaa\t",
       PathError::control_character},
      {"trailing slash as byte 15", "/aaaaaaaaaaaaaa/", PathError::empty_segment},
      {"trailing slash as byte 16", "/aaaaaaaaaaaaaaa/", PathError::empty_segment},
      {"empty segment across bytes 15 and 16", "/aaaaaaaaaaaaaa//b", PathError::empty_segment},
      {"dot-dot ending a 16-byte path", "/aaaaaaaaaaaa/..", PathError::dot_segment},
      {"encoded dot-dot across bytes 15 to 20", "/aaaaaaaaaaaaa/%2e%2E/b", PathError::dot_segment},
      {"percent as the second to last of 16 bytes", "/aaaaaaaaaaaaa%4",
       PathError::bad_percent_encoding},
      {"escape across bytes 15 to 17", "/aaaaaaaaaaaaaa%2fb", PathError::encoded_separator},
      {"the first problem wins: empty segment before NUL", "/a//b\0"s, PathError::empty_segment},
      {"the first problem wins: NUL before empty segment", "/a\0b//"s, PathError::nul_byte},
      {"the first problem wins: dot segment before bad escape", "/../%zz", PathError::dot_segment},
      {"the first problem wins: bad escape inside a would-be dot segment", "/.%zz/",
       PathError::bad_percent_encoding},
      {"the first problem wins: too many segments before NUL",
       repeat_segments(max_path_segments + 1) + "/\0"s, PathError::too_many_segments},
      {"the first problem wins: NUL in the 65th segment",
       repeat_segments(max_path_segments) + "/\0"s, PathError::nul_byte},
  };
  return rows;
}

}  // namespace

TEST_CASE("engine: split_path refuses every invalid path with the right error") {
  for (const PathRow& row : invalid_paths()) {
    INFO(row.note << ": '" << printable(row.path) << "' expects " << describe(row.error));
    PathSegments segments;
    const PathError error = split_path(row.path, segments);
    INFO("got: " << describe(error));
    CHECK(error == row.error);
  }
}

TEST_CASE("engine: split_path accepts valid paths and splits them") {
  struct Row {
    const char* note;
    std::string path;
    std::vector<std::string> segments;
    std::uint64_t encoded_mask;
  };
  std::vector<std::string> many(max_path_segments, "s");
  const std::vector<Row> rows = {
      {"root", "/", {}, 0},
      {"root with a query", "/?a=b", {}, 0},
      {"two segments", "/a/b", {"a", "b"}, 0},
      {"query string ignored", "/a/b?x=../..&y=%zz//", {"a", "b"}, 0},
      {"fragment-like text in the query", "/a?#", {"a"}, 0},
      {"valid encoding kept encoded", "/%41/b%20c", {"%41", "b%20c"}, 0b11},
      {"encoded segment flagged", "/a/%41", {"a", "%41"}, 0b10},
      {"dots inside a segment", "/v1.2/.a/a./..a/...", {"v1.2", ".a", "a.", "..a", "..."}, 0},
      {"encoded dot inside a segment", "/a%2e/%2ea", {"a%2e", "%2ea"}, 0b11},
      {"sub-delims and unreserved but ';'",
       "/a-b_c~d/!$&'()*+,=:@",
       {"a-b_c~d", "!$&'()*+,=:@"},
       0},
      {"an encoded semicolon is data", "/a%3Bb/...%3bc", {"a%3Bb", "...%3bc"}, 0b11},
      {"exactly the most segments", repeat_segments(max_path_segments), many, 0},
      {"15 bytes", "/aaaaaaa/bbbbbb", {"aaaaaaa", "bbbbbb"}, 0},
      {"16 bytes", "/aaaaaaa/bbbbbbb", {"aaaaaaa", "bbbbbbb"}, 0},
      {"17 bytes", "/aaaaaaa/bbbbbbbb", {"aaaaaaa", "bbbbbbbb"}, 0},
      {"a slash as byte 16", "/aaaaaaaaaaaaaaa/b", {"aaaaaaaaaaaaaaa", "b"}, 0},
      {"a one-byte segment as byte 32",
       "/aaaaaaaaaaaaaaa/bbbbbbbbbbbbbb/c",
       {"aaaaaaaaaaaaaaa", "bbbbbbbbbbbbbb", "c"},
       0},
      {"a query as byte 16", "/aaaaaaaaaaaaaaa?x=%zz", {"aaaaaaaaaaaaaaa"}, 0},
      {"an escape across bytes 15 to 17", "/aaaaaaaaaaaaaa%41/b", {"aaaaaaaaaaaaaa%41", "b"}, 0b01},
      {"an escape ending a 33-byte path",
       "/a/bbbbbbbbbbbbbbbbbbbbbbbbbbb%41",
       {"a", "bbbbbbbbbbbbbbbbbbbbbbbbbbb%41"},
       0b10},
      {"bytes from 0x80 up are plain", "/caf\xc3\xa9/\xff\x80", {"caf\xc3\xa9", "\xff\x80"}, 0},
      {"a UUID",
       "/api/v1/sessions/3fa85f64-5717-4562-b3fc-2c963f66afa6/stop",
       {"api", "v1", "sessions", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "stop"},
       0},
  };
  for (const Row& row : rows) {
    INFO(row.note << ": '" << row.path << "'");
    PathSegments out;
    const PathError error = split_path(row.path, out);
    INFO("got: " << describe(error));
    REQUIRE(error == PathError::none);
    REQUIRE(out.size == row.segments.size());
    for (std::size_t i = 0; i < out.size; ++i) CHECK(out.segment(i) == row.segments[i]);
    CHECK(out.encoded_mask == row.encoded_mask);
  }
}

TEST_CASE("engine: decide refuses every invalid path with 400 before routing") {
  // A public catch-all: every valid path is allowed, so only validation can refuse.
  PolicyInput in;
  in.routes = {open_route(Access::public_, Method::any, "/**")};
  const Policy policy = build(std::move(in));
  const Principal anonymous;
  for (const PathRow& row : invalid_paths()) {
    INFO(row.note << ": '" << printable(row.path) << "'");
    const Decision d = policy.decide(anonymous, "GET", row.path);
    INFO(describe(d));
    CHECK_FALSE(d.allowed());
    CHECK(d.reason() == Reason::invalid_path);
    CHECK(d.reason_code() == "invalid_path");
    CHECK(d.status() == 400);
    CHECK(d.path_error() == row.error);
    CHECK(d.endpoint() == nullptr);
    CHECK(d.message() == describe(row.error));
  }
  const Decision ok = policy.decide(anonymous, "GET", "/a/b?x=%zz");
  CHECK(ok.allowed());
  CHECK(ok.path_error() == PathError::none);
}

// Segment offsets are 32-bit: a path of 4 GiB or more is refused before any byte past
// its first is read (so a view of that size over one real byte is enough to test it).
TEST_CASE("engine: a path of 4 GiB or more is too long") {
  if constexpr (sizeof(std::size_t) > 4) {
    static const char slash = '/';
    const std::string_view huge(&slash, std::size_t{UINT32_MAX} + 1);
    PathSegments segments;
    CHECK(split_path(huge, segments) == PathError::too_long);
    CHECK(segments.size == 0);
    PolicyInput in;
    in.routes = {open_route(Access::public_, Method::any, "/**")};
    const Policy policy = build(std::move(in));
    const Decision d = policy.decide(Principal{}, "GET", huge);
    CHECK(d.reason() == Reason::invalid_path);
    CHECK(d.path_error() == PathError::too_long);
    CHECK(d.message() == "Path is too long");
  }
}

TEST_CASE("engine: valid percent-encoding matches literals by their decoded bytes") {
  PolicyInput in;
  in.scopes = {scope("r:all")};
  in.routes = {
      route(Method::get, "/A/{x}", "r:all", "A"),
      route(Method::get, "/AB", "r:all", "AB"),
      route(Method::get, "/a~b", "r:all", "a~b"),
      route(Method::get, "/J", "r:all", "J"),
  };
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"r:all"});
  struct Row {
    const char* path;
    const char* endpoint;  // description, or empty for no_route
  };
  const std::vector<Row> rows = {
      {"/%41/1", "A"},   {"/A/1", "A"},     {"/%41%42", "AB"}, {"/A%42", "AB"},
      {"/a%7Eb", "a~b"}, {"/a%7eb", "a~b"}, {"/%4a", "J"},     {"/%4A", "J"},
      {"/%61/1", ""},    {"/%41B%43", ""},  {"/%41?q=1", ""},  {"/AB?x=1", "AB"},
  };
  for (const Row& row : rows) {
    INFO("GET " << row.path);
    const Decision d = policy.decide(key, "GET", row.path);
    INFO(describe(d));
    if (std::string_view(row.endpoint).empty()) {
      CHECK(d.reason() == Reason::no_route);
    } else {
      REQUIRE(d.allowed());
      CHECK(d.endpoint()->description == row.endpoint);
    }
  }
}

TEST_CASE("engine: compare_segment compares decoded bytes and percent_decode decodes") {
  struct Compare {
    const char* encoded;
    const char* literal;
    int sign;
  };
  const std::vector<Compare> compares = {
      {"A", "A", 0},     {"%41", "A", 0},    {"%41%42", "AB", 0}, {"a%7eb", "a~b", 0},
      {"", "", 0},       {"a", "b", -1},     {"b", "a", 1},       {"ab", "abc", -1},
      {"abc", "ab", 1},  {"%41", "B", -1},   {"%42", "A", 1},     {"%41", "%41", 1},
      {"%41", "AB", -1}, {"%41%42", "A", 1},
  };
  for (const Compare& row : compares) {
    INFO("'" << row.encoded << "' vs '" << row.literal << "'");
    const int result = compare_segment(row.encoded, row.literal);
    CHECK((result > 0) - (result < 0) == row.sign);
  }
  struct Decode {
    const char* encoded;
    std::string decoded;
  };
  const std::vector<Decode> decodes = {
      {"", ""},
      {"abc", "abc"},
      {"%41%42c", "ABc"},
      {"a%20b", "a b"},
      {"%e2%82%AC", "\xe2\x82\xac"},
      {"%7e", "~"},
  };
  for (const Decode& row : decodes) {
    INFO("'" << row.encoded << "'");
    CHECK(percent_decode(row.encoded) == row.decoded);
  }
}

namespace {

// The rules of split_path(), one byte at a time and without any speed-up: the oracle for
// the test below. Returns the error and, on success, the segments as [begin, end) offsets.
struct Reference {
  PathError error = PathError::none;
  std::vector<std::pair<std::size_t, std::size_t>> segments;
  std::uint64_t encoded_mask = 0;
  std::size_t length = 0;  // of the path without its query
};

Reference reference_split(std::string_view path) {
  Reference out;
  const auto fail = [&](PathError error) {
    out.error = error;
    return out;
  };
  if (path.empty() || path[0] != '/') return fail(PathError::not_absolute);
  const std::size_t end = std::min(path.find('?'), path.size());
  if (end == 1) {
    out.length = 1;  // the root
    return out;
  }
  std::size_t start = 1;
  bool encoded = false;
  for (std::size_t i = 1; i <= end; ++i) {
    if (i == end || path[i] == '/') {
      const std::string_view segment = path.substr(start, i - start);
      if (segment.empty()) return fail(PathError::empty_segment);
      const std::string decoded = percent_decode(segment);
      if (decoded == "." || decoded == "..") return fail(PathError::dot_segment);
      if (out.segments.size() == max_path_segments) return fail(PathError::too_many_segments);
      if (encoded) out.encoded_mask |= std::uint64_t{1} << out.segments.size();
      out.segments.emplace_back(start, i);
      start = i + 1;
      encoded = false;
      continue;
    }
    const auto c = static_cast<unsigned char>(path[i]);
    if (c == 0) return fail(PathError::nul_byte);
    if (c == '\\') return fail(PathError::encoded_separator);
    if (c < 0x20 || c == 0x7f) return fail(PathError::control_character);
    if (c != '%') continue;
    const auto hex = [&](std::size_t at) {
      return at < path.size() && std::isxdigit(static_cast<unsigned char>(path[at])) != 0;
    };
    if (!hex(i + 1) || !hex(i + 2)) return fail(PathError::bad_percent_encoding);
    const std::string value = percent_decode(path.substr(i, 3));
    if (value[0] == '\0') return fail(PathError::nul_byte);
    if (value == "/" || value == "\\") return fail(PathError::encoded_separator);
    encoded = true;
    i += 2;
  }
  out.length = end;
  return out;
}

}  // namespace

TEST_CASE("engine: split_path agrees with a byte-at-a-time reference on generated paths") {
  // Pieces that matter to the rules, and plain runs of 7 and 15 bytes to move them across
  // the 16-byte blocks split_path() reads.
  using namespace std::string_literals;
  const std::vector<std::string> pieces = {
      "a",    "b",   "/",   "/",    ".",   "..",      "%",
      "%2e",  "%2E", "%2f", "%5C",  "%00", "%41",     "%4",
      "?",    "\\",  "\0"s, "\x01", "\t",  "\x7f",    "\x80",
      "\xff", "-",   "~",   "/./",  "//",  "aaaaaaa", "bbbbbbbbbbbbbbb",
  };
  std::uint64_t state = 0x9e3779b97f4a7c15;  // a fixed seed: the same paths on every run
  const auto next = [&state](std::size_t bound) {
    state = state * 6364136223846793005 + 1442695040888963407;
    return static_cast<std::size_t>((state >> 33) % bound);
  };
  std::vector<std::string> paths;
  for (int i = 0; i < 20'000; ++i) {
    std::string path = next(16) == 0 ? "" : "/";
    const std::size_t length = next(4) == 0 ? next(160) : next(48);
    while (path.size() < length) {
      path += next(3) == 0 ? pieces[next(pieces.size())] : std::string(1, "abcxyz019"[next(9)]);
    }
    paths.push_back(path);
  }
  // Every cut of a few long paths: each length, so each position of the end in a block.
  for (int i = 0; i < 20; ++i) {
    const std::string whole = paths[static_cast<std::size_t>(i)] + "/abc/%41/def/ghijklmnop/q";
    for (std::size_t cut = 0; cut <= whole.size(); ++cut) paths.push_back(whole.substr(0, cut));
  }
  for (const std::string& path : paths) {
    // An exact-size copy, so that a sanitizer build sees any read past the end.
    const std::vector<char> bytes(path.begin(), path.end());
    const std::string_view text(bytes.data(), bytes.size());
    const Reference expected = reference_split(text);
    PathSegments out;
    const PathError error = split_path(text, out);
    INFO("'" << printable(path) << "' expects " << describe(expected.error) << ", got "
             << describe(error));
    REQUIRE(error == expected.error);
    if (error != PathError::none) continue;
    REQUIRE(out.size == expected.segments.size());
    for (std::size_t i = 0; i < out.size; ++i) {
      CHECK(out.begin[i] == expected.segments[i].first);
      CHECK(out.end[i] == expected.segments[i].second);
    }
    CHECK(out.encoded_mask == expected.encoded_mask);
    CHECK(out.path.data() == text.data());
    CHECK(out.path.size() == expected.length);
  }
}
