// IMAP command AST and the sans-I/O command parser.
//
// RFC 9051 (IMAP4rev2) §2.2, §6, §9 (formal syntax); RFC 3501 (IMAP4rev1) §6, §9;
// RFC 7888 (LITERAL+/LITERAL-), RFC 3516 (BINARY, literal8), RFC 3502 (MULTIAPPEND),
// RFC 4959 (SASL-IR), RFC 5161 (ENABLE), RFC 7162 (CONDSTORE/QRESYNC), RFC 5258 (LIST-EXTENDED),
// RFC 5819 (LIST-STATUS), RFC 6154 (SPECIAL-USE), RFC 5182 (SEARCHRES), RFC 4731 (ESEARCH),
// RFC 7377 (multimailbox ESEARCH), RFC 5256 (SORT/THREAD), RFC 5267 (ESORT), RFC 5032 (WITHIN),
// RFC 8474 (OBJECTID), RFC 8514 (SAVEDATE), RFC 8970 (PREVIEW), RFC 2971 (ID),
// RFC 9208 (QUOTA), RFC 8437 (UNAUTHENTICATE), RFC 4978 (COMPRESS), RFC 6851 (MOVE),
// RFC 2177 (IDLE), RFC 3691 (UNSELECT), RFC 4315 (UIDPLUS), RFC 5465 (NOTIFY),
// RFC 5267 §4 (CONTEXT=SEARCH, CONTEXT=SORT: UPDATE, CONTEXT, PARTIAL, CANCELUPDATE).
//
// No I/O here: the server reads one line (without CRLF) and feeds it; if the line ends with a
// literal announcement the parser answers NeedLiteral and the server reads exactly that many
// bytes and hands them over with feed_literal(), then reads the next line, and so on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace tegami::imap::proto {

// ---------------------------------------------------------------------------------------------
// Limits (DESIGN.md §5: every parser has hard limits set where it is built).

struct Limits {
  // Largest literal outside an APPEND message (mailbox names, passwords, search strings...).
  uint64_t max_literal = 64ULL * 1024;
  // Largest APPEND message literal. Larger -> ParseError::Kind::kTooBig.
  uint64_t max_append_literal = 20ULL * 1024 * 1024 + 64ULL * 1024;
  // Largest number of messages in one (MULTI)APPEND command.
  size_t max_append_messages = 1000;
  // Largest sum of the message literals of one (MULTI)APPEND command: they are all held in
  // memory until the command is complete (RFC 3502 is all-or-nothing).
  uint64_t max_append_total = 64ULL * 1024 * 1024;
  // A refused non-synchronizing APPEND message literal up to this size is read and thrown
  // away, and so are the rest of the command's literals: the command then fails with
  // NO [TOOBIG] and the connection stays usable. Larger ones close the connection.
  uint64_t max_discard_literal = 64ULL * 1024 * 1024;
  // If false the server advertises LITERAL- (RFC 7888 §4): non-synchronizing literals are
  // limited to 4096 bytes. If true (LITERAL+), non-synchronizing literals follow the limits above.
  bool literal_plus = false;
  // Largest whole command excluding APPEND message literals (lines + other literals).
  uint64_t max_command_size = 256ULL * 1024;
  // Deepest parenthesis nesting (SEARCH keys, SELECT parameters, ID, ...).
  int max_depth = 32;
  // Most items in one list: sequence-set ranges, search keys, fetch attributes, flags, patterns.
  size_t max_items = 10000;
};

inline constexpr uint64_t kLiteralMinusMax = 4096;  // RFC 7888 §4

// ---------------------------------------------------------------------------------------------
// Basic values.

// Sequence numbers and UIDs are nz-number (1 .. 2^32-1). 0 stands for "*" (largest in use).
inline constexpr uint32_t kStar = 0;

struct SeqRange {
  uint32_t first = 0;  // as written; may be greater than last ("5:2" == "2:5"); kStar = "*"
  uint32_t last = 0;   // equal to first for a single number
};

struct SequenceSet {
  std::vector<SeqRange> ranges;
  bool saved = false;  // "$" (RFC 5182 SEARCHRES): the saved result; ranges is empty

  // Ranges with "*" replaced by `largest` and each range ordered (low <= high). Not merged.
  std::vector<std::pair<uint32_t, uint32_t>> resolve(uint32_t largest) const;
  // True if n is in the set, with "*" meaning `largest`.
  bool contains(uint32_t n, uint32_t largest) const;
  // resolve(), then sorted and with overlapping or adjacent ranges merged (for large sets).
  std::vector<std::pair<uint32_t, uint32_t>> merged(uint32_t largest) const;
};

struct Date {  // "1-Feb-1994"
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31
};

struct DateTime {  // "17-Jul-1996 02:44:25 -0700"
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int tz_minutes = 0;  // offset east of UTC, -0700 -> -420

  int64_t to_unix() const;  // seconds since 1970 UTC
};

// A generic parenthesized value, for parameters we carry without interpreting
// (SELECT/EXAMINE parameters, unknown LIST/STATUS options).
struct Value {
  enum class Type { kAtom, kString, kNil, kList };
  Type type = Type::kNil;
  std::string text;          // kAtom / kString (number is an atom)
  std::vector<Value> items;  // kList
};

struct Parameter {   // NAME [value]
  std::string name;  // upper-cased
  std::optional<Value> value;
};

// ---------------------------------------------------------------------------------------------
// SEARCH (RFC 9051 §6.4.4, RFC 3501 §6.4.4, RFC 7162 §3.1.5, RFC 5032, RFC 8474, RFC 8514).

struct SearchKey {
  enum class Type {
    kAnd,  // children all match: the top-level list and "( ... )"
    kOr,   // children[0] OR children[1]
    kNot,  // NOT children[0]
    kAll,
    kAnswered,
    kDeleted,
    kDraft,
    kFlagged,
    kNew,
    kOld,
    kRecent,
    kSeen,
    kUnanswered,
    kUndeleted,
    kUndraft,
    kUnflagged,
    kUnseen,
    kKeyword,    // text = flag
    kUnkeyword,  // text = flag
    kBcc,        // text
    kBody,
    kCc,
    kFrom,
    kSubject,
    kText,
    kTo,
    kHeader,  // text = field name, text2 = value
    kBefore,  // date (internal date, day granularity)
    kOn,
    kSince,
    kSentBefore,  // date (Date: header)
    kSentOn,
    kSentSince,
    kSavedBefore,  // date (RFC 8514 save date)
    kSavedOn,
    kSavedSince,
    kSaveDateSupported,
    kLarger,    // number
    kSmaller,   // number
    kOlder,     // number = seconds (RFC 5032)
    kYounger,   // number = seconds
    kModSeq,    // number = mod-sequence; text = entry name, text2 = entry type (optional)
    kUid,       // set
    kSequence,  // set (message sequence numbers, or "$")
    kEmailId,   // text (RFC 8474)
    kThreadId,  // text
  };
  Type type = Type::kAll;
  std::string text;
  std::string text2;
  uint64_t number = 0;
  Date date;
  SequenceSet set;
  std::vector<SearchKey> children;
};

struct SearchReturn {  // RETURN (...) (RFC 4731, RFC 5182, RFC 9051 §6.4.4)
  bool given = false;  // a RETURN clause was present (-> ESEARCH response)
  bool min = false;
  bool max = false;
  bool all = false;
  bool count = false;
  bool save = false;
  // RFC 5267 §4 (CONTEXT=SEARCH, CONTEXT=SORT): UPDATE keeps the result up to date with
  // ADDTO/REMOVEFROM, CONTEXT is a hint, PARTIAL low:high (1-based, low <= high, never with
  // ALL) returns part of the result.
  bool update = false;
  bool context = false;
  std::optional<std::pair<uint32_t, uint32_t>> partial;
  // RETURN () means ALL; the parser sets all = true in that case.
};

struct SearchArgs {
  std::optional<std::string> charset;  // upper-cased
  SearchReturn ret;
  SearchKey key;  // kAnd of the top-level keys
};

// ---------------------------------------------------------------------------------------------
// FETCH (RFC 9051 §6.4.5, RFC 3516, RFC 7162 §3.1.4, RFC 8474, RFC 8514, RFC 8970).

struct Section {
  enum class Text { kNone, kHeader, kHeaderFields, kHeaderFieldsNot, kText, kMime };
  std::vector<uint32_t> part;  // "1.2" -> {1, 2}; empty = whole message
  Text text = Text::kNone;
  std::vector<std::string> fields;  // HEADER.FIELDS[.NOT] names as written
};

struct Partial {  // <origin.size>
  uint32_t origin = 0;
  uint32_t size = 0;  // nz-number
};

struct FetchAtt {
  enum class Type {
    kEnvelope,
    kFlags,
    kInternalDate,
    kRfc822,        // same as BODY[] (sets \Seen)
    kRfc822Header,  // BODY.PEEK[HEADER]
    kRfc822Size,
    kRfc822Text,  // BODY[TEXT]
    kBody,        // BODY without section: non-extensible BODYSTRUCTURE
    kBodyStructure,
    kUid,
    kBodySection,  // BODY[...] / BODY.PEEK[...]: section, peek, partial
    kBinary,       // BINARY[...] / BINARY.PEEK[...]: section.part, peek, partial
    kBinarySize,   // BINARY.SIZE[...]: section.part
    kModSeq,
    kSaveDate,
    kEmailId,
    kThreadId,
    kPreview,  // preview_lazy for PREVIEW (LAZY)
  };
  Type type = Type::kUid;
  bool peek = false;
  Section section;
  std::optional<Partial> partial;
  bool preview_lazy = false;
};

struct FetchArgs {
  SequenceSet set;
  std::vector<FetchAtt> atts;             // macros (ALL, FAST, FULL) are expanded
  std::optional<uint64_t> changed_since;  // (CHANGEDSINCE n)
  bool vanished = false;                  // (VANISHED), UID FETCH only (RFC 7162 §3.2.6)
};

// ---------------------------------------------------------------------------------------------
// Other command arguments.

struct AuthenticateArgs {
  std::string mechanism;                        // upper-cased
  std::optional<std::string> initial_response;  // SASL-IR as sent: base64 text or "="
};

struct LoginArgs {
  std::string user;
  std::string password;
};

struct EnableArgs {
  std::vector<std::string> capabilities;  // upper-cased
};

struct QresyncParams {  // RFC 7162 §3.2.5
  uint32_t uidvalidity = 0;
  uint64_t modseq = 0;
  std::optional<SequenceSet> known_uids;
  std::optional<SequenceSet> seq_match_seqs;
  std::optional<SequenceSet> seq_match_uids;
};

// Mailbox names are kept as sent (quoted/literal decoded, no mUTF-7 decoding: see mailbox.hpp),
// except that any case of "INBOX" is normalised to "INBOX".
struct SelectArgs {  // SELECT / EXAMINE
  std::string mailbox;
  std::vector<Parameter> params;  // all parameters, generically
  bool condstore = false;         // (CONDSTORE)
  std::optional<QresyncParams> qresync;
};

struct CreateArgs {
  std::string mailbox;
  std::vector<std::string> special_use;  // (USE (\Drafts \Sent)), as written
  std::vector<Parameter> params;
};

struct MailboxArgs {  // DELETE, SUBSCRIBE, UNSUBSCRIBE, GETQUOTAROOT
  std::string mailbox;
};

struct RenameArgs {
  std::string from;
  std::string to;
};

enum class StatusItem {
  kMessages,
  kUidNext,
  kUidValidity,
  kUnseen,
  kDeleted,
  kSize,
  kRecent,
  kHighestModSeq,
  kAppendLimit,
  kMailboxId,
};

struct ListArgs {  // LIST (RFC 9051 §6.3.9, RFC 5258) and LSUB (RFC 3501 §6.3.9)
  std::vector<std::string> selection;  // upper-cased: SUBSCRIBED REMOTE RECURSIVEMATCH SPECIAL-USE
  std::string reference;
  std::vector<std::string> patterns;  // one for basic LIST / LSUB
  bool ret_subscribed = false;
  bool ret_children = false;
  bool ret_special_use = false;
  bool ret_status = false;
  std::vector<StatusItem> status_items;  // RETURN (STATUS (...))
  bool extended = false;                 // selection options, several patterns or RETURN were used
};

struct StatusArgs {
  std::string mailbox;
  std::vector<StatusItem> items;
};

struct AppendMessage {
  std::vector<std::string> flags;  // as written, e.g. "\\Seen", "$Forwarded"
  std::optional<DateTime> internal_date;
  std::string data;     // the message literal
  bool binary = false;  // sent as literal8 ~{n} (RFC 3516 §4.4)
  bool utf8 = false;    // sent as UTF8 (~{n}) (RFC 6855 §4)
};

struct AppendArgs {
  std::string mailbox;
  std::vector<AppendMessage> messages;  // several with MULTIAPPEND (RFC 3502)
};

struct StoreArgs {
  enum class Op { kReplace, kAdd, kRemove };  // FLAGS, +FLAGS, -FLAGS
  SequenceSet set;
  Op op = Op::kReplace;
  bool silent = false;
  std::vector<std::string> flags;
  std::optional<uint64_t> unchanged_since;  // (UNCHANGEDSINCE n)
};

struct CopyArgs {  // COPY, MOVE
  SequenceSet set;
  std::string mailbox;
};

struct ExpungeArgs {  // UID EXPUNGE set (RFC 4315); empty set for plain EXPUNGE
  std::optional<SequenceSet> set;
};

struct SortCriterion {
  enum class Key { kArrival, kCc, kDate, kFrom, kSize, kSubject, kTo, kDisplayFrom, kDisplayTo };
  Key key = Key::kArrival;
  bool reverse = false;
};

struct SortArgs {  // RFC 5256 §3, RFC 5267 (ESORT RETURN)
  std::vector<SortCriterion> criteria;
  std::string charset;  // upper-cased, required by SORT
  SearchReturn ret;
  SearchKey key;
};

struct ThreadArgs {       // RFC 5256 §3
  std::string algorithm;  // upper-cased: ORDEREDSUBJECT, REFERENCES, ...
  std::string charset;
  SearchKey key;
};

struct EsearchArgs {  // RFC 7377 multimailbox ESEARCH
  // IN (source-mbox): filters such as SELECTED, PERSONAL, INBOXES, SUBSCRIBED, SUBTREE (...)
  struct Source {
    std::string filter;                  // upper-cased
    std::vector<std::string> mailboxes;  // for MAILBOXES / SUBTREE / SUBTREE-ONE
  };
  std::vector<Source> sources;  // empty = the selected mailbox
  SearchArgs search;
};

struct IdArgs {  // RFC 2971; NIL -> fields empty and nil = true
  bool nil = false;
  std::vector<std::pair<std::string, std::optional<std::string>>> fields;
};

struct QuotaRootArgs {  // GETQUOTA root
  std::string root;
};

struct SetQuotaArgs {  // RFC 9208 §4.3
  std::string root;
  std::vector<std::pair<std::string, uint64_t>> limits;  // resource (upper-cased), limit
};

struct CompressArgs {
  std::string mechanism;  // upper-cased, "DEFLATE"
};

struct CancelUpdateArgs {  // RFC 5267 §4.3.5: CANCELUPDATE 1*(SP quoted)
  std::vector<std::string> tags;
};

// NOTIFY (RFC 5465 §3.1, §8). The parser answers BAD for the combinations §5 and §6.1 call
// errors (FlagChange without MessageNew and MessageExpunge, only one of those two, mailbox
// events with SELECTED, SELECTED and SELECTED-DELAYED together); events it does not know are
// kept as kOther for the server to refuse with NO [BADEVENT].
enum class NotifyEvent {
  kMessageNew,
  kMessageExpunge,
  kFlagChange,
  kAnnotationChange,
  kMailboxName,
  kSubscriptionChange,
  kMailboxMetadataChange,
  kServerMetadataChange,
  kOther,
};

struct NotifyEventGroup {
  enum class Filter {
    kSelected,
    kSelectedDelayed,
    kInboxes,
    kPersonal,
    kSubscribed,
    kSubtree,
    kMailboxes
  };
  Filter filter = Filter::kSelected;
  std::vector<std::string> mailboxes;     // SUBTREE / MAILBOXES, as sent ("INBOX" normalised)
  std::vector<NotifyEvent> events;        // empty for NONE
  std::vector<std::string> other_events;  // the names of the kOther events, as written
  std::vector<FetchAtt> fetch_atts;       // MessageNew (fetch-att ...)
};

struct NotifyArgs {
  bool set = false;     // NOTIFY SET; false: NOTIFY NONE
  bool status = false;  // NOTIFY SET STATUS
  std::vector<NotifyEventGroup> groups;
};

// ---------------------------------------------------------------------------------------------
// The command.

enum class CommandType {
  kCapability,
  kNoop,
  kLogout,
  kStartTls,
  kAuthenticate,
  kLogin,
  kEnable,
  kSelect,
  kExamine,
  kCreate,
  kDelete,
  kRename,
  kSubscribe,
  kUnsubscribe,
  kList,
  kLsub,
  kNamespace,
  kStatus,
  kAppend,
  kIdle,
  kCheck,
  kClose,
  kUnselect,
  kExpunge,
  kSearch,
  kFetch,
  kStore,
  kCopy,
  kMove,
  kSort,
  kThread,
  kEsearch,
  kId,
  kGetQuota,
  kGetQuotaRoot,
  kSetQuota,
  kUnauthenticate,
  kCompress,
  kNotify,
  kCancelUpdate,
};

const char* command_name(CommandType t);  // "CAPABILITY", "UID" is not included

using CommandArgs =
    std::variant<std::monostate, AuthenticateArgs, LoginArgs, EnableArgs, SelectArgs, CreateArgs,
                 MailboxArgs, RenameArgs, ListArgs, StatusArgs, AppendArgs, SearchArgs, FetchArgs,
                 StoreArgs, CopyArgs, ExpungeArgs, SortArgs, ThreadArgs, EsearchArgs, IdArgs,
                 QuotaRootArgs, SetQuotaArgs, CompressArgs, NotifyArgs, CancelUpdateArgs>;

// Which alternative of CommandArgs each type uses:
//   monostate: CAPABILITY NOOP LOGOUT STARTTLS NAMESPACE IDLE CHECK CLOSE UNSELECT UNAUTHENTICATE
//   AuthenticateArgs, LoginArgs, EnableArgs; SelectArgs: SELECT EXAMINE; CreateArgs;
//   MailboxArgs: DELETE SUBSCRIBE UNSUBSCRIBE GETQUOTAROOT; RenameArgs; ListArgs: LIST LSUB;
//   StatusArgs; AppendArgs; ExpungeArgs: EXPUNGE (set only with UID); SearchArgs; FetchArgs;
//   StoreArgs; CopyArgs: COPY MOVE; SortArgs; ThreadArgs; EsearchArgs; IdArgs;
//   QuotaRootArgs: GETQUOTA; SetQuotaArgs; CompressArgs; NotifyArgs; CancelUpdateArgs.
struct Command {
  std::string tag;
  CommandType type = CommandType::kNoop;
  bool uid = false;  // "UID FETCH", "UID SEARCH", ... (sets are UIDs)
  CommandArgs args;

  template <class T>
  T& as() {
    return std::get<T>(args);
  }
  template <class T>
  const T& as() const {
    return std::get<T>(args);
  }
  // nullptr when the arguments are of another type (no exceptions).
  template <class T>
  const T* get() const {
    return std::get_if<T>(&args);
  }
  template <class T>
  T* get() {
    return std::get_if<T>(&args);
  }
};

// ---------------------------------------------------------------------------------------------
// Parser results.

// The line ended with a literal announcement. The server reads exactly `size` bytes and calls
// feed_literal(); if `synchronizing`, it first sends "+ go ahead" (RFC 9051 §7.5).
struct NeedLiteral {
  uint64_t size = 0;
  bool synchronizing = true;
  bool binary = false;          // literal8 "~{n}" (RFC 3516)
  bool append_message = false;  // the literal is an APPEND message (limit: max_append_literal)
  // The command has already failed (a refused non-synchronizing literal): the server reads
  // `size` bytes and drops them, then calls feed_literal({}) and goes on reading lines; the
  // error comes when the command ends.
  bool discard = false;
};

struct ParseError {
  enum class Kind {
    kBad,     // syntax error, unknown command, limits exceeded: "tag BAD text"
    kTooBig,  // an APPEND message literal larger than max_append_literal: "tag NO [TOOBIG] text"
              // (or a non-sync literal over the LITERAL- limit: "tag BAD [TOOBIG] text")
  };
  Kind kind = Kind::kBad;
  std::string tag;      // empty if no tag could be read: answer "* BAD text"
  std::string command;  // upper-cased command name if known, for logs
  std::string text;     // human-readable reason, safe to send after "BAD "
  // The client has already sent (or is sending) a non-synchronizing literal we refuse: the
  // connection's input can no longer be parsed reliably. The server answers and closes
  // (RFC 7888 §4 allows closing). For a refused synchronizing literal this is false: the
  // client waits for "+" and gives up on the command when it sees the tagged reply.
  bool close_connection = false;
};

using ParseResult = std::variant<Command, NeedLiteral, ParseError>;

// One per connection. Not thread-safe. After a Command or ParseError the parser is ready for a
// new command. Never asserts on input; recursion is bounded by Limits::max_depth.
class CommandParser {
 public:
  explicit CommandParser(Limits limits = {});
  ~CommandParser();
  CommandParser(CommandParser&&) noexcept;
  CommandParser& operator=(CommandParser&&) noexcept;

  // Feed one line without its CRLF (the server enforces the line length limit).
  ParseResult feed_line(std::string_view line);
  // After NeedLiteral: exactly `size` bytes of literal data. The next feed_line() continues
  // the same command.
  void feed_literal(std::string&& data);
  // Drop any partial command.
  void reset();
  // True between a NeedLiteral and the line completing that command.
  bool in_command() const;

  const Limits& limits() const;
  void set_limits(const Limits& limits);  // e.g. after login, per-account append limit

 private:
  struct State;
  std::unique_ptr<State> st_;
};

// Parse one complete command that contains no literals (tests, tools). Literals produce a
// ParseError.
ParseResult parse_command_line(std::string_view line, const Limits& limits = {});

// IDLE (RFC 2177): the line that ends it ("DONE", any case).
bool is_idle_done(std::string_view line);

// Canonical response name of a FETCH attribute, e.g. "BODY[HEADER.FIELDS (FROM TO)]<0>",
// "BINARY.SIZE[1]", "RFC822.SIZE". BODY.PEEK is answered as BODY (RFC 9051 §7.5.2), and the
// partial is answered with its origin only.
std::string fetch_att_response_name(const FetchAtt& att);

// Names for STATUS items ("MESSAGES", "UIDNEXT", ...).
const char* status_item_name(StatusItem item);

}  // namespace tegami::imap::proto
