#include "transport/tls_seam.hpp"

#include <atomic>
#include <stdexcept>

namespace glassbox::transport::http_detail {

namespace {
std::atomic<const TlsSeam*> installed{nullptr};  // constant-initialised: safe before main()
}  // namespace

void install_tls_seam(const TlsSeam* seam) noexcept {
  installed.store(seam);
}

const TlsSeam& tls_seam(std::string_view what) {
  if (const TlsSeam* seam = installed.load()) return *seam;
  throw std::runtime_error(std::string(what) +
                           " needs TLS, which this program was built without: link "
                           "glassbox::tls (CMake) or glassbox.pc's -lglassbox_tls, or call "
                           "glassbox::tls::enable()");
}

}  // namespace glassbox::transport::http_detail
