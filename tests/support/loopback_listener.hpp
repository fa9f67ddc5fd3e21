// A TCP socket listening on 127.0.0.1 at a port the kernel picks: the start of the raw HTTP peers
// that tests script byte by byte (nothing here talks to any other address).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cstdint>

namespace glassbox::testing {

struct LoopbackListener {
  int fd = -1;
  std::uint16_t port = 0;
};

inline LoopbackListener listen_on_loopback(int backlog) {
  LoopbackListener listener;
  listener.fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::listen(listener.fd, backlog), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len);
  listener.port = ntohs(addr.sin_port);
  return listener;
}

}  // namespace glassbox::testing
