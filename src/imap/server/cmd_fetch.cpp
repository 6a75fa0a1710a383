// FETCH and UID FETCH. RFC 9051 §6.4.5 (FETCH items, BODY[section]<partial>, BODY.PEEK, \Seen
// set by BODY[] without PEEK), §7.5.2 (FETCH response: ENVELOPE, BODY, BODYSTRUCTURE,
// INTERNALDATE, RFC822.SIZE, FLAGS, UID), RFC 3501 §6.4.5 (RFC822, RFC822.HEADER, RFC822.TEXT),
// RFC 3516 (BINARY[], BINARY.SIZE[], literal8), RFC 9051 §6.4.9 (UID FETCH always returns UID),
// RFC 8514 §4 (SAVEDATE), RFC 8474 §5 (EMAILID, THREADID NIL), RFC 7162 §3.1.4 (MODSEQ,
// CHANGEDSINCE), §3.2.6 (VANISHED modifier), RFC 8970 §3 (PREVIEW, PREVIEW (LAZY)).
// ENVELOPE and BODYSTRUCTURE come from the index strings, sections from the part byte ranges.
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <algorithm>

#include "imap/proto/response.hpp"
#include "imap/server/error_map.hpp"
#include "imap/server/fetch_body.hpp"
#include "imap/server/flags.hpp"
#include "imap/server/preview.hpp"
#include "imap/server/session.hpp"

namespace tegami::imap::server {

namespace {

using A = proto::FetchAtt::Type;
using namespace boost::asio::experimental::awaitable_operators;

std::string literal_or_literal8(const std::string& s) {
  if (s.find('\0') == std::string::npos) return proto::literal(s);
  return "~{" + std::to_string(s.size()) + "}\r\n" + s;
}

// BODY[] / BODY.PEEK[]: the whole message, no part, no partial range.
bool whole_message(const proto::FetchAtt& att) {
  return att.type == A::kBodySection && att.section.part.empty() &&
         att.section.text == proto::Section::Text::kNone && !att.partial;
}

struct FetchPlan {
  std::vector<proto::FetchAtt> atts;
  bool needs_index = false;
  bool needs_raw = false;
  bool sets_seen = false;
  bool has_flags = false;
};

FetchPlan plan_fetch(const proto::FetchArgs& a, bool uid_command) {
  FetchPlan p;
  bool has_uid = false;
  for (const auto& att : a.atts) {
    switch (att.type) {
      case A::kUid:
        has_uid = true;
        break;
      case A::kFlags:
        p.has_flags = true;
        break;
      case A::kEnvelope:
      case A::kBody:
      case A::kBodyStructure:
        p.needs_index = true;
        break;
      case A::kRfc822:  // the message as stored: no index needed
        p.sets_seen = true;
        p.needs_raw = true;
        break;
      case A::kRfc822Text:
        p.sets_seen = true;
        p.needs_index = p.needs_raw = true;
        break;
      case A::kRfc822Header:
      case A::kBinarySize:
      case A::kPreview:  // computed from the first text part (no \Seen: RFC 8970 §3.1)
        p.needs_index = p.needs_raw = true;
        break;
      case A::kBodySection:
      case A::kBinary:
        if (!att.peek) p.sets_seen = true;
        p.needs_raw = true;
        // BODY[] is the message as stored; parts of it are found through the index.
        if (!whole_message(att)) p.needs_index = true;
        break;
      default:
        break;
    }
  }
  if (uid_command && !has_uid) {
    proto::FetchAtt u;
    u.type = A::kUid;
    p.atts.push_back(u);
  }
  p.atts.insert(p.atts.end(), a.atts.begin(), a.atts.end());
  return p;
}

}  // namespace

asio::awaitable<Session::Reply> Session::cmd_fetch(proto::Command& c) {
  const auto& a = c.as<proto::FetchArgs>();
  // RFC 7162 §3.2.6: UID FETCH ... (CHANGEDSINCE m VANISHED) first reports the UIDs of the set
  // expunged since m as VANISHED (EARLIER).
  if (a.vanished) {
    if (!qresync_) co_return "BAD QRESYNC is not enabled";
    if (!c.uid || !a.changed_since) co_return "BAD VANISHED needs UID FETCH and CHANGEDSINCE";
    store::Id id = view_->id();
    uint64_t since = *a.changed_since;
    auto fn = [&] { return ctx_.store->changes_since(id, since); };
    auto changes = co_await blocking(fn);
    if (!changes) co_return no_response(changes.error(), "FETCH");
    uint32_t largest = std::max(view_->max_uid(), view_->uid_next() - 1);
    std::vector<uint32_t> gone;
    for (uint32_t uid : changes->expunged) {
      // Still numbered here: announced by the VANISHED that ends this command.
      if (view_->seq_of(uid) != 0) continue;
      if (a.set.saved ? false : a.set.contains(uid, largest)) gone.push_back(uid);
    }
    if (!gone.empty()) send("* VANISHED (EARLIER) " + proto::sequence_set_string(gone) + "\r\n");
  }
  std::vector<size_t> sel;
  if (!view_->resolve(a.set, c.uid, &sel)) co_return "BAD Invalid message sequence set";
  FetchPlan plan = plan_fetch(a, c.uid);
  // CONDSTORE (RFC 7162 §3.1.4): MODSEQ and CHANGEDSINCE enable it; CHANGEDSINCE keeps only
  // the messages changed since and implies MODSEQ.
  bool has_modseq = false;
  for (const auto& att : plan.atts) has_modseq = has_modseq || att.type == A::kModSeq;
  if (has_modseq || a.changed_since) condstore_ = true;
  if (a.changed_since) {
    std::erase_if(sel, [&](size_t i) { return view_->at(i).modseq <= *a.changed_since; });
    if (!has_modseq) {
      proto::FetchAtt m;
      m.type = A::kModSeq;
      plan.atts.push_back(m);
      has_modseq = true;
    }
  }
  bool condstore = condstore_;

  // BODY[] without PEEK marks the messages \Seen; FLAGS are then reported too.
  std::vector<uint32_t> newly_seen;
  if (plan.sets_seen && !view_->read_only()) {
    for (size_t i : sel) {
      const auto& m = view_->at(i);
      if (!(m.flags & store::kSeen) && !view_->is_expunged(m.uid)) newly_seen.push_back(m.uid);
    }
    if (!newly_seen.empty()) {
      store::Id id = view_->id();
      auto fn = [&] {
        return ctx_.store->store_flags(id, newly_seen, store::FlagOp::kAdd, store::kSeen, {}, 0,
                                       nullptr);
      };
      auto r = co_await blocking(fn);
      if (!r) co_return no_response(r.error(), "FETCH");
      for (const auto& u : *r) view_->set_flags(u.uid, u.flags, u.keywords, u.modseq);
      publish(id);
    }
  }
  std::sort(newly_seen.begin(), newly_seen.end());

  const MailboxView& view = *view_;
  bool rev2 = rev2_;
  bool utf8_strings = utf8_names();  // UTF-8 in quoted strings (PREVIEW)
  bool skipped = false, unknown_cte = false;
  size_t next = 0, begin = 0;
  std::string out;
  // A batch is at most 1 MB of output; one that reads the store also at most 256 messages (one
  // read transaction each). Items from the view alone (FLAGS, UID, MODSEQ, sizes, dates) need
  // no store read: they are rendered here, without a trip to the worker pool, in batches of
  // 1 MB (a FETCH FLAGS of 1,000,000 messages is 41 flushes, not 4,000).
  const bool reads = plan.needs_index || plan.needs_raw;
  const size_t batch_messages = reads ? 256 : sel.size();
  auto render = [&]() -> Status {
    for (; next < sel.size() && out.size() < 1024 * 1024 && next - begin < batch_messages; ++next) {
      size_t i = sel[next];
      const auto& meta = view.at(i);
      if (view.is_expunged(meta.uid)) {
        skipped = true;
        continue;
      }
      std::optional<index::MessageIndex> idx;
      std::optional<std::string> raw;
      std::vector<index::PartRange> parts;
      if (plan.needs_index) {
        auto r = ctx_.store->read_index(meta.blob_id);
        if (!r) {
          if (r.code() != Errc::kNotFound) return r.error();
          skipped = true;
          continue;
        }
        idx = std::move(*r);
      }
      if (plan.needs_raw) {
        auto r = ctx_.store->read_blob(meta.blob_id);
        if (!r) {
          if (r.code() != Errc::kNotFound) return r.error();
          skipped = true;
          continue;
        }
        raw = std::move(*r);
        if (idx) parts = index::decode_parts(idx->parts);
      }
      bool recent = !rev2 && view.is_recent(meta.uid);
      std::string items;
      auto add = [&](std::string_view s) {
        if (!items.empty()) items += ' ';
        items += s;
      };
      // "NAME {n}\r\n" and the bytes, appended in place (bodies are most of the output).
      auto add_literal = [&](std::string_view name, std::string_view data) {
        if (!items.empty()) items += ' ';
        items += name;
        items += " {";
        items += std::to_string(data.size());
        items += "}\r\n";
        items += data;
      };
      for (const auto& att : plan.atts) {
        switch (att.type) {
          case A::kUid:
            add("UID " + std::to_string(meta.uid));
            break;
          case A::kFlags:
            add("FLAGS " + format_flags(meta.flags, meta.keywords, recent));
            break;
          case A::kInternalDate:
            add("INTERNALDATE " +
                proto::format_date_time_quoted(proto::date_time_from_unix(meta.internal_date)));
            break;
          case A::kSaveDate:  // RFC 8514 §4: NIL when unknown
            add(meta.save_date == 0
                    ? std::string("SAVEDATE NIL")
                    : "SAVEDATE " + proto::format_date_time_quoted(
                                        proto::date_time_from_unix(meta.save_date)));
            break;
          case A::kEmailId:  // RFC 8474 §5.1
            add("EMAILID (" + email_object_id(account_.id, meta.blob_id) + ")");
            break;
          case A::kThreadId:  // RFC 8474 §5.2: no thread ids
            add("THREADID NIL");
            break;
          case A::kRfc822Size:
            add("RFC822.SIZE " + std::to_string(meta.size));
            break;
          case A::kModSeq:
            add("MODSEQ (" + std::to_string(meta.modseq) + ")");
            break;
          case A::kEnvelope:
            add("ENVELOPE " + idx->envelope);
            break;
          case A::kBody:
            add("BODY " + idx->body);
            break;
          case A::kBodyStructure:
            add("BODYSTRUCTURE " + idx->body_structure);
            break;
          case A::kRfc822:
            add_literal("RFC822", *raw);
            break;
          case A::kRfc822Header: {
            proto::Section s;
            s.text = proto::Section::Text::kHeader;
            add_literal("RFC822.HEADER", *extract_section(*raw, parts, s));
            break;
          }
          case A::kRfc822Text: {
            proto::Section s;
            s.text = proto::Section::Text::kText;
            add_literal("RFC822.TEXT", *extract_section(*raw, parts, s));
            break;
          }
          case A::kBodySection: {
            std::string name = proto::fetch_att_response_name(att);
            if (whole_message(att)) {
              add_literal(name, *raw);  // BODY[]: the message itself, not a copy
              break;
            }
            auto data = extract_section(*raw, parts, att.section);
            if (!data) {
              add(name + " NIL");
            } else {
              add_literal(name, apply_partial(std::move(*data), att.partial));
            }
            break;
          }
          case A::kBinary:
          case A::kBinarySize: {
            bool bad_cte = false;
            auto data = extract_binary(*raw, parts, att.section.part, &bad_cte);
            if (bad_cte) {
              unknown_cte = true;
              return {};
            }
            std::string name = proto::fetch_att_response_name(att);
            if (att.type == A::kBinarySize) {
              add(name + " " + (data ? std::to_string(data->size()) : std::string("0")));
            } else if (!data) {
              add(name + " NIL");
            } else {
              add(name + " " + literal_or_literal8(apply_partial(std::move(*data), att.partial)));
            }
            break;
          }
          case A::kPreview:  // RFC 8970 §3.1; LAZY too: computing it is cheap enough
            add("PREVIEW " + (utf8_strings ? proto::quote_string_utf8(make_preview(*raw, parts))
                                           : proto::quote_string(make_preview(*raw, parts))));
            break;
          default:
            break;
        }
      }
      if (!plan.has_flags && std::binary_search(newly_seen.begin(), newly_seen.end(), meta.uid)) {
        add("FLAGS " + format_flags(meta.flags, meta.keywords, recent));
        if (condstore && !has_modseq) add("MODSEQ (" + std::to_string(meta.modseq) + ")");
      }
      out += "* ";
      out += std::to_string(i + 1);
      out += " FETCH (";
      out += items;
      out += ")\r\n";
    }
    return {};
  };
  // A batch's index and body reads share one read transaction, and the next batch is read
  // while this one is sent.
  auto together = [&]() -> Status { return ctx_.store->read_together(render); };
  Status st;
  if (reads) {
    st = co_await blocking(together);
  } else {
    st = render();
  }
  for (;;) {
    if (!st) co_return no_response(st.error(), "FETCH");
    if (unknown_cte) {
      co_return "NO [UNKNOWN-CTE] A part has a content-transfer-encoding that cannot be decoded";
    }
    send(out);
    out.clear();
    const bool more = next < sel.size();
    begin = next;
    bool flushed = true;
    if (more && reads) {
      auto sending = conn_.flush();
      auto reading = blocking(together);
      auto both = std::move(sending) && std::move(reading);
      auto [sent, read] = co_await std::move(both);
      flushed = sent;
      st = std::move(read);
    } else {
      flushed = co_await conn_.flush();
      if (more) st = render();
    }
    if (!flushed) co_return "NO [UNAVAILABLE] Connection lost";
    if (!more) break;
  }
  if (skipped) co_return "OK [EXPUNGEISSUED] FETCH completed; some messages were expunged";
  co_return "OK FETCH completed";
}

}  // namespace tegami::imap::server
