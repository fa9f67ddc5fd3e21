#include "glassbox/transport/secure_random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <system_error>

namespace glassbox::transport {

void secure_random_bytes(void* out, std::size_t size) {
  auto* p = static_cast<unsigned char*>(out);
  while (size > 0) {
    ssize_t got = ::getrandom(p, size, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    p += got;
    size -= static_cast<std::size_t>(got);
  }
}

}  // namespace glassbox::transport
