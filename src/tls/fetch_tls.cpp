// The https:// half of transport::fetch and FetchClient: a TLS client stream per connection,
// verifying the peer's chain and host name unless the request says not to.
#include "tls/tls_parts.hpp"
#include "transport/http_fetch_exchange.hpp"
#include "transport/http_url.hpp"

#include <openssl/ssl.h>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace glassbox::tls::detail {

namespace {

using namespace transport::fetch_detail;
using transport::FetchError;

class FetchTlsStream final : public td::FetchTls {
 public:
  FetchTlsStream(asio::io_context& io, const td::HttpUrl& url,
                 const transport::FetchRequest& request)
      : context_(make_context(request)), stream_(io, context_) {
    if (!SSL_set_tlsext_host_name(stream_.native_handle(), url.host.c_str()))
      throw FetchError("TLS: cannot set SNI for " + url.host);
    if (request.verify_peer)
      stream_.set_verify_callback(asio::ssl::host_name_verification(url.host));
  }

  beast::tcp_stream& layer() override { return stream_.next_layer(); }

  void handshake(Connection& c, const td::HttpUrl& url) override {
    if (auto ec = run(c.io, [&](beast::error_code& out) {
          stream_.async_handshake(asio::ssl::stream_base::client,
                                  [&](beast::error_code e) { out = e; });
        }))
      throw FetchError("TLS handshake with " + url.host + ": " + ec.message());
  }

  transport::FetchResponse exchange(Connection& c, http::request<http::string_body>& message,
                                    std::size_t max_bytes, bool reused, bool& keep_alive) override {
    return transport::fetch_detail::exchange(c, stream_, message, max_bytes, reused, keep_alive);
  }

 private:
  static asio::ssl::context make_context(const transport::FetchRequest& request) {
    asio::ssl::context context(asio::ssl::context::tls_client);
    if (request.verify_peer) {
      context.set_default_verify_paths();
      if (!request.ca_file.empty()) context.load_verify_file(request.ca_file);
      context.set_verify_mode(asio::ssl::verify_peer);
    } else {
      context.set_verify_mode(asio::ssl::verify_none);
    }
    return context;
  }

  asio::ssl::context context_;
  asio::ssl::stream<beast::tcp_stream> stream_;
};

}  // namespace

std::unique_ptr<td::FetchTls> open_fetch(asio::io_context& io, const td::HttpUrl& url,
                                         const transport::FetchRequest& request) {
  return std::make_unique<FetchTlsStream>(io, url, request);
}

}  // namespace glassbox::tls::detail
