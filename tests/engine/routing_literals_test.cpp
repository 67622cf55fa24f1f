// Route resolution among literal segments: literals of every length around the word
// size, hundreds of look-alike siblings, percent-encoded segments, and reads that must
// stay inside the caller's path text.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "support.hpp"

using namespace scopegate;
using namespace scopegate::test;

namespace {

// The path copied into a buffer of exactly its size, so that an ASan build reports a
// read past the end of the caller's text.
class ExactPath {
 public:
  explicit ExactPath(std::string_view path) : m_bytes(new char[path.size()]), m_size(path.size()) {
    std::copy(path.begin(), path.end(), m_bytes.get());
  }
  std::string_view view() const { return {m_bytes.get(), m_size}; }

 private:
  std::unique_ptr<char[]> m_bytes;
  std::size_t m_size;
};

// Literal children compared by their first 8 bytes as one word: sizes around 8 and 16,
// literals sharing their first 8 bytes, and segments that are prefixes of literals.
// Every literal has a `{param}` sibling, so a literal that wrongly fails to match shows
// as the param endpoint, and one that wrongly matches shows as the literal's.
Policy literal_policy() {
  PolicyInput in;
  in.scopes = {scope("r:all")};
  in.routes = {
      route(Method::get, "/k/abcdefg", "r:all", "7 bytes"),
      route(Method::get, "/k/abcdefgh", "r:all", "8 bytes"),
      route(Method::get, "/k/abcdefghi", "r:all", "9 bytes"),
      route(Method::get, "/k/abcdefghabcdefgh", "r:all", "16 bytes"),
      route(Method::get, "/k/abcdefghabcdefghi", "r:all", "17 bytes"),
      route(Method::get, "/k/abcdefghabcdefgX", "r:all", "16 bytes, last differs"),
      route(Method::get, "/k/abcdefghXbcdefgh", "r:all", "16 bytes, ninth differs"),
      route(Method::get, "/k/a", "r:all", "1 byte"),
      route(Method::get, "/k/{x}", "r:all", "param"),
      route(Method::get, "/k/abcdefgh/z", "r:all", "8 bytes then z"),
      route(Method::get, "/s", "r:all", "short s"),
      route(Method::get, "/sh/{x}", "r:all", "param under sh"),
      route(Method::get, "/sh/ab", "r:all", "literal ab under sh"),
  };
  return build(std::move(in));
}

}  // namespace

TEST_CASE("engine: literal segments match by their bytes whatever their length") {
  const Policy policy = literal_policy();
  const Principal key = policy.principal_for_key({"r:all"});
  struct Row {
    const char* note;
    const char* path;
    const char* winner;
  };
  const std::vector<Row> rows = {
      {"7 bytes", "/k/abcdefg", "7 bytes"},
      {"8 bytes", "/k/abcdefgh", "8 bytes"},
      {"9 bytes", "/k/abcdefghi", "9 bytes"},
      {"16 bytes", "/k/abcdefghabcdefgh", "16 bytes"},
      {"17 bytes", "/k/abcdefghabcdefghi", "17 bytes"},
      {"16 bytes sharing 15 with another", "/k/abcdefghabcdefgX", "16 bytes, last differs"},
      {"16 bytes sharing the first 8 with others", "/k/abcdefghXbcdefgh",
       "16 bytes, ninth differs"},
      {"1 byte", "/k/a", "1 byte"},
      {"a prefix of the 7-byte literal", "/k/abcdef", "param"},
      {"the 7-byte literal with another last byte", "/k/abcdefX", "param"},
      {"the first 8 bytes of the 9-byte literal plus another", "/k/abcdefghX", "param"},
      {"10 bytes extending the 9-byte literal", "/k/abcdefghij", "param"},
      {"15 bytes, a prefix of the 16-byte literals", "/k/abcdefghabcdefg", "param"},
      {"16 bytes differing in the 9th byte only", "/k/abcdefghYbcdefgh", "param"},
      {"17 bytes differing in the last byte only", "/k/abcdefghabcdefghj", "param"},
      {"18 bytes extending the 17-byte literal", "/k/abcdefghabcdefghij", "param"},
      {"8 bytes differing in the first byte", "/k/Xbcdefgh", "param"},
      {"8 bytes differing in the 8th byte", "/k/abcdefgX", "param"},
      {"the 8-byte literal before another segment", "/k/abcdefgh/z", "8 bytes then z"},
      {"the 16-byte literal before a query", "/k/abcdefghabcdefgh?q=abcdefgh", "16 bytes"},
      {"a prefix of the literal before a query", "/k/abcdefgh?i", "8 bytes"},
      {"a whole path shorter than 8 bytes", "/s", "short s"},
      {"a short last segment in a short path", "/sh/ab", "literal ab under sh"},
      {"a prefix of a literal in a short path", "/sh/a", "param under sh"},
      {"a short path extending a literal", "/sh/abc", "param under sh"},
      {"encoded byte in the first 8", "/k/%61bcdefgh", "8 bytes"},
      {"encoded byte past the first 8", "/k/abcdefghabcdefg%68", "16 bytes"},
      {"encoded 17-byte literal, all bytes encoded at the end", "/k/abcdefghabcdef%67%68%69",
       "17 bytes"},
      {"encoded segment that decodes to no literal", "/k/abcdefg%58", "param"},
      {"encoded 1-byte literal", "/k/%61", "1 byte"},
  };
  for (const Row& row : rows) {
    INFO(row.note << ": GET " << row.path);
    const ExactPath path(row.path);
    const Decision d = policy.decide(key, "GET", path.view());
    INFO(describe(d));
    REQUIRE(d.allowed());
    CHECK(d.endpoint()->description == row.winner);
  }
  const ExactPath unknown("/s/x");
  CHECK(policy.decide(key, "GET", unknown.view()).reason() == Reason::no_route);
}

TEST_CASE("engine: among many sibling literal routes a path reaches exactly the one it spells") {
  // More children than a linear scan takes: sizes 1 to 24, many sharing their first 8
  // bytes, so the lookup compares by word, size and the bytes after 8.
  std::vector<std::string> literals;
  for (std::size_t size = 1; size <= 24; ++size) {
    for (const char first : {'a', 'm', 'z'}) {
      std::string text(size, 'q');
      text[0] = first;
      literals.push_back(text);
      if (size > 8) {
        text[size - 1] = 'r';
        literals.push_back(text);
        text[8] = 'b';
        literals.push_back(text);
      }
    }
  }
  PolicyInput in;
  in.scopes = {scope("r:all")};
  for (const std::string& text : literals)
    in.routes.push_back(route(Method::get, "/n/" + text, "r:all", text));
  in.routes.push_back(route(Method::get, "/n/{x}", "r:all", "param"));
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"r:all"});

  const auto winner = [&](const std::string& segment) {
    const ExactPath path("/n/" + segment);
    const Decision d = policy.decide(key, "GET", path.view());
    INFO(describe(d));
    REQUIRE(d.allowed());
    return std::string(d.endpoint()->description);
  };
  const std::set<std::string> known(literals.begin(), literals.end());
  for (const std::string& text : literals) {
    INFO("literal " << text);
    CHECK(winner(text) == text);
    // One byte more, one byte less, and each byte changed: the literal's own endpoint
    // never answers, another literal only if it is exactly that text.
    std::vector<std::string> near = {text + "q", text.substr(0, text.size() - 1)};
    for (std::size_t i = 0; i < text.size(); ++i) {
      std::string changed = text;
      changed[i] = 'x';
      near.push_back(changed);
    }
    for (const std::string& other : near) {
      if (other.empty()) continue;
      INFO("near miss " << other);
      CHECK(winner(other) == (known.count(other) != 0 ? other : "param"));
    }
    std::string encoded = "%" +
                          std::string(text[0] == 'a'   ? "61"
                                      : text[0] == 'm' ? "6D"
                                                       : "7a") +
                          text.substr(1);
    INFO("encoded " << encoded);
    CHECK(winner(encoded) == text);
  }
}

namespace {

// About 500 literals for one node, so it is looked up through its hash table, chosen to
// collide there: many share their first 8 bytes, many share head and size, and 40 share
// head, size and last 8 bytes (everything the table hashes), so they queue behind one
// another from the same home slot.
std::vector<std::string> hashed_node_literals() {
  std::vector<std::string> out;
  // 1 to 8 bytes: the head alone tells them apart.
  for (std::size_t size = 1; size <= 8; ++size) {
    for (const char first : std::string_view("abcdefghij"))
      out.push_back(first + std::string(size - 1, 's'));
  }
  // The same first 8 bytes, sizes 9 to 24, three texts of each size.
  for (const std::string head : {"billing-", "customer"}) {
    for (std::size_t size = 9; size <= 24; ++size) {
      for (const char fill : {'a', 'k', 'z'}) out.push_back(head + std::string(size - 8, fill));
    }
  }
  // Equal in head, size and last 8 bytes; they differ in bytes 9 and 10 only.
  for (const char first : std::string_view("abcdefghijklmnopqrst")) {
    for (const char second : {'a', 'b'})
      out.push_back(std::string("internal") + first + second + "mm-endings");
  }
  // Equal but for the last byte, at sizes 9, 16 and 17.
  for (const std::size_t size : {9, 16, 17}) {
    for (const char last : std::string_view("abcdefghij"))
      out.push_back("regional" + std::string(size - 9, 'r') + last);
  }
  // Names like the benchmark's resources.
  for (const std::string_view qualifier : {"archive", "build", "cloud", "edge", "export", "fleet",
                                           "import", "legacy", "mobile", "partner"}) {
    for (const std::string_view noun :
         {"accounts",  "alerts",      "backups", "buckets", "certificates", "clusters", "contacts",
          "databases", "deployments", "devices", "domains", "events",       "files",    "firewalls",
          "images",    "invoices",    "jobs",    "keys",    "networks",     "nodes",    "orders",
          "pipelines", "projects",    "queues",  "reports"}) {
      out.push_back(std::string(qualifier) + "-" + std::string(noun));
    }
  }
  return out;
}

// `text` with its byte `at` percent-encoded.
std::string encode_byte(const std::string& text, std::size_t at) {
  static constexpr std::string_view digits = "0123456789ABCDEF";
  const auto byte = static_cast<unsigned char>(text[at]);
  return text.substr(0, at) + '%' + digits[byte >> 4U] + digits[byte & 15U] + text.substr(at + 1);
}

}  // namespace

TEST_CASE("engine: hundreds of look-alike sibling literal routes each match only their own path") {
  const std::vector<std::string> literals = hashed_node_literals();
  const std::set<std::string> known(literals.begin(), literals.end());
  REQUIRE(known.size() == literals.size());
  PolicyInput in;
  in.scopes = {scope("r:all")};
  for (std::size_t i = 0; i < literals.size(); ++i) {
    in.routes.push_back(route(Method::get, "/h/" + literals[i], "r:all", literals[i]));
    if (i % 2 == 0)
      in.routes.push_back(route(Method::get, "/h/" + literals[i] + "/deep", "r:all", "deep"));
  }
  in.routes.push_back(route(Method::get, "/h/{x}", "r:all", "param"));
  in.routes.push_back(route(Method::get, "/h/{x}/tail", "r:all", "param tail"));
  in.routes.push_back(route(Method::get, "/h/**", "r:all", "rest"));
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"r:all"});

  const auto winner = [&](const std::string& path) {
    const ExactPath exact(path);
    const Decision d = policy.decide(key, "GET", exact.view());
    INFO(describe(d));
    REQUIRE(d.allowed());
    return std::string(d.endpoint()->description);
  };
  for (std::size_t i = 0; i < literals.size(); ++i) {
    const std::string& text = literals[i];
    INFO("literal " << text);
    CHECK(winner("/h/" + text) == text);
    // One byte more, one byte less, each byte changed: only a literal that is exactly
    // that text answers, else the parameter.
    std::vector<std::string> near = {text + "s", text.substr(0, text.size() - 1)};
    for (std::size_t at = 0; at < text.size(); ++at) {
      std::string changed = text;
      changed[at] = 'X';
      near.push_back(changed);
      changed[at] = static_cast<char>(text[at] + 1);
      near.push_back(changed);
    }
    for (const std::string& other : near) {
      if (other.empty()) continue;
      INFO("near miss " << other);
      CHECK(winner("/h/" + other) == (known.count(other) != 0 ? other : "param"));
    }
    // Percent-encoded segments compare their decoded bytes.
    CHECK(winner("/h/" + encode_byte(text, 0)) == text);
    CHECK(winner("/h/" + encode_byte(text, text.size() - 1)) == text);
    CHECK(winner("/h/" + encode_byte(text + "s", 0)) ==
          (known.count(text + "s") != 0 ? text + "s" : "param"));
    // Below the hashed node: the literal's own child, else back to the wildcards.
    CHECK(winner("/h/" + text + "/deep") == (i % 2 == 0 ? "deep" : "rest"));
    CHECK(winner("/h/" + text + "/tail") == "param tail");
    CHECK(winner("/h/" + text + "/other/more") == "rest");
  }
  const ExactPath tail("/h/" + literals.back() + "/tail");
  const Decision bound = policy.decide(key, "GET", tail.view());
  REQUIRE(bound.params().size() == 1);
  CHECK(bound.params()[0].value == literals.back());
  const Decision post = policy.decide(key, "POST", "/h/" + literals.front());
  CHECK(post.reason() == Reason::method_not_allowed);
  CHECK(split_allow(post.allowed_methods()) == std::vector<std::string>{"GET"});
}

TEST_CASE("engine: sibling literal routes match alike whether there are 7 or 33 of them") {
  // Up to linear_scan_limit (16) children are scanned, more hashed: each count finds every
  // child and nothing else.
  for (const std::size_t count : {7, 8, 9, 10, 16, 17, 33}) {
    std::vector<std::string> literals;
    for (std::size_t i = 0; i < count; ++i)
      literals.push_back(std::string(1 + i % 12, 'k') + std::to_string(i));
    PolicyInput in;
    in.scopes = {scope("r:all")};
    for (const std::string& text : literals)
      in.routes.push_back(route(Method::get, "/t/" + text, "r:all", text));
    in.routes.push_back(route(Method::get, "/t/{x}", "r:all", "param"));
    const Policy policy = build(std::move(in));
    const Principal key = policy.principal_for_key({"r:all"});
    for (const std::string& text : literals) {
      INFO(count << " children, literal " << text);
      for (const auto& [path, expected] :
           {std::pair{"/t/" + text, text}, std::pair{"/t/" + text + "k", std::string("param")},
            std::pair{"/t/" + text.substr(1), std::string("param")}}) {
        INFO("path " << path);
        const Decision d = policy.decide(key, "GET", path);
        REQUIRE(d.allowed());
        CHECK(d.endpoint()->description == expected);
      }
    }
  }
}

TEST_CASE("engine: a request method reaches its own route only when it is one of the seven names") {
  PolicyInput in;
  in.scopes = {scope("r:all")};
  for (std::size_t m = 0; m < static_cast<std::size_t>(Method::any); ++m) {
    in.routes.push_back(route(static_cast<Method>(m), "/m", "r:all", std::string(method_names[m])));
  }
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"r:all"});
  const std::vector<std::string> all = {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"};

  // parse_method() (a plain loop over the names) is the reference for what decide() reads.
  const auto check = [&](const std::string& method) {
    INFO("method \"" << method << "\" (" << method.size() << " bytes)");
    const Decision d = policy.decide(key, method, "/m");
    const std::optional<Method> parsed = parse_method(method);
    if (parsed && *parsed != Method::any) {
      REQUIRE(d.allowed());
      CHECK(d.endpoint()->description == method);
    } else {
      CHECK(d.reason() == Reason::method_not_allowed);
      CHECK(split_allow(d.allowed_methods()) == all);
    }
  };
  for (const std::string method :
       {"GET",    "POST",     "PUT",   "PATCH",   "DELETE", "HEAD",   "OPTIONS", "",
        "*",      "G",        "GE",    "GETS",    "get",    "Get",    "HEAT",    "PEAD",
        "QUT",    "PUTS",     "POS",   "POSTS",   "PATC",   "PATCHY", "DELET",   "DELETED",
        "OPTION", "OPTIONSS", "TRACE", "CONNECT", "GET ",   " GET",   "OPTIONs", "dELETE"}) {
    check(method);
  }
  check(std::string("GET\0", 4));
  check(std::string("G\0T", 3));
  // Every name with one byte changed, and random strings over the names' letters.
  for (const std::string_view name : all) {
    for (std::size_t at = 0; at < name.size(); ++at) {
      for (int byte = 0; byte < 256; ++byte) {
        std::string changed(name);
        changed[at] = static_cast<char>(byte);
        check(changed);
      }
    }
  }
  std::mt19937 random(7);
  const std::string letters = "ACDEGHILNOPSTU";
  for (int i = 0; i < 20000; ++i) {
    std::string method(std::uniform_int_distribution<std::size_t>(0, 9)(random), 'A');
    for (char& c : method)
      c = letters[std::uniform_int_distribution<std::size_t>(0, letters.size() - 1)(random)];
    check(method);
  }
}

TEST_CASE("engine: routes with parameters at the same places each bind their own names") {
  // The compiled policy keeps one copy of each list of parameter slots: endpoints with the
  // same names at the same places share it, and no other endpoint may read it.
  PolicyInput in;
  in.scopes = {scope("a:read")};
  in.routes = {
      route(Method::get, "/a/{id}", "a:read"),
      route(Method::get, "/b/{id}", "a:read"),
      route(Method::get, "/c/{name}", "a:read"),
      route(Method::get, "/d/*/{id}", "a:read"),
      route(Method::get, "/e/{id}/x/{sub}", "a:read"),
      route(Method::get, "/f/{sub}/x/{id}", "a:read"),
      route(Method::get, "/g/{id}/x/{sub}", "a:read"),
  };
  const Policy policy = build(std::move(in));
  const Principal key = policy.principal_for_key({"a:read"});
  const std::vector<std::pair<const char*, std::vector<std::pair<std::string, std::string>>>> rows =
      {
          {"/a/1", {{"id", "1"}}},
          {"/b/2", {{"id", "2"}}},
          {"/c/3", {{"name", "3"}}},
          {"/d/skip/4", {{"id", "4"}}},
          {"/e/5/x/6", {{"id", "5"}, {"sub", "6"}}},
          {"/f/7/x/8", {{"sub", "7"}, {"id", "8"}}},
          {"/g/9/x/10", {{"id", "9"}, {"sub", "10"}}},
      };
  for (const auto& [path, expected] : rows) {
    INFO(path);
    const Decision d = policy.decide(key, "GET", path);
    INFO(describe(d));
    REQUIRE(d.allowed());
    CHECK(bound_params(d) == expected);
  }
}
