// Hostile HTTP/1.1 requests against the real server, one row each: the raw bytes go over a
// raw socket, then the test checks the status of every answer (a refused request gets
// exactly one, so nothing smuggled in its body is ever answered) and that the server
// closed the connection. The table grows whenever a new case is found: add a row whose
// note names it.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "harness.hpp"
#include "server/http.hpp"
#include "server/json.hpp"

namespace scopegate::server::testing {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

constexpr std::size_t header_limit = 4096;
constexpr std::size_t body_limit = 4096;

// What came back on one connection.
struct Exchange {
  std::vector<int> statuses;  // of each complete response, in order
  std::string unparsed;       // bytes after the last complete response
  bool closed_by_server = false;
};

// Splits `bytes` into responses with Beast's (client side) parser.
Exchange parse_responses(std::string_view bytes) {
  Exchange out;
  while (!bytes.empty()) {
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    boost::beast::error_code error;
    const auto used = parser.put(asio::buffer(bytes.data(), bytes.size()), error);
    if (error || !parser.is_done()) break;
    out.statuses.push_back(static_cast<int>(parser.get().result_int()));
    bytes.remove_prefix(used);
  }
  out.unparsed = std::string(bytes);
  return out;
}

// Whether the client shuts down its sending side once the bytes are written.
enum class ClientEnd { stays_open, half_closes };

// Writes `bytes` on a new connection, then reads until the server closes it or 2 s pass.
Exchange send_raw(std::uint16_t port, const std::string& bytes, ClientEnd end) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  std::string received;
  bool closed = false;
  // The write may fail once the server has refused the request and closed; what it
  // answered before is still read.
  asio::async_write(socket, asio::buffer(bytes), [&](boost::system::error_code error, std::size_t) {
    boost::system::error_code ignored;
    if (!error && end == ClientEnd::half_closes)
      socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  });
  char chunk[4096];
  std::function<void()> read_more = [&] {
    socket.async_read_some(
        asio::buffer(chunk), [&](boost::system::error_code error, std::size_t n) {
          received.append(chunk, n);
          if (error) {
            closed = error == asio::error::eof || error == asio::error::connection_reset;
            return;
          }
          read_more();
        });
  };
  read_more();
  io.run_for(std::chrono::seconds(2));
  auto exchange = parse_responses(received);
  exchange.closed_by_server = closed;
  return exchange;
}

std::string head(std::string_view request_line, std::string_view fields) {
  return fmt::format("{}\r\n{}\r\n", request_line, fields);
}

struct Row {
  std::string note;
  std::string bytes;
  std::vector<int> statuses;  // of every response the server sends, then it closes
  ClientEnd end = ClientEnd::stays_open;
};

// A request the body of a refused request carries: answering it would be smuggling.
const std::string smuggled = "GET /api/v1/sessions HTTP/1.1\r\nHost: x\r\n\r\n";

std::vector<Row> rows() {
  const std::string post = "POST /healthz HTTP/1.1";
  const std::string get = "GET /healthz HTTP/1.1";
  // A body that signs in: a request framed with it would be answered 200 if accepted.
  const std::string login_post = "POST /api/v1/auth/login HTTP/1.1";
  const std::string login =
      R"({"organizationSlug":"default","email":"admin@localhost","password":"e2e-admin-password"})";
  const std::string chunked_login = fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", login.size(), login);
  return {
      // Transfer-Encoding: only exactly `chunked` frames a request body
      {"TE chunked then identity smuggles its body",
       head(post, "Host: x\r\nTransfer-Encoding: chunked, identity\r\n") + smuggled,
       {400}},
      {"TE gzip", head(post, "Host: x\r\nTransfer-Encoding: gzip\r\n") + smuggled, {400}},
      {"TE xchunked", head(post, "Host: x\r\nTransfer-Encoding: xchunked\r\n") + smuggled, {400}},
      {"TE identity", head(post, "Host: x\r\nTransfer-Encoding: identity\r\n") + smuggled, {400}},
      {"TE gzip then chunked",
       head(login_post,
            "Host: x\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n") +
           chunked_login,
       {400}},
      {"TE chunked twice in one line",
       head(
           login_post,
           "Host: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked, chunked\r\n") +
           chunked_login,
       {400}},
      {"TE chunked on two lines",
       head(login_post,
            "Host: x\r\nContent-Type: application/json\r\nTransfer-Encoding: "
            "chunked\r\nTransfer-Encoding: chunked\r\n") +
           chunked_login,
       {400}},
      {"TE identity line then chunked line",
       head(login_post,
            "Host: x\r\nContent-Type: application/json\r\nTransfer-Encoding: "
            "identity\r\nTransfer-Encoding: chunked\r\n") +
           chunked_login,
       {400}},
      {"TE empty", head(post, "Host: x\r\nTransfer-Encoding: \r\n") + smuggled, {400}},
      {"TE in an HTTP/1.0 request",
       head("POST /api/v1/auth/login HTTP/1.0",
            "Host: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n") +
           chunked_login,
       {400}},
      {"TE Chunked in capitals with spaces is accepted",
       head("POST /api/v1/auth/login HTTP/1.1",
            "Host: x\r\nContent-Type: application/json\r\nTransfer-Encoding:  Chunked "
            "\r\nConnection: close\r\n") +
           chunked_login,
       {200}},
      // Content-Length
      {"CL then TE chunked",
       head(login_post,
            "Host: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: "
            "chunked\r\n") +
           chunked_login,
       {400}},
      {"TE chunked then CL",
       head(login_post,
            "Host: x\r\nContent-Type: application/json\r\nTransfer-Encoding: "
            "chunked\r\nContent-Length: 5\r\n") +
           chunked_login,
       {400}},
      {"TE gzip then CL",
       head(post, "Host: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 0\r\n") + smuggled,
       {400}},
      {"two CL lines equal",
       head(post, "Host: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n") + smuggled,
       {400}},
      {"two CL lines different",
       head(post, "Host: x\r\nContent-Length: 0\r\nContent-Length: 41\r\n") + smuggled,
       {400}},
      {"CL list of equal values",
       head(post, "Host: x\r\nContent-Length: 0, 0\r\n") + smuggled,
       {400}},
      {"CL not a number", head(post, "Host: x\r\nContent-Length: abc\r\n") + smuggled, {400}},
      {"CL negative", head(post, "Host: x\r\nContent-Length: -1\r\n") + smuggled, {400}},
      {"CL plus sign", head(post, "Host: x\r\nContent-Length: +0\r\n") + smuggled, {400}},
      {"CL hexadecimal", head(post, "Host: x\r\nContent-Length: 0x10\r\n") + smuggled, {400}},
      {"CL overflowing 64 bits",
       head(post, "Host: x\r\nContent-Length: 18446744073709551616\r\n") + smuggled,
       {400}},
      {"CL empty", head(post, "Host: x\r\nContent-Length: \r\n") + smuggled, {400}},
      // Host
      {"two Host lines", head(get, "Host: x\r\nHost: y\r\n"), {400}},
      {"two Host lines equal", head(get, "Host: x\r\nHost: x\r\n"), {400}},
      {"no Host", head(get, ""), {400}},
      // Field syntax
      {"obs-fold continuation line", head(get, "Host: x\r\nX-Folded: a\r\n b\r\n"), {400}},
      {"obs-fold on the first field", head(get, " Host: x\r\n"), {400}},
      {"obs-fold with a tab continuing TE",
       head(login_post,
            "Host: x\r\nContent-Type: application/json\r\nTransfer-Encoding: "
            "identity\r\n\tchunked\r\n") +
           chunked_login,
       {400}},
      {"bare LF line endings", "GET /healthz HTTP/1.1\nHost: x\n\n", {400}},
      {"bare LF inside the fields", "GET /healthz HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", {400}},
      {"space before the colon", head(get, "Host : x\r\n"), {400}},
      {"not HTTP at all", "NOT A REQUEST\r\n\r\n", {400}},
      {"request cut off by the client closing",
       "GET /healthz HTTP/1.1\r\nHost: x\r\n",
       {400},
       ClientEnd::half_closes},
      {"chunked body cut off",
       head(post, "Host: x\r\nTransfer-Encoding: chunked\r\n") + "10\r\nabc",
       {400},
       ClientEnd::half_closes},
      {"bad chunk size",
       head(post, "Host: x\r\nTransfer-Encoding: chunked\r\n") + "zz\r\nabc\r\n0\r\n\r\n",
       {400}},
      // Limits
      {"head over the header limit",
       head(get, "Host: x\r\nX-Big: " + std::string(header_limit, 'a') + "\r\n"),
       {431}},
      {"many fields over the header limit",
       head(
           get, "Host: x\r\n" +
                    [] {
                      std::string fields;
                      for (int i = 0; i < 400; ++i) fields += fmt::format("X-F{}: v\r\n", i);
                      return fields;
                    }()),
       {431}},
      {"request line over the header limit",
       head("GET /" + std::string(header_limit, 'a') + " HTTP/1.1", "Host: x\r\n"),
       {414}},
      {"CL body over the body limit",
       head(post, fmt::format("Host: x\r\nContent-Length: {}\r\n", body_limit + 1)) + "{}",
       {413}},
      {"CL body over the body limit, sent in full",
       head(post, fmt::format("Host: x\r\nContent-Length: {}\r\n", 64 * body_limit)) +
           std::string(64 * body_limit, 'a'),
       {413}},
      {"chunked body over the body limit",
       head(post, "Host: x\r\nTransfer-Encoding: chunked\r\n") +
           fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", body_limit + 1, std::string(body_limit + 1, 'a')),
       {413}},
      // Error bodies echo the path: bytes that are not UTF-8 in it once made the JSON
      // writer throw out of the transport, and a socket's exception stopped the server
      // (found by the http_request fuzz target)
      {"a target that is not UTF-8, cut off", "G \xa8 HTTP/1.1\r\n", {400}, ClientEnd::half_closes},
      {"a target that is not UTF-8, refused by a framing rule",
       head("GET /\xa8 HTTP/1.1", ""),
       {400}},
      {"a target that is not UTF-8, answered by the App",
       head("GET /\xa8 HTTP/1.1", "Host: x\r\nConnection: close\r\n"),
       {401}},
      // Positive controls: the test sees a second response when there is one
      {"valid chunked POST",
       head("POST /api/v1/auth/login HTTP/1.1",
            "Host: x\r\nContent-Type: application/json\r\nTransfer-Encoding: "
            "chunked\r\nConnection: close\r\n") +
           fmt::format("{:x}\r\n{}\r\n{:x}\r\n{}\r\n0\r\n\r\n", 10, login.substr(0, 10),
                       login.size() - 10, login.substr(10)),
       {200}},
      {"valid pipelined keep-alive pair",
       head(get, "Host: x\r\n") + head(get, "Host: x\r\nConnection: close\r\n"),
       {200, 200}},
      {"valid request then a refused one",
       head(get, "Host: x\r\n") + head(post, "Host: x\r\nTransfer-Encoding: gzip\r\n") + smuggled,
       {200, 400}},
      {"valid CL POST",
       head("POST /api/v1/auth/login HTTP/1.1",
            fmt::format("Host: x\r\nContent-Type: application/json\r\nContent-Length: "
                        "{}\r\nConnection: close\r\n",
                        login.size())) +
           login,
       {200}},
  };
}

void configure(Harness& h) {
  h.config.max_header_bytes = header_limit;
  h.config.max_body_bytes = body_limit;
}

TEST_CASE("hostile requests over a socket get one refusal and a closed connection") {
  Harness h(configure);
  for (const auto& row : rows()) {
    INFO(row.note);
    const auto exchange = send_raw(h.server->port(), row.bytes, row.end);
    CHECK(exchange.statuses == row.statuses);
    CHECK(exchange.unparsed.empty());
    CHECK(exchange.closed_by_server);
  }
}

// A handler for the in-process seam that asks the real server, over HTTP, what the
// request it was given gets: the app behind both paths is the same.
HttpResponse ask_server(const Harness& h, const HttpRequest& request) {
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    if (name != "host" && name != "content-length" && name != "transfer-encoding" &&
        name != "connection")
      headers[name] = value;
  }
  const auto reply = h.client().send(request.method, request.target, headers, request.body);
  HttpResponse response;
  response.status = reply.status;
  response.body = reply.body;
  for (const auto& [name, value] : reply.headers) {
    if (name == "Content-Type") response.content_type = value;
    if (name != "Content-Type" && name != "Content-Length" && name != "Connection" &&
        name != "Server")
      response.headers.emplace_back(name, value);
  }
  return response;
}

TEST_CASE("the in-process seam answers the hostile bytes as the socket does") {
  Harness h(configure);
  HttpOptions options;
  options.max_header_bytes = header_limit;
  options.max_body_bytes = body_limit;
  const HttpHandler handler = [&h](const HttpRequest& request) { return ask_server(h, request); };
  const HttpErrorBody errors = [](int status, std::string_view message, std::string_view path) {
    return error_body(status, message, path);
  };
  for (const auto& row : rows()) {
    INFO(row.note);
    const auto sent = parse_responses(answer_connection_bytes(row.bytes, options, handler, errors));
    CHECK(sent.statuses == row.statuses);
    CHECK(sent.unparsed.empty());
    CHECK(sent.statuses == send_raw(h.server->port(), row.bytes, row.end).statuses);
  }
}

// Found by the http_request fuzz target: the answer to a HEAD request carried its body,
// which a client reads as the start of the next response.
TEST_CASE("a HEAD request is answered with a head and no body, then the next request") {
  const HttpHandler handler = [](const HttpRequest& request) {
    return HttpResponse{
        request.method == "HEAD" ? 401 : 200, "application/json", {}, R"({"status":"UP"})"};
  };
  const HttpErrorBody errors = [](int status, std::string_view message, std::string_view path) {
    return error_body(status, message, path);
  };
  const std::string sent =
      answer_connection_bytes(head("HEAD /healthz HTTP/1.1", "Host: x\r\n") +
                                  head("GET /healthz HTTP/1.1", "Host: x\r\nConnection: close\r\n"),
                              HttpOptions{}, handler, errors);
  const auto end_of_head = sent.find("\r\n\r\n");
  REQUIRE(end_of_head != std::string::npos);
  const std::string first = sent.substr(0, end_of_head + 4);
  CHECK(first.starts_with("HTTP/1.1 401 "));
  CHECK(first.find("Content-Length: 15\r\n") != std::string::npos);
  const std::string rest = sent.substr(first.size());
  CHECK(rest.starts_with("HTTP/1.1 200 "));
  CHECK(rest.ends_with("\r\n\r\n{\"status\":\"UP\"}"));
}

}  // namespace
}  // namespace scopegate::server::testing
