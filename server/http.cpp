// Boost.Beast lives here and nowhere else in the server.
#include "server/http.hpp"

#include <fmt/format.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace scopegate::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string_view HttpRequest::header(std::string_view name) const noexcept {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

bool HttpRequest::has_header(std::string_view name) const noexcept {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& entry) { return entry.first == name; });
}

namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// What the framing rules look at, gathered from a request head once Beast has parsed it.
struct RequestHead {
  unsigned version = 11;
  bool folded = false;  // a header line began with SP or HTAB (obs-fold)
  std::vector<std::string_view> host;
  std::vector<std::string_view> transfer_encoding;
  std::vector<std::string_view> content_length;
};

struct FramingRule {
  std::string_view refusal;                 // the message of the 400
  bool (*breaks)(const RequestHead& head);  // true: the head breaks the rule
};

// RFC 9112 message framing, read strictly: a head breaking a rule is answered 400 and the
// connection closes, because where its body ends (and so where the next request starts) is
// not certain. Beast 1.74 itself refuses a Content-Length that is not one decimal number
// fitting 64 bits or lists different values, and Content-Length with a chunked
// Transfer-Encoding (in either order); these rows are what it lets through.
// tests/server/hostile_http_test.cpp pins both.
constexpr FramingRule framing_rules[] = {
    {"obsolete line folding in the header fields",  // §5.2
     [](const RequestHead& h) { return h.folded; }},
    {"missing `Host` header",  // §3.2
     [](const RequestHead& h) { return h.host.empty(); }},
    {"more than one `Host` header",  // §3.2
     [](const RequestHead& h) { return h.host.size() > 1; }},
    {"`Transfer-Encoding` in an HTTP/1.0 request",  // §6.1
     [](const RequestHead& h) { return h.version < 11 && !h.transfer_encoding.empty(); }},
    {"`Transfer-Encoding` other than exactly `chunked`",  // §6.3 (3); also `gzip` + Content-Length
     [](const RequestHead& h) {
       return !h.transfer_encoding.empty() && (h.transfer_encoding.size() > 1 ||
                                               !beast::iequals(h.transfer_encoding[0], "chunked"));
     }},
    {"more than one `Content-Length`",  // §6.3 (5): Beast takes equal values
     [](const RequestHead& h) {
       return h.content_length.size() > 1 ||
              (h.content_length.size() == 1 &&
               h.content_length[0].find(',') != std::string_view::npos);
     }},
};

// The refusal of the first framing rule `head` breaks, if any.
std::optional<std::string_view> framing_refusal(const RequestHead& head) {
  for (const auto& rule : framing_rules) {
    if (rule.breaks(head)) return rule.refusal;
  }
  return std::nullopt;
}

using RequestParser = http::request_parser<http::string_body>;

RequestHead gather_head(const RequestParser& parser, bool folded) {
  const auto& message = parser.get();
  RequestHead head;
  head.version = message.version();
  head.folded = folded;
  for (const auto& field : message) {
    // Beast trims the spaces around a value.
    if (field.name() == http::field::host) head.host.push_back(field.value());
    if (field.name() == http::field::transfer_encoding)
      head.transfer_encoding.push_back(field.value());
    if (field.name() == http::field::content_length) head.content_length.push_back(field.value());
  }
  return head;
}

// What a response carries: a HEAD request's answer is its head alone, with the
// Content-Length of the body it leaves out (RFC 9110 §9.3.2, RFC 9112 §6.3): a client
// reads no body after it, so one sent would be taken for the next response.
enum class Payload { body, head_only };

std::string serialize(http::response<http::string_body>& message, Payload payload) {
  std::string out;
  http::serializer<false, http::string_body> serializer(message);
  serializer.split(payload == Payload::head_only);
  const auto done = [&] {
    return payload == Payload::head_only ? serializer.is_header_done() : serializer.is_done();
  };
  beast::error_code error;
  do {
    serializer.next(error, [&](beast::error_code&, const auto& buffers) {
      out += beast::buffers_to_string(buffers);
      serializer.consume(beast::buffer_bytes(buffers));
    });
  } while (!error && !done());
  return out;
}

std::string serialize_response(HttpResponse response, bool keep_alive, Payload payload) {
  http::response<http::string_body> out;
  out.result(static_cast<unsigned>(response.status));
  out.version(11);
  out.set(http::field::server, "scopegate");
  if (!response.body.empty() || response.status != 204) {
    out.set(http::field::content_type, response.content_type);
  }
  for (const auto& [name, value] : response.headers) out.set(name, value);
  out.body() = std::move(response.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return serialize(out, payload);
}

// Whether more bytes may still arrive after those in the buffer.
enum class Input { open, ended };
// Whether the server is shutting down (then it keeps no connection alive).
enum class Draining { no, yes };

// Starts a handler's deferred answer (HttpResponse::later). `deliver` gets the first
// response given, once (later ones are ignored), or a 500 if starting the work throws, so
// that a connection never waits for nothing and no exception reaches the I/O loop. The
// socket and answer_connection_bytes() both start deferred answers through it.
void start_later(const std::function<void(HttpResponder)>& later, const HttpErrorBody& error_body,
                 HttpResponder deliver) {
  auto answered = std::make_shared<std::atomic<bool>>(false);
  const HttpResponder once = [answered, deliver = std::move(deliver)](HttpResponse response) {
    if (!answered->exchange(true)) deliver(std::move(response));
  };
  try {
    later(once);
  } catch (const std::exception&) {
    HttpResponse failed;
    failed.status = 500;
    failed.body = error_body(500, "internal error", "");
    once(std::move(failed));
  }
}

// Where a connection is in receiving a request: waiting for its first byte (the idle
// timeout), in its head (request_head_timeout) or in its body (request_body_timeout).
enum class Phase { waiting, head, body };

// What a connection does after Exchange::advance().
enum class Next { read, write_then_continue, write_then_close, close, answer_later };
struct Step {
  Next next;
  std::string bytes;  // to write, for the write_then_* steps
  // For answer_later: start the handler's slow work; pass its response to finish().
  std::function<void(HttpResponder)> later = {};
};

// One connection's HTTP/1.1 exchange without the socket: received bytes in, bytes to send
// out. Connection (the socket) and answer_connection_bytes() (in process) both drive it,
// so parsing, framing rules, limits, the handler call and serialization are one code path.
class Exchange {
 public:
  Exchange(const HttpOptions& options, const HttpHandler& handler, const HttpErrorBody& error_body,
           std::string peer_ip)
      : m_options(options),
        m_handler(handler),
        m_error_body(error_body),
        m_peer(std::move(peer_ip)) {}

  // Where the request being received is; `input` holds what advance() left unparsed.
  Phase phase(const beast::flat_buffer& input) const {
    if (m_parser && m_parser->is_header_done()) return Phase::body;
    if (input.size() > 0 || (m_parser && m_parser->got_some())) return Phase::head;
    return Phase::waiting;
  }

  // The step that answers a request not received in time: 408, then the connection closes.
  Step time_out() {
    if (!m_parser) start_message();
    return refuse(408, "request not received in time");
  }

  // Parses what `input` holds (consuming what it uses) and says what to do next. After a
  // write_then_continue step, call again: the input may already hold the next request.
  Step advance(beast::flat_buffer& input, Input end, Draining draining) {
    if (!m_parser) start_message();
    beast::error_code error;
    for (;;) {
      if (m_parser->is_done()) return respond(draining);
      if (input.size() == 0) {
        if (end == Input::open) return {Next::read, {}};
        if (!m_parser->got_some()) return {Next::close, {}};
        m_parser->put_eof(error);
        if (error) return refuse(error);
        continue;
      }
      const bool in_head = !m_parser->is_header_done();
      const auto used = m_parser->put(input.data(), error);
      if (in_head)
        note_head_bytes(std::string_view(static_cast<const char*>(input.data().data()), used));
      input.consume(used);
      if (in_head && m_head_bytes > m_options.max_header_bytes)
        return refuse(431, "request headers too large");
      if (error == http::error::header_limit && in_head && m_head_bytes == 0)
        return refuse(414, "request line too long");
      if (error == http::error::need_more) {
        if (end == Input::open) return {Next::read, {}};
        m_parser->put_eof(error);
        if (error) return refuse(error);
        continue;
      }
      if (error) return refuse(error);
      if (in_head && m_parser->is_header_done()) {
        if (const auto refusal = framing_refusal(gather_head(*m_parser, m_folded)))
          return refuse(400, *refusal);
        m_parser->eager(true);
      }
    }
  }

 private:
  void start_message() {
    m_parser.emplace();
    m_parser->header_limit(static_cast<std::uint32_t>(m_options.max_header_bytes));
    m_parser->body_limit(m_options.max_body_bytes);
    // Not eager: put() stops at the end of the head, so the framing rules run before any
    // of the body is read and note_head_bytes() sees only head bytes.
    m_parser->eager(false);
    m_head_bytes = 0;
    m_at_line_start = true;
    m_folded = false;
  }

  // Beast forgets the head bytes it has parsed when they arrive in pieces (its header limit
  // counts only the unparsed rest) and silently joins folded lines; both are checked here.
  void note_head_bytes(std::string_view bytes) {
    m_head_bytes += bytes.size();
    for (const char c : bytes) {
      if (m_at_line_start && (c == ' ' || c == '\t')) m_folded = true;
      m_at_line_start = c == '\n';
    }
  }

  Step respond(Draining draining) {
    auto& message = m_parser->get();
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    const auto question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    for (const auto& field : message) {
      request.headers.emplace_back(lowercase(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.peer_ip = m_peer;
    m_keep_alive = message.keep_alive() && draining == Draining::no;
    m_payload = message.method() == http::verb::head ? Payload::head_only : Payload::body;
    m_parser.reset();
    HttpResponse response;
    try {
      response = m_handler(request);
    } catch (const std::exception&) {
      response.status = 500;
      response.body = m_error_body(500, "internal error", request.path);
    }
    if (response.later) return {Next::answer_later, {}, std::move(response.later)};
    return finish(std::move(response));
  }

 public:
  // The step that sends `response`, the answer to the request advance() last parsed.
  Step finish(HttpResponse response) {
    return {m_keep_alive ? Next::write_then_continue : Next::write_then_close,
            serialize_response(std::move(response), m_keep_alive, m_payload)};
  }

 private:
  Step refuse(beast::error_code error) {
    if (error == http::error::header_limit) return refuse(431, "request headers too large");
    if (error == http::error::body_limit) return refuse(413, "request body too large");
    return refuse(400, fmt::format("malformed request: {}", error.message()));
  }

  // Answers an error the transport finds itself; the connection closes after it.
  Step refuse(int status, std::string_view message) {
    const auto target = m_parser->get().target();
    HttpResponse response;
    response.status = status;
    response.body = m_error_body(status, message, target.substr(0, target.find('?')));
    m_parser.reset();
    return {Next::write_then_close, serialize_response(std::move(response), false, Payload::body)};
  }

  const HttpOptions& m_options;
  const HttpHandler& m_handler;
  const HttpErrorBody& m_error_body;
  std::string m_peer;
  std::optional<RequestParser> m_parser;
  std::size_t m_head_bytes = 0;       // of the current request's head, parsed so far
  bool m_keep_alive = false;          // of the request being answered
  Payload m_payload = Payload::body;  // of the request being answered
  bool m_at_line_start = true;
  bool m_folded = false;
};

}  // namespace

class Connection;

// A warning given once per burst: again only after `quiet` without the trouble.
class BurstWarning {
 public:
  // Whether the trouble seen now starts a burst (then warn).
  bool starts_burst(std::chrono::steady_clock::time_point now) {
    const bool starts = !m_seen || now - m_last > quiet;
    m_seen = true;
    m_last = now;
    return starts;
  }

 private:
  static constexpr std::chrono::seconds quiet{10};
  bool m_seen = false;
  std::chrono::steady_clock::time_point m_last;
};

struct HttpServer::Impl {
  HttpOptions options;
  HttpHandler handler;
  HttpErrorBody error_body;
  asio::io_context io;
  tcp::acceptor acceptor{asio::make_strand(io)};
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::set<std::shared_ptr<Connection>> connections;
  std::optional<asio::steady_timer> grace_timer;
  std::optional<asio::steady_timer> drain_timer;
  // On the acceptor's strand: the back-off after a failed accept, and the warnings.
  std::size_t max_connections = 0;  // options.max_connections within the descriptor limit
  asio::steady_timer accept_timer{acceptor.get_executor()};
  std::chrono::milliseconds accept_delay{0};
  BurstWarning accept_failing;
  BurstWarning connections_full;

  void accept();
  void back_off(const beast::error_code& error);
  void refuse_connection(tcp::socket socket);
  void warn(const std::string& line) const {
    if (options.warn) {
      options.warn(line);
    } else {
      fmt::print(stderr, "scopegate: warning: {}\n", line);
    }
  }
  void wait_drained() {
    bool empty = false;
    {
      std::lock_guard lock(mutex);
      empty = connections.empty();
    }
    if (empty) {
      grace_timer->cancel();
      return;
    }
    drain_timer->expires_after(std::chrono::milliseconds(20));
    drain_timer->async_wait([this](boost::system::error_code error) {
      if (!error) wait_drained();
    });
  }
  void forget(const std::shared_ptr<Connection>& connection) {
    std::lock_guard lock(mutex);
    connections.erase(connection);
  }
};

// The socket side of an Exchange: reads, writes, the timeouts and shutdown.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, HttpServer::Impl& server)
      : m_stream(std::move(socket)),
        m_server(server),
        m_exchange(server.options, server.handler, server.error_body, peer_of(m_stream)),
        m_deadline_timer(m_stream.get_executor()),
        m_deadline(std::chrono::steady_clock::now() + server.options.request_head_timeout) {}

  void start() {
    asio::dispatch(m_stream.get_executor(), [self = shared_from_this()] { self->read(); });
  }

  // Called on stop: idle connections close now, busy ones after their response.
  void close_if_idle() {
    asio::post(m_stream.get_executor(), [self = shared_from_this()] {
      if (!self->m_busy) self->close();
    });
  }

 private:
  using Clock = std::chrono::steady_clock;

  static std::string peer_of(beast::tcp_stream& stream) {
    beast::error_code ignored;
    const auto endpoint = stream.socket().remote_endpoint(ignored);
    if (ignored) return {};
    auto address = endpoint.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    return address.to_string();
  }

  // Waiting for a request, the idle timeout (for the first one, also the head deadline,
  // counted from the connection's opening) closes the connection; a request started must
  // be received by its deadline, however often its bytes come (slowloris), or it gets 408.
  void read() {
    const auto now = Clock::now();
    const auto idle = std::chrono::seconds(m_server.options.idle_timeout_seconds);
    const auto phase = m_exchange.phase(m_buffer);
    if (phase != m_phase) {
      m_phase = phase;
      if (phase == Phase::head && !m_first_request) {
        m_deadline = now + m_server.options.request_head_timeout;
      }
      if (phase == Phase::body) m_deadline = now + m_server.options.request_body_timeout;
      if (phase != Phase::waiting) arm_deadline();
    }
    if (phase == Phase::waiting) {
      m_stream.expires_at(m_first_request ? std::min(now + idle, m_deadline) : now + idle);
    } else {
      if (now >= m_deadline) return time_out();
      m_stream.expires_after(idle);
    }
    m_stream.async_read_some(m_buffer.prepare(beast::read_size(m_buffer, 64 * 1024)),
                             [self = shared_from_this()](beast::error_code error, std::size_t n) {
                               self->on_read(error, n);
                             });
  }

  // The deadline cancels the read it finds; on_read() then answers 408.
  void arm_deadline() {
    m_deadline_timer.expires_at(m_deadline);
    m_deadline_timer.async_wait(
        [self = shared_from_this(), armed = ++m_armed](beast::error_code error) {
          if (error || self->m_closed || armed != self->m_armed) return;
          self->m_timed_out = true;
          beast::error_code ignored;
          self->m_stream.socket().cancel(ignored);
        });
  }

  // The request is received (or refused, or the connection is closing): no deadline.
  void disarm_deadline() {
    ++m_armed;
    m_deadline_timer.cancel();
    m_timed_out = false;
    m_phase = Phase::waiting;
  }

  void time_out() {
    disarm_deadline();
    write(m_exchange.time_out());
  }

  void on_read(beast::error_code error, std::size_t n) {
    m_buffer.commit(n);
    if (m_timed_out && !m_closed) return time_out();
    if (error == asio::error::eof) return advance(Input::ended);
    if (error) return close();
    advance(Input::open);
  }

  void advance(Input end) {
    auto step = m_exchange.advance(m_buffer, end, m_server.stopping ? Draining::yes : Draining::no);
    if (step.next != Next::read) disarm_deadline();
    switch (step.next) {
      case Next::read:
        return read();
      case Next::close:
        return close();
      case Next::write_then_continue:
      case Next::write_then_close:
        return write(std::move(step));
      case Next::answer_later:
        return answer_later(std::move(step.later));
    }
  }

  // Nothing is read meanwhile: a pipelined request waits in the buffer for its turn.
  void answer_later(const std::function<void(HttpResponder)>& later) {
    m_busy = true;
    start_later(later, m_server.error_body, [self = shared_from_this()](HttpResponse response) {
      asio::post(self->m_stream.get_executor(), [self, response = std::move(response)]() mutable {
        self->write(self->m_exchange.finish(std::move(response)));
      });
    });
  }

  void write(Step step) {
    m_busy = true;
    m_first_request = false;
    const bool keep = step.next == Next::write_then_continue;
    auto bytes = std::make_shared<std::string>(std::move(step.bytes));
    m_stream.expires_after(std::chrono::seconds(m_server.options.idle_timeout_seconds));
    asio::async_write(
        m_stream, asio::buffer(*bytes),
        [self = shared_from_this(), bytes, keep](beast::error_code error, std::size_t) {
          self->m_busy = false;
          if (error || !keep || self->m_server.stopping) return self->close();
          self->advance(Input::open);
        });
  }

  void close() {
    if (m_closed) return;
    m_closed = true;
    ++m_armed;
    m_deadline_timer.cancel();
    beast::error_code ignored;
    m_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    m_stream.close();
    m_server.forget(shared_from_this());
  }

  beast::tcp_stream m_stream;
  HttpServer::Impl& m_server;
  Exchange m_exchange;
  beast::flat_buffer m_buffer;
  asio::steady_timer m_deadline_timer;
  Clock::time_point m_deadline;  // of the request being received
  Phase m_phase = Phase::waiting;
  std::uint64_t m_armed = 0;    // which wait of the deadline timer counts
  bool m_timed_out = false;     // the deadline passed while reading
  bool m_first_request = true;  // nothing written yet: the head deadline counts from the opening
  bool m_busy = false;
  bool m_closed = false;
};

// Out of descriptors (EMFILE), the listening socket stays readable and every accept fails
// at once: retrying at once would spin a core and starve the open connections. Wait 10 ms,
// doubling to 100 ms, until an accept succeeds; warn once per burst.
void HttpServer::Impl::back_off(const beast::error_code& error) {
  if (accept_failing.starts_burst(std::chrono::steady_clock::now())) {
    warn(fmt::format(
        "accepting a connection failed: {}; retrying every 10 to 100 ms, open connections are "
        "still served (no more of this warning until 10 s without a failure)",
        error.message()));
  }
  accept_delay =
      std::clamp(accept_delay * 2, std::chrono::milliseconds(10), std::chrono::milliseconds(100));
  accept_timer.expires_after(accept_delay);
  accept_timer.async_wait([this](beast::error_code timer_error) {
    if (!timer_error && !stopping) accept();
  });
}

// One connection over max_connections: a 503 if the socket takes it at once, then closed.
void HttpServer::Impl::refuse_connection(tcp::socket socket) {
  if (connections_full.starts_burst(std::chrono::steady_clock::now())) {
    warn(fmt::format(
        "{} connections are open, the most allowed (server.max_connections {}{}): new ones are "
        "answered 503 and closed (no more of this warning until 10 s without one)",
        max_connections, options.max_connections,
        max_connections < options.max_connections ? ", lowered to the descriptor limit less 64"
                                                  : ""));
  }
  HttpResponse response;
  response.status = 503;
  response.headers.emplace_back("Retry-After", "1");
  response.body = error_body(503, "too many connections", "");
  const auto bytes = serialize_response(std::move(response), false, Payload::body);
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(bytes), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

void HttpServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code error, tcp::socket socket) {
    if (stopping || error == asio::error::operation_aborted) return;
    if (error) return back_off(error);
    accept_delay = std::chrono::milliseconds(0);
    std::shared_ptr<Connection> connection;
    {
      std::lock_guard lock(mutex);
      if (connections.size() < max_connections) {
        connection = std::make_shared<Connection>(std::move(socket), *this);
        connections.insert(connection);
      }
    }
    if (connection) {
      connection->start();
    } else {
      refuse_connection(std::move(socket));
    }
    accept();
  });
}

namespace {

// options.max_connections, or fewer: what the soft descriptor limit leaves after 64.
std::size_t connection_cap(std::size_t configured) {
  constexpr rlim_t kept = 64;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return configured;
  const auto usable = limit.rlim_cur > kept ? limit.rlim_cur - kept : 1;
  return std::max<std::size_t>(1, std::min<std::size_t>(configured, usable));
}

}  // namespace

Result<std::unique_ptr<HttpServer>, std::string> HttpServer::listen(const HttpOptions& options,
                                                                    HttpHandler handler,
                                                                    HttpErrorBody error_body) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  impl->error_body = std::move(error_body);
  beast::error_code error;
  const auto address = asio::ip::make_address(options.host, error);
  if (error)
    return unexpected(fmt::format("bad listen address `{}`: {}", options.host, error.message()));
  const tcp::endpoint endpoint(address, options.port);
  impl->acceptor.open(endpoint.protocol(), error);
  if (!error) impl->acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) impl->acceptor.bind(endpoint, error);
  if (!error) impl->acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return unexpected(
        fmt::format("cannot listen on {}:{}: {}", options.host, options.port, error.message()));
  }
  impl->port = impl->acceptor.local_endpoint().port();
  impl->max_connections = connection_cap(options.max_connections);
  impl->accept();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::string answer_connection_bytes(std::string_view received, const HttpOptions& options,
                                    const HttpHandler& handler, const HttpErrorBody& error_body) {
  Exchange exchange(options, handler, error_body, "");
  beast::flat_buffer input;
  input.commit(asio::buffer_copy(input.prepare(received.size()),
                                 asio::buffer(received.data(), received.size())));
  std::string sent;
  for (;;) {
    auto step = exchange.advance(input, Input::ended, Draining::no);
    if (step.next == Next::answer_later) {
      auto answer = std::make_shared<std::promise<HttpResponse>>();
      auto result = answer->get_future();
      start_later(step.later, error_body,
                  [answer](HttpResponse response) { answer->set_value(std::move(response)); });
      step = exchange.finish(result.get());
    }
    sent += step.bytes;
    if (step.next != Next::write_then_continue) return sent;
  }
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
HttpServer::~HttpServer() = default;

std::uint16_t HttpServer::port() const noexcept { return m_impl->port; }

void HttpServer::run() {
  std::vector<std::thread> workers;
  for (int i = 1; i < m_impl->options.threads; ++i) {
    workers.emplace_back([this] { m_impl->io.run(); });
  }
  m_impl->io.run();
  for (auto& worker : workers) worker.join();
}

void HttpServer::stop() {
  asio::post(m_impl->acceptor.get_executor(), [impl = m_impl.get()] {
    if (impl->stopping.exchange(true)) return;
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->accept_timer.cancel();
    std::vector<std::shared_ptr<Connection>> open;
    {
      std::lock_guard lock(impl->mutex);
      open.assign(impl->connections.begin(), impl->connections.end());
    }
    for (const auto& connection : open) connection->close_if_idle();
    impl->grace_timer.emplace(impl->io);
    impl->grace_timer->expires_after(std::chrono::seconds(impl->options.shutdown_grace_seconds));
    impl->grace_timer->async_wait([impl](beast::error_code error) {
      if (!error) impl->io.stop();
    });
    // When the last connection is gone, nothing but the grace timer keeps run() going.
    impl->drain_timer.emplace(impl->io);
    impl->wait_drained();
  });
}

}  // namespace scopegate::server
