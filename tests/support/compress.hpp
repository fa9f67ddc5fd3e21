// Compressed request bodies for the tests and fuzz targets that feed the collector.
#pragma once

#include <zlib.h>

#include <string>
#include <string_view>

namespace glassbox::testing {

// `window_bits` picks the framing as zlib does: 15 + 16 gzip, 15 zlib ("deflate").
inline std::string compress(std::string_view data, int window_bits = 15 + 16,
                            int level = Z_DEFAULT_COMPRESSION) {
  z_stream z{};
  deflateInit2(&z, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace glassbox::testing
