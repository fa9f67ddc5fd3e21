// glassbox::tls::enable: fills transport's TLS seam with this library's halves.
#include "glassbox/tls/tls.hpp"

#include "tls/tls_parts.hpp"
#include "transport/tls_seam.hpp"

namespace glassbox::tls {

namespace {
constexpr transport::http_detail::TlsSeam kSeam{
    .load_server_context = detail::load_server_context,
    .serve_https = detail::serve_https,
    .open_fetch = detail::open_fetch,
};
}  // namespace

void enable() noexcept {
  transport::http_detail::install_tls_seam(&kSeam);
}

}  // namespace glassbox::tls

// glassbox::glassbox links with --undefined=glassbox_tls_autoload: that pulls this object out of
// the archive, and its initialiser turns TLS on before main().
extern "C" {
extern const int glassbox_tls_autoload;
const int glassbox_tls_autoload = (glassbox::tls::enable(), 1);
}
