// TLS for glassbox's HTTP server (HttpServerOptions::tls_*) and for https:// in transport::fetch
// and FetchClient (JWKS, OAuth, OTLP export). They live in their own library, glassbox::tls, so
// that a program serving stdio or plain HTTP maps no OpenSSL (docs/architecture.md, "TLS").
//
// Linking glassbox::glassbox (pkg-config: glassbox) turns it on before main(); the auth layer turns
// it on itself before it fetches. A program that links the layers one by one (glassbox::mcp and
// glassbox::tls) calls enable() once; without it, an HTTPS server or an https:// fetch fails with
// std::runtime_error saying so. Thread-safe, idempotent.
#pragma once

namespace glassbox::tls {

void enable() noexcept;

}  // namespace glassbox::tls
