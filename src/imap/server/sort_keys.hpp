// SORT and THREAD keys from the message index, pure: RFC 5256 §2.1 (base subject), §2.2 (sent
// date), §3 (SORT criteria; message ids of the REFERENCES algorithm), RFC 5957 §2 (DISPLAYFROM,
// DISPLAYTO). Strings are compared with i;unicode-casemap (RFC 5051, text_fold.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/command.hpp"
#include "index/message_index.hpp"
#include "store/store.hpp"

namespace tegami::imap::server {

// RFC 5256 §2.1: the base subject of a Subject already RFC 2047-decoded to UTF-8 (steps 1-7;
// the caller compares it with unicode_casemap()). *reply_or_forward is set when the extraction
// removed a subj-refwd ("Re:", "Fwd:"), a "(fwd)" trailer or a "[fwd: ...]" wrapper (the
// "reply or forward" test of the REFERENCES algorithm, step 5).
std::string base_subject(std::string_view subject, bool* reply_or_forward = nullptr);

// The msg-ids of a Message-ID, In-Reply-To or References value (RFC 5322 §3.6.4), in order,
// without angle brackets. Comments and text outside "<...>" are skipped; whitespace inside is
// removed and a quoted local part is unquoted, so <"a b"@x> and <ab@x> are the same id
// (RFC 5256 §3 asks for <"01KF8JCEOCBS0045PS"@xxx.yyy.com> == <01KF8JCEOCBS0045PS@xxx.yyy.com>).
// Empty "<>" are not ids.
std::vector<std::string> parse_msg_ids(std::string_view value);

// The value of the first field `name` (case-insensitive) in MessageIndex::search_headers.
std::optional<std::string_view> header_value(std::string_view search_headers,
                                             std::string_view name);

// The address lists of an IMAP ENVELOPE string (as MessageIndex::envelope holds it).
struct EnvelopeAddress {
  std::string name;     // addr-name as in the header (encoded words not decoded)
  std::string mailbox;  // addr-mailbox
  std::string host;     // addr-host
};
struct EnvelopeAddresses {
  std::vector<EnvelopeAddress> from, to, cc;  // group markers left out
};
std::optional<EnvelopeAddresses> parse_envelope_addresses(std::string_view envelope);

// One message's SORT keys. Text keys are i;unicode-casemap strings.
struct SortRecord {
  uint32_t seq = 0;
  uint32_t uid = 0;
  int64_t arrival = 0;  // INTERNALDATE
  int64_t sent = 0;     // Date: in UTC, else INTERNALDATE (RFC 5256 §2.2)
  int64_t size = 0;
  std::string subject, from, to, cc, display_from, display_to;
};

// True when some criterion needs the message index (all but ARRIVAL and SIZE).
bool sort_needs_index(const std::vector<proto::SortCriterion>& criteria);

// The keys `criteria` use; `idx` may be null when !sort_needs_index(criteria).
SortRecord sort_record(const std::vector<proto::SortCriterion>& criteria, uint32_t seq,
                       const store::MessageMeta& meta, const index::MessageIndex* idx);

// Sorts by the criteria in order (REVERSE flips one criterion), ties by sequence number
// (RFC 5256 §3: the implicit last criterion, never reversed).
void sort_records(std::vector<SortRecord>& records,
                  const std::vector<proto::SortCriterion>& criteria);
// The order sort_records() uses (ties by UID, which is the sequence number order).
bool sort_less(const SortRecord& a, const SortRecord& b,
               const std::vector<proto::SortCriterion>& criteria);

// What THREAD needs of a message (RFC 5256 §2.2, §3).
struct ThreadRecord {
  uint32_t id = 0;   // the number answered: sequence number or UID
  uint32_t seq = 0;  // tie-breaker for equal sent dates
  int64_t sent = 0;
  std::string subject;  // i;unicode-casemap of the base subject
  bool reply = false;   // the subject marks a reply or forward
  std::string message_id;
  // The message's references, oldest first: the ids of References, or when it has none, the
  // first id of In-Reply-To (RFC 5256 §3 REFERENCES step 1).
  std::vector<std::string> references;
};

ThreadRecord thread_record(uint32_t id, uint32_t seq, const store::MessageMeta& meta,
                           const index::MessageIndex& idx);

}  // namespace tegami::imap::server
