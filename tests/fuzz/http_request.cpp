// Fuzz target (c): the bytes a client sends on one connection -> the server's HTTP handling,
// in process: answer_connection_bytes() (the connection's parsing, framing rules, limits,
// handler calls and serialization) with the real App as the handler. The App is the one
// Server::start builds (never run; its socket is bound and left idle), once per process, on
// a new database in a temporary folder and the shipped policies/, so requests reach
// authentication, the engine's decision and the handlers, and what one input writes to the
// database the next can read.
// Input: the raw bytes, with two markers. On a header line named `X-API-Key` or
// `Authorization` (the line starts the name; any case), `@KEY@` becomes an API key holding
// every key scope and `@TOKEN@` an admin's access token, both made at start (they are
// random). Elsewhere the markers stay as written: a secret the client put in a path or a
// body may be echoed or stored, and the check below would then find it.
// Checks, besides crashes, leaks and undefined behaviour: the answer is a sequence of
// well-formed HTTP/1.1 responses (status line, header lines, a Content-Length the body
// matches, nothing after a `Connection: close` or after the last response), no more of
// them than the input has request heads (plus the refusal of an unfinished one), every
// JSON body is JSON, no status is 500, and neither the key nor the token ever comes back.
// Seeds: corpus/http_request/.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "check_decision.hpp"
#include "scopegate/dsl.hpp"
#include "server/http.hpp"
#include "server/json.hpp"
#include "server/server.hpp"

namespace {

using namespace scopegate;
using namespace scopegate::server;
using fuzz::require;

// The bootstrap admin's password (Server::start reads it from the environment). The
// seeds sign in with it once: each sign-in costs an Argon2id hash.
constexpr const char* admin_password = "fuzz-admin-password";

[[noreturn]] void fail_setup(const std::string& what) {
  std::fprintf(stderr, "fuzz: http_request: setup failed: %s\n", what.c_str());
  std::abort();
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct Response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string_view body;

  std::string_view header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return {};
  }
};

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Splits what the server wrote into responses, as a client that sent `methods` reads them
// (the response to a HEAD has no body, whatever its Content-Length); anything malformed is
// a broken promise.
std::vector<Response> parse_responses(std::string_view bytes,
                                      const std::vector<std::string>& methods) {
  std::vector<Response> out;
  while (!bytes.empty()) {
    require(out.empty() || out.size() > methods.size() || methods[out.size() - 1] != "HEAD" ||
                bytes.starts_with("HTTP/1.1 "),
            "a response to HEAD has no body");
    require(out.empty() || lowercase(out.back().header("connection")) != "close",
            "nothing is written after a response with `Connection: close`");
    Response response;
    const std::size_t line_end = bytes.find("\r\n");
    require(line_end != std::string_view::npos, "a status line ends with CRLF");
    const std::string_view line = bytes.substr(0, line_end);
    require(line.size() >= 13 && line.starts_with("HTTP/1.1 ") && line[12] == ' ',
            "a status line is `HTTP/1.1 NNN reason`");
    for (std::size_t i = 9; i < 12; ++i) {
      require(std::isdigit(static_cast<unsigned char>(line[i])), "a status is three digits");
      response.status = response.status * 10 + (line[i] - '0');
    }
    require(response.status >= 100 && response.status <= 599, "a status is 100..599");
    require(line.find_first_of(std::string_view("\0\n", 2)) == std::string_view::npos,
            "a reason phrase holds no NUL or LF");
    bytes.remove_prefix(line_end + 2);
    for (;;) {
      const std::size_t end = bytes.find("\r\n");
      require(end != std::string_view::npos, "a header line ends with CRLF");
      const std::string_view field = bytes.substr(0, end);
      bytes.remove_prefix(end + 2);
      if (field.empty()) break;
      const std::size_t colon = field.find(':');
      require(colon != std::string_view::npos && colon > 0, "a header line is `Name: value`");
      const std::string_view name = field.substr(0, colon);
      require(std::all_of(name.begin(), name.end(), is_token_char), "a header name is a token");
      std::string_view value = field.substr(colon + 1);
      require(value.find_first_of(std::string_view("\0\r\n", 3)) == std::string_view::npos,
              "a header value holds no NUL, CR or LF");
      if (value.starts_with(' ')) value.remove_prefix(1);
      response.headers.emplace_back(lowercase(name), std::string(value));
    }
    require(response.header("transfer-encoding").empty(), "no response is chunked");
    const auto lengths = std::count_if(response.headers.begin(), response.headers.end(),
                                       [](const auto& h) { return h.first == "content-length"; });
    const bool bodiless = response.status < 200 || response.status == 204 || response.status == 304;
    const bool to_head = out.size() < methods.size() && methods[out.size()] == "HEAD";
    if (bodiless) {
      require(lengths == 0, "a 1xx, 204 or 304 response has no Content-Length");
    } else if (!to_head) {
      require(lengths == 1, "a response has exactly one Content-Length");
      const std::string_view text = response.header("content-length");
      require(!text.empty() && text.size() <= 9 &&
                  std::all_of(text.begin(), text.end(),
                              [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }),
              "Content-Length is a decimal number");
      const std::size_t length = std::stoul(std::string(text));
      require(length <= bytes.size(), "the body is as long as Content-Length says");
      response.body = bytes.substr(0, length);
      bytes.remove_prefix(length);
    }
    out.push_back(std::move(response));
  }
  return out;
}

// Whether `line` is a header line whose value is a credential: only those get the real key
// and token, because the server never echoes or stores them.
bool carries_credentials(std::string_view line) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string name = lowercase(line.substr(0, colon));
  return name == "x-api-key" || name == "authorization";
}

void replace_all(std::string& text, std::string_view marker, std::string_view secret) {
  for (std::size_t at = text.find(marker); at != std::string::npos;
       at = text.find(marker, at + secret.size())) {
    text.replace(at, marker.size(), secret);
  }
}

struct Fixture {
  std::filesystem::path dir;
  Config config;
  std::unique_ptr<Server> server;
  HttpHandler handler;
  HttpOptions options;
  std::string key;    // plaintext of a key holding every key scope
  std::string token;  // an admin's access token

  std::string answer(std::string_view bytes, const HttpHandler& app) const {
    return answer_connection_bytes(bytes, options, app,
                                   [](int status, std::string_view message, std::string_view path) {
                                     return error_body(status, message, path);
                                   });
  }

  // The one response to a request made here at start, as JSON, when its status is `status`.
  nlohmann::json ask(std::string_view method, std::string_view path,
                     const std::string& extra_headers, const nlohmann::json& body,
                     int status) const {
    const std::string text = body.dump();
    const std::string request = std::string(method) + " " + std::string(path) +
                                " HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\n" +
                                extra_headers + "Content-Length: " + std::to_string(text.size()) +
                                "\r\n\r\n" + text;
    const std::string sent = answer(request, handler);
    const auto responses = parse_responses(sent, {std::string(method)});
    if (responses.size() != 1 || responses[0].status != status)
      fail_setup(std::string(method) + " " + std::string(path) + " answered: " + sent);
    return nlohmann::json::parse(responses[0].body);
  }

  Fixture() {
    dir = std::filesystem::temp_directory_path() / "scopegate-fuzz-XXXXXX";
    std::string name = dir.string();
    if (mkdtemp(name.data()) == nullptr) fail_setup("mkdtemp");
    dir = name;
    setenv("SCOPEGATE_ADMIN_PASSWORD", admin_password, 1);
    config.listen_port = 0;
    config.threads = 1;
    config.database_path = (dir / "scopegate.db").string();
    config.policy_directory = SCOPEGATE_SOURCE_DIR "/policies";
    config.reload_interval_milliseconds = 0;
    config.log_file = (dir / "server.log").string();
    config.log_level = "warn";
    // No per-key rate limit: at fuzzing speed the key's bucket would be empty for most
    // inputs (429 before any handler), and the same input would be answered differently
    // from one run to the next. The sign-in throttle stays: it keeps the fuzzer from
    // spending its time in Argon2id.
    config.rate_limit_requests_per_minute = 0;
    // Limits within libFuzzer's input lengths (4096 bytes unless a seed is longer), so that
    // the 413, 414 and 431 refusals are reached; tests/server/hostile_http_test.cpp does the
    // same.
    config.max_header_bytes = 1024;
    config.max_body_bytes = 2048;
    std::ostringstream notices;
    auto started = Server::start(config, notices);
    if (!started) {
      std::string problems;
      for (const auto& line : started.error()) problems += line + "\n";
      fail_setup("Server::start: " + problems);
    }
    server = std::move(*started);
    handler = server->handler();
    options.max_body_bytes = config.max_body_bytes;
    options.max_header_bytes = config.max_header_bytes;

    token = ask("POST", "/api/v1/auth/login", "",
                {{"email", config.bootstrap_admin_email}, {"password", admin_password}}, 200)
                .at("accessToken")
                .get<std::string>();
    auto compiled = compile_files({config.policy_directory});
    if (!compiled) fail_setup("policies/ does not compile");
    std::vector<std::string> scopes;
    for (const Scope& scope : compiled->scopes()) {
      if (scope.kind == ScopeKind::plain) scopes.emplace_back(scope.name);
    }
    key = ask("POST", "/api/v1/api-keys", "Authorization: Bearer " + token + "\r\n",
              {{"name", "fuzz: every key scope"}, {"scopes", scopes}}, 201)
              .at("plainTextKey")
              .get<std::string>();
  }

  ~Fixture() {
    server.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  // The input with the markers replaced on credential header lines.
  std::string with_secrets(std::string_view input) const {
    std::string out;
    out.reserve(input.size() + 256);
    std::size_t start = 0;
    while (start <= input.size()) {
      const std::size_t end = std::min(input.find('\n', start), input.size());
      std::string line(input.substr(start, end - start));
      if (start > 0 && carries_credentials(line)) {
        replace_all(line, "@KEY@", key);
        replace_all(line, "@TOKEN@", token);
      }
      out += line;
      if (end == input.size()) break;
      out += '\n';
      start = end + 1;
    }
    return out;
  }
};

const Fixture& fixture() {
  static const Fixture instance;
  return instance;
}

// Whether `secret` occurs in `text`, compared byte by byte here, outside the coverage
// instrumentation and without memcmp: libFuzzer learns the strings a target compares, and
// a fuzzer that knew the key would write it into paths and bodies, which the server may
// echo or store (no leak, but this check could not tell).
#if defined(__clang__)
__attribute__((no_sanitize("coverage")))
#endif
bool contains_secret(std::string_view text, std::string_view secret) {
  if (secret.empty() || text.size() < secret.size()) return false;
  for (std::size_t at = 0; at + secret.size() <= text.size(); ++at) {
    std::size_t matched = 0;
    while (matched < secret.size() && text[at + matched] == secret[matched]) ++matched;
    if (matched == secret.size()) return true;
  }
  return false;
}

// How many request heads `input` can hold: each ends with its own CRLF CRLF.
std::size_t head_ends(std::string_view input) {
  std::size_t count = 0;
  for (std::size_t at = input.find("\r\n\r\n"); at != std::string_view::npos;
       at = input.find("\r\n\r\n", at + 4)) {
    ++count;
  }
  return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Fixture& server = fixture();
  const std::string input =
      server.with_secrets(std::string_view(reinterpret_cast<const char*>(data), size));
  // The App, recording the method of each request it is given, in order.
  std::vector<std::string> methods;
  const HttpHandler recording = [&](const HttpRequest& request) {
    methods.push_back(request.method);
    return server.handler(request);
  };
  const std::string sent = server.answer(input, recording);
  const std::vector<Response> responses = parse_responses(sent, methods);

  // One response per request the App answered, in order, and at most one more: the
  // refusal of a request the transport did not hand on, which closes the connection.
  require(methods.size() <= head_ends(input), "the App answers only complete request heads");
  require(responses.size() >= methods.size(), "every request the App answered gets a response");
  require(responses.size() <= methods.size() + 1, "no more responses than requests");
  if (responses.size() > methods.size()) {
    const Response& refusal = responses.back();
    require(refusal.status == 400 || refusal.status == 413 || refusal.status == 414 ||
                refusal.status == 431,
            "the transport refuses with 400, 413, 414 or 431");
    require(lowercase(refusal.header("connection")) == "close", "a refusal closes the connection");
  }
  for (std::size_t i = 0; i < responses.size(); ++i) {
    const Response& response = responses[i];
    require(response.status != 500, "no request makes the server fail (500)");
    if (response.header("content-type").starts_with("application/json") && !response.body.empty()) {
      require(!nlohmann::json::parse(response.body, nullptr, false).is_discarded(),
              "a JSON body is JSON");
    }
  }
  require(!contains_secret(sent, server.key), "the API key never comes back");
  require(!contains_secret(sent, server.token), "the access token never comes back");
  return 0;
}
