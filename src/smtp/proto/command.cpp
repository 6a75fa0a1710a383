// RFC 5321 §4.1.1 (command verbs and arguments), §4.1.4 (order), §2.4 (verbs are
// case-insensitive). Dispatches to one parser per command for the commands with arguments.
#include "smtp/proto/command.hpp"

#include "base/strings.hpp"
#include "smtp/proto/parsers.hpp"

namespace tegami::smtp::proto {

const char* verb_name(Verb v) {
  switch (v) {
    case Verb::kEhlo:
      return "EHLO";
    case Verb::kHelo:
      return "HELO";
    case Verb::kMail:
      return "MAIL";
    case Verb::kRcpt:
      return "RCPT";
    case Verb::kData:
      return "DATA";
    case Verb::kBdat:
      return "BDAT";
    case Verb::kRset:
      return "RSET";
    case Verb::kNoop:
      return "NOOP";
    case Verb::kQuit:
      return "QUIT";
    case Verb::kVrfy:
      return "VRFY";
    case Verb::kExpn:
      return "EXPN";
    case Verb::kHelp:
      return "HELP";
    case Verb::kStartTls:
      return "STARTTLS";
    case Verb::kAuth:
      return "AUTH";
  }
  return "?";
}

namespace detail {

SyntaxError syntax(int code, std::string_view enhanced, std::string_view text) {
  return SyntaxError{make_reply(code, enhanced, text)};
}

bool split_params(std::string_view s, std::vector<Param>& out, std::string_view& bad) {
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    size_t end = s.find(' ', i);
    if (end == std::string_view::npos) end = s.size();
    std::string_view p = s.substr(i, end - i);
    i = end;
    Param prm;
    size_t eq = p.find('=');
    prm.key = p.substr(0, eq);
    bad = p;
    // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    if (prm.key.empty()) return false;
    for (size_t k = 0; k < prm.key.size(); ++k) {
      auto c = static_cast<unsigned char>(prm.key[k]);
      bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!alnum && !(k > 0 && c == '-')) return false;
    }
    if (eq != std::string_view::npos) {
      prm.has_value = true;
      prm.value = p.substr(eq + 1);
      // esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 (RFC 6531 §3.3)
      if (prm.value.empty()) return false;
      for (char ch : prm.value) {
        auto c = static_cast<unsigned char>(ch);
        if (!((c >= 33 && c <= 60) || (c >= 62 && c <= 126) || c >= 0x80)) return false;
      }
    }
    out.push_back(prm);
  }
  return true;
}

std::optional<std::string_view> after_prefix(std::string_view args, std::string_view prefix) {
  if (!istarts_with(args, prefix)) return std::nullopt;
  args.remove_prefix(prefix.size());
  // RFC 5321 has no space after the colon, but many clients send one: tolerated.
  while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
  return args;
}

}  // namespace detail

std::optional<std::string> xtext_decode(std::string_view s) {
  std::string out;
  auto hexval = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;  // tolerated
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '+') {
      if (i + 2 >= s.size()) return std::nullopt;
      int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
      if (h < 0 || l < 0) return std::nullopt;
      out += static_cast<char>(h * 16 + l);
      i += 2;
    } else if (c >= 33 && c <= 126 && c != '=') {
      out += static_cast<char>(c);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::string xtext_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 33 && c <= 126 && c != '+' && c != '=') {
      out += ch;
    } else {
      out += '+';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

namespace {

struct VerbName {
  std::string_view name;
  Verb verb;
};

constexpr VerbName kVerbs[] = {
    {"EHLO", Verb::kEhlo},         {"HELO", Verb::kHelo}, {"MAIL", Verb::kMail},
    {"RCPT", Verb::kRcpt},         {"DATA", Verb::kData}, {"BDAT", Verb::kBdat},
    {"RSET", Verb::kRset},         {"NOOP", Verb::kNoop}, {"QUIT", Verb::kQuit},
    {"VRFY", Verb::kVrfy},         {"EXPN", Verb::kExpn}, {"HELP", Verb::kHelp},
    {"STARTTLS", Verb::kStartTls}, {"AUTH", Verb::kAuth},
};

}  // namespace

ParseResult parse_command(std::string_view line, const ParseOptions& opt) {
  using detail::syntax;
  // Control characters (NUL, bare CR, ...) never belong in a command line (RFC 5321 §2.3.8).
  for (char ch : line) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7F)
      return syntax(500, "5.5.2", "Syntax error: control character in command line");
  }
  // Trailing white space is tolerated (some clients pad).
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  size_t sp = line.find(' ');
  std::string_view word = line.substr(0, sp);
  std::string_view args;
  if (sp != std::string_view::npos) {
    args = line.substr(sp + 1);
    while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
  }
  const VerbName* found = nullptr;
  for (const auto& v : kVerbs)
    if (iequals(word, v.name)) found = &v;
  if (found == nullptr) {
    if (word.empty()) return syntax(500, "5.5.2", "Syntax error: empty command");
    return syntax(500, "5.5.1", "Command unrecognized: " + sanitize_echo(word, 32));
  }
  Verb v = found->verb;
  switch (v) {
    case Verb::kEhlo:
    case Verb::kHelo:
      return detail::parse_helo(v, args);
    case Verb::kMail:
      return detail::parse_mail(args);
    case Verb::kRcpt:
      return detail::parse_rcpt(args, opt);
    case Verb::kBdat:
      return detail::parse_bdat(args);
    case Verb::kAuth:
      return detail::parse_auth(args);
    case Verb::kData:
    case Verb::kRset:
    case Verb::kQuit:
    case Verb::kStartTls:
      // RFC 5321 §4.1.1.4/5/10, RFC 3207 §4: no parameters.
      if (!args.empty())
        return syntax(
            501, "5.5.4",
            std::string("Syntax error: ") + std::string(found->name) + " takes no parameters");
      return make_command(v);
    case Verb::kVrfy:
    case Verb::kExpn:
      // RFC 5321 §4.1.1.6-7: a string is required.
      if (args.empty())
        return syntax(
            501, "5.5.4",
            std::string("Syntax error: ") + std::string(found->name) + " needs an argument");
      [[fallthrough]];
    case Verb::kNoop:
    case Verb::kHelp: {
      Command c = make_command(v);
      c.arg = std::string(args);
      return c;
    }
  }
  return syntax(500, "5.5.1", "Command unrecognized");
}

}  // namespace tegami::smtp::proto
