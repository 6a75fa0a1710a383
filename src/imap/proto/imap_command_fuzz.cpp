// libFuzzer target for the IMAP command parser (RFC 9051 §9 grammar, RFC 7888 literals) and the
// mailbox / response helpers (RFC 3501 §5.1.3 modified UTF-7, RFC 9051 date-time).
//
// The input is a client byte stream: the first byte picks limits, the rest is split into lines
// at CRLF (or LF) and literals of the announced size, as the server does.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "imap/proto/command.hpp"
#include "imap/proto/mailbox.hpp"
#include "imap/proto/response.hpp"

using namespace tegami::imap::proto;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void exercise(const Command& c) {
  if (const auto* f = std::get_if<FetchArgs>(&c.args)) {
    for (const auto& a : f->atts) check(!fetch_att_response_name(a).empty());
    auto s = sequence_set_string(f->set);
    check(!s.empty());
    (void)f->set.resolve(100);
  }
  if (const auto* s = std::get_if<StoreArgs>(&c.args)) (void)flag_list(s->flags);
  if (const auto* s = std::get_if<SortArgs>(&c.args)) {  // RFC 5256 / RFC 5267 ESORT
    check(!s->criteria.empty());
    check(!s->key.children.empty());
  }
  if (const auto* t = std::get_if<ThreadArgs>(&c.args)) {
    check(!t->algorithm.empty());
    check(!t->key.children.empty());
  }
  if (const auto* f = std::get_if<FetchArgs>(&c.args)) {  // RFC 8970 PREVIEW (LAZY)
    for (const auto& a : f->atts) check(!a.preview_lazy || a.type == FetchAtt::Type::kPreview);
  }
  if (const auto* n = std::get_if<NotifyArgs>(&c.args)) {  // RFC 5465: the §5 rules hold
    check(!n->set || !n->groups.empty());
    for (const auto& g : n->groups) {
      auto has = [&](NotifyEvent e) {
        return std::find(g.events.begin(), g.events.end(), e) != g.events.end();
      };
      check(has(NotifyEvent::kMessageNew) == has(NotifyEvent::kMessageExpunge));
      check(!has(NotifyEvent::kFlagChange) || has(NotifyEvent::kMessageNew));
      for (const auto& a : g.fetch_atts) check(!fetch_att_response_name(a).empty());
    }
  }
  if (const auto* u = std::get_if<CancelUpdateArgs>(&c.args)) check(!u->tags.empty());
  if (const auto* s = std::get_if<SearchArgs>(&c.args)) {  // RFC 5267 §4.4
    check(!s->ret.partial || (s->ret.partial->first >= 1 &&
                              s->ret.partial->first <= s->ret.partial->second && !s->ret.all));
  }
  if (const auto* m = std::get_if<SelectArgs>(&c.args)) {
    if (auto d = mutf7_decode(m->mailbox)) {
      auto e = mutf7_encode(*d);
      check(e.has_value());
      auto d2 = mutf7_decode(*e);
      check(d2 && *d2 == *d);
    }
  }
  if (const auto* a = std::get_if<AppendArgs>(&c.args)) {
    for (const auto& m : a->messages)
      if (m.internal_date) {
        auto back = parse_date_time(format_date_time(*m.internal_date));
        check(back && back->to_unix() == m.internal_date->to_unix());
      }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Limits lim;
  uint8_t mode = data[0];
  lim.literal_plus = mode & 1;
  if (mode & 2) {
    lim.max_literal = 64;
    lim.max_append_literal = 256;
    lim.max_command_size = 512;
    lim.max_depth = 4;
    lim.max_items = 16;
    lim.max_append_messages = 3;
    lim.max_append_total = 400;
    lim.max_discard_literal = 1024;
  }
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  // Helpers on the raw input.
  if (auto enc = mutf7_encode(in)) {
    auto dec = mutf7_decode(*enc);
    check(dec && *dec == in);
  }
  (void)mutf7_decode(in);
  (void)quote_string(in);
  (void)quote_string_utf8(in);
  (void)astring(in);
  if (auto dt = parse_date_time(in)) {
    auto back = parse_date_time(format_date_time(*dt));
    check(back.has_value());
  }

  CommandParser p(lim);
  while (!in.empty()) {
    size_t eol = in.find('\n');
    std::string_view line = in.substr(0, eol);
    in.remove_prefix(eol == std::string_view::npos ? in.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ParseResult r = p.feed_line(line);
    if (auto* need = std::get_if<NeedLiteral>(&r)) {
      size_t n = need->size < in.size() ? static_cast<size_t>(need->size) : in.size();
      check(!need->discard || !need->synchronizing);
      p.feed_literal(need->discard ? std::string() : std::string(in.substr(0, n)));
      in.remove_prefix(n);
    } else if (auto* cmd = std::get_if<Command>(&r)) {
      check(!cmd->tag.empty());
      exercise(*cmd);
    } else {
      const auto& e = std::get<ParseError>(r);
      check(!e.text.empty());
      check(!p.in_command());
    }
  }
  return 0;
}
