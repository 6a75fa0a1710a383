// CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 §4): the updating contexts of the selected mailbox.
// A SEARCH or SORT with RETURN (UPDATE) leaves its result here; when the mailbox changes, the
// session re-evaluates the changed messages against each context and sends ESEARCH ADDTO /
// REMOVEFROM (cmd_context.cpp). Dropped with the selection and by CANCELUPDATE.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/command.hpp"
#include "imap/server/sort_keys.hpp"

namespace tegami::imap::server {

struct SearchContext {
  std::string tag;
  bool uid = false;   // UID SEARCH / UID SORT: updates carry UIDs, else sequence numbers
  bool sort = false;  // SORT: positions matter (§4.3.3)
  std::vector<proto::SortCriterion> criteria;
  proto::SearchKey key;  // folded
  bool needs_index = false;
  std::vector<uint32_t> uids;       // SEARCH: the result, ascending UIDs
  std::vector<SortRecord> records;  // SORT: the result in sort order
};

struct SearchContexts {
  // RFC 5267 §4.3.1: at least one per client; more are refused with NOUPDATE.
  static constexpr size_t kMax = 5;
  static constexpr size_t kMaxResult = 100000;  // larger results are not kept up to date
  std::vector<SearchContext> list;

  SearchContext* find(std::string_view tag) {
    for (auto& c : list) {
      if (c.tag == tag) return &c;
    }
    return nullptr;
  }
};

// "PARTIAL (lo:hi set)" for the ids of a result in its order (SEARCH: mailbox order; SORT:
// sort order, ranges only where ascending), "PARTIAL (lo:hi NIL)" when the range holds none
// (RFC 5267 §4.4).
std::string partial_item(const std::pair<uint32_t, uint32_t>& range,
                         const std::vector<uint32_t>& ids);

// "1:3,7,5": ids in the given order, ascending runs of consecutive numbers as ranges.
std::string ordered_set(const std::vector<uint32_t>& ids);

}  // namespace tegami::imap::server
