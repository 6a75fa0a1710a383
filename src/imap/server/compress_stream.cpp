// COMPRESS=DEFLATE stream. RFC 4978 §4 (raw deflate both ways, the server flushes at the end of
// each response), RFC 1951 (deflate), zlib's inflate/deflate with negative windowBits (raw).
#include "imap/server/compress_stream.hpp"

#include <zlib.h>

#include <algorithm>

namespace tegami::imap::server {

namespace {

// The client may use the full 32 KiB window, so inflate needs it; our own deflate uses a 4 KiB
// window and a small memLevel to keep a compressed connection's memory modest.
constexpr int kDeflateWindowBits = 12;
constexpr int kDeflateMemLevel = 5;
constexpr std::size_t kReadChunk = 16 * 1024;

Bytef* bytes(const char* p) { return reinterpret_cast<Bytef*>(const_cast<char*>(p)); }

}  // namespace

struct CompressStream::Zlib {
  z_stream in{};
  z_stream out{};
  bool in_ok = false, out_ok = false;
  std::string raw;          // compressed bytes read from the client
  std::size_t raw_pos = 0;  // inflated up to here
  std::string wbuf;         // compressed output of one write
  ~Zlib() {
    if (in_ok) inflateEnd(&in);
    if (out_ok) deflateEnd(&out);
  }
};

CompressStream::CompressStream(std::unique_ptr<net::Stream> inner) : inner_(std::move(inner)) {}

CompressStream::~CompressStream() = default;

bool CompressStream::start() {
  if (z_) return false;
  auto z = std::make_unique<Zlib>();
  if (inflateInit2(&z->in, -15) != Z_OK) return false;
  z->in_ok = true;
  if (deflateInit2(&z->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -kDeflateWindowBits,
                   kDeflateMemLevel, Z_DEFAULT_STRATEGY) != Z_OK) {
    return false;
  }
  z->out_ok = true;
  z_ = std::move(z);
  return true;
}

net::asio::awaitable<std::size_t> CompressStream::read_some(std::span<char> buf) {
  if (!z_) co_return co_await inner_->read_some(buf);
  if (broken_ || buf.empty()) co_return 0;
  Zlib& z = *z_;
  for (;;) {
    // Inflate first even without new input: zlib may hold output from the last call.
    z.in.next_in = bytes(z.raw.data() + z.raw_pos);
    z.in.avail_in = static_cast<uInt>(z.raw.size() - z.raw_pos);
    z.in.next_out = reinterpret_cast<Bytef*>(buf.data());
    z.in.avail_out = static_cast<uInt>(std::min<std::size_t>(buf.size(), 1u << 30));
    uInt out_before = z.in.avail_out;
    int rc = inflate(&z.in, Z_SYNC_FLUSH);
    z.raw_pos = z.raw.size() - z.in.avail_in;
    std::size_t produced = out_before - z.in.avail_out;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {  // corrupt data or an unexpected end of stream
      broken_ = true;
      co_return produced;
    }
    if (produced > 0) co_return produced;
    if (z.raw_pos < z.raw.size()) continue;  // input left (zlib needed another pass)
    z.raw.resize(kReadChunk);
    z.raw_pos = 0;
    std::size_t n = co_await inner_->read_some(std::span<char>(z.raw.data(), z.raw.size()));
    z.raw.resize(n);
    if (n == 0) co_return 0;
  }
}

net::asio::awaitable<bool> CompressStream::wait_readable() {
  if (!z_) co_return co_await inner_->wait_readable();
  if (broken_) co_return true;  // read_some() reports the end
  Zlib& z = *z_;
  // Compressed input not inflated yet, or output zlib could not hand over (the last inflate
  // filled its buffer): read_some() has something without reading the connection.
  if (z.raw_pos < z.raw.size() || z.in.avail_out == 0) co_return true;
  std::string().swap(z.raw);  // all consumed: an idle connection keeps no read buffer
  z.raw_pos = 0;
  co_return co_await inner_->wait_readable();
}

net::asio::awaitable<bool> CompressStream::write_all(std::string_view data) {
  if (!z_) co_return co_await inner_->write_all(data);
  Zlib& z = *z_;
  z.wbuf.clear();
  z.out.next_in = bytes(data.data());
  z.out.avail_in = static_cast<uInt>(data.size());
  // Loop until deflate leaves output space unused: then all input is consumed and flushed.
  do {
    std::size_t old = z.wbuf.size();
    z.wbuf.resize(old + std::max<std::size_t>(data.size() / 2 + 64, 4096));
    z.out.next_out = reinterpret_cast<Bytef*>(z.wbuf.data() + old);
    z.out.avail_out = static_cast<uInt>(z.wbuf.size() - old);
    int rc = deflate(&z.out, Z_SYNC_FLUSH);
    z.wbuf.resize(z.wbuf.size() - z.out.avail_out);
    if (rc != Z_OK && rc != Z_BUF_ERROR) co_return false;
  } while (z.out.avail_out == 0);
  bool ok = co_await inner_->write_all(z.wbuf);
  if (z.wbuf.capacity() > 64 * 1024) std::string().swap(z.wbuf);  // don't keep large buffers
  co_return ok;
}

net::asio::awaitable<bool> CompressStream::start_tls() {
  if (z_) co_return false;  // RFC 4978 §4: no TLS on top of compression
  co_return co_await inner_->start_tls();
}

}  // namespace tegami::imap::server
