// Hostile HTTP/1.1 requests against the real server, one row each: the raw bytes go over a
// raw socket, then the test checks the status of every answer (a refused request gets
// exactly one, so nothing smuggled in its body is ever answered) and that the server
// closed the connection. The table grows whenever a new case is found: add a row whose
// note names it. After it, the availability tests (`http: ...`): slow requests, the
// connection cap and accepting out of descriptors, against HttpServer with short deadlines.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
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

// The availability tests below run the HTTP layer alone (HttpServer, a trivial handler) on
// real sockets, with deadlines short enough to wait for.

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const HttpHandler up_handler = [](const HttpRequest&) {
  return HttpResponse{200, "application/json", {}, R"({"status":"UP"})"};
};
const HttpErrorBody plain_errors = [](int status, std::string_view message, std::string_view path) {
  return error_body(status, message, path);
};

const std::string get_healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

// An HttpServer on a free loopback port, running on its own thread until the scope ends.
class RunningServer {
 public:
  explicit RunningServer(HttpOptions options) {
    options.host = "127.0.0.1";
    options.port = 0;
    auto listened = HttpServer::listen(options, up_handler, plain_errors);
    REQUIRE(listened);
    m_server = std::move(*listened);
    m_thread = std::thread([this] { m_server->run(); });
  }
  ~RunningServer() {
    m_server->stop();
    m_thread.join();
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  std::uint16_t port() const { return m_server->port(); }

 private:
  std::unique_ptr<HttpServer> m_server;
  std::thread m_thread;
};

// One client connection, written and read a step at a time, each step bounded in time.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : m_socket(m_io) {
    m_socket.connect({asio::ip::make_address("127.0.0.1"), port});
  }

  // False when the server has closed its side (the write fails).
  bool send(std::string_view bytes) {
    boost::system::error_code error;
    asio::write(m_socket, asio::buffer(bytes.data(), bytes.size()), error);
    return !error;
  }

  // Waits up to `limit` for bytes or the server's close; whether either came.
  bool read_some(std::chrono::milliseconds limit) {
    if (m_closed) return true;
    bool came = false;
    char chunk[4096];
    m_socket.async_read_some(asio::buffer(chunk),
                             [&](boost::system::error_code error, std::size_t n) {
                               m_received.append(chunk, n);
                               if (error == asio::error::operation_aborted) return;
                               came = true;
                               if (error) m_closed = true;
                             });
    m_io.restart();
    m_io.run_for(limit);
    if (!came) {
      boost::system::error_code ignored;
      m_socket.cancel(ignored);
      m_io.restart();
      m_io.run();
    }
    return came;
  }

  // Reads until the server closes the connection or `limit` passes; whether it closed.
  bool wait_closed(std::chrono::milliseconds limit) {
    const auto end = Clock::now() + limit;
    while (!m_closed && Clock::now() < end) {
      read_some(std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()));
    }
    return m_closed;
  }

  // The status of the next whole response, read within `limit` (then it is consumed), or 0.
  int response(std::chrono::milliseconds limit) {
    const auto end = Clock::now() + limit;
    for (;;) {
      const auto sent = parse_responses(m_received);
      if (!sent.statuses.empty()) {
        m_received = m_received.substr(m_received.size() - sent.unparsed.size());
        return sent.statuses.front();  // the tests wait for one response at a time
      }
      if (m_closed || Clock::now() >= end) return 0;
      read_some(std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()));
    }
  }

  bool closed() const { return m_closed; }
  const std::string& received() const { return m_received; }

 private:
  asio::io_context m_io;
  asio::ip::tcp::socket m_socket;
  std::string m_received;
  bool m_closed = false;
};

HttpOptions short_deadlines() {
  HttpOptions options;
  options.idle_timeout_seconds = 3;
  options.request_head_timeout = 300ms;
  options.request_body_timeout = 300ms;
  return options;
}

// Sends `bytes` a byte every 40 ms until the server answers or closes, or 2 s pass; the
// time that took.
Clock::duration dribble(RawConnection& connection, std::string_view bytes) {
  const auto start = Clock::now();
  for (const char c : bytes) {
    if (!connection.send(std::string_view(&c, 1))) break;
    if (connection.read_some(40ms) || Clock::now() - start > 2s) break;
  }
  connection.wait_closed(1s);
  return Clock::now() - start;
}

TEST_CASE("http: a request head sent a byte at a time is cut off at its deadline with 408") {
  RunningServer server(short_deadlines());
  // 120 bytes at 25 a second would take 4.8 s; each byte restarted the idle timeout, so
  // such a client once held its connection as long as it liked (slowloris)
  const std::string slow =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(80, 'a') + "\r\n\r\n";
  RawConnection connection(server.port());
  const auto took = dribble(connection, slow);
  CHECK(parse_responses(connection.received()).statuses == std::vector<int>{408});
  CHECK(connection.closed());
  CHECK(took < 1s);

  SECTION("a head in pieces within the deadline is answered") {
    RawConnection on_time(server.port());
    CHECK(on_time.send("GET /healthz HTTP/1.1\r\n"));
    for (const auto piece : {"Host: x\r\n", "\r\n"}) {
      CHECK_FALSE(on_time.read_some(50ms));
      CHECK(on_time.send(piece));
    }
    CHECK(on_time.response(1s) == 200);
  }
  SECTION("a connection that sends nothing is closed at the head deadline, without an answer") {
    RawConnection silent(server.port());
    const auto start = Clock::now();
    CHECK(silent.wait_closed(2s));
    CHECK(Clock::now() - start < 1s);
    CHECK(silent.received().empty());
  }
}

TEST_CASE("http: a request body sent too slowly is cut off at its deadline with 408") {
  RunningServer server(short_deadlines());
  const std::string head = "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n";
  RawConnection connection(server.port());
  CHECK(connection.send(head));
  const auto took = dribble(connection, std::string(100, 'a'));
  CHECK(parse_responses(connection.received()).statuses == std::vector<int>{408});
  CHECK(connection.closed());
  CHECK(took < 1s);

  SECTION("a body in pieces within the deadline is answered") {
    RawConnection on_time(server.port());
    CHECK(on_time.send(head));
    for (int i = 0; i < 4; ++i) {
      CHECK_FALSE(on_time.read_some(50ms));
      CHECK(on_time.send(std::string(25, 'a')));
    }
    CHECK(on_time.response(1s) == 200);
  }
}

TEST_CASE(
    "http: between requests a keep-alive connection waits the idle timeout, not the head "
    "deadline") {
  RunningServer server(short_deadlines());
  RawConnection connection(server.port());
  CHECK(connection.send(get_healthz));
  CHECK(connection.response(1s) == 200);
  // longer than the head deadline, shorter than the idle timeout
  for (int i = 0; i < 6; ++i) CHECK_FALSE(connection.read_some(100ms));
  CHECK(connection.send(get_healthz));
  CHECK(connection.response(1s) == 200);
}

TEST_CASE(
    "http: connections over max_connections get 503 and are closed at once; the others are "
    "served") {
  auto options = short_deadlines();
  options.max_connections = 3;
  RunningServer server(options);
  std::vector<std::unique_ptr<RawConnection>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(std::make_unique<RawConnection>(server.port()));
    CHECK(open.back()->send(get_healthz));
    CHECK(open.back()->response(1s) == 200);
  }
  RawConnection over(server.port());
  const auto start = Clock::now();
  CHECK(over.wait_closed(1s));
  CHECK(Clock::now() - start < 500ms);
  CHECK(parse_responses(over.received()).statuses == std::vector<int>{503});

  CHECK(open.front()->send(get_healthz));
  CHECK(open.front()->response(1s) == 200);
  // One closes: a new connection is served again (once the server has seen the close)
  open.pop_back();
  int status = 0;
  for (int attempt = 0; attempt < 20 && status != 200; ++attempt) {
    RawConnection again(server.port());
    again.send(get_healthz);  // may fail if the server refused it first
    status = again.response(1s);
    if (status != 200) again.read_some(20ms);
  }
  CHECK(status == 200);
}

// The CPU time (user and system) process `pid` has used so far, from /proc.
std::chrono::milliseconds cpu_time(pid_t pid) {
  std::ifstream file(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> values{std::istream_iterator<std::string>(fields), {}};
  REQUIRE(values.size() > 12);
  const long ticks = std::stol(values[11]) + std::stol(values[12]);  // utime, stime
  return std::chrono::milliseconds(ticks * 1000 / sysconf(_SC_CLK_TCK));
}

// In a child process: an HttpServer whose process has 4 free descriptors left (a soft
// RLIMIT_NOFILE of 128, the rest held open); it writes its port to `port_fd` and each
// warning, a line each, to `warn_fd`.
[[noreturn]] void run_starved_server(int port_fd, int warn_fd) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = 128;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(2);
  HttpOptions options;
  options.port = 0;
  options.warn = [warn_fd](std::string_view line) {
    const std::string text = std::string(line) + "\n";
    if (write(warn_fd, text.data(), text.size()) < 0) _exit(3);
  };
  auto server = HttpServer::listen(options, up_handler, plain_errors);
  if (!server) _exit(4);
  std::vector<int> held;
  for (int fd = open("/dev/null", O_RDONLY); fd >= 0; fd = open("/dev/null", O_RDONLY)) {
    held.push_back(fd);
  }
  for (int i = 0; i < 4 && !held.empty(); ++i) {
    close(held.back());
    held.pop_back();
  }
  const std::uint16_t port = (*server)->port();
  if (write(port_fd, &port, sizeof port) != sizeof port) _exit(5);
  (*server)->run();
  _exit(0);
}

TEST_CASE(
    "http: out of descriptors, accepting backs off instead of spinning, warns once and "
    "serves again after") {
  int port_pipe[2];
  int warn_pipe[2];
  REQUIRE(pipe(port_pipe) == 0);
  REQUIRE(pipe(warn_pipe) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) run_starved_server(port_pipe[1], warn_pipe[1]);
  struct Reap {
    pid_t pid;
    ~Reap() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reap{child};
  close(port_pipe[1]);
  close(warn_pipe[1]);
  std::uint16_t port = 0;
  pollfd ready{port_pipe[0], POLLIN, 0};
  REQUIRE(poll(&ready, 1, 5000) == 1);
  REQUIRE(read(port_pipe[0], &port, sizeof port) == sizeof port);
  close(port_pipe[0]);

  RawConnection early(port);
  CHECK(early.send(get_healthz));
  CHECK(early.response(1s) == 200);
  // 300 connections: the kernel completes them all, the server can accept 3
  std::vector<std::unique_ptr<RawConnection>> flood;
  for (int i = 0; i < 300; ++i) flood.push_back(std::make_unique<RawConnection>(port));
  early.read_some(100ms);  // the server reaches its descriptor limit
  const auto cpu_before = cpu_time(child);
  const auto start = Clock::now();
  for (int i = 0; i < 8; ++i) {
    CHECK(early.send(get_healthz));
    CHECK(early.response(1s) == 200);  // the open connection is served meanwhile
    early.read_some(100ms);
  }
  const auto elapsed = Clock::now() - start;
  const auto cpu = cpu_time(child) - cpu_before;
  INFO("the server used " << cpu.count() << " ms of CPU in "
                          << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                          << " ms");
  // Retrying accept at once spun a core: about as much CPU as time passed
  CHECK(cpu * 4 < elapsed);

  flood.clear();
  RawConnection after(port);
  CHECK(after.send(get_healthz));
  CHECK(after.response(3s) == 200);

  kill(child, SIGKILL);
  std::string warnings;
  char chunk[1024];
  for (ssize_t n = 0; (n = read(warn_pipe[0], chunk, sizeof chunk)) > 0;) warnings.append(chunk, n);
  close(warn_pipe[0]);
  INFO(warnings);
  CHECK(std::count(warnings.begin(), warnings.end(), '\n') == 1);
  CHECK(warnings.find("Too many open files") != std::string::npos);
}

}  // namespace
}  // namespace scopegate::server::testing
