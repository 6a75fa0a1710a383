// RFC 5322 §3.4 address lists, §3.2.2 CFWS, §3.2.4 quoted-strings, §4.4 obsolete addressing.
// A hand-written, single-pass tokenizer: every step consumes input, so time is linear.
#include "mime/address.hpp"

#include "mime/encoding.hpp"
#include "mime/header.hpp"

namespace tegami::mime {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_special(char c) {
  return std::string_view("()<>[]:;@\\,.\"").find(c) != std::string_view::npos;
}

class Parser {
 public:
  Parser(std::string_view s, size_t max) : s_(s), max_(max) {}

  std::vector<Address> run() {
    bool in_group = false;
    while (i_ < s_.size() && out_.size() < max_) {
      skip_cfws();
      if (i_ >= s_.size()) {
        break;
      }
      char c = s_[i_];
      if (c == ',') {
        ++i_;
        continue;
      }
      if (c == ';') {
        ++i_;
        if (in_group) {
          out_.push_back({Address::Kind::kGroupEnd, {}, {}, {}, {}, {}});
          in_group = false;
        }
        continue;
      }
      parse_one(in_group);
    }
    if (in_group && out_.size() < max_) {
      out_.push_back({Address::Kind::kGroupEnd, {}, {}, {}, {}, {}});
    }
    return std::move(out_);
  }

 private:
  // Skips whitespace and comments; remembers the text of the last comment.
  void skip_cfws() {
    for (;;) {
      while (i_ < s_.size() && is_wsp(s_[i_])) {
        ++i_;
      }
      if (i_ < s_.size() && s_[i_] == '(') {
        last_comment_ = read_comment();
        continue;
      }
      return;
    }
  }
  std::string read_comment() {
    std::string text;
    int depth = 0;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '\\' && i_ < s_.size()) {
        text += s_[i_++];
      } else if (c == '(') {
        if (depth++ > 0) {
          text += c;
        }
      } else if (c == ')') {
        if (--depth == 0) {
          break;
        }
        text += c;
      } else {
        text += c;
      }
    }
    return text;
  }
  std::string read_quoted() {  // at '"'
    std::string text;
    ++i_;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) {
        ++i_;
      }
      if (s_[i_] != '\r' && s_[i_] != '\n') {
        text += s_[i_];
      }
      ++i_;
    }
    if (i_ < s_.size()) {
      ++i_;
    }
    return text;
  }
  std::string read_atom() {
    size_t start = i_;
    while (i_ < s_.size() && !is_wsp(s_[i_]) && !is_special(s_[i_])) {
      ++i_;
    }
    return std::string(s_.substr(start, i_ - start));
  }

  // A phrase or a local part: words (atoms, quoted-strings) and dots, up to a special.
  // `text` joins words with one space where whitespace separated them; `dotted` is the
  // local-part reading (whitespace and comments dropped).
  void read_words(std::string& text, std::string& dotted, bool& any) {
    bool first = true;
    for (;;) {
      size_t before = i_;
      skip_cfws();
      bool spaced = i_ != before;
      if (i_ >= s_.size()) {
        return;
      }
      char c = s_[i_];
      std::string w;
      if (c == '"') {
        w = read_quoted();
      } else if (c == '.') {
        ++i_;
        w = ".";
      } else if (!is_special(c)) {
        w = read_atom();
      } else {
        return;
      }
      if (!first && spaced && !text.empty()) {
        text += ' ';
      }
      text += w;
      dotted += w;
      first = false;
      any = true;
    }
  }

  std::string read_domain() {
    std::string d;
    for (;;) {
      skip_cfws();
      if (i_ >= s_.size()) {
        break;
      }
      char c = s_[i_];
      if (c == '[') {
        size_t start = i_;
        while (i_ < s_.size() && s_[i_] != ']') {
          ++i_;
        }
        if (i_ < s_.size()) {
          ++i_;
        }
        d += s_.substr(start, i_ - start);
      } else if (c == '.') {
        d += '.';
        ++i_;
      } else if (!is_special(c) || c == '"') {
        if (c == '"') {
          d += read_quoted();
        } else {
          d += read_atom();
        }
      } else {
        break;
      }
    }
    return d;
  }

  // After '<': [route ":"] addr-spec ">".
  void read_angle(Address& a) {
    ++i_;
    skip_cfws();
    while (i_ < s_.size() && s_[i_] == '<') {
      ++i_;  // "<<a@b>"
    }
    skip_cfws();
    if (i_ < s_.size() && s_[i_] == '@') {  // obsolete route: @a,@b:
      // Scan only route characters, so a scan never passes the next '<' (keeps it linear).
      size_t j = i_;
      while (j < s_.size() && s_[j] != ':' && s_[j] != '<' && s_[j] != '>' && s_[j] != '"' &&
             s_[j] != ';') {
        ++j;
      }
      if (j < s_.size() && s_[j] == ':') {
        std::string route;
        for (char c : s_.substr(i_, j - i_)) {
          if (!is_wsp(c)) {
            route += c;
          }
        }
        a.route = route;
        i_ = j + 1;
      }
    }
    std::string text, dotted;
    bool any = false;
    read_words(text, dotted, any);
    a.local = dotted;
    skip_cfws();
    if (i_ < s_.size() && s_[i_] == '@') {
      ++i_;
      a.domain = read_domain();
    }
    // Skip to the closing '>' (junk inside the brackets is dropped).
    while (i_ < s_.size() && s_[i_] != '>' && s_[i_] != ',' && s_[i_] != ';') {
      ++i_;
    }
    if (i_ < s_.size() && s_[i_] == '>') {
      ++i_;
    }
  }

  void parse_one(bool& in_group) {
    last_comment_.clear();
    std::string text, dotted;
    bool any = false;
    read_words(text, dotted, any);
    skip_cfws();
    char c = i_ < s_.size() ? s_[i_] : '\0';
    Address a;
    if (c == ':' && !in_group) {  // group start
      ++i_;
      Address g;
      g.kind = Address::Kind::kGroupStart;
      g.raw_name = text;
      g.display_name = decode_rfc2047(text);
      out_.push_back(std::move(g));
      in_group = true;
      return;
    }
    if (c == '<') {
      a.raw_name = text;
      read_angle(a);
    } else if (c == '@') {
      a.local = dotted;
      ++i_;
      std::string comment_before = last_comment_;
      last_comment_.clear();
      a.domain = read_domain();
      skip_cfws();
      if (!last_comment_.empty()) {
        a.raw_name = last_comment_;
      } else if (!comment_before.empty()) {
        a.raw_name = comment_before;
      }
    } else if (any) {
      a.local = dotted;  // a bare word: a local part without a domain
      if (!last_comment_.empty()) {
        a.raw_name = last_comment_;
      }
    } else {
      ++i_;  // a stray special (">", "]", ":" inside a group, ...): skip it
      return;
    }
    // Junk up to the next separator belongs to nobody.
    skip_cfws();
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != ';' && s_[i_] != '<') {
      if (s_[i_] == '"') {
        read_quoted();
      } else if (s_[i_] == '(') {
        read_comment();
      } else {
        ++i_;
      }
    }
    if (i_ < s_.size() && s_[i_] == ';' && !in_group) {
      ++i_;
    }
    a.display_name = decode_rfc2047(a.raw_name);
    out_.push_back(std::move(a));
  }

  std::string_view s_;
  size_t max_;
  size_t i_ = 0;
  std::string last_comment_;
  std::vector<Address> out_;
};

}  // namespace

std::string Address::addr_spec() const {
  if (domain.empty()) {
    return local;
  }
  return local + "@" + domain;
}

std::vector<Address> parse_address_list(std::string_view value, size_t max_addresses) {
  return Parser(value, max_addresses).run();
}

std::vector<Address> parse_mailboxes(std::string_view value) {
  std::vector<Address> out;
  for (auto& a : parse_address_list(value)) {
    if (a.kind == Address::Kind::kMailbox) {
      out.push_back(std::move(a));
    }
  }
  return out;
}

}  // namespace tegami::mime
