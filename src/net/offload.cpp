#include "net/offload.hpp"

#include <thread>

namespace tegami::net {

asio::thread_pool& worker_pool() {
  // Blocking work is mostly waiting on fsync and Argon2id: a few more threads than cores.
  static asio::thread_pool pool(std::max(4u, std::thread::hardware_concurrency() * 2));
  return pool;
}

}  // namespace tegami::net
