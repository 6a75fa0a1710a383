// Unit tests of the pure parts: body sections, the selected-mailbox view, flags, folding.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "imap/server/faulty_store.hpp"
#include "imap/server/fetch_body.hpp"
#include "imap/server/flags.hpp"
#include "imap/server/mailbox_view.hpp"
#include "imap/server/search_eval.hpp"
#include "imap/server/test_support.hpp"
#include "imap/server/text_fold.hpp"

namespace tegami::imap::server {
namespace {

using ::testing::HasSubstr;

TEST(FetchBody, HeaderEnd) {
  EXPECT_EQ(header_end("A: b\r\n\r\nbody"), 8u);
  EXPECT_EQ(header_end("A: b\n\nbody"), 6u);
  EXPECT_EQ(header_end("\r\nbody"), 2u);
  EXPECT_EQ(header_end("A: b\r\nno blank line"), 19u);
}

TEST(FetchBody, HeaderFieldsKeepsFoldedLinesAndOrder) {
  std::string h = "Subject: a\r\n b\r\nX-Y: 1\r\nFrom: f\r\n\r\n";
  EXPECT_EQ(filter_header_fields(h, {"from", "SUBJECT"}, false),
            "Subject: a\r\n b\r\nFrom: f\r\n\r\n");
  EXPECT_EQ(filter_header_fields(h, {"from", "SUBJECT"}, true), "X-Y: 1\r\n\r\n");
  EXPECT_EQ(filter_header_fields(h, {"none"}, false), "\r\n");
}

TEST(FetchBody, Partial) {
  EXPECT_EQ(apply_partial("0123456789", proto::Partial{2, 3}), "234");
  EXPECT_EQ(apply_partial("0123456789", proto::Partial{8, 10}), "89");
  EXPECT_EQ(apply_partial("0123456789", proto::Partial{10, 1}), "");
}

TEST(FetchBody, Decoders) {
  EXPECT_EQ(decode_quoted_printable("caf=C3=A9 =\r\nnext=3D"), "caf\xC3\xA9 next=");
  EXPECT_EQ(decode_base64_lenient("aGVs\r\nbG8=\r\n"), "hello");
}

TEST(FetchBody, SinglePartMessagePartOneIsTheBody) {
  std::string raw = "Subject: x\r\nContent-Type: text/plain\r\n\r\nbody\r\n";
  auto parts = index::decode_parts(index::build(raw).parts);
  proto::Section s;
  s.part = {1};
  EXPECT_EQ(extract_section(raw, parts, s).value_or("<none>"), "body\r\n");
  s.part = {2};
  EXPECT_FALSE(extract_section(raw, parts, s).has_value());
}

TEST(FetchBody, EmbeddedMessageHeaderAndText) {
  std::string inner = "Subject: inner\r\n\r\ninner body\r\n";
  std::string raw =
      "Subject: outer\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
      "Content-Type: text/plain\r\n\r\nfirst\r\n--B\r\nContent-Type: message/rfc822\r\n\r\n" +
      inner + "--B--\r\n";
  auto parts = index::decode_parts(index::build(raw).parts);
  proto::Section s;
  s.part = {2};
  s.text = proto::Section::Text::kHeader;
  EXPECT_EQ(extract_section(raw, parts, s).value_or("<none>"), "Subject: inner\r\n\r\n");
  s.text = proto::Section::Text::kText;
  EXPECT_EQ(extract_section(raw, parts, s).value_or("<none>"),
            "inner body");  // the CRLF before a boundary belongs to it
  s.text = proto::Section::Text::kNone;
  s.part = {2, 1};
  EXPECT_EQ(extract_section(raw, parts, s).value_or("<none>"),
            "inner body");  // the CRLF before a boundary belongs to it
}

store::MessageMeta meta(uint32_t uid, uint32_t flags = 0, uint64_t modseq = 1) {
  store::MessageMeta m;
  m.uid = uid;
  m.flags = flags;
  m.modseq = modseq;
  return m;
}

TEST(MailboxView, ExpungesAreHeldBackAndAnnouncedDescending) {
  store::Mailbox mb;
  mb.id = 1;
  mb.uid_next = 6;
  MailboxView v(mb, {meta(1), meta(2), meta(3), meta(4), meta(5)}, false);
  store::Changes c;
  c.expunged = {2, 4};
  c.changed = {meta(3, store::kSeen, 7), meta(6, 0, 8)};
  c.highest_modseq = 8;
  std::string out;
  v.apply(c, /*allow_expunge=*/false, /*rev2=*/false, &out);
  EXPECT_EQ(out, "* 3 FETCH (UID 3 FLAGS (\\Seen))\r\n* 6 EXISTS\r\n* 1 RECENT\r\n");
  EXPECT_EQ(v.size(), 6u);
  EXPECT_TRUE(v.is_expunged(2));
  EXPECT_EQ(v.modseq(), 8u);
  out.clear();
  v.flush_expunges(&out);
  EXPECT_EQ(out, "* 4 EXPUNGE\r\n* 2 EXPUNGE\r\n");
  EXPECT_EQ(v.size(), 4u);
  EXPECT_EQ(v.seq_of(6), 4u);
  EXPECT_EQ(v.seq_of(2), 0u);
}

TEST(MailboxView, CondstoreAddsModseqToUnsolicitedFetch) {
  store::Mailbox mb;
  MailboxView v(mb, {meta(1, 0, 3)}, false);
  store::Changes c;
  c.changed = {meta(1, store::kFlagged, 9)};
  c.highest_modseq = 9;
  std::string out;
  v.apply(c, true, /*rev2=*/true, &out, /*condstore=*/true);
  EXPECT_EQ(out, "* 1 FETCH (UID 1 FLAGS (\\Flagged) MODSEQ (9))\r\n");
  out.clear();
  v.apply(c, true, true, &out, true);  // the same state again: nothing to report
  EXPECT_EQ(out, "");
}

TEST(MailboxView, ResolveSequenceAndUidSets) {
  store::Mailbox mb;
  MailboxView v(mb, {meta(3), meta(7), meta(9)}, false);
  std::vector<size_t> idx;
  proto::SequenceSet s;
  s.ranges = {{2, proto::kStar}};
  ASSERT_TRUE(v.resolve(s, false, &idx));
  EXPECT_EQ(idx, (std::vector<size_t>{1, 2}));
  s.ranges = {{4, 4}};
  EXPECT_FALSE(v.resolve(s, false, &idx));  // beyond the mailbox
  s.ranges = {{4, 8}};
  ASSERT_TRUE(v.resolve(s, true, &idx));
  EXPECT_EQ(idx, (std::vector<size_t>{1}));
  s.ranges = {{100, proto::kStar}};  // "100:*" includes the highest UID
  ASSERT_TRUE(v.resolve(s, true, &idx));
  EXPECT_EQ(idx, (std::vector<size_t>{2}));
}

TEST(Flags, ParseAndFormat) {
  auto f = parse_flags({"\\seen", "\\Recent", "$Forwarded", "$forwarded"});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->bits, uint32_t{store::kSeen});
  EXPECT_EQ(f->keywords, std::vector<std::string>{"$Forwarded"});
  EXPECT_FALSE(parse_flags({"\\Bogus"}));
  EXPECT_FALSE(parse_flags({"bad(keyword"}));
  EXPECT_EQ(format_flags(store::kSeen | store::kDeleted, {"$Junk"}, true),
            "(\\Seen \\Deleted \\Recent $Junk)");
}

TEST(TextFold, UnicodeCaseFolding) {
  EXPECT_EQ(fold_case("Straße"), fold_case("STRASSE"));
  EXPECT_EQ(fold_case("ÄÖÜ"), "äöü");
  EXPECT_EQ(fold_case("ABC"), "abc");
}

TEST(SearchEval, TextAndBodyIgnoreCaseInAsciiAndUnicodeText) {
  store::MessageMeta meta;
  index::MessageIndex idx;
  idx.search_headers = "Subject: Quarterly REPORT\n";
  idx.search_body = "The NeEdLe is in the haystack\n";
  SearchMessage m;
  m.meta = &meta;
  m.idx = &idx;
  auto matches = [&](proto::SearchKey::Type type, std::string text) {
    proto::SearchKey k;
    k.type = type;
    k.text = std::move(text);
    SearchMessage fresh = m;  // no folded text cached from an earlier key
    return search_matches(fold_search_key(k), fresh, SearchScope{});
  };
  using T = proto::SearchKey::Type;
  EXPECT_TRUE(matches(T::kText, "needle"));
  EXPECT_TRUE(matches(T::kText, "NEEDLE IS"));
  EXPECT_TRUE(matches(T::kText, "report"));  // header text
  EXPECT_TRUE(matches(T::kText, "haystack\n"));
  EXPECT_TRUE(matches(T::kText, ""));
  EXPECT_FALSE(matches(T::kText, "needles"));
  EXPECT_FALSE(matches(T::kBody, "report"));  // only in the header
  EXPECT_TRUE(matches(T::kBody, "the haystack"));
  EXPECT_FALSE(matches(T::kText,
                       "stra\xc3\x9f"
                       "e"));  // non-ASCII needle, ASCII text
  // Non-ASCII text is folded: "STRASSE" finds "Straße", the Kelvin sign finds "k".
  idx.search_body =
      "Stra\xc3\x9f"
      "e 5 \xe2\x84\xaa"
      "elvin\n";
  EXPECT_TRUE(matches(T::kBody, "STRASSE"));
  EXPECT_TRUE(matches(T::kBody, "5 kelvin"));
  EXPECT_FALSE(matches(T::kBody, "needle"));
  // A long needle (over the 255 of the skip table) in ASCII text.
  std::string long_text(600, 'a');
  long_text += "B";
  idx.search_body = "x" + long_text + "y";
  EXPECT_TRUE(matches(T::kBody, long_text));
  EXPECT_FALSE(matches(T::kBody, long_text + "z"));
}

TEST(SearchEval, DaysFromCivil) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2024, 3, 1), 19783);
}

TEST(ImapErrors, StoreFailuresAreMappedAndExceptionsContained) {
  testing::World w;
  testing::FaultyStore faulty(*w.store);
  w.ctx.store = &faulty;
  faulty.fail_method = "list_mailboxes";
  std::string out = w.run(w.login_line() + "b LIST \"\" *\r\nc NOOP\r\n");
  EXPECT_THAT(out, HasSubstr("b NO [SERVERBUG] internal error, id "));
  EXPECT_THAT(out, HasSubstr("c OK NOOP"));
  faulty.fail_method = "list_messages";
  faulty.throw_instead = true;
  out = w.run(w.login_line() + "b SELECT INBOX\r\nc NOOP\r\n");
  EXPECT_THAT(out, HasSubstr("b NO [SERVERBUG] internal error, id "));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("injected")));
  EXPECT_THAT(out, HasSubstr("c OK NOOP"));
  faulty.fail_method = "get_mailbox";
  faulty.throw_instead = false;
  faulty.fail_code = Errc::kTemporary;
  out = w.run(w.login_line() + "b STATUS INBOX (MESSAGES)\r\n");
  EXPECT_THAT(out, HasSubstr("b NO [UNAVAILABLE] injected failure in get_mailbox"));
}

TEST(ImapErrors, SelectedMailboxDeletedElsewhereEndsTheSession) {
  testing::World w;
  testing::FaultyStore faulty(*w.store);
  w.ctx.store = &faulty;
  faulty.fail_method = "changes_since";
  faulty.fail_code = Errc::kNotFound;
  // Snapshots never current: every command asks the store for changes (as after a change
  // published by the session that deleted the mailbox).
  w.ctx.mailbox_cache = std::make_shared<MailboxCache>(std::chrono::milliseconds(0));
  std::string out = w.run(w.login_line() + "b SELECT INBOX\r\nc NOOP\r\nd NOOP\r\n");
  EXPECT_THAT(out, HasSubstr("* BYE [NONEXISTENT] The selected mailbox was deleted\r\n"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("d OK")));
}

TEST(ImapErrors, ThrottledSignIn) {
  testing::World w;
  auth::Policy p;
  p.default_domain = "tegami.test";
  p.slow_after = 100;
  p.block_after = 2;
  auth::Authenticator strict(*w.store, p);
  w.ctx.auth = &strict;
  std::string out =
      w.run("a LOGIN demo x\r\nb LOGIN demo y\r\nc LOGIN demo z\r\n" + w.login_line("d"));
  EXPECT_THAT(out, HasSubstr("a NO [AUTHENTICATIONFAILED]"));
  EXPECT_THAT(out, HasSubstr("d NO [UNAVAILABLE]"));
}

}  // namespace
}  // namespace tegami::imap::server
