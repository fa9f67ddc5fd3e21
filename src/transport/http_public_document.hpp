// A public document served beside the MCP endpoint (HttpServerOptions::public_document: the
// RFC 9728 Protected Resource Metadata), private to src/transport. Browser-based clients fetch it
// from other origins, so it is open to any (CORS), preflight included.
#pragma once

#include "transport/asio_net.hpp"

#include <boost/beast/http/string_body.hpp>

#include <string>

namespace glassbox::transport::http_detail {

// GET: the document as application/json; HEAD: its head; OPTIONS: the CORS preflight (204);
// any other method: 405 with Allow. The caller sets keep-alive and writes it (a HEAD answer's
// header only).
http::response<http::string_body> public_document_response(const Request& request,
                                                           std::string document);

}  // namespace glassbox::transport::http_detail
