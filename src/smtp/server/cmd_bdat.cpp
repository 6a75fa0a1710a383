// BDAT: RFC 3030 §2-§4 (CHUNKING: exactly chunk-size octets follow the command, always read
// even when the command is refused; a reply per chunk; LAST ends the message), RFC 1870 §6.3
// (552 once the chunks exceed the limit), RFC 5321 §6.1 (250 only once stored).
#include "mime/compose.hpp"
#include "smtp/server/session.hpp"

namespace tegami::smtp::server {

namespace {

// A CR or LF that is not part of a CRLF.
bool has_bare_line_end(std::string_view s) {
  for (auto i = s.find_first_of("\r\n"); i != std::string_view::npos;
       i = s.find_first_of("\r\n", i + 1)) {
    if (s[i] == '\n' || i + 1 == s.size() || s[i + 1] != '\n') return true;
    ++i;  // the LF of this CRLF
  }
  return false;
}

}  // namespace

asio::awaitable<bool> Session::skip_chunk(uint64_t n) {
  bool ok = co_await io_.skip(static_cast<std::size_t>(n));
  if (!ok) close_ = true;  // the client left in the middle of a chunk
  co_return ok;
}

asio::awaitable<void> Session::on_bdat(const proto::Command& c) {
  const uint64_t n = c.chunk_size;
  if (!tx_) {
    bool ok = co_await skip_chunk(n);
    if (ok) reply(503, "5.5.1", "Need MAIL and RCPT before BDAT");
    co_return;
  }
  if (tx_->rcpts.empty()) {
    // The transaction ends here: a RCPT after this refused chunk must not start a message
    // that lacks it.
    bool ok = co_await skip_chunk(n);
    if (ok) {
      reset_transaction();
      reply(554, "5.5.1", "No valid recipients; the transaction is reset, start again with MAIL");
    }
    co_return;
  }
  tx_->bdat = true;
  if (n > ctx_.max_message_size || tx_->content.size() + n > ctx_.max_message_size) {
    reset_transaction();
    bool ok = co_await skip_chunk(n);
    if (ok) reply(552, "5.3.4", too_big_text(ctx_.max_message_size));
    co_return;
  }
  if (c.last) ctx_.store->expect_write();
  bool ok = co_await io_.read_exact(tx_->content, static_cast<std::size_t>(n));
  if (!ok) {
    reset_transaction();
    close_ = true;
    co_return;
  }
  if (!c.last) {
    reply(250, "2.0.0", std::to_string(n) + " octets received");
    co_return;
  }
  std::string content = std::move(tx_->content);
  // Chunks arrive as they were sent; DATA stores every line end as CRLF (proto::DataDecoder),
  // and so does this, except for BINARYMIME. A bare CR or LF in the header section would hide
  // the field after it from the checks before delivery (the From of a submission, our own
  // Authentication-Results) and become a line end again on its way out.
  if (tx_->params.body != proto::Body::kBinaryMime && has_bare_line_end(content))
    content = mime::to_crlf(content);
  co_await deliver(std::move(content));
}

}  // namespace tegami::smtp::server
