#include "config/toml.hpp"

#include <fmt/format.h>

namespace tegami::config {

const char* Value::type_name() const {
  switch (v.index()) {
    case 0:
      return "string";
    case 1:
      return "integer";
    case 2:
      return "boolean";
    default:
      return "array";
  }
}

namespace {

class Parser {
 public:
  Parser(std::string_view t, std::vector<TableHeader>* tables) : t_(t), tables_(tables) {}

  Result<Table> run() {
    Table out;
    std::string prefix;
    for (;;) {
      skip_ws_comments_newlines();
      if (eof()) return out;
      if (peek() == '[') {
        const int header_line = line_;
        ++p_;
        if (!eof() && peek() == '[') return err("arrays of tables ([[...]]) are not supported");
        std::string name;
        for (;;) {
          skip_space();
          auto k = key();
          if (!k.ok()) return k.error();
          name += *k;
          skip_space();
          if (!eof() && peek() == '.') {
            ++p_;
            name += '.';
            continue;
          }
          break;
        }
        if (eof() || peek() != ']') return err("expected ']' to close the table name");
        ++p_;
        if (auto e = end_of_line(); !e.ok()) return e.error();
        prefix = name + ".";
        if (tables_) tables_->push_back({name, header_line});
        continue;
      }
      int key_line = line_;
      auto k = key();
      if (!k.ok()) return k.error();
      skip_space();
      if (eof() || peek() != '=') return err(fmt::format("expected '=' after key '{}'", *k));
      ++p_;
      skip_space();
      auto v = value(0);
      if (!v.ok()) return v.error();
      v->line = key_line;
      std::string full = prefix + *k;
      if (out.count(full)) return err_at(key_line, fmt::format("key '{}' is set twice", full));
      out.emplace(std::move(full), std::move(*v));
      if (auto e = end_of_line(); !e.ok()) return e.error();
    }
  }

 private:
  bool eof() const { return p_ >= t_.size(); }
  char peek() const { return t_[p_]; }
  Error err(std::string msg) const { return err_at(line_, std::move(msg)); }
  static Error err_at(int line, std::string msg) {
    return make_error(Errc::kInvalidData, fmt::format("line {}: {}", line, msg));
  }
  void skip_space() {
    while (!eof() && (peek() == ' ' || peek() == '\t')) ++p_;
  }
  void skip_ws_comments_newlines() {
    for (;;) {
      skip_space();
      if (eof()) return;
      if (peek() == '#') {
        while (!eof() && peek() != '\n') ++p_;
      } else if (peek() == '\r' || peek() == '\n') {
        if (peek() == '\n') ++line_;
        ++p_;
      } else {
        return;
      }
    }
  }
  Status end_of_line() {
    skip_space();
    if (!eof() && peek() == '#')
      while (!eof() && peek() != '\n') ++p_;
    if (!eof() && peek() == '\r') ++p_;
    if (eof()) return {};
    if (peek() != '\n') return err("unexpected text after the value");
    ++p_;
    ++line_;
    return {};
  }
  Result<std::string> key() {
    if (eof()) return err("expected a key");
    if (peek() == '"') return basic_string();
    if (peek() == '\'') return literal_string();
    std::string k;
    while (!eof()) {
      char c = peek();
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-') {
        k += c;
        ++p_;
      } else {
        break;
      }
    }
    if (k.empty()) return err("expected a key");
    return k;
  }
  Result<std::string> basic_string() {
    ++p_;  // opening quote
    std::string s;
    while (!eof() && peek() != '"') {
      char c = peek();
      if (c == '\n') return err("a string must end on the line it starts");
      ++p_;
      if (c != '\\') {
        s += c;
        continue;
      }
      if (eof()) break;
      char e = peek();
      ++p_;
      switch (e) {
        case 'n':
          s += '\n';
          break;
        case 't':
          s += '\t';
          break;
        case 'r':
          s += '\r';
          break;
        case '"':
          s += '"';
          break;
        case '\\':
          s += '\\';
          break;
        default:
          return err(fmt::format("unknown escape '\\{}' in a string", e));
      }
    }
    if (eof()) return err("unterminated string");
    ++p_;
    return s;
  }
  Result<std::string> literal_string() {
    ++p_;
    std::string s;
    while (!eof() && peek() != '\'') {
      if (peek() == '\n') return err("a string must end on the line it starts");
      s += peek();
      ++p_;
    }
    if (eof()) return err("unterminated string");
    ++p_;
    return s;
  }
  Result<Value> value(int depth) {
    if (eof()) return err("expected a value");
    Value v;
    v.line = line_;
    char c = peek();
    if (c == '"') {
      auto s = basic_string();
      if (!s.ok()) return s.error();
      v.v = std::move(*s);
      return v;
    }
    if (c == '\'') {
      auto s = literal_string();
      if (!s.ok()) return s.error();
      v.v = std::move(*s);
      return v;
    }
    if (c == '[') {
      if (depth > 8) return err("arrays nested too deeply");
      ++p_;
      Array a;
      for (;;) {
        skip_ws_comments_newlines();
        if (eof()) return err("unterminated array");
        if (peek() == ']') {
          ++p_;
          break;
        }
        auto item = value(depth + 1);
        if (!item.ok()) return item.error();
        a.push_back(std::move(*item));
        skip_ws_comments_newlines();
        if (!eof() && peek() == ',') {
          ++p_;
          continue;
        }
        skip_ws_comments_newlines();
        if (!eof() && peek() == ']') {
          ++p_;
          break;
        }
        return err("expected ',' or ']' in an array");
      }
      v.v = std::move(a);
      return v;
    }
    if (c == '{') return err("inline tables are not supported; use a [table] section");
    std::string word;
    while (!eof() && peek() != ' ' && peek() != '\t' && peek() != '\n' && peek() != '\r' &&
           peek() != ',' && peek() != ']' && peek() != '#') {
      word += peek();
      ++p_;
    }
    if (word == "true" || word == "false") {
      v.v = word == "true";
      return v;
    }
    std::string digits;
    bool neg = false;
    size_t i = 0;
    if (!word.empty() && (word[0] == '-' || word[0] == '+')) {
      neg = word[0] == '-';
      i = 1;
    }
    for (; i < word.size(); ++i) {
      if (word[i] == '_') continue;
      if (word[i] < '0' || word[i] > '9') {
        return err(fmt::format("'{}' is not a value (strings need quotes)", word));
      }
      digits += word[i];
    }
    if (digits.empty() || digits.size() > 18) return err(fmt::format("bad number '{}'", word));
    int64_t n = std::stoll(digits);
    v.v = neg ? -n : n;
    return v;
  }

  std::string_view t_;
  std::vector<TableHeader>* tables_ = nullptr;
  size_t p_ = 0;
  int line_ = 1;
};

}  // namespace

Result<Table> parse_toml(std::string_view text, std::vector<TableHeader>* tables) {
  return Parser(text, tables).run();
}

}  // namespace tegami::config
