// Asio's SSL support (context, engine, host name verification), compiled once and apart from the
// rest of Asio: only an object that uses TLS (the HTTP client, glassbox_tls) pulls this one out
// of the archive, and with it libssl and libcrypto (docs/architecture.md, "TLS").
#include <boost/asio/ssl/impl/src.hpp>
