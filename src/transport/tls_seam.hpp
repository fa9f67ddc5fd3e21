// The seam between plain HTTP and TLS. The HTTPS server, the https:// side of fetch and the
// OpenSSL they need live in glassbox_tls (src/tls/), which fills this table when it is linked
// (glassbox::tls, or glassbox::glassbox; tls::enable()). A program that serves plain HTTP or stdio
// then maps no libssl or libcrypto at all (docs/architecture.md, "TLS").
//
// Thread-safety: install_tls_seam may run at any time (static initialisation included); readers
// see either no seam or the complete table.
#pragma once

#include "glassbox/transport/http_fetch.hpp"
#include "glassbox/transport/http_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace glassbox::transport {

namespace http_detail {

struct HttpUrl;
struct ServerConnection;
struct HttpsContext;  // the server's certificate and key (glassbox_tls)

// The TLS layer of one fetch connection (glassbox_tls).
class FetchTls {
 public:
  virtual ~FetchTls() = default;
  virtual boost::beast::tcp_stream& layer() = 0;
  // After the TCP connect: the TLS handshake. Throws FetchError.
  virtual void handshake(FetchClient::Connection& connection, const HttpUrl& url) = 0;
  // One request and its response over TLS (http_fetch_exchange.hpp's exchange()).
  virtual FetchResponse exchange(
      FetchClient::Connection& connection,
      boost::beast::http::request<boost::beast::http::string_body>& message, std::size_t max_bytes,
      bool reused, bool& keep_alive) = 0;
};

struct TlsSeam {
  // Loads the certificate chain and private key (PEM); throws std::runtime_error.
  std::shared_ptr<HttpsContext> (*load_server_context)(const std::string& certificate_file,
                                                       const std::string& private_key_file);
  // Starts serving an accepted socket over TLS on its strand (the socket's executor).
  void (*serve_https)(HttpServer::Impl& server, HttpsContext& context,
                      boost::asio::ip::tcp::socket socket,
                      std::shared_ptr<ServerConnection> connection);
  // A TLS client stream for `url` on `io`, before its TCP connect. Throws FetchError.
  std::unique_ptr<FetchTls> (*open_fetch)(boost::asio::io_context& io, const HttpUrl& url,
                                          const FetchRequest& request);
};

void install_tls_seam(const TlsSeam* seam) noexcept;

// The seam, or std::runtime_error saying that `what` needs glassbox::tls linked.
const TlsSeam& tls_seam(std::string_view what);

}  // namespace http_detail
}  // namespace glassbox::transport
