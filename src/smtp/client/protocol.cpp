// RFC 5321 §4.2 (reply lines: three digits, '-' or ' ', text), §4.1.1.1 (EHLO keywords),
// §4.1.1.2-3 (MAIL, RCPT), §4.5.2 (transparency); RFC 2034 / RFC 3463 (enhanced status codes);
// RFC 1870, 6152, 6531, 3461, 8689 (MAIL and RCPT parameters).
#include "smtp/client/protocol.hpp"

#include <cctype>

#include "base/strings.hpp"
#include "smtp/proto/command.hpp"
#include "smtp/proto/data_decoder.hpp"

namespace tegami::smtp::client {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Digits, at least one and at most `max`, from `pos`; returns the count (0 = none).
std::size_t digits(std::string_view s, std::size_t pos, std::size_t max) {
  std::size_t n = 0;
  while (pos + n < s.size() && is_digit(s[pos + n])) ++n;
  return n <= max ? n : 0;
}

// RFC 3461 xtext for a value we were given decoded; also makes sure that nothing outside
// 0x21..0x7E reaches the command line.
std::string xtext(std::string_view v) { return proto::xtext_encode(v); }

// ORCPT is given encoded ("rfc822;a+2Bb@example.com"); bytes that cannot appear on a command
// line are encoded as well, so a bad value cannot inject anything.
std::string safe_param(std::string_view v) {
  std::string out;
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char c : v) {
    if (c > 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      out += '+';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string Reply::str() const {
  std::string out = full();
  return out.substr(0, out.find('\n'));
}

std::string Reply::full() const {
  std::string out = std::to_string(code);
  if (!enhanced.empty()) out += " " + enhanced;
  if (!text.empty()) out += " " + text;
  return out;
}

std::string_view enhanced_prefix(std::string_view text, int cls) {
  // class "." subject "." detail: 1 digit, 1-3 digits, 1-3 digits (RFC 3463 §2).
  if (text.size() < 5 || text[0] != '0' + cls || text[1] != '.') return {};
  std::size_t a = digits(text, 2, 3);
  if (a == 0 || 2 + a >= text.size() || text[2 + a] != '.') return {};
  std::size_t b = digits(text, 3 + a, 3);
  if (b == 0) return {};
  std::size_t end = 3 + a + b;
  if (end < text.size() && text[end] != ' ') return {};
  return text.substr(0, end);
}

ReplyReader::State ReplyReader::add(std::string_view line) {
  bytes_ += line.size() + 2;
  if (bytes_ > max_bytes_) {
    error_ = "reply longer than " + std::to_string(max_bytes_) + " bytes";
    return State::kError;
  }
  if (lines_.size() >= max_lines_) {
    error_ = "reply of more than " + std::to_string(max_lines_) + " lines";
    return State::kError;
  }
  if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
      line[0] < '2' || line[0] > '5' || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
    error_ = "malformed reply line";
    return State::kError;
  }
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (!lines_.empty() && code != code_) {
    error_ = "reply codes differ between the lines of one reply";
    return State::kError;
  }
  code_ = code;
  lines_.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
  bool last = line.size() == 3 || line[3] == ' ';
  return last ? State::kDone : State::kMore;
}

Reply ReplyReader::take() {
  Reply r;
  r.code = code_;
  int cls = code_ / 100;
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    std::string_view t = lines_[i];
    std::string_view e = enhanced_prefix(t, cls);
    if (!e.empty()) {
      if (i == 0) r.enhanced = std::string(e);
      t.remove_prefix(std::min(t.size(), e.size() + 1));
    }
    if (i > 0) r.text += '\n';
    r.text += t;
  }
  lines_.clear();
  bytes_ = 0;
  return r;
}

Reply local_reply(int code, std::string enhanced, std::string text) {
  Reply r;
  r.code = code;
  r.enhanced = std::move(enhanced);
  r.text = std::move(text);
  r.local = true;
  return r;
}

Extensions parse_ehlo(const Reply& ehlo) {
  Extensions x;
  std::vector<std::string_view> lines = split(ehlo.text, '\n');
  for (std::size_t i = 1; i < lines.size(); ++i) {  // the first line is the server's name
    std::string_view l = trim(lines[i]);
    std::size_t sp = l.find(' ');
    std::string kw = ascii_upper(l.substr(0, sp));
    std::string_view arg = sp == std::string_view::npos ? std::string_view() : trim(l.substr(sp));
    if (kw.empty()) continue;
    x.keywords.push_back(arg.empty() ? kw : kw + " " + std::string(arg));
    if (kw == "PIPELINING") {
      x.pipelining = true;
    } else if (kw == "SIZE") {
      x.size = true;
      auto n = parse_u64(arg);
      x.size_limit = n ? *n : 0;
    } else if (kw == "8BITMIME") {
      x.eight_bit_mime = true;
    } else if (kw == "SMTPUTF8") {
      x.smtputf8 = true;
    } else if (kw == "DSN") {
      x.dsn = true;
    } else if (kw == "REQUIRETLS") {
      x.requiretls = true;
    } else if (kw == "STARTTLS") {
      x.starttls = true;
    } else if (kw == "ENHANCEDSTATUSCODES") {
      x.enhanced_status_codes = true;
    } else if (kw == "CHUNKING") {
      x.chunking = true;
    }
  }
  return x;
}

bool safe_path(std::string_view addr) {
  if (addr.size() > 512) return false;
  for (unsigned char c : addr)
    if (c < 0x20 || c == 0x7F || c == '<' || c == '>') return false;
  return true;
}

std::string mail_command(const Envelope& env, const Extensions& ext, uint64_t size,
                         bool requiretls) {
  std::string c = "MAIL FROM:<" + env.from + ">";
  if (ext.size) c += " SIZE=" + std::to_string(size);
  if (env.eight_bit && ext.eight_bit_mime) c += " BODY=8BITMIME";
  if (env.smtputf8 && ext.smtputf8) c += " SMTPUTF8";
  if (ext.dsn) {
    if (iequals(env.ret, "FULL") || iequals(env.ret, "HDRS")) c += " RET=" + ascii_upper(env.ret);
    if (!env.envid.empty()) c += " ENVID=" + xtext(env.envid);
  }
  if (requiretls) c += " REQUIRETLS";
  c += "\r\n";
  return c;
}

std::string rcpt_command(const Recipient& r, const Extensions& ext) {
  std::string c = "RCPT TO:<" + r.address + ">";
  if (ext.dsn) {
    if (!r.notify.empty()) c += " NOTIFY=" + safe_param(ascii_upper(r.notify));
    if (!r.orcpt.empty()) c += " ORCPT=" + safe_param(r.orcpt);
  }
  c += "\r\n";
  return c;
}

std::string data_block(std::string_view content, uint64_t* size) {
  std::string out = proto::dot_stuff(content);
  // Every line of the output that starts with '.' had its dot doubled, except the final ".".
  uint64_t stuffed = out.empty() || out[0] != '.' ? 0 : 1;
  for (std::size_t p = out.find("\n."); p != std::string::npos; p = out.find("\n.", p + 2))
    ++stuffed;
  if (size) *size = out.size() - 3 - (stuffed - 1);
  return out;
}

}  // namespace tegami::smtp::client
