// Internal: the token reader over an assembled command (lines and the literals between them).
//
// RFC 9051 §4 (data formats: atom, number, string, quoted, literal, NIL, parenthesized lists),
// §9 (formal syntax: ATOM-CHAR, ASTRING-CHAR, list-char, tag, sequence-set, date), RFC 3516
// (literal8), RFC 5182 ("$"), RFC 7162 (mod-sequence-value).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/command.hpp"

namespace tegami::imap::proto::detail {

bool is_atom_char(unsigned char c);     // ATOM-CHAR
bool is_astring_char(unsigned char c);  // ATOM-CHAR / "]"
bool is_list_char(unsigned char c);     // ATOM-CHAR / "%" / "*" / "]"
bool is_tag_char(unsigned char c);      // ASTRING-CHAR except "+"

// A printable, bounded rendering of client input for error texts.
std::string printable(std::string_view s, size_t max = 40);

struct LiteralData {
  std::string data;
  bool binary = false;
};

class Reader {
 public:
  static constexpr int kEnd = -1;      // end of the command
  static constexpr int kLiteral = -2;  // a literal follows

  // lines[i] for i < lines.size()-1 ends with a literal marker starting at marker[i].
  Reader(const std::vector<std::string>& lines, const std::vector<size_t>& marker,
         std::vector<LiteralData>& literals, const Limits& limits);

  int peek() const;  // next byte, kEnd, or kLiteral
  bool at_end() const { return peek() == kEnd; }
  bool eat(char c);                   // consume c if next
  bool eat_word(std::string_view w);  // case-insensitive word followed by a delimiter
  bool sp();                          // exactly one SP, else error "expected space"
  bool expect(char c);                // consume c, else error
  bool end();                         // at end (trailing spaces tolerated), else error
  bool rest_blank() const;            // only spaces remain (nothing consumed)

  // Tokens. Each returns false and sets the error on failure.
  bool atom(std::string& out);        // 1*ATOM-CHAR
  bool atom_upper(std::string& out);  // atom, upper-cased
  bool astring(std::string& out);     // 1*ASTRING-CHAR / string
  bool string(std::string& out);      // quoted / literal
  bool nstring(std::optional<std::string>& out);
  bool list_mailbox(std::string& out);  // 1*list-char / string
  bool mailbox(std::string& out);       // astring, "INBOX" normalised
  // One item, or a parenthesised list of items separated by spaces, each read with `item`
  // (e.g. &Reader::mailbox); `*was_list` says which form it was. Counts items against the limit.
  bool one_or_list(std::vector<std::string>& out, bool (Reader::*item)(std::string&),
                   bool* was_list = nullptr);
  bool number(uint32_t& out);     // 0 .. 2^32-1
  bool nz_number(uint32_t& out);  // 1 .. 2^32-1
  bool number64(uint64_t& out);   // 0 .. 2^63-1
  bool nz_number64(uint64_t& out);
  bool sequence_set(SequenceSet& out);
  bool flag(std::string& out);  // "\" atom / atom (also "\*" when allow_star)
  bool flag_list(std::vector<std::string>& out, bool allow_star = false);
  bool date(Date& out);                    // date-text / DQUOTE date-text DQUOTE
  bool date_time(DateTime& out);           // DQUOTE date-time DQUOTE
  bool literal_any(LiteralData& out);      // literal or literal8 (APPEND)
  bool value(Value& out, int depth);       // generic value (atom/string/NIL/list)
  bool raw_until_delim(std::string& out);  // bytes up to SP, "(", ")", "[", or the end
  // Bytes of the current line up to one of `stops` (may be empty).
  void take_until(std::string_view stops, std::string& out);
  bool looking_at(std::string_view s) const;  // case-insensitive, nothing consumed

  // Item and nesting accounting.
  bool count_item();      // false + error when Limits::max_items is exceeded
  bool enter(int depth);  // false + error when depth > Limits::max_depth

  bool fail(std::string msg);  // sets the error (first one wins), returns false
  const std::string& error() const { return error_; }
  bool failed() const { return !error_.empty(); }
  const Limits& limits() const { return limits_; }

 private:
  std::string_view cur() const { return lines_[li_]; }
  size_t limit() const;
  bool quoted(std::string& out);
  bool take_literal(LiteralData& out);

  const std::vector<std::string>& lines_;
  const std::vector<size_t>& marker_;
  std::vector<LiteralData>& literals_;
  const Limits& limits_;
  size_t li_ = 0;
  size_t pos_ = 0;
  size_t lit_ = 0;
  size_t items_ = 0;
  int open_ = 0;  // parentheses open, for error texts
  std::string error_;
};

// Sequence set from text (QRESYNC parameters).
std::optional<SequenceSet> parse_sequence_set_text(std::string_view s, size_t max_items);

}  // namespace tegami::imap::proto::detail
