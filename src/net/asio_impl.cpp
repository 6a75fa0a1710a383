// The one translation unit that compiles Asio's and Asio SSL's implementation
// (BOOST_ASIO_SEPARATE_COMPILATION is defined for the whole project).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
