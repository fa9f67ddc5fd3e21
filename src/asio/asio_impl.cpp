// The one translation unit that compiles Asio and Beast (separate compilation:
// BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION). Everything else includes
// only their declarations, which keeps builds on two cores bearable. Asio's SSL support is
// compiled apart (asio_ssl.cpp), so that a program without TLS pulls none of it, nor OpenSSL.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
