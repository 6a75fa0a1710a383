// RFC 5321 §4.1.1.4 (end of mail data), §4.5.2 (transparency), §2.3.8 (CRLF line ends).
// See data_decoder.hpp for the smuggling-safe policy.
#include "smtp/proto/data_decoder.hpp"

#include <cstring>

namespace tegami::smtp::proto {

void DataDecoder::put(char c) {
  ++size_;
  auto u = static_cast<unsigned char>(c);
  if (u == 0) nul_ = true;
  if (u >= 0x80) eight_bit_ = true;
  if (too_big_) return;
  if (size_ > max_size_) {
    too_big_ = true;
    out_.clear();
    out_.shrink_to_fit();
    return;
  }
  out_ += c;
}

void DataDecoder::put_crlf() {
  put('\r');
  put('\n');
}

std::size_t DataDecoder::feed(std::string_view in) {
  std::size_t i = 0;
  while (i < in.size() && state_ != State::kDone) {
    char c = in[i];
    switch (state_) {
      case State::kLineStart:
        if (c == '.') {
          state_ = State::kDot;
          ++i;
          continue;
        }
        state_ = State::kText;
        continue;  // reprocess as text
      case State::kDot:
        if (c == '\r') {
          state_ = State::kDotCr;
          ++i;
          continue;
        }
        // Transparency: the leading dot is dropped, the rest of the line is data.
        state_ = State::kText;
        continue;
      case State::kDotCr:
        if (c == '\n') {
          state_ = State::kDone;
          ++i;
          continue;
        }
        // ".\r" then something else: the dot was stuffing, the CR is a bare CR.
        bare_newline_ = true;
        put_crlf();
        state_ = State::kText;
        continue;
      case State::kText:
        // Fast path: copy a run of ordinary bytes.
        {
          // The line ends at the first CR, or at a bare LF before it.
          const char* base = in.data();
          const void* cr = std::memchr(base + i, '\r', in.size() - i);
          std::size_t j =
              cr ? static_cast<std::size_t>(static_cast<const char*>(cr) - base) : in.size();
          if (const void* lf = std::memchr(base + i, '\n', j - i)) {
            j = static_cast<std::size_t>(static_cast<const char*>(lf) - base);
          }
          if (j > i) {
            std::string_view run = in.substr(i, j - i);
            unsigned char any = 0;  // reduced in locals, so the loop vectorizes
            bool nul = false;
            for (char r : run) {
              auto u = static_cast<unsigned char>(r);
              any |= u;
              nul |= u == 0;
            }
            if (nul) nul_ = true;
            if (any >= 0x80) eight_bit_ = true;
            size_ += run.size();
            if (!too_big_) {
              if (size_ > max_size_) {
                too_big_ = true;
                out_.clear();
                out_.shrink_to_fit();
              } else {
                out_.append(run);
              }
            }
            i = j;
            continue;
          }
        }
        if (c == '\r') {
          state_ = State::kCr;
        } else {  // bare LF
          bare_newline_ = true;
          put_crlf();
        }
        ++i;
        continue;
      case State::kCr:
        if (c == '\n') {
          put_crlf();
          state_ = State::kLineStart;
          ++i;
          continue;
        }
        // Bare CR: stored as CRLF; does not start an SMTP line.
        bare_newline_ = true;
        put_crlf();
        if (c == '\r') {
          ++i;  // stay in kCr
          continue;
        }
        state_ = State::kText;
        continue;
      case State::kDone:
        break;
    }
  }
  return i;
}

std::string dot_stuff(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 64 + 8);
  bool line_start = true;
  for (std::size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (line_start && c == '.') out += '.';
    line_start = false;
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < message.size() && message[i + 1] == '\n') ++i;
      line_start = true;
    } else if (c == '\n') {
      out += "\r\n";
      line_start = true;
    } else {
      out += c;
    }
  }
  if (!line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

}  // namespace tegami::smtp::proto
