// Unit tests of the pure SORT/THREAD/PREVIEW pieces: RFC 5256 §2.1 base subjects, i;unicode-
// casemap keys (RFC 5051), message ids, sort order with ties, the ORDEREDSUBJECT and REFERENCES
// threading algorithms (RFC 5256 §3) including cycles, missing parents and duplicate ids, and
// RFC 8970 previews.
#include <gtest/gtest.h>

#include "imap/server/preview.hpp"
#include "imap/server/sort_keys.hpp"
#include "imap/server/text_fold.hpp"
#include "imap/server/thread.hpp"

namespace tegami::imap::server {
namespace {

std::string base(std::string_view s, bool* rf = nullptr) { return base_subject(s, rf); }

TEST(BaseSubject, Rfc5256Extraction) {
  bool rf = true;
  EXPECT_EQ(base("hello world", &rf), "hello world");
  EXPECT_FALSE(rf);
  EXPECT_EQ(base("Re: hello", &rf), "hello");
  EXPECT_TRUE(rf);
  EXPECT_EQ(base("RE: Re: re: hello"), "hello");
  EXPECT_EQ(base("Fwd: hello", &rf), "hello");
  EXPECT_TRUE(rf);
  EXPECT_EQ(base("FW: hello"), "hello");
  EXPECT_EQ(base("fw : hello"), "hello");    // *WSP before ":"
  EXPECT_EQ(base("Re[2]: hello"), "hello");  // "re" *WSP [subj-blob] ":"
  EXPECT_EQ(base("Re [2] : hello"), "hello");
  EXPECT_EQ(base("Re[2] hello"), "Re[2] hello");
  EXPECT_EQ(base("Reply: hello", &rf), "Reply: hello");
  EXPECT_FALSE(rf);
  EXPECT_EQ(base("[list] hello", &rf), "hello");
  EXPECT_FALSE(rf);  // a blob alone is not a reply
  EXPECT_EQ(base("[list] Re: [other] Fwd: hello"), "hello");
  EXPECT_EQ(base("[list]"), "[list]");  // nothing would be left: the blob is the base subject
  EXPECT_EQ(base("[a] [b]"), "[b]");
  EXPECT_EQ(base("[a][b] x"), "x");
  EXPECT_EQ(base("hello (fwd)", &rf), "hello");
  EXPECT_TRUE(rf);
  EXPECT_EQ(base("hello (FWD) (fwd)  "), "hello");
  EXPECT_EQ(base("[fwd: hello]", &rf), "hello");
  EXPECT_TRUE(rf);
  EXPECT_EQ(base("[Fwd: Re: [list] hello (fwd)]"), "hello");
  EXPECT_EQ(base("Re: [fwd: [fwd: hello]]"), "hello");
  EXPECT_EQ(base("  hello \t  world  "), "hello world");
  EXPECT_EQ(base("hello\r\n\tworld"), "hello world");  // continuation
  EXPECT_EQ(base(""), "");
  EXPECT_EQ(base("Re:"), "");
  EXPECT_EQ(base("Re: (fwd)"), "");
  EXPECT_EQ(base("[x"), "[x");  // not a blob
  EXPECT_EQ(base("Ré: hello"), "Ré: hello");
}

TEST(UnicodeCasemap, TitlecaseAndNfkd) {
  EXPECT_EQ(unicode_casemap("abc Z_"), "ABC Z_");
  EXPECT_EQ(unicode_casemap("caf\xC3\xA9"), unicode_casemap("CAF\xC3\x89"));
  EXPECT_EQ(unicode_casemap("caf\xC3\xA9"), "CAFE\xCC\x81");  // NFKD: E + combining acute
  EXPECT_LT(unicode_casemap("\xC3\xA9t\xC3\xA9"), unicode_casemap("f"));
  EXPECT_EQ(unicode_casemap("\xEF\xBC\xA1"), "A");                      // fullwidth A -> A
  EXPECT_EQ(unicode_casemap("\xC7\x86"), unicode_casemap("\xC7\x84"));  // dž/DŽ -> Dž
}

TEST(MsgIds, Parse) {
  EXPECT_EQ(parse_msg_ids("<a@b> <c@d>"), (std::vector<std::string>{"a@b", "c@d"}));
  EXPECT_EQ(parse_msg_ids("<\"01KF8JCEOCBS0045PS\"@xxx.yyy.com>"),
            (std::vector<std::string>{"01KF8JCEOCBS0045PS@xxx.yyy.com"}));
  EXPECT_EQ(parse_msg_ids("(comment <x@y>) <a@b>"), (std::vector<std::string>{"a@b"}));
  EXPECT_EQ(parse_msg_ids("\"Ann's <mail>\" <a@b>"), (std::vector<std::string>{"a@b"}));
  EXPECT_EQ(parse_msg_ids("< a@b\r\n >,<>"), (std::vector<std::string>{"a@b"}));
  EXPECT_EQ(parse_msg_ids("<broken <a@b>"), (std::vector<std::string>{"a@b"}));
  EXPECT_TRUE(parse_msg_ids("no ids here").empty());
  EXPECT_TRUE(parse_msg_ids("<unterminated").empty());
}

TEST(SortKeys, EnvelopeAddressesAndDisplayNames) {
  auto idx = index::build(
      "From: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.org>\r\n"
      "To: list: a@x.org, \"B\" <b@x.org>;, <plain@x.org>\r\n"
      "Cc: \"Quoted \\\"name\\\"\" <q@x.org>\r\n"
      "Subject: =?utf-8?q?Re=3A_caf=C3=A9?=\r\n\r\nbody\r\n");
  auto env = parse_envelope_addresses(idx.envelope);
  ASSERT_TRUE(env);
  ASSERT_EQ(env->from.size(), 1u);
  EXPECT_EQ(env->from[0].mailbox, "jurgen");
  EXPECT_EQ(env->from[0].host, "example.org");
  ASSERT_EQ(env->to.size(), 3u);  // group markers left out
  EXPECT_EQ(env->to[0].mailbox, "a");
  ASSERT_EQ(env->cc.size(), 1u);
  EXPECT_EQ(env->cc[0].name, "Quoted \"name\"");

  std::vector<proto::SortCriterion> all;
  for (auto k : {proto::SortCriterion::Key::kSubject, proto::SortCriterion::Key::kFrom,
                 proto::SortCriterion::Key::kTo, proto::SortCriterion::Key::kCc,
                 proto::SortCriterion::Key::kDisplayFrom, proto::SortCriterion::Key::kDisplayTo}) {
    all.push_back({k, false});
  }
  store::MessageMeta meta;
  meta.internal_date = 1000;
  auto r = sort_record(all, 1, meta, &idx);
  EXPECT_EQ(r.subject, unicode_casemap("caf\xC3\xA9"));
  EXPECT_EQ(r.from, "JURGEN");
  EXPECT_EQ(r.to, "A");
  EXPECT_EQ(r.cc, "Q");
  EXPECT_EQ(r.display_from, unicode_casemap("J\xC3\xBCrgen"));
  EXPECT_EQ(r.display_to, "A@X.ORG");  // no display name: the address
  EXPECT_EQ(r.sent, 1000);             // no Date: the internal date
}

SortRecord rec(uint32_t seq, int64_t sent, int64_t size, std::string subject) {
  SortRecord r;
  r.seq = seq;
  r.uid = seq * 10;
  r.sent = sent;
  r.arrival = 100 - seq;
  r.size = size;
  r.subject = unicode_casemap(subject);
  return r;
}

std::vector<uint32_t> seqs(const std::vector<SortRecord>& v) {
  std::vector<uint32_t> out;
  for (const auto& r : v) out.push_back(r.seq);
  return out;
}

TEST(SortKeys, OrderReverseAndTies) {
  using K = proto::SortCriterion::Key;
  std::vector<SortRecord> v = {rec(1, 5, 30, "b"), rec(2, 5, 10, "A"), rec(3, 1, 30, "a"),
                               rec(4, 9, 20, "c")};
  sort_records(v, {{K::kSubject, false}});
  EXPECT_EQ(seqs(v), (std::vector<uint32_t>{2, 3, 1, 4}));  // "A" == "a": by sequence number
  sort_records(v, {{K::kSubject, true}});
  EXPECT_EQ(seqs(v), (std::vector<uint32_t>{4, 1, 2, 3}));  // ties still ascending
  sort_records(v, {{K::kDate, false}, {K::kSize, true}});
  EXPECT_EQ(seqs(v), (std::vector<uint32_t>{3, 1, 2, 4}));
  sort_records(v, {{K::kArrival, false}});
  EXPECT_EQ(seqs(v), (std::vector<uint32_t>{4, 3, 2, 1}));
  sort_records(v, {{K::kSize, false}, {K::kDate, true}});
  EXPECT_EQ(seqs(v), (std::vector<uint32_t>{2, 4, 1, 3}));
}

// ---------------------------------------------------------------------------------------------
// Threading.

struct Msg {
  std::string id;
  std::vector<std::string> refs;
  std::string subject = "s";
  int64_t sent = 0;
};

std::vector<ThreadRecord> records(const std::vector<Msg>& msgs) {
  std::vector<ThreadRecord> out;
  uint32_t seq = 0;
  for (const auto& m : msgs) {
    ThreadRecord r;
    r.seq = ++seq;
    r.id = seq;
    r.sent = m.sent ? m.sent : 1000 + seq;
    bool reply = false;
    r.subject = unicode_casemap(base_subject(m.subject, &reply));
    r.reply = reply;
    r.message_id = m.id;
    r.references = m.refs;
    out.push_back(r);
  }
  return out;
}

std::string refs(const std::vector<Msg>& msgs) { return thread_references(records(msgs)); }

TEST(ThreadReferences, ChainsAndBranches) {
  // 1 <- 2 <- 3, 1 <- 4 (different subjects so no merging by subject).
  EXPECT_EQ(refs({{"a", {}, "x"},
                  {"b", {"a"}, "Re: x"},
                  {"c", {"a", "b"}, "Re: x"},
                  {"d", {"a"}, "Re: x"}}),
            "(1 (2 3)(4))");
  EXPECT_EQ(refs({}), "");
  // Children are sorted by sent date, whatever the mailbox order.
  EXPECT_EQ(refs({{"a", {}, "x", 10}, {"b", {"a"}, "y", 30}, {"c", {"a"}, "z", 20}}), "(1 (3)(2))");
  // Roots by sent date; ties by sequence number.
  EXPECT_EQ(refs({{"a", {}, "x", 50}, {"b", {}, "y", 10}, {"c", {}, "z", 10}}), "(2)(3)(1)");
}

TEST(ThreadReferences, MissingParentsBecomeDummies) {
  // Two replies to a message we do not have: a dummy root with two children.
  EXPECT_EQ(refs({{"b", {"x"}, "p"}, {"c", {"x"}, "q"}}), "((1)(2))");
  // One reply: the dummy is dropped and the child promoted to the root.
  EXPECT_EQ(refs({{"b", {"x"}, "p"}}), "(1)");
  // Dummies below the root are spliced away: x and y are both missing.
  EXPECT_EQ(refs({{"a", {}, "p"}, {"b", {"a", "x"}, "q"}, {"c", {"a", "x"}, "r"}}), "(1 (2)(3))");
  // In-Reply-To only chains (references given by the caller as the single parent).
  EXPECT_EQ(refs({{"a", {}, "p"}, {"b", {"a"}, "q"}, {"c", {"b"}, "r"}}), "(1 2 3)");
}

TEST(ThreadReferences, CyclesAreBroken) {
  // a says its parent is b, b says its parent is a: no loop, each thread printed once.
  std::string t = refs({{"a", {"b"}, "p"}, {"b", {"a"}, "q"}});
  EXPECT_EQ(t, "(2 1)");
  // A message that references itself.
  EXPECT_EQ(refs({{"a", {"a"}, "p"}}), "(1)");
  // A References list with a cycle inside it.
  EXPECT_EQ(refs({{"a", {"x", "y", "x"}, "p"}, {"b", {"y"}, "q"}}), "((1)(2))");
  // Long cycle across three messages.
  EXPECT_EQ(refs({{"a", {"c"}, "p"}, {"b", {"a"}, "q"}, {"c", {"b"}, "r"}}), "(3 1 2)");
}

TEST(ThreadReferences, DuplicateMessageIds) {
  // Only the first message keeps the id; a reply attaches to it; the second stands alone.
  EXPECT_EQ(refs({{"a", {}, "p"}, {"a", {}, "q"}, {"b", {"a"}, "r"}}), "(1 3)(2)");
  // No Message-ID at all: each message is its own thread.
  EXPECT_EQ(refs({{"", {}, "p"}, {"", {}, "q"}}), "(1)(2)");
}

TEST(ThreadReferences, ParentFromLaterMessageReplacesPresumedOne) {
  // 2's References (truncated) made b a child of x; b's own In-Reply-To says a.
  EXPECT_EQ(refs({{"a", {}, "p"}, {"c", {"x", "b"}, "q"}, {"b", {"a"}, "r"}}), "(1 3 2)");
}

TEST(ThreadReferences, SubjectMerging) {
  // Step 5: unrelated messages with one base subject; a reply joins the original.
  EXPECT_EQ(refs({{"a", {}, "hello"}, {"b", {}, "Re: hello"}}), "(1 2)");
  // Two originals: a new dummy holds both.
  EXPECT_EQ(refs({{"a", {}, "hello"}, {"b", {}, "hello"}}), "((1)(2))");
  // The reply comes first: the original still becomes the parent.
  EXPECT_EQ(refs({{"b", {}, "Re: hello", 5}, {"a", {}, "hello", 9}}), "(2 1)");
  // Two replies: siblings under a dummy.
  EXPECT_EQ(refs({{"b", {}, "Re: hello"}, {"c", {}, "Fwd: hello"}}), "((1)(2))");
  // A dummy thread (missing parent) with that subject absorbs the message.
  EXPECT_EQ(refs({{"b", {"x"}, "Re: hello"}, {"c", {"x"}, "Re: hello"}, {"d", {}, "hello"}}),
            "((1)(2)(3))");
  // Empty subjects never merge.
  EXPECT_EQ(refs({{"a", {}, ""}, {"b", {}, "Re:"}}), "(1)(2)");
  // Case-insensitive comparison of base subjects.
  EXPECT_EQ(refs({{"a", {}, "HELLO"}, {"b", {}, "re: hello"}}), "(1 2)");
}

TEST(ThreadReferences, DeepChainIsFine) {
  std::vector<Msg> msgs;
  for (int i = 0; i < 2000; ++i) {
    Msg m;
    m.id = "m" + std::to_string(i);
    if (i > 0) m.refs = {"m" + std::to_string(i - 1)};
    m.subject = "s" + std::to_string(i);
    msgs.push_back(m);
  }
  std::string t = refs(msgs);
  EXPECT_TRUE(t.starts_with("(1 2 3 "));
  EXPECT_TRUE(t.ends_with(" 1999 2000)"));
}

// RFC 5256 §4: thread-list = "(" (thread-members / thread-nested) ")", thread-members =
// nz-number *(SP nz-number) [SP thread-nested], thread-nested = 2*thread-list.
class ThreadSyntax {
 public:
  explicit ThreadSyntax(std::string_view s) : s_(s) {}
  bool lists(std::vector<uint32_t>& ids) {
    while (i_ < s_.size()) {
      if (!list(ids)) return false;
    }
    return true;
  }

 private:
  bool list(std::vector<uint32_t>& ids) {
    if (!eat('(')) return false;
    if (peek() == '(') {
      if (!nested(ids)) return false;
    } else {
      for (;;) {
        if (!number(ids)) return false;
        if (!eat(' ')) break;
        if (peek() == '(') {
          if (!nested(ids)) return false;
          break;
        }
      }
    }
    return eat(')');
  }
  bool nested(std::vector<uint32_t>& ids) {
    int n = 0;
    while (peek() == '(') {
      if (!list(ids)) return false;
      ++n;
    }
    return n >= 2;
  }
  bool number(std::vector<uint32_t>& ids) {
    size_t start = i_;
    uint32_t v = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') v = v * 10 + (s_[i_++] - '0');
    if (i_ == start || s_[start] == '0') return false;
    ids.push_back(v);
    return true;
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  std::string_view s_;
  size_t i_ = 0;
};

TEST(ThreadReferences, RandomReferencesKeepEveryMessageOnceInValidSyntax) {
  uint32_t state = 12345;
  auto rnd = [&](uint32_t n) {
    state = state * 1103515245u + 12345u;
    return (state >> 16) % n;
  };
  const char* subjects[] = {"a", "Re: a", "b", "Fwd: b", "", "[x] a", "a (fwd)"};
  for (int round = 0; round < 300; ++round) {
    std::vector<Msg> msgs;
    uint32_t n = 1 + rnd(30);
    for (uint32_t i = 0; i < n; ++i) {
      Msg m;
      if (rnd(8) != 0) m.id = "id" + std::to_string(rnd(n + 3));  // duplicates, gaps
      uint32_t nrefs = rnd(5);
      for (uint32_t k = 0; k < nrefs; ++k) m.refs.push_back("id" + std::to_string(rnd(n + 5)));
      m.subject = subjects[rnd(7)];
      m.sent = 1 + rnd(10);  // many equal dates
      msgs.push_back(m);
    }
    for (int algo = 0; algo < 2; ++algo) {
      std::string t = algo ? refs(msgs) : thread_orderedsubject(records(msgs));
      std::vector<uint32_t> ids;
      ThreadSyntax syntax(t);
      ASSERT_TRUE(syntax.lists(ids)) << t;
      std::sort(ids.begin(), ids.end());
      ASSERT_EQ(ids.size(), n) << t;
      for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(ids[i], i + 1) << t;
    }
  }
}

TEST(SortKeys, ArbitraryInputIsSafe) {
  uint32_t state = 99;
  const std::string alphabet = R"([]():<>\"@ rRfFwWdDeE{}0123456789aNIL&;#x)"
                               "\t\xC3\xA9";
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    size_t len = (state = state * 1103515245u + 12345u) >> 16 & 63;
    for (size_t i = 0; i < len; ++i) {
      state = state * 1103515245u + 12345u;
      s += alphabet[(state >> 16) % alphabet.size()];
    }
    bool rf = false;
    std::string b = base_subject(s, &rf);
    EXPECT_LE(b.size(), s.size());
    EXPECT_EQ(base_subject(b).size() <= b.size(), true);
    for (const auto& id : parse_msg_ids(s)) EXPECT_FALSE(id.empty());
    (void)parse_envelope_addresses(s);
    (void)collapse_preview_text(html_to_text(s), 10);
  }
  // Truncated or lying literal lengths in an ENVELOPE are refused, not read past the end.
  EXPECT_FALSE(parse_envelope_addresses("(NIL NIL (({99}\r\nab NIL \"a\" \"b\")))"));
  EXPECT_FALSE(parse_envelope_addresses("(NIL \"unterminated"));
}

TEST(ThreadOrderedSubject, Rfc5256) {
  std::vector<Msg> msgs = {{"", {}, "b", 30}, {"", {}, "a", 20},     {"", {}, "Re: b", 40},
                           {"", {}, "c", 10}, {"", {}, "RE: B", 35}, {"", {}, "[x] a", 25}};
  // Threads: c(4) at 10; a(2) at 20 with 6; b(1) at 30 with 5 and 3.
  EXPECT_EQ(thread_orderedsubject(records(msgs)), "(4)(2 6)(1 (5)(3))");
  EXPECT_EQ(thread_orderedsubject({}), "");
}

// ---------------------------------------------------------------------------------------------
// PREVIEW.

std::string preview_of(const std::string& raw) {
  return make_preview(raw, index::decode_parts(index::build(raw).parts));
}

TEST(Preview, PlainTextDecodedAndCollapsed) {
  EXPECT_EQ(preview_of("Subject: x\r\n\r\n  Hello\r\n\r\n   world  \r\n"), "Hello world");
  EXPECT_EQ(preview_of("Content-Type: text/plain; charset=iso-8859-1\r\n"
                       "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                       "caf=E9 au lait=\r\n s'il vous pla=EEt\r\n"),
            "caf\xC3\xA9 au lait s'il vous pla\xC3\xAEt");
  EXPECT_EQ(preview_of("Content-Type: text/plain; charset=utf-8\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\n"
                       "w6nDqcOp\r\n"),
            "\xC3\xA9\xC3\xA9\xC3\xA9");
  EXPECT_EQ(preview_of("Content-Type: image/png\r\n\r\nxxxx\r\n"), "");
}

TEST(Preview, CutAt256Characters) {
  std::string body;
  for (int i = 0; i < 300; ++i) body += "\xC3\xA9";  // 2 bytes each
  std::string p = preview_of("Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n");
  EXPECT_EQ(p.size(), 512u);
  EXPECT_EQ(collapse_preview_text(" a \x01 b\xC2\xA0\xC2\xA0"
                                  "c "),
            "a b c");
}

TEST(Preview, HtmlStrippedAndAlternativePrefersPlain) {
  EXPECT_EQ(collapse_preview_text(
                html_to_text("<html><head><title>T</title><style>p{}</style></head><body>"
                             "<p>Hi&nbsp;<b>the</b>re &amp; &#233;&#x263A;</p><!-- c --><script>x"
                             "</script>bye<br>now &bogus; &#0;</body></html>")),
            "Hi there & \xC3\xA9\xE2\x98\xBA bye now &bogus; \xEF\xBF\xBD");
  EXPECT_EQ(preview_of("Content-Type: text/html\r\n\r\n<p>Hello</p><p>World</p>\r\n"),
            "Hello World");
  std::string alt =
      "Content-Type: multipart/alternative; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/html\r\n\r\n<p>html version</p>\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nplain version\r\n"
      "--b--\r\n";
  EXPECT_EQ(preview_of(alt), "plain version");
  // A text/plain inside an attached message is not the preview; the outer html is.
  std::string fwd =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/html\r\n\r\n<div>outer</div>\r\n"
      "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ninner text\r\n"
      "--b--\r\n";
  EXPECT_EQ(preview_of(fwd), "outer");
}

}  // namespace
}  // namespace tegami::imap::server
