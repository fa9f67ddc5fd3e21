// glassbox serve <fixture> [--stdio | --http HOST:PORT [--stateless] [--auth-issuer URL
//                           --auth-jwks FILE|URL [--auth-audience URI] [--auth-scopes a,b]]]

#include "commands.hpp"
#include "fixtures.hpp"

#include "glassbox/auth/jwt_verifier.hpp"
#include "glassbox/mcp/auth.hpp"
#include "glassbox/mcp/passback.hpp"
#include "glassbox/mcp/serve_http.hpp"
#include "glassbox/transport/http_server.hpp"
#include "stop_signals.hpp"

#include <csignal>
#include <cstdint>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace glassbox::cli {

namespace {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// "127.0.0.1:8080", "localhost:0", "[::1]:8080".
std::optional<HostPort> parse_host_port(const std::string& text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return std::nullopt;
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::string port_text = text.substr(colon + 1);
  if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5)
    return std::nullopt;
  unsigned long port = std::stoul(port_text);
  if (port > 65535) return std::nullopt;
  return HostPort{host, static_cast<std::uint16_t>(port)};
}

// Builds the token verifier of --auth-*; the keys are loaded now, so that a bad JWKS file fails
// the command instead of every request. A JWKS URL that does not answer yet is only a warning:
// the verifier retries when the first token arrives.
std::shared_ptr<auth::JwtVerifier> make_verifier(const ServeAuthOptions& options) {
  auth::JwtVerifierOptions verifier{.issuer = options.issuer};
  bool url = options.jwks.starts_with("http://") || options.jwks.starts_with("https://");
  (url ? verifier.jwks_url : verifier.jwks_file) = options.jwks;
  auto result = std::make_shared<auth::JwtVerifier>(std::move(verifier));
  std::string error;
  if (!result->load_keys(&error)) {
    if (!url) throw std::invalid_argument("--auth-jwks: " + error);
    std::cerr << "glassbox: warning: " << error << "; retrying when a token arrives" << std::endl;
  }
  return result;
}

int serve_http(mcp::Server& server, const HostPort& address, bool stateless,
               const ServeAuthOptions& auth, const sigset_t& stop_signals) {
  transport::HttpServerOptions options{
      .host = address.host, .port = address.port, .endpoint = "/mcp", .stateless = stateless};
  if (auth.enabled()) {
    mcp::enable_auth(server, options,
                     {.verifier = make_verifier(auth),
                      .resource = auth.audience,
                      .authorization_servers = {auth.issuer},
                      .required_scopes = auth.scopes});
  }
  std::unique_ptr<transport::HttpServer> http = mcp::start_http(server, std::move(options));
  std::cerr << "glassbox: listening on " << http->url() << std::endl;
  if (auth.enabled()) {
    std::cerr << "glassbox: OAuth bearer tokens from " << auth.issuer << " required (resource "
              << (auth.audience.empty() ? http->url() : auth.audience) << ")" << std::endl;
  }

  int signal_number = apps::wait_for_stop_signal(stop_signals);
  std::cerr << "glassbox: " << (signal_number == SIGINT ? "SIGINT" : "SIGTERM") << ", shutting down"
            << std::endl;
  http->stop();
  http->wait();
  return kExitOk;
}

}  // namespace

int run_serve(const ServeCommandOptions& options) {
  const Fixture* fixture = find_fixture(options.fixture);
  if (!fixture) {
    std::cerr << "glassbox: unknown server '" << options.fixture << "'\n";
    return kExitUsage;
  }
  std::optional<HostPort> address;
  if (!options.http.empty()) {
    address = parse_host_port(options.http);
    if (!address) {
      std::cerr << "glassbox: --http wants HOST:PORT (127.0.0.1:8080), not '" << options.http
                << "'\n";
      return kExitUsage;
    }
  }

  // Every served fixture passes its execution spans back to callers that ask (SEP-2448): the
  // feature glassbox exists for, and harmless to callers that do not ask.
  auto make_server = [fixture] {
    auto server = std::make_unique<mcp::Server>(fixture->options());
    fixture->setup(*server);
    mcp::enable_passback(*server);
    return server;
  };
  if (options.auth.enabled() &&
      (!address || options.auth.issuer.empty() || options.auth.jwks.empty())) {
    std::cerr << "glassbox: --auth-* needs --http, --auth-issuer and --auth-jwks\n";
    return kExitUsage;
  }
  if (options.auth.enabled() && options.auth.audience.empty() &&
      (address->host == "0.0.0.0" || address->host == "::")) {
    // The server's own URL would name the wildcard address, which no client dials.
    std::cerr << "glassbox: --auth-audience is needed when listening on " << address->host << "\n";
    return kExitUsage;
  }
  try {
    if (address) {
      sigset_t stop_signals = apps::block_stop_signals();  // before the server starts its threads
      std::unique_ptr<mcp::Server> server = make_server();
      return serve_http(*server, *address, options.stateless, options.auth, stop_signals);
    }
    make_server()->serve_stdio();
    return kExitOk;
  } catch (const std::invalid_argument& e) {
    std::cerr << "glassbox: " << e.what() << '\n';
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "glassbox: " << e.what() << '\n';
    return kExitFailure;
  }
}

}  // namespace glassbox::cli
