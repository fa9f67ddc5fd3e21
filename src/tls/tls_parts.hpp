// The halves glassbox_tls puts into transport's TLS seam (transport/tls_seam.hpp).
#pragma once

#include "transport/tls_seam.hpp"

namespace glassbox::tls::detail {

namespace td = transport::http_detail;

std::shared_ptr<td::HttpsContext> load_server_context(const std::string& certificate_file,
                                                      const std::string& private_key_file);
void serve_https(transport::HttpServer::Impl& server, td::HttpsContext& context,
                 boost::asio::ip::tcp::socket socket,
                 std::shared_ptr<td::ServerConnection> connection);
std::unique_ptr<td::FetchTls> open_fetch(boost::asio::io_context& io, const td::HttpUrl& url,
                                         const transport::FetchRequest& request);

}  // namespace glassbox::tls::detail
