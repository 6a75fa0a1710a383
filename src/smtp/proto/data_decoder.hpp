// Incremental (sans-I/O) decoder for the DATA message content: RFC 5321 §4.1.1.4 (the content
// ends with CRLF "." CRLF), §4.5.2 (transparency: a leading "." is removed), §2.3.8 (lines end
// with CRLF only). Bytes arrive in chunks of any size; the terminator may be split anywhere.
//
// Policy (documented in README.md):
// - Only the exact byte sequence CR LF "." CR LF ends the data (or "." CR LF as the very first
//   line). "\n.\n", "\r.\r", "\n.\r\n" and friends do NOT end it: accepting them is what makes
//   SMTP smuggling possible (CVE-2023-51764/51765/51766), because another server in front of us
//   may treat them as content.
// - A bare LF or bare CR inside the content is stored as CRLF, so every stored message has CRLF
//   line ends only. Such a line break does not start a new SMTP line: a "." after it is data.
// - There is no limit per line: memory is bounded by the message size limit alone.
// - When the decoded size exceeds `max_size`, the content is still consumed up to the
//   terminator (so the session can answer 552 in step) but no longer stored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tegami::smtp::proto {

class DataDecoder {
 public:
  explicit DataDecoder(uint64_t max_size) : max_size_(max_size) {}

  // Consumes bytes of `in` up to and including the terminator; returns how many were used
  // (less than in.size() only when the terminator was found: the rest belongs to the next
  // command).
  std::size_t feed(std::string_view in);

  bool done() const { return state_ == State::kDone; }
  bool too_big() const { return too_big_; }
  uint64_t size() const { return size_; }  // decoded bytes seen, stored or not
  bool saw_bare_newline() const { return bare_newline_; }
  bool saw_nul() const { return nul_; }
  bool has_8bit() const { return eight_bit_; }
  const std::string& message() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  enum class State { kLineStart, kDot, kDotCr, kText, kCr, kDone };
  void put_crlf();
  void put_run(std::string_view run);  // bytes that are data as they are
  uint64_t max_size_;
  State state_ = State::kLineStart;
  std::string out_;
  uint64_t size_ = 0;
  bool too_big_ = false;
  bool bare_newline_ = false;
  bool nul_ = false;
  bool eight_bit_ = false;
};

// Dot-stuffing for the other direction (a client sending DATA, and tests): a "." at the start
// of a line is doubled, lines are CRLF-terminated (bare LF/CR become CRLF), and the terminator
// CRLF "." CRLF is appended.
std::string dot_stuff(std::string_view message);

}  // namespace tegami::smtp::proto
