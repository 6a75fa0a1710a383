#include "net/memory_stream.hpp"

#include <algorithm>
#include <cstring>

namespace tegami::net {

asio::awaitable<std::size_t> MemoryStream::read_some(std::span<char> buf) {
  if (closed_ || pos_ >= input_.size()) co_return 0;
  std::size_t n = std::min({buf.size(), chunk_, input_.size() - pos_});
  std::memcpy(buf.data(), input_.data() + pos_, n);
  pos_ += n;
  co_return n;
}

asio::awaitable<bool> MemoryStream::write_all(std::string_view data) {
  if (closed_) co_return false;
  output_->append(data);
  co_return true;
}

asio::awaitable<bool> MemoryStream::start_tls() {
  if (tls_) co_return false;
  tls_ = true;
  co_return true;
}

}  // namespace tegami::net
