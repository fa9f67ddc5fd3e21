// The HTTPS half of the HTTP server: the certificate and key, and the server's connection
// coroutines (http_server_impl.hpp, http_sse_serve.hpp) instantiated for a TLS stream.
#include "tls/tls_parts.hpp"
#include "transport/http_server_impl.hpp"
#include "transport/http_sse_serve.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include <stdexcept>

namespace glassbox::transport::http_detail {

struct HttpsContext {
  net::ssl::context ssl{net::ssl::context::tls_server};
};

bool tls_stream_truncated(const boost::system::error_code& ec) {
  return ec == net::ssl::error::stream_truncated;
}

template net::awaitable<bool> serve_sse(TlsStream&, const Request&,
                                        const std::shared_ptr<HttpSession>&,
                                        const std::shared_ptr<Stream>&,
                                        const std::shared_ptr<Sink>&, bool, SseTiming);

}  // namespace glassbox::transport::http_detail

namespace glassbox::tls::detail {

using namespace transport::http_detail;

std::shared_ptr<HttpsContext> load_server_context(const std::string& certificate_file,
                                                  const std::string& private_key_file) {
  auto context = std::make_shared<HttpsContext>();
  context->ssl.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                           net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                           net::ssl::context::no_tlsv1_1);
  try {
    context->ssl.use_certificate_chain_file(certificate_file);
    context->ssl.use_private_key_file(private_key_file, net::ssl::context::pem);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("cannot load the TLS certificate or key: ") + e.what());
  }
  return context;
}

void serve_https(transport::HttpServer::Impl& server, HttpsContext& context, tcp::socket socket,
                 std::shared_ptr<ServerConnection> connection) {
  auto executor = socket.get_executor();  // the connection's strand
  TlsStream stream(std::move(socket), context.ssl);
  net::co_spawn(executor, server.serve(std::move(stream), std::move(connection)), net::detached);
}

}  // namespace glassbox::tls::detail
