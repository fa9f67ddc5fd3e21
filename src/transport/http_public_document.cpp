// A public document beside the MCP endpoint (http_public_document.hpp).
#include "transport/http_public_document.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

namespace glassbox::transport::http_detail {

http::response<http::string_body> public_document_response(const Request& request,
                                                           std::string document) {
  http::response<http::string_body> res{http::status::ok, request.version()};
  res.set(http::field::access_control_allow_origin, "*");
  switch (request.method()) {
    case http::verb::get:
      res.set(http::field::content_type, "application/json");
      res.body() = std::move(document);
      res.prepare_payload();
      break;
    case http::verb::head:
      res.set(http::field::content_type, "application/json");
      res.content_length(document.size());
      break;
    case http::verb::options:
      res.result(http::status::no_content);
      res.set(http::field::access_control_allow_methods, "GET, HEAD, OPTIONS");
      // MCP clients send MCP-Protocol-Version on discovery requests (a non-simple header).
      res.set(http::field::access_control_allow_headers, "*");
      res.set(http::field::access_control_max_age, "86400");
      break;
    default:
      res.result(http::status::method_not_allowed);
      res.set(http::field::allow, "GET, HEAD, OPTIONS");
      res.prepare_payload();
      break;
  }
  return res;
}

}  // namespace glassbox::transport::http_detail
