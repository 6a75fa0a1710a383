// RFC 3464 (message/delivery-status: §2.2 per-message fields, §2.3 per-recipient fields),
// RFC 6522 §3 (multipart/report, text/rfc822-headers), RFC 3463 (enhanced status codes),
// RFC 6533 §3-§4 (utf-8 address type, message/global-delivery-status, message/global-headers),
// RFC 6532 §3.7 (message/global), RFC 3834 §5 (Auto-Submitted), RFC 2047 §4-§5 (encoded
// words in Subject and in the From phrase), RFC 5322 §2.1.1 (998-octet lines), §3.3 (dates).
#include "queue/dsn.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <initializer_list>
#include <optional>

#include "base/clock.hpp"
#include "base/strings.hpp"
#include "mime/charset.hpp"
#include "mime/compose.hpp"
#include "mime/structure.hpp"

namespace tegami::queue {

namespace {

// ---------------------------------------------------------------------------------------------
// Small text helpers

// One line of text from outside: valid UTF-8 (invalid sequences become U+FFFD), every control
// character (CR and LF included) a space, runs of spaces collapsed, trimmed, at most `max`
// bytes. With `ascii_only`, every non-ASCII character becomes '?'.
std::string clean_line(std::string_view in, size_t max, bool ascii_only = false) {
  std::string utf8 = mime::sanitize_utf8(in);
  std::string out;
  out.reserve(std::min(utf8.size(), max));
  bool space = false;
  for (size_t i = 0; i < utf8.size();) {
    auto c = static_cast<unsigned char>(utf8[i]);
    size_t len = utf8_seq_len(c);
    bool ctl = c < 0x20 || c == 0x7F;
    // C1 controls (U+0080..U+009F) and U+2028/U+2029 can also break lines in some viewers.
    if (len == 2 && c == 0xC2 && static_cast<unsigned char>(utf8[i + 1]) < 0xA0) ctl = true;
    if (len == 3 && c == 0xE2 && static_cast<unsigned char>(utf8[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(utf8[i + 2]) == 0xA8 ||
         static_cast<unsigned char>(utf8[i + 2]) == 0xA9)) {
      ctl = true;
    }
    if (ctl || c == ' ') {
      space = true;
      i += len;
      continue;
    }
    std::string_view ch = std::string_view(utf8).substr(i, len);
    std::string_view put = (ascii_only && len > 1) ? std::string_view("?") : ch;
    size_t need = put.size() + ((space && !out.empty()) ? 1 : 0);
    if (out.size() + need > max) break;
    if (space && !out.empty()) out += ' ';
    space = false;
    out += put;
    i += len;
  }
  return out;
}

// A remote reply, possibly multi-line ("550-5.1.1 a\r\n550-5.1.1 b\r\n550 5.1.1 c", or text
// lines joined with "\n" after the first "550 5.1.1 a"), as one line: the continuation lines'
// repeated reply code and enhanced code are dropped, lines joined with a space.
std::string join_reply(std::string_view diag) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i <= diag.size(); ++i) {
    if (i == diag.size() || diag[i] == '\n' || diag[i] == '\r') {
      if (i > start) lines.push_back(diag.substr(start, i - start));
      start = i + 1;
    }
  }
  auto digits = [](std::string_view s, size_t n) {
    if (s.size() < n) return false;
    for (size_t i = 0; i < n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
  };
  std::string code;      // "550"
  std::string enhanced;  // "5.1.1"
  std::string out;
  for (size_t n = 0; n < lines.size(); ++n) {
    std::string_view line = trim(lines[n]);
    if (line.empty()) continue;
    std::string_view lead_code;
    if (digits(line, 3) && (line.size() == 3 || line[3] == ' ' || line[3] == '-')) {
      lead_code = line.substr(0, 3);
      line = trim(line.substr(3 + (line.size() > 3 ? 1 : 0)));
    }
    // Enhanced code right after the reply code.
    std::string_view lead_enh;
    size_t sp = line.find(' ');
    std::string_view first = line.substr(0, sp);
    if (first.size() >= 5 && first.size() <= 9 && first[1] == '.' &&
        first.find_first_not_of("0123456789.") == std::string_view::npos) {
      lead_enh = first;
    }
    if (out.empty()) {
      code = std::string(lead_code);
      enhanced = std::string(lead_enh);
      if (!code.empty()) out += code + " ";
      out += line;
      continue;
    }
    if (!lead_code.empty() && lead_code != code) {
      out += " " + std::string(lead_code);  // a different code is information: keep it
    }
    if (!lead_enh.empty() && lead_enh == enhanced) {
      line = trim(sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1));
    }
    if (!line.empty()) out += " " + std::string(line);
  }
  return out;
}

constexpr size_t kMaxDiagnostic = 4000;  // bytes kept of a remote reply (they can be 64 KiB)
constexpr size_t kMaxAddress = 512;
constexpr size_t kMaxHost = 255;

std::string clean_diagnostic(std::string_view diag, bool ascii_only) {
  return clean_line(join_reply(diag), kMaxDiagnostic, ascii_only);
}

// A host name or address literal: letters, digits and ".-_:[]" only.
std::string clean_host(std::string_view s) {
  std::string out;
  for (char ch : trim(s)) {
    if (out.size() >= kMaxHost) break;
    auto c = static_cast<unsigned char>(ch);
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']';
    if (ok) out += ch;
  }
  return out;
}

// An address for a header field: one line, no angle brackets (we add our own).
std::string clean_address(std::string_view s) {
  std::string line = clean_line(s, kMaxAddress);
  std::string out;
  for (char c : line) {
    if (c != '<' && c != '>') out += c;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Dates

std::tm utc_tm(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string human_date_ja(int64_t unix_seconds) {
  std::tm tm = utc_tm(unix_seconds + 9 * 3600);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d年%d月%d日 %02d:%02d(日本時間)", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
  return buf;
}

// "Fri, 20 Nov 2026 14:00 UTC".
std::string human_date_en(int64_t unix_seconds) {
  std::tm tm = utc_tm(unix_seconds);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d UTC", kDays[tm.tm_wday % 7], tm.tm_mday,
                kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
  return buf;
}

std::string human_size(int64_t bytes) {
  constexpr int64_t kMiB = 1024 * 1024;
  if (bytes >= kMiB) return std::to_string((bytes + kMiB / 2) / kMiB) + " MB";
  return std::to_string((bytes + 512) / 1024) + " KB";
}

// ---------------------------------------------------------------------------------------------
// Header encoding

// "Name: value" folded at spaces so that lines stay near 78 characters; a run without spaces
// longer than 998 octets is split (between UTF-8 characters) with a folding space.
std::string fold_field(std::string_view name, std::string_view value) {
  constexpr size_t kSoft = 78;
  constexpr size_t kHard = 990;
  std::string out(name);
  out += ": ";
  size_t line_len = out.size();
  size_t i = 0;
  bool first = true;
  while (i < value.size()) {
    size_t sp = value.find(' ', i);
    std::string_view word = value.substr(i, sp == std::string_view::npos ? sp : sp - i);
    i = sp == std::string_view::npos ? value.size() : sp + 1;
    if (word.empty()) continue;
    if (!first) {
      if (line_len + 1 + word.size() > kSoft) {
        out += "\r\n";
        line_len = 0;
      }
      out += ' ';
      ++line_len;
    }
    first = false;
    while (line_len + word.size() > kHard) {
      std::string_view piece = utf8_prefix(word, kHard - line_len);
      if (piece.empty()) piece = word.substr(0, 1);
      out += piece;
      out += "\r\n ";
      line_len = 1;
      word.remove_prefix(piece.size());
    }
    out += word;
    line_len += word.size();
  }
  out += "\r\n";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Status codes and their explanation

struct Code {
  int cls = 0;  // 2, 4, 5; 0 = none
  int subject = 0;
  int detail = 0;
};

// "5.1.1" (RFC 3463 §2: class "." 1*3digit "." 1*3digit).
std::optional<Code> parse_code(std::string_view s) {
  auto parts = split(s, '.');
  if (parts.size() != 3) return std::nullopt;
  if (parts[0] != "2" && parts[0] != "4" && parts[0] != "5") return std::nullopt;
  if (parts[1].empty() || parts[1].size() > 3 || parts[2].empty() || parts[2].size() > 3) {
    return std::nullopt;
  }
  auto sub = parse_u64(parts[1]);
  auto det = parse_u64(parts[2]);
  if (!sub || !det) return std::nullopt;
  return Code{parts[0][0] - '0', static_cast<int>(*sub), static_cast<int>(*det)};
}

bool has_reply_code(std::string_view diag) {
  diag = trim(diag);
  return diag.size() >= 3 && diag[0] >= '2' && diag[0] <= '5' && diag[1] >= '0' && diag[1] <= '9' &&
         diag[2] >= '0' && diag[2] <= '9' && (diag.size() == 3 || diag[3] == ' ' || diag[3] == '-');
}

// The status of a recipient: its own when valid, else the enhanced code in the reply
// ("550 5.1.1 ..."), else class from the reply code (5.0.0 / 4.0.0), else from the action.
Code effective_code(const DsnRecipient& r) {
  if (auto c = parse_code(trim(r.status))) return *c;
  std::string joined = join_reply(r.diagnostic);
  std::string_view d = trim(joined);
  if (has_reply_code(d)) {
    std::string_view rest = trim(d.substr(3));
    std::string_view first = rest.substr(0, rest.find(' '));
    if (auto c = parse_code(first)) return *c;
    return Code{d[0] - '0', 0, 0};
  }
  if (iequals(r.action, "delayed")) return Code{4, 0, 0};
  if (iequals(r.action, "delivered") || iequals(r.action, "relayed") ||
      iequals(r.action, "expanded")) {
    return Code{2, 0, 0};
  }
  return Code{5, 0, 0};
}

enum class Cat {
  kGeneric,
  kBadMailbox,
  kBadSyntax,
  kMoved,
  kBadDomain,
  kNullMx,
  kDisabled,
  kMailboxFull,
  kSystemFull,
  kTooBig,
  kNoAnswer,
  kDns,
  kLoop,
  kExpired,
  kProtocol,
  kTooManyRcpts,
  kContent,
  kSpam,
  kRelay,
  kSenderAuth,
  kReverseDns,
  kBadSender,
  kRequireTls,
  kTls,
  kSecurity,
  kGreylist,
  kRateLimit,
  kMailSystem,
};

bool contains_any(std::string_view hay, std::initializer_list<std::string_view> needles) {
  for (std::string_view n : needles) {
    if (hay.find(n) != std::string_view::npos) return true;
  }
  return false;
}

// Common reply texts, for replies whose status says little ("550 5.0.0 User unknown").
std::optional<Cat> category_from_text(std::string_view diagnostic) {
  std::string t = ascii_lower(join_reply(diagnostic));
  if (t.empty()) return std::nullopt;
  if (contains_any(t, {"greylist", "graylist", "grey-list", "gray-list"})) return Cat::kGreylist;
  if (contains_any(t, {"dmarc", "spf", "dkim", "unauthenticated", "not authenticated",
                       "sender authentication"})) {
    return Cat::kSenderAuth;
  }
  if (contains_any(t, {"reverse dns", "reverse lookup", "ptr record", "rdns", "reverse-dns"})) {
    return Cat::kReverseDns;
  }
  if (contains_any(t, {"relay access denied", "relaying denied", "relay not permitted",
                       "not permitted to relay", "relaying not allowed", "unable to relay",
                       "relay denied", "we do not relay", "relay access"})) {
    return Cat::kRelay;
  }
  if (contains_any(
          t, {"mailbox full", "mailbox is full", "full mailbox", "over quota", "quota exceeded",
              "exceeded quota", "quota", "insufficient storage", "storage space", "out of storage",
              "mailbox size limit", "exceeded storage"})) {
    return Cat::kMailboxFull;
  }
  if (contains_any(t, {"too large", "too big", "message size", "size limit", "exceeds the max",
                       "maximum message size", "message length exceeds", "size exceeds"})) {
    return Cat::kTooBig;
  }
  if (contains_any(t, {"too many recipients"})) return Cat::kTooManyRcpts;
  if (contains_any(
          t, {"host not found", "domain not found", "name or service not known", "nxdomain",
              "no mx", "host or domain name not found", "domain does not exist", "unknown domain",
              "no such domain", "domain name not found"})) {
    return Cat::kBadDomain;
  }
  if (contains_any(t, {"user unknown",          "unknown user",      "no such user",
                       "no such mailbox",       "no such recipient", "no such address",
                       "does not exist",        "doesn't exist",     "not exist",
                       "invalid recipient",     "invalid mailbox",   "invalid address",
                       "unknown recipient",     "recipient unknown", "recipient not found",
                       "user not found",        "mailbox not found", "address not found",
                       "unknown address",       "address rejected",  "mailbox unavailable",
                       "unrouteable address",   "no mailbox",        "doesn't have a",
                       "not a valid recipient", "no such account"})) {
    return Cat::kBadMailbox;
  }
  if (contains_any(t, {"disabled", "deactivated", "inactive", "suspended", "no longer active",
                       "account expired", "expired account", "account locked", "is locked"})) {
    return Cat::kDisabled;
  }
  if (contains_any(
          t, {"rate limit", "ratelimit", "rate-limit", "too many messages", "too many connections",
              "sending rate", "throttl", "too many mails", "too many emails"})) {
    return Cat::kRateLimit;
  }
  if (contains_any(t, {"starttls", "tls", "ssl", "certificate", "encryption"})) {
    return Cat::kTls;
  }
  if (contains_any(t, {"spam",
                       "blocked",
                       "blacklist",
                       "blocklist",
                       "black list",
                       "block list",
                       "denylist",
                       "rbl",
                       "spamhaus",
                       "reputation",
                       "junk",
                       "content rejected",
                       "rejected due to content",
                       "policy",
                       "refused",
                       "not accepted",
                       "prohibited",
                       "suspicious",
                       "abuse",
                       "virus",
                       "malware"})) {
    return Cat::kSpam;
  }
  if (contains_any(t, {"timed out", "timeout", "connection refused", "connection reset",
                       "no route to host", "network is unreachable", "lost connection",
                       "connection closed", "connection dropped"})) {
    return Cat::kNoAnswer;
  }
  if (contains_any(t, {"loop", "too many hops"})) return Cat::kLoop;
  return std::nullopt;
}

Cat categorize(const DsnRecipient& r, const Code& c) {
  auto text = [&](Cat fallback) { return category_from_text(r.diagnostic).value_or(fallback); };
  switch (c.subject) {
    case 1:
      switch (c.detail) {
        case 1:
          return Cat::kBadMailbox;
        case 2:
          return Cat::kBadDomain;
        case 3:
          return Cat::kBadSyntax;
        case 6:
          return Cat::kMoved;
        case 7:
        case 8:
          return Cat::kBadSender;
        case 10:
          return Cat::kNullMx;
        default:
          return text(Cat::kBadMailbox);
      }
    case 2:
      switch (c.detail) {
        case 1:
          return Cat::kDisabled;
        case 2:
          return Cat::kMailboxFull;
        case 3:
          return Cat::kTooBig;
        default:
          return text(Cat::kGeneric);
      }
    case 3:
      switch (c.detail) {
        case 1:
          return Cat::kSystemFull;
        case 4:
          return Cat::kTooBig;
        default:
          return text(Cat::kMailSystem);
      }
    case 4:
      switch (c.detail) {
        case 1:
        case 2:
          return Cat::kNoAnswer;
        case 3:
          return Cat::kDns;
        case 4:
          return Cat::kBadDomain;
        case 5:
          return Cat::kSystemFull;
        case 6:
          return Cat::kLoop;
        case 7:
          return text(Cat::kExpired);
        default:
          return text(Cat::kNoAnswer);
      }
    case 5:
      if (c.detail == 3) return Cat::kTooManyRcpts;
      return text(Cat::kProtocol);
    case 6:
      return text(Cat::kContent);
    case 7:
      switch (c.detail) {
        case 1:
          return text(Cat::kSpam);
        case 4:
        case 5:
        case 11:
          return text(Cat::kTls);
        case 10:
        case 30:
          return Cat::kRequireTls;
        case 13:
          return Cat::kDisabled;
        case 17:
        case 18:
          return Cat::kMoved;
        case 20:
        case 21:
        case 22:
        case 23:
        case 24:
        case 26:
          return Cat::kSenderAuth;
        case 25:
          return Cat::kReverseDns;
        case 27:
          return Cat::kBadSender;
        default:
          return text(Cat::kSecurity);
      }
    default:
      return text(Cat::kGeneric);
  }
}

struct Texts {
  const char* failed_ja;
  const char* failed_en;
  const char* todo_ja;  // after a failure
  const char* todo_en;
  const char* delayed_ja;
  const char* delayed_en;
  const char* hint_ja;  // after a delay, before "nothing to do yet"; may be ""
  const char* hint_en;
};

constexpr const char* kTodoLaterJa =
    "あなたの側の問題ではありません。時間をおいて送り直すか、別の方法で相手に知らせてください。";
constexpr const char* kTodoLaterEn =
    "This is not a problem on your side. Send the message again later, or let the recipient know "
    "another way.";
constexpr const char* kTodoAdminJa =
    "あなたの操作が原因ではなく、サーバー側の設定の問題です。この通知をサーバーの管理者に転送して"
    "ください。";
constexpr const char* kTodoAdminEn =
    "This is not caused by anything you did; it is a server setting. Forward this notice to your "
    "server's administrator.";
constexpr const char* kHintAdminJa = "続く場合は、この通知をサーバーの管理者に転送してください。";
constexpr const char* kHintAdminEn =
    "If this keeps happening, forward this notice to your server's administrator.";
constexpr const char* kTodoSpellingJa =
    "アドレスのつづりを確認してください。1文字の抜けや入れ替わり、余分な空白、全角文字がよくある"
    "間違いです。正しいアドレスを相手に確かめてから、送り直してください。";
constexpr const char* kTodoSpellingEn =
    "Check the spelling of the address: a missing or swapped letter, an extra space or a "
    "full-width character are common mistakes. Confirm the right address with the recipient, "
    "then send the message again.";
constexpr const char* kHintSpellingJa = "念のため、アドレスのつづりも確認してください。";
constexpr const char* kHintSpellingEn =
    "It is worth checking the spelling of the address meanwhile.";
constexpr const char* kTodoDomainJa =
    "@より後のつづりを確認してください。正しい場合は、相手のサーバーが止まっている可能性があります"
    "。"
    "時間をおいて送り直すか、別の方法で相手に知らせてください。";
constexpr const char* kTodoDomainEn =
    "Check the spelling after the @. If it is right, the recipient's server may be down: send "
    "the message again later, or let the recipient know another way.";

const Texts& texts(Cat cat) {
  static const Texts kGeneric = {
      "相手のメールサーバーがこのメールを受け付けませんでした。",
      "The recipient's mail server did not accept the message.",
      "宛先のアドレスに間違いがないか確認してください。理由がわからない場合は、この通知をサーバーの"
      "管理者に転送してください。",
      "Check that the recipient's address is right. If the reason is unclear, forward this "
      "notice to your server's administrator.",
      "相手のメールサーバーが一時的なエラーを返したため、まだ届けられていません。",
      "The recipient's mail server reported a temporary problem, so the message has not been "
      "delivered yet.",
      "",
      ""};
  static const Texts kBadMailbox = {
      "宛先のメールアドレスは、相手のメールサーバーに存在しません(@より前の部分が見つかりません)。",
      "The recipient's address does not exist on their mail server (the part before the @ is "
      "unknown there).",
      kTodoSpellingJa,
      kTodoSpellingEn,
      "相手のメールサーバーが、この宛先アドレスを今は確認できないと答えています。",
      "The recipient's mail server says it cannot confirm this address right now.",
      kHintSpellingJa,
      kHintSpellingEn};
  static const Texts kBadSyntax = {
      "宛先のメールアドレスの書き方が正しくないため、相手のメールサーバーが受け付けませんでした。",
      "The recipient's address is not written in a valid form, so their mail server refused it.",
      kTodoSpellingJa,
      kTodoSpellingEn,
      "相手のメールサーバーが、宛先アドレスの書き方に問題があると答えています。",
      "The recipient's mail server says the address is not written in a valid form.",
      kHintSpellingJa,
      kHintSpellingEn};
  static const Texts kMoved = {
      "宛先のメールアドレスは、すでに使われていません("
      "持ち主が変わったか、転送先が登録されていません)"
      "。",
      "The recipient's address is no longer in use (it changed owner, or no forwarding address "
      "was left).",
      "相手の新しいメールアドレスを確かめて、そちらに送ってください。",
      "Ask the recipient for their new address and send the message there.",
      "相手のメールサーバーが、この宛先アドレスはもう使われていない可能性があると答えています。",
      "The recipient's mail server says the address may no longer be in use.",
      "相手の新しいアドレスを確かめておくと確実です。",
      "You may want to check the recipient's current address."};
  static const Texts kBadDomain = {
      "宛先のドメイン(@より後の部分)が存在しないか、メールを受け取るサーバーが設定されていません。",
      "The recipient's domain (the part after the @) does not exist, or it has no mail server.",
      "@より後のつづりを確認してください(例: gmail.com を gmial.com、.co.jp を .jp "
      "と書いていないか)。正しい場合は、相手のドメインの設定に問題があります。",
      "Check the spelling after the @ (for example gmial.com instead of gmail.com, or .jp "
      "instead of .co.jp). If it is right, the recipient's domain is misconfigured.",
      "宛先のドメインのメールサーバーが、今は見つかりません(DNS "
      "の一時的な問題の可能性があります)。",
      "The mail server of the recipient's domain cannot be found at the moment (possibly a "
      "temporary DNS problem).",
      "@より後のつづりも確認してください。",
      "Please also check the spelling after the @."};
  static const Texts kNullMx = {
      "宛先のドメインは「メールを一切受け取らない」と公表しています(null MX)。",
      "The recipient's domain publishes that it accepts no mail at all (a \"null MX\" record).",
      "アドレスが正しいか相手に確かめてください。このドメインあてには送れません。",
      "Check the address with the recipient; mail cannot be sent to this domain.",
      "宛先のドメインは「メールを一切受け取らない」と公表しています(null MX)。",
      "The recipient's domain publishes that it accepts no mail at all (a \"null MX\" record).",
      "アドレスが正しいか相手に確かめてください。",
      "Please check the address with the recipient."};
  static const Texts kDisabled = {
      "宛先のメールボックスは停止されていて、メールを受け取れません。",
      "The recipient's mailbox has been disabled and does not accept mail.",
      "別の方法で相手に連絡して、使えるメールアドレスを確かめてください。",
      "Contact the recipient another way and ask for an address that works.",
      "宛先のメールボックスが、一時的にメールの受け取りを停止しています。",
      "The recipient's mailbox is temporarily not accepting mail.",
      "",
      ""};
  static const Texts kMailboxFull = {
      "相手のメールボックスが容量いっぱいで、これ以上メールを受け取れません。",
      "The recipient's mailbox is full and cannot take any more mail.",
      "あなたの側の問題ではありません。別の方法で相手に知らせて空き容量を作ってもらい、そのあとで"
      "送り直してください。",
      "This is not a problem on your side. Let the recipient know another way so they can free "
      "up space, then send the message again.",
      "相手のメールボックスが容量いっぱいのため、まだ届けられていません。",
      "The recipient's mailbox is full, so the message has not been delivered yet.",
      "相手が空き容量を作れば届きます。別の方法で知らせると早く届きます。",
      "It will arrive once the recipient frees up space; telling them another way can speed "
      "this up."};
  static const Texts kSystemFull = {
      "相手のメールサーバーが混雑しているか容量が足りず、受け取ってもらえませんでした。",
      "The recipient's mail server was overloaded or out of storage and did not take the "
      "message.",
      kTodoLaterJa,
      kTodoLaterEn,
      "相手のメールサーバーが混雑しているか、容量が足りない状態です。",
      "The recipient's mail server is overloaded or short of storage.",
      "",
      ""};
  static const Texts kTooBig = {
      "メールが大きすぎるため、相手のメールサーバーが受け取りを断りました。",
      "The message is too large for the recipient's mail server.",
      "添付ファイルを小さくするか、数通に分けて送ってください。このサーバーでは合計 {limit} "
      "を超える添付ファイルは Mail Drop "
      "のダウンロードリンクに自動で置き換わりますが、相手のサーバーの上限はそれより小さいようです。"
      "大きなファイルは、ウェブメールで Mail Drop を使って添付し、リンクとして送ってください。",
      "Make the attachments smaller or split them over several messages. Attachments over "
      "{limit} in total are turned into Mail Drop download links automatically here, but the "
      "recipient's server accepts less than that: attach large files with Mail Drop in webmail "
      "to send them as a link.",
      "メールが大きすぎるため、相手のメールサーバーが今は受け取れないと答えています。",
      "The recipient's mail server says the message is too large to accept right now.",
      "届かない場合は、添付ファイルを小さくするか Mail Drop で送ってください。",
      "If it does not go through, make the attachments smaller or send them with Mail Drop."};
  static const Texts kNoAnswer = {
      "相手のメールサーバーに長い時間つながらなかったため、配信をあきらめました。",
      "The recipient's mail server could not be reached for a long time, so delivery was given "
      "up.",
      kTodoDomainJa,
      kTodoDomainEn,
      "相手のメールサーバーにつながりません(応答がないか、途中で接続が切れました)。",
      "The recipient's mail server cannot be reached (it does not answer, or the connection "
      "was cut).",
      "",
      ""};
  static const Texts kDns = {
      "相手のドメインの情報(DNS)を調べられない状態が続いたため、配信をあきらめました。",
      "The recipient's domain could not be looked up in DNS for a long time, so delivery was "
      "given up.",
      kTodoDomainJa,
      kTodoDomainEn,
      "相手のドメインの情報(DNS)を今は調べられません。",
      "The recipient's domain cannot be looked up in DNS at the moment.",
      "",
      ""};
  static const Texts kLoop = {
      "メールがサーバーの間で転送を繰り返し(ループ)、届け先にたどり着けませんでした。",
      "The message went round in a forwarding loop between servers and never reached the "
      "mailbox.",
      "相手側の転送設定の問題です。別の方法で相手に知らせてください。",
      "The recipient's forwarding settings are wrong: let them know another way.",
      "メールがサーバーの間で転送を繰り返しています(ループ)。",
      "The message is going round in a forwarding loop between servers.",
      "",
      ""};
  static const Texts kExpired = {
      "何度も配信を試みましたが、期限までに届けられませんでした。",
      "Delivery was attempted many times but did not succeed before the time limit.",
      "時間をおいて送り直してください。同じことが続く場合は、別の方法で相手に知らせてください。",
      "Send the message again later. If this keeps happening, let the recipient know another "
      "way.",
      "配信に時間がかかっています。",
      "Delivery is taking longer than usual.",
      "",
      ""};
  static const Texts kProtocol = {
      "相手のメールサーバーとのやり取り(SMTP の手順)でエラーが起きました。",
      "An error occurred in the exchange with the recipient's mail server (the SMTP protocol).",
      "多くの場合、あなたの操作では直せません。続くようなら、この通知をサーバーの管理者に転送して"
      "ください。",
      "This is usually nothing you can fix yourself. If it keeps happening, forward this notice "
      "to your server's administrator.",
      "相手のメールサーバーとのやり取り(SMTP の手順)でエラーが起きています。",
      "An error occurs in the exchange with the recipient's mail server (the SMTP protocol).",
      "",
      ""};
  static const Texts kTooManyRcpts = {
      "宛先の数が多すぎると、相手のメールサーバーが答えました。",
      "The recipient's mail server says the message has too many recipients.",
      "宛先を分けて、何回かに分けて送ってください。",
      "Split the recipients and send the message in several batches.",
      "宛先の数が多いため、相手のメールサーバーが少しずつ受け取っています。",
      "The recipient's mail server takes only some recipients at a time because there are many.",
      "",
      ""};
  static const Texts kContent = {
      "相手のメールサーバーは、このメールの形式(文字コードや添付ファイルの種類など)"
      "を受け付けませんでした。",
      "The recipient's mail server does not accept the format of this message (its character "
      "set or the type of an attachment, for example).",
      "添付ファイルを外すか別の形式にして、送り直してください。",
      "Remove the attachment or use another format, then send the message again.",
      "相手のメールサーバーが、このメールの形式を今は受け付けられないと答えています。",
      "The recipient's mail server says it cannot accept the format of this message right now.",
      "",
      ""};
  static const Texts kSpam = {
      "相手のメールサーバーが受け取りを拒否しました。迷惑メールと判断されたか、相手側の受信ルール"
      "で許可されていないためです。",
      "The recipient's mail server refused the message: it was judged to be spam, or the "
      "recipient's rules do not allow it.",
      "本文・リンク・添付ファイルを見直してください(短縮URL、大量の宛先、実行ファイルの添付は迷惑"
      "メールと判断されやすくなります)。別の方法で相手に連絡して、あなたのアドレスを受信許可に加え"
      "てもらうのも有効です。続く場合は、この通知をサーバーの管理者に転送してください。",
      "Review the text, links and attachments (shortened links, many recipients and attached "
      "programs make mail look like spam). Asking the recipient, by other means, to allow your "
      "address also helps. If it keeps happening, forward this notice to your server's "
      "administrator.",
      "相手のメールサーバーが、このメールの受け取りを一時的に保留しています(迷惑メール対策や受信"
      "ルールによるもの)。",
      "The recipient's mail server is holding the message back for now (spam protection or the "
      "recipient's rules).",
      "",
      ""};
  static const Texts kRelay = {
      "接続した相手のサーバーは、宛先のドメインのメールを扱っていないと答えました。",
      "The server we reached says it does not handle mail for the recipient's domain.",
      "@より後のつづりを確認してください。正しい場合は、相手のドメインのメール設定に問題があります"
      "。"
      "別の方法で相手に知らせてください。",
      "Check the spelling after the @. If it is right, the recipient's domain has a mail setup "
      "problem: let them know another way.",
      "接続した相手のサーバーは、宛先のドメインのメールを今は扱えないと答えています。",
      "The server we reached says it cannot handle mail for the recipient's domain right now.",
      "@より後のつづりも確認してください。",
      "Please also check the spelling after the @."};
  static const Texts kSenderAuth = {
      "相手のメールサーバーは、このメールが本当にあなたのドメインから送られたことを確認できず(SPF・"
      "DKIM・DMARC による送信者の認証に失敗)、受け取りを拒否しました。",
      "The recipient's mail server could not verify that the message really came from your "
      "domain (sender authentication with SPF, DKIM or DMARC failed) and refused it.",
      "あなたの操作が原因ではなく、送信に使ったドメインの DNS "
      "設定の問題です。この通知をサーバーの管理者に転送してください(独自ドメインを使っている場合は"
      "、そのドメインの SPF・DKIM・DMARC の設定を確認してください)。",
      "This is not caused by anything you did: the DNS settings of the sending domain need "
      "fixing. Forward this notice to your server's administrator (if you use your own domain, "
      "check its SPF, DKIM and DMARC records).",
      "相手のメールサーバーが、送信者の認証(SPF・DKIM・DMARC)を確認できないとして、受け取りを保留"
      "しています。",
      "The recipient's mail server is holding the message back because it cannot verify the "
      "sender (SPF, DKIM or DMARC).",
      kHintAdminJa,
      kHintAdminEn};
  static const Texts kReverseDns = {
      "相手のメールサーバーは、こちらの送信サーバーの IP "
      "アドレスの逆引き(PTR レコード)を確認できないとして、受け取りを拒否しました。",
      "The recipient's mail server refused the message because our sending server's IP address "
      "has no matching reverse DNS (PTR) record.",
      kTodoAdminJa,
      kTodoAdminEn,
      "相手のメールサーバーは、こちらの送信サーバーの IP "
      "アドレスの逆引き(PTR レコード)を確認できないとして、受け取りを保留しています。",
      "The recipient's mail server is holding the message back because our sending server's IP "
      "address has no matching reverse DNS (PTR) record.",
      kHintAdminJa,
      kHintAdminEn};
  static const Texts kBadSender = {
      "相手のメールサーバーは、送信者(あなた)のアドレスまたはドメインを受け付けませんでした。",
      "The recipient's mail server did not accept the sender's address or domain (yours).",
      kTodoAdminJa,
      kTodoAdminEn,
      "相手のメールサーバーは、送信者(あなた)のアドレスまたはドメインを今は受け付けられないと答え"
      "ています。",
      "The recipient's mail server says it cannot accept the sender's address or domain (yours) "
      "right now.",
      kHintAdminJa,
      kHintAdminEn};
  static const Texts kRequireTls = {
      "このメールは「暗号化(TLS)された経路でのみ配信する」指定(REQUIRETLS)付きで送られましたが、"
      "相手のメールサーバーがそれに対応していないか、安全な接続を確認できませんでした。",
      "This message was sent with \"deliver only over encrypted (TLS) connections\" "
      "(REQUIRETLS), but the recipient's mail server does not support that or a secure "
      "connection could not be verified.",
      "暗号化必須の指定を外して送り直すか、別の方法で相手に送ってください。",
      "Send it again without the \"require encryption\" option, or use another way to reach "
      "the recipient.",
      "このメールは暗号化(TLS)必須の指定付きですが、相手のメールサーバーとの安全な接続をまだ確立"
      "できていません。",
      "This message requires encrypted (TLS) delivery, and a secure connection to the "
      "recipient's mail server could not be made yet.",
      "",
      ""};
  static const Texts kTls = {
      "相手のメールサーバーと安全な暗号化接続(TLS)を確立できませんでした(証明書や暗号化の設定の"
      "問題)。",
      "A secure encrypted (TLS) connection to the recipient's mail server could not be made (a "
      "certificate or encryption setting problem).",
      "相手側のサーバー設定の問題であることがほとんどです。時間をおいて送り直すか、別の方法で相手に"
      "知らせてください。",
      "This is almost always a setting on the recipient's side. Send the message again later, "
      "or let the recipient know another way.",
      "相手のメールサーバーと安全な暗号化接続(TLS)を、まだ確立できていません。",
      "A secure encrypted (TLS) connection to the recipient's mail server cannot be made at the "
      "moment.",
      "",
      ""};
  static const Texts kSecurity = {
      "相手のメールサーバーが、セキュリティ上の理由で受け取りを拒否しました。",
      "The recipient's mail server refused the message for security reasons.",
      kHintAdminJa,
      kHintAdminEn,
      "相手のメールサーバーが、セキュリティ上の理由で受け取りを保留しています。",
      "The recipient's mail server is holding the message back for security reasons.",
      "",
      ""};
  static const Texts kGreylist = {
      "相手のメールサーバーが迷惑メール対策(グレーリスト)のために受け取りを保留し続け、期限まで"
      "に届けられませんでした。",
      "The recipient's mail server kept deferring the message (greylisting, a spam protection) "
      "until the time limit.",
      kTodoLaterJa,
      kTodoLaterEn,
      "相手のメールサーバーが迷惑メール対策(グレーリスト)のため、初めての送信者からのメールを"
      "いったん保留しています。",
      "The recipient's mail server defers mail from new senders for a while (greylisting, a "
      "spam protection).",
      "通常は1時間以内に届きます。",
      "This usually clears within an hour."};
  static const Texts kRateLimit = {
      "相手のメールサーバーが短時間に受け取るメールの数を制限しているため、期限までに届けられません"
      "でした。",
      "The recipient's mail server limits how much mail it accepts in a short time, and the "
      "message could not be delivered before the time limit.",
      kTodoLaterJa,
      kTodoLaterEn,
      "相手のメールサーバーが、短時間に受け取るメールの数を制限しています。",
      "The recipient's mail server limits how much mail it accepts in a short time.",
      "",
      ""};
  static const Texts kMailSystem = {
      "相手のメールサーバーに問題があり、メールを受け取れない状態です。",
      "The recipient's mail server has a problem and cannot accept mail.",
      kTodoLaterJa,
      kTodoLaterEn,
      "相手のメールサーバーに問題があり、今はメールを受け取れない状態です。",
      "The recipient's mail server has a problem and cannot accept mail at the moment.",
      "",
      ""};
  switch (cat) {
    case Cat::kGeneric:
      return kGeneric;
    case Cat::kBadMailbox:
      return kBadMailbox;
    case Cat::kBadSyntax:
      return kBadSyntax;
    case Cat::kMoved:
      return kMoved;
    case Cat::kBadDomain:
      return kBadDomain;
    case Cat::kNullMx:
      return kNullMx;
    case Cat::kDisabled:
      return kDisabled;
    case Cat::kMailboxFull:
      return kMailboxFull;
    case Cat::kSystemFull:
      return kSystemFull;
    case Cat::kTooBig:
      return kTooBig;
    case Cat::kNoAnswer:
      return kNoAnswer;
    case Cat::kDns:
      return kDns;
    case Cat::kLoop:
      return kLoop;
    case Cat::kExpired:
      return kExpired;
    case Cat::kProtocol:
      return kProtocol;
    case Cat::kTooManyRcpts:
      return kTooManyRcpts;
    case Cat::kContent:
      return kContent;
    case Cat::kSpam:
      return kSpam;
    case Cat::kRelay:
      return kRelay;
    case Cat::kSenderAuth:
      return kSenderAuth;
    case Cat::kReverseDns:
      return kReverseDns;
    case Cat::kBadSender:
      return kBadSender;
    case Cat::kRequireTls:
      return kRequireTls;
    case Cat::kTls:
      return kTls;
    case Cat::kSecurity:
      return kSecurity;
    case Cat::kGreylist:
      return kGreylist;
    case Cat::kRateLimit:
      return kRateLimit;
    case Cat::kMailSystem:
      return kMailSystem;
  }
  return kGeneric;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

enum class Outcome { kFailed, kDelayed, kDelivered };

Outcome outcome_of(const DsnRecipient& r) {
  if (iequals(trim(r.action), "delayed")) return Outcome::kDelayed;
  if (iequals(trim(r.action), "failed")) return Outcome::kFailed;
  if (iequals(trim(r.action), "delivered") || iequals(trim(r.action), "relayed") ||
      iequals(trim(r.action), "expanded")) {
    return Outcome::kDelivered;
  }
  Code c = effective_code(r);
  if (c.cls == 4) return Outcome::kDelayed;
  if (c.cls == 2) return Outcome::kDelivered;
  return Outcome::kFailed;
}

struct Explanation {
  std::string what;
  std::string todo;
};

Explanation explain(const DsnRecipient& r, bool ja, int64_t message_size) {
  Outcome outcome = outcome_of(r);
  if (outcome == Outcome::kDelivered) {
    if (ja) return {"このメールは宛先のサーバーに届きました。", "何もする必要はありません。"};
    return {"The message was delivered to the recipient's server.", "Nothing to do."};
  }
  Code code = effective_code(r);
  Cat cat = categorize(r, code);
  const Texts& t = texts(cat);
  bool has_diag = !trim(r.diagnostic).empty();
  Explanation e;
  std::string limit = human_size(message_size > 0 ? message_size : kDefaultMessageSize);
  if (outcome == Outcome::kFailed) {
    e.what = ja ? t.failed_ja : t.failed_en;
    e.todo = replace_all(ja ? t.todo_ja : t.todo_en, "{limit}", limit);
    if (cat == Cat::kGeneric && has_diag) {
      e.what += ja ? "理由は、下に引用した相手のサーバーの返答に書かれています。"
                   : " The reason is in its reply, quoted below.";
    }
    return e;
  }
  e.what = ja ? t.delayed_ja : t.delayed_en;
  std::string hint = ja ? t.hint_ja : t.hint_en;
  if (ja) {
    e.todo = hint + "今は何もする必要はありません。このサーバーが自動で送り直しを続けます。";
    if (r.retry_until > 0) {
      e.todo +=
          human_date_ja(r.retry_until) + "までに届かなかった場合は、あらためてお知らせします。";
    } else {
      e.todo += "届けられなかった場合は、あらためてお知らせします。";
    }
  } else {
    e.todo = hint.empty() ? "" : hint + " ";
    e.todo += "There is nothing you need to do yet: this server keeps trying automatically";
    if (r.retry_until > 0) {
      e.todo += " until " + human_date_en(r.retry_until) +
                ". If the message still cannot be delivered by then, you will get another "
                "notice.";
    } else {
      e.todo += ". If the message cannot be delivered in the end, you will get another notice.";
    }
  }
  return e;
}

// ---------------------------------------------------------------------------------------------
// The parts

// RFC 6533 §3 utf-8-addr-unitext: UTF-8 kept, "\", "+", "=", controls and space as \x{HEX}.
std::string unitext(std::string_view addr) {
  std::string out;
  for (char ch : addr) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F || c == '\\' || c == '+' || c == '=') {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\x{%X}", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

std::string action_of(const DsnRecipient& r, DsnKind kind) {
  std::string a = ascii_lower(trim(r.action));
  for (const char* ok : {"failed", "delayed", "delivered", "relayed", "expanded"}) {
    if (a == ok) return a;
  }
  if (kind == DsnKind::kSuccess) return "delivered";
  return kind == DsnKind::kDelay ? "delayed" : "failed";
}

std::string status_of(const DsnRecipient& r, const std::string& action) {
  std::string s(trim(r.status));
  if (parse_code(s)) return s;
  Code c = effective_code(r);
  if (c.cls == 0 || (action == "failed" && c.cls != 5) || (action == "delayed" && c.cls != 4)) {
    c = Code{action == "delayed" ? 4 : (action == "failed" ? 5 : 2), 0, 0};
  }
  return std::to_string(c.cls) + "." + std::to_string(c.subject) + "." + std::to_string(c.detail);
}

struct Original {
  std::string header;  // CRLF-terminated fields, no empty line
  std::string body;    // after the separator, CRLF line ends
  bool header_8bit = false;
};

// Splits the original into its header block and body. Without an empty line, the header ends
// where the scanner's header ends (the first line that is not a field), so a message that is
// all header has an empty body, and a message that starts with body text has an empty header.
Original split_original(std::string_view raw) {
  Original o;
  mime::Structure st = mime::scan(raw);
  size_t body_start = std::min<size_t>(st.parts[0].body_start, raw.size());
  std::string_view header = raw.substr(0, body_start);
  std::string_view body = raw.substr(body_start);
  // Drop the empty separator line, which the scanner counts into the header.
  auto drop_empty_tail = [](std::string_view h) {
    if (h.ends_with("\r\n\r\n")) return h.substr(0, h.size() - 2);
    if (h.ends_with("\n\n")) return h.substr(0, h.size() - 1);
    if (h == "\r\n" || h == "\n") return std::string_view();
    return h;
  };
  header = drop_empty_tail(header);
  o.header = mime::to_crlf(header);
  if (!o.header.empty() && !o.header.ends_with("\r\n")) o.header += "\r\n";
  o.body = mime::to_crlf(body);
  o.header_8bit = !is_ascii(o.header);
  return o;
}

// Content-Transfer-Encoding for an embedded message: 7bit, 8bit or binary (RFC 2046 §5.2.1
// allows no other).
std::string transfer_encoding_of(std::string_view s) {
  bool eight = false;
  size_t line = 0;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == 0) return "binary";
    if (c == '\n') {
      line = 0;
      continue;
    }
    if (++line > 998) return "binary";
    if (c >= 0x80) eight = true;
  }
  return eight ? "8bit" : "7bit";
}

int encoding_rank(std::string_view cte) {
  if (cte == "binary") return 2;
  if (cte == "8bit") return 1;
  return 0;
}

struct Part {
  std::string header;  // Content-* fields, CRLF each
  std::string body;    // CRLF-terminated lines (or empty)
  std::string cte;     // "7bit", "8bit", "binary", "base64"
};

std::string random_hex(size_t bytes) { return hex_encode(random_bytes(bytes)); }

}  // namespace

std::string explain_failure(const DsnRecipient& r, std::string_view lang, int64_t message_size) {
  bool ja = istarts_with(lang, "ja");
  Explanation e = explain(r, ja, message_size);
  return e.what + (ja ? "" : " ") + e.todo;
}

std::string compose_dsn(const DsnInput& in) {
  const bool delay = in.kind == DsnKind::kDelay;
  const bool success = in.kind == DsnKind::kSuccess;
  std::string host = clean_host(in.reporting_mta);
  if (host.empty()) host = "localhost";
  std::string from = clean_address(in.from);
  if (from.empty()) from = "MAILER-DAEMON@" + host;
  std::string to = clean_address(in.to);
  std::string subject = clean_line(in.subject, 300);

  // Non-ASCII in an address or a reply: message/global-delivery-status (RFC 6533 §4).
  bool global = false;
  for (const DsnRecipient& r : in.rcpts) {
    if (!is_ascii(r.final_recipient) || !is_ascii(r.original_recipient) ||
        !is_ascii(clean_diagnostic(r.diagnostic, false))) {
      global = true;
    }
  }

  // ---- Part 1: the explanation, Japanese first.
  std::string mail_ja = subject.empty() ? "件名のないメール" : "件名「" + subject + "」のメール";
  std::string subj_en = subject.empty() ? "(no subject)" : "\"" + subject + "\"";
  bool all_failed = true;
  for (const DsnRecipient& r : in.rcpts) {
    if (outcome_of(r) != Outcome::kFailed) all_failed = false;
  }
  // RET=FULL, unless the copy is far over the size limit (it passed the limit once; the queue's
  // copy only gained trace and signature fields): the report must not fill the sender's quota.
  const int64_t limit = in.message_size > 0 ? in.message_size : kDefaultMessageSize;
  const bool too_big_to_return = static_cast<int64_t>(in.original.size()) > limit + (1 << 20);
  const bool full = !in.headers_only && !too_big_to_return;

  std::string ja;
  ja += "このメールは、" + host + " のメール配信システムが自動で送っています。";
  ja += "(English follows the Japanese text.)\n\n";
  if (success) {
    ja += mail_ja + "を、次の宛先に届けました。\n";
  } else if (delay) {
    ja += mail_ja + "は、";
    if (in.arrival > 0) ja += human_date_ja(in.arrival) + "に受け付けましたが、";
    ja += "次の宛先にまだ届いていません。配信は自動で続けています。\n";
  } else {
    ja += mail_ja + "を、次の宛先に届けることができませんでした。\n";
    if (!all_failed) ja += "(ほかの宛先の状況も、あわせて記載しています。)\n";
  }
  std::string en;
  en += "This message was sent automatically by the mail delivery system at " + host + ".\n\n";
  if (success) {
    en += "Your message " + subj_en + " was delivered to the following recipients.\n";
  } else if (delay) {
    en += "Your message " + subj_en;
    if (in.arrival > 0) en += " (accepted " + human_date_en(in.arrival) + ")";
    en += " has not reached the following recipients yet. Delivery continues automatically.\n";
  } else {
    en += "Your message " + subj_en + " could not be delivered to the following recipients.\n";
    if (!all_failed) en += "(The state of the other recipients is listed as well.)\n";
  }
  for (const DsnRecipient& r : in.rcpts) {
    Outcome outcome = outcome_of(r);
    Explanation ej = explain(r, true, in.message_size);
    Explanation ee = explain(r, false, in.message_size);
    std::string addr = clean_line(r.final_recipient, kMaxAddress);
    std::string remote = clean_host(r.remote_mta);
    std::string diag = clean_diagnostic(r.diagnostic, false);
    ja += "\n■ " + addr + "\n";
    ja += std::string(outcome == Outcome::kFailed ? "  理由: " : "  状況: ") + ej.what + "\n";
    ja += "  できること: " + ej.todo + "\n";
    en += "\n* " + addr + "\n";
    en += std::string(outcome == Outcome::kFailed ? "  Why: " : "  What is happening: ") + ee.what +
          "\n";
    en += "  What you can do: " + ee.todo + "\n";
    if (!diag.empty()) {
      if (!remote.empty()) {
        ja += "  相手のサーバー(" + remote + ")の返答: " + diag + "\n";
        en += "  Remote server (" + remote + ") said: " + diag + "\n";
      } else {
        ja += "  詳細: " + diag + "\n";
        en += "  Details: " + diag + "\n";
      }
    }
  }
  if (full) {
    ja += "\n元のメールを、この通知の最後に添付しています。\n";
    en += "\nThe original message is attached at the end of this notice.\n";
  } else if (!in.headers_only) {
    ja +=
        "\n元のメールは大きいため、ヘッダー(差出人・宛先・件名など)だけを、この通知の最後に添付"
        "しています。\n";
    en +=
        "\nThe original message is large, so only its header (sender, recipients, subject...) "
        "is attached at the end of this notice.\n";
  } else {
    ja += "\n元のメールのヘッダー(差出人・宛先・件名など)を、この通知の最後に添付しています。\n";
    en +=
        "\nThe original message's header (sender, recipients, subject...) is attached at the "
        "end of this notice.\n";
  }
  std::string text = ja + "\n------------------------------------------------------------\n\n" + en;

  std::vector<Part> parts;
  parts.push_back(
      {"Content-Description: Notification\r\n"
       "Content-Type: text/plain; charset=UTF-8\r\n"
       "Content-Language: ja, en\r\n"
       "Content-Transfer-Encoding: base64\r\n",
       mime::base64_lines(mime::to_crlf(text)), "base64"});

  // ---- Part 2: message/delivery-status (RFC 3464 §2.1-§2.3).
  std::string ds;
  ds += "Reporting-MTA: dns; " + host + "\r\n";
  if (!trim(in.envid).empty()) {
    ds += fold_field("Original-Envelope-Id", clean_line(in.envid, 200, true));
  }
  if (in.arrival > 0) ds += "Arrival-Date: " + mime::format_date(in.arrival) + "\r\n";
  for (const DsnRecipient& r : in.rcpts) {
    ds += "\r\n";
    std::string orcpt = clean_line(r.original_recipient, kMaxAddress, !global);
    if (!orcpt.empty()) {
      if (orcpt.find(';') == std::string::npos) {
        orcpt = (is_ascii(orcpt) ? "rfc822; " : "utf-8; ") + unitext(orcpt);
      }
      ds += fold_field("Original-Recipient", orcpt);
    }
    std::string rcpt = clean_address(r.final_recipient);
    if (is_ascii(rcpt)) {
      ds += fold_field("Final-Recipient", "rfc822; " + rcpt);
    } else {
      ds += fold_field("Final-Recipient", "utf-8; " + unitext(rcpt));
    }
    std::string action = action_of(r, in.kind);
    ds += "Action: " + action + "\r\n";
    ds += "Status: " + status_of(r, action) + "\r\n";
    std::string remote = clean_host(r.remote_mta);
    if (!remote.empty()) ds += "Remote-MTA: dns; " + remote + "\r\n";
    std::string diag = clean_diagnostic(r.diagnostic, !global);
    if (!diag.empty()) {
      ds += fold_field("Diagnostic-Code", (has_reply_code(diag) ? "smtp; " : "X-Tegami; ") + diag);
    }
    if (r.last_attempt > 0)
      ds += "Last-Attempt-Date: " + mime::format_date(r.last_attempt) + "\r\n";
    if (action == "delayed" && r.retry_until > 0) {
      ds += "Will-Retry-Until: " + mime::format_date(r.retry_until) + "\r\n";
    }
  }
  if (global) {
    parts.push_back(
        {"Content-Description: Delivery report\r\n"
         "Content-Type: message/global-delivery-status\r\n"
         "Content-Transfer-Encoding: 8bit\r\n",
         ds, "8bit"});
  } else {
    parts.push_back(
        {"Content-Description: Delivery report\r\n"
         "Content-Type: message/delivery-status\r\n",
         ds, "7bit"});
  }

  // ---- Part 3: the original's header, or the whole original.
  Original orig = split_original(in.original);
  std::string undelivered = success ? "" : delay ? "Delayed " : "Undelivered ";
  if (full) {
    std::string msg = orig.header + "\r\n" + orig.body;
    std::string cte = transfer_encoding_of(msg);
    std::string type = orig.header_8bit ? "message/global" : "message/rfc822";
    std::string h =
        "Content-Description: " + undelivered + "Message\r\nContent-Type: " + type + "\r\n";
    if (cte != "7bit") h += "Content-Transfer-Encoding: " + cte + "\r\n";
    if (!msg.ends_with("\r\n")) msg += "\r\n";
    parts.push_back({h, msg, cte});
  } else {
    std::string cte = transfer_encoding_of(orig.header);
    std::string type = orig.header_8bit ? "message/global-headers" : "text/rfc822-headers";
    std::string h =
        "Content-Description: " + undelivered + "Message Headers\r\nContent-Type: " + type + "\r\n";
    if (cte != "7bit") h += "Content-Transfer-Encoding: " + cte + "\r\n";
    parts.push_back({h, orig.header, cte});
  }

  // ---- A boundary that occurs in no part ("=_" cannot occur in base64 either).
  std::string boundary;
  for (;;) {
    boundary = "=_tegami-dsn-" + random_hex(16) + "=_";
    bool clash = false;
    for (const Part& p : parts) {
      if (p.body.find(boundary) != std::string::npos ||
          p.header.find(boundary) != std::string::npos) {
        clash = true;
      }
    }
    if (!clash) break;
  }
  int rank = 0;
  for (const Part& p : parts) rank = std::max(rank, encoding_rank(p.cte));

  // ---- The message header.
  std::string prefix = success ? "配信しました / Delivered"
                       : delay ? "配信が遅れています / Delivery delayed"
                               : "配信できませんでした / Undelivered Mail";
  std::string full_subject = subject.empty() ? prefix : prefix + ": " + subject;
  std::string out;
  out += "Date: " + mime::format_date(in.now) + "\r\n";
  std::string from_field =
      "From: " + mime::encode_header_text("メール配信システム / Mail Delivery System", 6);
  size_t last_line = from_field.size() - std::min(from_field.size(), from_field.rfind('\n') + 1);
  from_field += (last_line + 3 + from.size() > 76 ? "\r\n <" : " <") + from + ">\r\n";
  out += from_field;
  out += to.empty() ? "To: undisclosed-recipients:;\r\n" : "To: <" + to + ">\r\n";
  out += "Subject: " + mime::encode_header_text(full_subject, 9) + "\r\n";
  out += "Message-ID: <" + random_hex(12) + "." + std::to_string(in.now) + ".dsn@" + host + ">\r\n";
  // Threads the report under the sent message in mail clients.
  auto fields = mime::parse_header_fields(orig.header);
  if (auto id = mime::find_field(fields, "Message-ID")) {
    std::string v(trim(mime::unfold(*id)));
    bool sane = v.size() > 2 && v.size() <= 250 && v.front() == '<' && v.back() == '>' &&
                v.find_first_of(" \t<>", 1) == v.size() - 1 && is_ascii(v);
    for (char c : v) {
      if (static_cast<unsigned char>(c) < 0x21 || c == 0x7F) sane = false;
    }
    if (sane) {
      out += "In-Reply-To: " + v + "\r\n";
      out += "References: " + v + "\r\n";
    }
  }
  out += "Auto-Submitted: auto-replied\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: multipart/report; report-type=delivery-status;\r\n";
  out += "\tboundary=\"" + boundary + "\"\r\n";
  if (rank == 1) out += "Content-Transfer-Encoding: 8bit\r\n";
  if (rank == 2) out += "Content-Transfer-Encoding: binary\r\n";
  out += "\r\n";
  out += "This is a delivery status notification in MIME format (RFC 3464).\r\n";
  for (const Part& p : parts) {
    out += "\r\n--" + boundary + "\r\n";
    out += p.header;
    out += "\r\n";
    out += p.body;  // ends with CRLF or is empty; the CRLF before the delimiter is ours
  }
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

}  // namespace tegami::queue
