// Unicode case folding (ICU u_strFoldCase, full folding) for SEARCH comparisons.
#include "imap/server/text_fold.hpp"

#include <unicode/uchar.h>
#include <unicode/unistr.h>

namespace tegami::imap::server {

std::string fold_case(std::string_view utf8) {
  bool ascii = true;
  for (unsigned char c : utf8) {
    if (c >= 0x80) {
      ascii = false;
      break;
    }
  }
  std::string out;
  if (ascii) {
    out.assign(utf8);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  }
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  u.foldCase(U_FOLD_CASE_DEFAULT);
  u.toUTF8String(out);
  return out;
}

}  // namespace tegami::imap::server
