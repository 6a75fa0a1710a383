// SEARCH evaluation over store metadata and the message index (RFC 9051 §6.4.4): pure, so the
// session can run it on the worker pool next to the store reads it needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "imap/proto/command.hpp"
#include "index/message_index.hpp"
#include "store/store.hpp"

namespace tegami::imap::server {

// True when some key needs the message index (header or body text, sent date).
bool search_needs_index(const proto::SearchKey& key);

// Case-folds every text argument once (the evaluator expects folded needles).
proto::SearchKey fold_search_key(proto::SearchKey key);

struct SearchMessage {
  const store::MessageMeta* meta = nullptr;
  uint32_t seq = 0;
  bool recent = false;
  const index::MessageIndex* idx = nullptr;  // null when !search_needs_index
  // Folded text, computed on first use.
  mutable std::optional<std::string> headers_folded, body_folded;
};

struct SearchScope {
  uint32_t message_count = 0;  // for "*" in sequence sets
  uint32_t max_uid = 0;
  int64_t now = 0;                               // Unix seconds, for OLDER/YOUNGER
  const std::vector<uint32_t>* saved = nullptr;  // "$" (RFC 5182), ascending UIDs
  store::Id account = 0;                         // for EMAILID (RFC 8474)
};

bool search_matches(const proto::SearchKey& folded_key, const SearchMessage& m,
                    const SearchScope& scope);

// Days since 1970-01-01 (proleptic Gregorian).
int64_t days_from_civil(int y, unsigned m, unsigned d);

}  // namespace tegami::imap::server
