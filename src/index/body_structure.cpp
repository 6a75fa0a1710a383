// IMAP BODYSTRUCTURE / BODY (RFC 9051 §7.5.2 and the body grammar of §9):
//   body-type-basic = media-basic SP body-fields
//   body-type-text  = media-text SP body-fields SP body-fld-lines
//   body-type-msg   = media-message SP body-fields SP envelope SP body SP body-fld-lines
//   body-fields     = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP
//                     body-fld-octets
//   body-ext-1part  = body-fld-md5 SP body-fld-dsp SP body-fld-lang SP body-fld-loc
//   body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
//   body-ext-mpart  = body-fld-param SP body-fld-dsp SP body-fld-lang SP body-fld-loc
// Recursion follows the part tree, whose depth the scanner caps (ScanLimits::max_depth).
#include "index/body_structure.hpp"

#include "base/strings.hpp"
#include "index/imap_string.hpp"
#include "index/message_index.hpp"

namespace tegami::index {
namespace {

using mime::Part;

// A multipart must have at least one body part; one without any (no boundary, depth limit,
// no delimiter found) is shown with an empty text/plain part, as Dovecot does.
constexpr std::string_view kEmptyBody =
    R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0))";
constexpr std::string_view kEmptyBodyExt =
    R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL))";

void append_params(std::string& out, const std::vector<mime::Param>& params) {
  if (params.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  bool first = true;
  for (const auto& p : params) {
    if (!first) {
      out += ' ';
    }
    first = false;
    append_string(out, p.extended ? p.name + "*" : p.name);
    out += ' ';
    append_string(out, p.value);
  }
  out += ')';
}

void append_extension(std::string& out, const Part& p) {
  out += ' ';
  if (p.disposition.empty()) {
    out += "NIL";
  } else {
    out += '(';
    append_string(out, p.disposition);
    out += ' ';
    append_params(out, p.disposition_params);
    out += ')';
  }
  out += ' ';
  if (p.languages.empty()) {
    out += "NIL";
  } else if (p.languages.size() == 1) {
    append_string(out, p.languages[0]);
  } else {
    out += '(';
    for (size_t i = 0; i < p.languages.size(); ++i) {
      if (i) {
        out += ' ';
      }
      append_string(out, p.languages[i]);
    }
    out += ')';
  }
  out += ' ';
  append_nstring(out, p.location, p.location.empty());
}

class Writer {
 public:
  Writer(std::string_view raw, const mime::Structure& st, bool ext)
      : raw_(raw), st_(st), ext_(ext) {}

  void part(std::string& out, uint32_t idx) {
    const Part& p = st_.parts[idx];
    out += '(';
    if (p.kind == Part::Kind::kMultipart) {
      if (p.children.empty()) {
        out += ext_ ? kEmptyBodyExt : kEmptyBody;
      }
      for (uint32_t c : p.children) {
        part(out, c);
      }
      out += ' ';
      append_string(out, p.subtype);
      if (ext_) {
        out += ' ';
        append_params(out, p.params);
        append_extension(out, p);
      }
      out += ')';
      return;
    }
    append_string(out, p.type);
    out += ' ';
    append_string(out, p.subtype);
    out += ' ';
    bool is_text = iequals(p.type, "text");
    bool has_charset = false;
    for (const auto& prm : p.params) {
      has_charset |= iequals(prm.name, "charset");
    }
    if (is_text && !has_charset) {  // RFC 2045 §5.2 default, stated as Dovecot does
      std::vector<mime::Param> params = p.params;
      params.push_back({"charset", "us-ascii", false});
      append_params(out, params);
    } else {
      append_params(out, p.params);
    }
    out += ' ';
    append_nstring(out, p.id, p.id.empty());
    out += ' ';
    append_nstring(out, p.description, p.description.empty());
    out += ' ';
    append_string(out, p.encoding.empty() ? std::string_view("7bit") : p.encoding);
    out += ' ';
    append_number(out, p.body_size());
    bool is_message = iequals(p.type, "message") &&
                      (iequals(p.subtype, "rfc822") || iequals(p.subtype, "global"));
    if (is_message && p.children.empty()) {
      // Not descended (encoded, or the depth limit): keep the body-type-msg shape clients
      // expect for message/rfc822, with an empty envelope and body.
      out += " (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ";
      out += ext_ ? kEmptyBodyExt : kEmptyBody;
      out += ' ';
      append_number(out, p.body_lines);
    } else if (p.kind == Part::Kind::kMessage && !p.children.empty()) {
      const Part& inner = st_.parts[p.children[0]];
      out += ' ';
      out += envelope(raw_.substr(inner.header_start, inner.body_start - inner.header_start));
      out += ' ';
      part(out, p.children[0]);
      out += ' ';
      append_number(out, p.body_lines);
    } else if (iequals(p.type, "text")) {
      out += ' ';
      append_number(out, p.body_lines);
    }
    if (ext_) {
      out += ' ';
      append_nstring(out, p.md5, p.md5.empty());
      append_extension(out, p);
    }
    out += ')';
  }

 private:
  std::string_view raw_;
  const mime::Structure& st_;
  bool ext_;
};

}  // namespace

std::string body_structure(std::string_view raw, const mime::Structure& st, bool extensible) {
  std::string out;
  Writer(raw, st, extensible).part(out, 0);
  return out;
}

}  // namespace tegami::index
