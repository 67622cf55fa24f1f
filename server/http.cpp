// Boost.Beast lives here and nowhere else in the server.
#include "server/http.hpp"

#include <fmt/format.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
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

}  // namespace

class Connection;

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

  void accept();
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

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, HttpServer::Impl& server)
      : m_stream(std::move(socket)), m_server(server) {
    beast::error_code ignored;
    const auto endpoint = m_stream.socket().remote_endpoint(ignored);
    if (!ignored) {
      auto address = endpoint.address();
      if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
      }
      m_peer = address.to_string();
    }
  }

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
  void read() {
    if (m_server.stopping) return close();
    m_parser.emplace();
    m_parser->header_limit(static_cast<std::uint32_t>(m_server.options.max_header_bytes));
    m_parser->body_limit(m_server.options.max_body_bytes);
    m_stream.expires_after(std::chrono::seconds(m_server.options.idle_timeout_seconds));
    http::async_read(m_stream, m_buffer, *m_parser,
                     [self = shared_from_this()](beast::error_code error, std::size_t) {
                       self->on_read(error);
                     });
  }

  void on_read(beast::error_code error) {
    if (error == http::error::end_of_stream || error == beast::error::timeout ||
        error == asio::error::operation_aborted || error == asio::error::connection_reset ||
        error == asio::error::eof) {
      return close();
    }
    m_busy = true;
    if (error == http::error::header_limit) {
      return reply_error(431, "request headers too large");
    }
    if (error == http::error::body_limit) {
      return reply_error(413, "request body too large");
    }
    if (error) {
      return reply_error(400, fmt::format("malformed request: {}", error.message()));
    }
    auto& message = m_parser->get();
    if (message.find(http::field::host) == message.end()) {
      return reply_error(400, "missing Host header");
    }
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
    m_keep_alive = message.keep_alive();
    HttpResponse response;
    try {
      response = m_server.handler(request);
    } catch (const std::exception& failure) {
      response.status = 500;
      response.body = m_server.error_body(500, "internal error", request.path);
    }
    write(std::move(response));
  }

  void reply_error(int status, std::string_view message) {
    m_keep_alive = false;
    std::string path;
    if (m_parser && m_parser->is_header_done()) {
      const auto target = m_parser->get().target();
      path = std::string(target.substr(0, target.find('?')));
    }
    HttpResponse response;
    response.status = status;
    response.body = m_server.error_body(status, message, path);
    write(std::move(response));
  }

  void write(HttpResponse response) {
    auto out = std::make_shared<http::response<http::string_body>>();
    out->result(static_cast<unsigned>(response.status));
    out->version(11);
    out->set(http::field::server, "scopegate");
    if (!response.body.empty() || response.status != 204) {
      out->set(http::field::content_type, response.content_type);
    }
    for (const auto& [name, value] : response.headers) out->set(name, value);
    out->body() = std::move(response.body);
    const bool keep = m_keep_alive && !m_server.stopping;
    out->keep_alive(keep);
    out->prepare_payload();
    m_stream.expires_after(std::chrono::seconds(m_server.options.idle_timeout_seconds));
    http::async_write(m_stream, *out,
                      [self = shared_from_this(), out, keep](beast::error_code error, std::size_t) {
                        self->m_busy = false;
                        if (error || !keep) return self->close();
                        self->read();
                      });
  }

  void close() {
    if (m_closed) return;
    m_closed = true;
    beast::error_code ignored;
    m_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    m_stream.close();
    m_server.forget(shared_from_this());
  }

  beast::tcp_stream m_stream;
  HttpServer::Impl& m_server;
  beast::flat_buffer m_buffer;
  std::optional<http::request_parser<http::string_body>> m_parser;
  std::string m_peer;
  bool m_keep_alive = false;
  bool m_busy = false;
  bool m_closed = false;
};

void HttpServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code error, tcp::socket socket) {
    if (error) {
      if (!stopping && error != asio::error::operation_aborted) accept();
      return;
    }
    if (stopping) return;
    auto connection = std::make_shared<Connection>(std::move(socket), *this);
    {
      std::lock_guard lock(mutex);
      connections.insert(connection);
    }
    connection->start();
    accept();
  });
}

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
  impl->accept();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
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
