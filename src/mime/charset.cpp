// Charset conversion through ICU's ucnv_* converters; see README.md "Why ICU for charsets".
#include "mime/charset.hpp"

#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <memory>

#include "base/strings.hpp"

namespace tegami::mime {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Labels ICU does not know, or knows as a narrower set than what senders actually use.
struct Alias {
  std::string_view label;
  std::string_view icu;
};
constexpr Alias kAliases[] = {
    {"iso-8859-1", "windows-1252"},
    {"iso8859-1", "windows-1252"},
    {"latin1", "windows-1252"},
    {"latin-1", "windows-1252"},
    {"l1", "windows-1252"},
    {"cp1252", "windows-1252"},
    {"x-cp1252", "windows-1252"},
    {"ansi_x3.4-1968", "windows-1252"},
    {"sjis", "windows-31j"},
    {"x-sjis", "windows-31j"},
    {"shift_jis", "windows-31j"},
    {"shift-jis", "windows-31j"},
    {"x-shift_jis", "windows-31j"},
    {"ms_kanji", "windows-31j"},
    {"cp932", "windows-31j"},
    {"ms932", "windows-31j"},
    {"x-ms-cp932", "windows-31j"},
    {"windows-932", "windows-31j"},
    {"shift_jisx0213", "windows-31j"},
    {"x-euc-jp", "euc-jp"},
    {"eucjp", "euc-jp"},
    {"euc_jp", "euc-jp"},
    {"iso-2022-jp-ms", "iso-2022-jp"},
    {"csiso2022jp", "iso-2022-jp"},
    {"ks_c_5601-1987", "windows-949"},
    {"euc-kr", "windows-949"},
    {"gb2312", "gb18030"},
    {"gbk", "gb18030"},
    {"x-gbk", "gb18030"},
    {"cp936", "gb18030"},
    {"big5", "windows-950"},
    {"tis-620", "windows-874"},
    {"iso-8859-11", "windows-874"},
    {"iso-8859-8-i", "iso-8859-8"},
    {"iso-8859-9", "windows-1254"},
};

bool is_utf8_label(std::string_view l) {
  return l.empty() || l == "utf-8" || l == "utf8" || l == "us-ascii" || l == "ascii" ||
         l == "unknown-8bit" || l == "x-unknown" || l == "unknown" || l == "default" ||
         l == "x-user-defined" || l == "utf-8-sig";
}

// Charsets where 7-bit bytes do not mean ASCII (stateful or multi-byte units).
bool ascii_incompatible(std::string_view l) {
  return istarts_with(l, "utf-16") || istarts_with(l, "utf-32") || istarts_with(l, "ucs-") ||
         istarts_with(l, "utf-7") || istarts_with(l, "iso-2022") || istarts_with(l, "hz") ||
         istarts_with(l, "csiso2022") || istarts_with(l, "utf16") || istarts_with(l, "utf32");
}

std::string normalize_label(std::string_view charset) {
  std::string_view c = trim(charset);
  while (!c.empty() && (c.front() == '"' || c.front() == '\'')) {
    c.remove_prefix(1);
  }
  while (!c.empty() && (c.back() == '"' || c.back() == '\'')) {
    c.remove_suffix(1);
  }
  if (auto star = c.find('*'); star != std::string_view::npos) {
    c = c.substr(0, star);  // RFC 2231
  }
  std::string l = ascii_lower(trim(c));
  for (const auto& a : kAliases) {
    if (a.label == l) {
      return std::string(a.icu);
    }
  }
  return l;
}

void write_fffd(const void*, UConverterToUnicodeArgs* args, const char* units, int32_t length,
                UConverterCallbackReason reason, UErrorCode* err) {
  if (reason == UCNV_UNASSIGNED || reason == UCNV_ILLEGAL || reason == UCNV_IRREGULAR) {
    // ICU rejects an ISO-2022 escape sequence that directly follows another one (as when two
    // encoded words are joined: "ESC ( B" + "ESC $ B"); such a redundant escape is harmless.
    if (length > 0 && units[0] == '\x1b' && *err == U_ILLEGAL_ESCAPE_SEQUENCE) {
      *err = U_ZERO_ERROR;
      return;
    }
    static const UChar kSub = 0xFFFD;
    *err = U_ZERO_ERROR;
    ucnv_cbToUWriteUChars(args, &kSub, 1, 0, err);
  }
}

struct ConverterCloser {
  void operator()(UConverter* c) const { ucnv_close(c); }
};
using ConverterPtr = std::unique_ptr<UConverter, ConverterCloser>;

ConverterPtr open_converter(const std::string& label) {
  if (label.empty() || label.size() > 64) {
    return nullptr;
  }
  for (char ch : label) {  // ICU parses ",option" suffixes: accept only plain labels
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
          ch == '.' || ch == ':')) {
      return nullptr;
    }
  }
  UErrorCode err = U_ZERO_ERROR;
  ConverterPtr c(ucnv_open(label.c_str(), &err));
  if (U_FAILURE(err) || !c) {
    return nullptr;
  }
  err = U_ZERO_ERROR;
  ucnv_setToUCallBack(c.get(), write_fffd, nullptr, nullptr, nullptr, &err);
  return c;
}

void utf16_to_utf8(const std::u16string& u, size_t len, std::string& out) {
  out.reserve(out.size() + len);
  for (size_t i = 0; i < len; ++i) {
    uint32_t cp = u[i];
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < len && u[i + 1] >= 0xDC00 && u[i + 1] <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (u[i + 1] - 0xDC00);
      ++i;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD;
    }
    append_utf8(out, cp);
  }
}

// UTF-8 (sanitised) to UTF-16.
std::u16string utf8_to_utf16(std::string_view s) {
  std::u16string u;
  u.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t len;
    if (c < 0x80) {
      cp = c, len = 1;
    } else if (c < 0xE0) {
      cp = c & 0x1F, len = 2;
    } else if (c < 0xF0) {
      cp = c & 0x0F, len = 3;
    } else {
      cp = c & 0x07, len = 4;
    }
    for (size_t k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      u += static_cast<char16_t>(0xD800 + (cp >> 10));
      u += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    } else {
      u += static_cast<char16_t>(cp);
    }
  }
  return u;
}

}  // namespace

std::string sanitize_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0, n = in.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      const size_t j = i + 1 + ascii_prefix(in.substr(i + 1));  // copied as it is, at once
      out.append(in.data() + i, j - i);
      i = j;
      continue;
    }
    int need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c == 0xE0) {
      need = 2, lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      need = 2;
    } else if (c == 0xED) {
      need = 2, hi = 0x9F;
    } else if (c == 0xF0) {
      need = 3, lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      need = 3;
    } else if (c == 0xF4) {
      need = 3, hi = 0x8F;
    } else {
      out += kReplacement;
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool ok = true;
    for (int k = 0; k < need; ++k, ++j) {
      if (j >= n || static_cast<unsigned char>(in[j]) < lo ||
          static_cast<unsigned char>(in[j]) > hi) {
        ok = false;
        break;
      }
      lo = 0x80, hi = 0xBF;
    }
    if (ok) {
      out.append(in.substr(i, j - i));
    } else {
      out += kReplacement;
    }
    i = j;
  }
  return out;
}

bool charset_supported(std::string_view charset) {
  std::string label = normalize_label(charset);
  return is_utf8_label(label) || open_converter(label) != nullptr;
}

std::string to_utf8(std::string_view bytes, std::string_view charset) {
  std::string label = normalize_label(charset);
  if (is_utf8_label(label)) {
    return sanitize_utf8(bytes);
  }
  if (!ascii_incompatible(label)) {
    bool ascii = true;
    for (char c : bytes) {
      if (static_cast<unsigned char>(c) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return std::string(bytes);
    }
  }
  ConverterPtr cnv = open_converter(label);
  if (!cnv) {
    return sanitize_utf8(bytes);
  }
  std::u16string u(bytes.size() + 16, u'\0');
  const char* src = bytes.data();
  const char* src_end = bytes.data() + bytes.size();
  UChar* target = reinterpret_cast<UChar*>(u.data());
  for (;;) {
    UErrorCode err = U_ZERO_ERROR;
    UChar* base = reinterpret_cast<UChar*>(u.data());
    ucnv_toUnicode(cnv.get(), &target, base + u.size(), &src, src_end, nullptr, true, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) {
      size_t done = static_cast<size_t>(target - base);
      u.resize(u.size() * 2);
      target = reinterpret_cast<UChar*>(u.data()) + done;
      continue;
    }
    if (U_FAILURE(err)) {
      return sanitize_utf8(bytes);
    }
    break;
  }
  std::string out;
  utf16_to_utf8(u, static_cast<size_t>(target - reinterpret_cast<UChar*>(u.data())), out);
  return out;
}

std::string fold_case(std::string_view utf8) {
  std::u16string src = utf8_to_utf16(sanitize_utf8(utf8));
  UErrorCode err = U_ZERO_ERROR;
  const UNormalizer2* norm = unorm2_getNFKCCasefoldInstance(&err);
  if (U_FAILURE(err) || src.empty()) {
    return std::string(sanitize_utf8(utf8));
  }
  std::u16string dst(src.size() + src.size() / 2 + 16, u'\0');
  for (int attempt = 0; attempt < 3; ++attempt) {
    err = U_ZERO_ERROR;
    int32_t n = unorm2_normalize(
        norm, reinterpret_cast<const UChar*>(src.data()), static_cast<int32_t>(src.size()),
        reinterpret_cast<UChar*>(dst.data()), static_cast<int32_t>(dst.size()), &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) {
      dst.assign(static_cast<size_t>(n) + 16, u'\0');
      continue;
    }
    if (U_FAILURE(err)) {
      break;
    }
    std::string out;
    utf16_to_utf8(dst, static_cast<size_t>(n), out);
    return out;
  }
  return sanitize_utf8(utf8);
}

bool fold_contains(std::string_view haystack_folded, std::string_view needle) {
  std::string n = fold_case(needle);
  if (n.empty()) {
    return true;
  }
  return haystack_folded.find(n) != std::string_view::npos;
}

}  // namespace tegami::mime
