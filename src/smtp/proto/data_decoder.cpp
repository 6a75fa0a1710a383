// RFC 5321 §4.1.1.4 (end of mail data), §4.5.2 (transparency), §2.3.8 (CRLF line ends).
// See data_decoder.hpp for the smuggling-safe policy.
#include "smtp/proto/data_decoder.hpp"

#include <cstring>

#include "base/strings.hpp"

namespace tegami::smtp::proto {
namespace {

// Where the next CR is, found once and reused while the scan has not passed it (text with only
// bare LFs would otherwise be searched to its end for every line).
struct CrCache {
  bool known = false;
  std::size_t at = std::string_view::npos;
  // The first CR at or after `from` (npos when none).
  std::size_t next(std::string_view in, std::size_t from) {
    if (!known || (at != std::string_view::npos && at < from)) {
      at = in.find('\r', from);
      known = true;
    }
    return at;
  }
};

// The end of the line that starts at `i`: the first CR, or a bare LF before it.
std::size_t line_end(std::string_view in, std::size_t i, CrCache& c) {
  std::size_t cr = c.next(in, i);
  std::size_t j = cr == std::string_view::npos ? in.size() : cr;
  std::size_t lf = in.substr(0, j).find('\n', i);
  return lf == std::string_view::npos ? j : lf;
}

// The end of the run of whole lines starting at `i` that need no decoding: each ends with CRLF,
// holds no other CR or LF, and does not start with "." (the terminator and dot-stuffing begin
// that way). `i` itself when the first line is not such a line or is not complete in `in`.
std::size_t plain_lines_end(std::string_view in, std::size_t i, CrCache& c) {
  std::size_t p = i;
  while (p < in.size() && in[p] != '.') {
    std::size_t cr = c.next(in, p);
    if (cr == std::string_view::npos || cr + 1 >= in.size() || in[cr + 1] != '\n') break;
    if (in.substr(p, cr - p).find('\n') != std::string_view::npos) break;  // a bare LF
    p = cr + 2;
  }
  return p;
}

}  // namespace

void DataDecoder::put_run(std::string_view run) {
  // Each check scans only until its flag is set (memchr and is_ascii go by blocks).
  if (!nul_ && std::memchr(run.data(), 0, run.size()) != nullptr) nul_ = true;
  if (!eight_bit_ && !is_ascii(run)) eight_bit_ = true;
  size_ += run.size();
  if (too_big_) return;
  if (size_ > max_size_) {
    too_big_ = true;
    out_.clear();
    out_.shrink_to_fit();
    return;
  }
  out_.append(run);
}

void DataDecoder::put_crlf() { put_run("\r\n"); }

std::size_t DataDecoder::feed(std::string_view in) {
  std::size_t i = 0;
  CrCache crs;
  while (i < in.size() && state_ != State::kDone) {
    char c = in[i];
    switch (state_) {
      case State::kLineStart:
        // Fast path: whole ordinary lines are copied as one run.
        if (std::size_t j = plain_lines_end(in, i, crs); j > i) {
          put_run(in.substr(i, j - i));
          i = j;
          continue;
        }
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
          std::size_t j = line_end(in, i, crs);
          if (j > i) {
            put_run(in.substr(i, j - i));
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
  CrCache crs;
  std::size_t i = 0;
  while (i < message.size()) {
    if (line_start && message[i] == '.') out += '.';
    std::size_t j = line_end(message, i, crs);
    out.append(message.substr(i, j - i));  // the line, copied at once
    if (j == message.size()) {
      line_start = false;
      break;
    }
    out += "\r\n";  // CRLF, a bare CR or a bare LF: CRLF on the wire
    i = j + (message[j] == '\r' && j + 1 < message.size() && message[j + 1] == '\n' ? 2 : 1);
    line_start = true;
  }
  if (!line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

}  // namespace tegami::smtp::proto
