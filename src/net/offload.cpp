#include "net/offload.hpp"

#include <thread>

namespace tegami::net {

asio::thread_pool& worker_pool() {
  // Blocking work is mostly waiting: for the store's group commit (each waiting caller holds a
  // thread, and one commit takes every operation waiting, so more waiting threads make larger
  // commits), for files and for DNS. CPU-heavy work limits itself (auth's Argon2id gate).
  static asio::thread_pool pool(std::max(32u, std::thread::hardware_concurrency() * 4));
  return pool;
}

}  // namespace tegami::net
