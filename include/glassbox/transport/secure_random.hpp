// Cryptographically secure random bytes straight from the kernel (getrandom(2)), for session ids
// and keys. Not OpenSSL's RAND_bytes: its first call sets up the DRBG and its providers, which
// makes a server that never uses TLS fault in about 1.6 MiB of libcrypto (docs/benchmarks.md).
// Thread-safe; blocks only until the kernel's pool is first seeded, as OpenSSL's own seeding does.
#pragma once

#include <cstddef>

namespace glassbox::transport {

// Fills `size` bytes at `out`; throws std::system_error when the kernel refuses.
void secure_random_bytes(void* out, std::size_t size);

}  // namespace glassbox::transport
