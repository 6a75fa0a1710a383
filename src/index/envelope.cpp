// IMAP ENVELOPE (RFC 9051 §7.5.2 FETCH response "ENVELOPE", RFC 3501 §7.4.2): fields are the
// raw header values, unfolded; addresses come from RFC 5322 §3.4 parsing (mime/address.hpp).
#include "base/strings.hpp"
#include "index/imap_string.hpp"
#include "index/message_index.hpp"
#include "mime/address.hpp"
#include "mime/header.hpp"

namespace tegami::index {
namespace {

using mime::Address;

// Returns false (and writes nothing) when the list holds no address.
bool append_address_list(std::string& out, std::string_view raw) {
  std::vector<Address> list = mime::parse_address_list(mime::unfold(raw));
  if (list.empty()) {
    return false;
  }
  out += '(';
  for (const auto& a : list) {
    switch (a.kind) {
      case Address::Kind::kGroupStart:  // RFC 9051: (NIL NIL "group name" NIL)
        out += "(NIL NIL ";
        append_string(out, a.raw_name);
        out += " NIL)";
        break;
      case Address::Kind::kGroupEnd:
        out += "(NIL NIL NIL NIL)";
        break;
      case Address::Kind::kMailbox:
        out += '(';
        append_nstring(out, a.raw_name, a.raw_name.empty());
        out += ' ';
        append_nstring(out, a.route, a.route.empty());
        out += ' ';
        // Like Dovecot: a missing part is spelled out rather than NIL (NIL host means a group).
        append_string(out, a.local.empty() ? "MISSING_MAILBOX" : a.local);
        out += ' ';
        append_string(out, a.domain.empty() ? "MISSING_DOMAIN" : a.domain);
        out += ')';
        break;
    }
  }
  out += ')';
  return true;
}

void append_field(std::string& out, const std::vector<mime::HeaderField>& fields,
                  std::string_view name) {
  auto v = mime::find_field(fields, name);
  if (!v) {
    out += "NIL";
    return;
  }
  append_string(out, mime::unfold(*v));
}

}  // namespace

std::string envelope(std::string_view header) {
  auto fields = mime::parse_header_fields(header);
  std::string out = "(";
  append_field(out, fields, "Date");
  out += ' ';
  append_field(out, fields, "Subject");
  out += ' ';
  auto from = mime::find_field(fields, "From");
  auto add_list = [&](std::optional<std::string_view> v, bool default_from) {
    if (v && append_address_list(out, *v)) {
      return;
    }
    if (default_from && from && append_address_list(out, *from)) {
      return;
    }
    out += "NIL";
  };
  add_list(from, false);
  out += ' ';
  add_list(mime::find_field(fields, "Sender"), true);  // RFC 9051: absent or empty -> from
  out += ' ';
  add_list(mime::find_field(fields, "Reply-To"), true);
  for (std::string_view name : {"To", "Cc", "Bcc"}) {
    out += ' ';
    add_list(mime::find_field(fields, name), false);
  }
  out += ' ';
  append_field(out, fields, "In-Reply-To");
  out += ' ';
  append_field(out, fields, "Message-ID");
  out += ')';
  return out;
}

}  // namespace tegami::index
