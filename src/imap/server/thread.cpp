// RFC 5256 §3 THREAD=ORDEREDSUBJECT and THREAD=REFERENCES, §4 thread-list syntax. Sent dates
// as in §2.2 (ties broken by sequence number); subjects are i;unicode-casemap base subjects.
#include "imap/server/thread.hpp"

#include <algorithm>
#include <unordered_map>

namespace tegami::imap::server {

namespace {

constexpr int kNone = -1;

struct Node {
  int msg = kNone;  // index into the messages; kNone for a dummy
  int parent = kNone;
  std::vector<int> children;
};

class Forest {
 public:
  explicit Forest(const std::vector<ThreadRecord>& msgs) : msgs_(msgs) {}

  int add(int msg) {
    nodes_.push_back(Node{msg, kNone, {}});
    return static_cast<int>(nodes_.size()) - 1;
  }
  Node& at(int n) { return nodes_[static_cast<size_t>(n)]; }
  const Node& at(int n) const { return nodes_[static_cast<size_t>(n)]; }
  bool dummy(int n) const { return at(n).msg == kNone; }
  size_t size() const { return nodes_.size(); }

  // True when `a` is `b` or one of b's ancestors.
  bool is_ancestor_or_self(int a, int b) const {
    for (int p = b; p != kNone; p = at(p).parent) {
      if (p == a) return true;
    }
    return false;
  }

  void unlink(int child) {
    int p = at(child).parent;
    if (p == kNone) return;
    auto& ch = at(p).children;
    ch.erase(std::find(ch.begin(), ch.end(), child));
    at(child).parent = kNone;
  }

  // Makes `child` (which has no parent) a child of `parent` unless that would make a loop.
  void link(int parent, int child) {
    if (is_ancestor_or_self(child, parent)) return;
    at(child).parent = parent;
    at(parent).children.push_back(child);
  }

  // The message that stands for n when sorting: n itself, or a dummy's first child.
  int representative(int n) const {
    while (n != kNone && dummy(n)) {
      n = at(n).children.empty() ? kNone : at(n).children.front();
    }
    return n;
  }

  bool earlier(int a, int b) const {
    int ra = representative(a), rb = representative(b);
    if (ra == kNone || rb == kNone) return ra != kNone && rb == kNone;
    const auto& ma = msgs_[static_cast<size_t>(at(ra).msg)];
    const auto& mb = msgs_[static_cast<size_t>(at(rb).msg)];
    if (ma.sent != mb.sent) return ma.sent < mb.sent;
    return ma.seq < mb.seq;
  }

  void sort_siblings(std::vector<int>& list) {
    std::stable_sort(list.begin(), list.end(), [&](int a, int b) { return earlier(a, b); });
  }

  // Step 6: every set of siblings by sent date, the deepest first, so that a dummy's first
  // child is known when the dummy is sorted.
  void sort_tree(std::vector<int>& list) {
    for (int n : list) sort_tree(at(n).children);
    sort_siblings(list);
  }

  const ThreadRecord& message(int n) const { return msgs_[static_cast<size_t>(at(n).msg)]; }

  // RFC 5256 §4: a message, then its only child's thread in the same list, or each child's
  // thread in its own parentheses; a dummy contributes only its children.
  void render(int n, std::string& out) const {
    const Node& node = at(n);
    bool open = false;
    if (node.msg != kNone) {
      out += std::to_string(message(n).id);
      open = true;
    }
    if (node.children.size() == 1) {
      if (open) out += ' ';
      render(node.children.front(), out);
      return;
    }
    if (node.children.empty()) return;
    if (open) out += ' ';
    for (int c : node.children) {
      out += '(';
      render(c, out);
      out += ')';
    }
  }

  std::string render_roots(const std::vector<int>& roots) const {
    std::string out;
    for (int r : roots) {
      out += '(';
      render(r, out);
      out += ')';
    }
    return out;
  }

 private:
  const std::vector<ThreadRecord>& msgs_;
  std::vector<Node> nodes_;
};

// Step 3: dummies without children go; a dummy's children take its place, except that more
// than one child is not promoted to the root.
std::vector<int> prune(Forest& f, const std::vector<int>& list, bool at_root) {
  std::vector<int> out;
  for (int n : list) {
    std::vector<int> kids = prune(f, f.at(n).children, false);
    f.at(n).children = kids;
    for (int k : kids) f.at(k).parent = n;
    if (!f.dummy(n)) {
      out.push_back(n);
      continue;
    }
    if (kids.empty()) continue;
    if (at_root && kids.size() > 1) {
      out.push_back(n);
      continue;
    }
    for (int k : kids) {
      f.at(k).parent = at_root ? kNone : f.at(n).parent;
      out.push_back(k);
    }
    f.at(n).children.clear();
  }
  return out;
}

}  // namespace

std::string thread_orderedsubject(const std::vector<ThreadRecord>& msgs) {
  // Sort by base subject, then sent date (then sequence number); each run of one subject is a
  // thread whose first message is the root and the others its children; threads are ordered
  // by the sent date of their first message.
  std::vector<size_t> order(msgs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& x = msgs[a];
    const auto& y = msgs[b];
    if (int c = x.subject.compare(y.subject); c != 0) return c < 0;
    if (x.sent != y.sent) return x.sent < y.sent;
    return x.seq < y.seq;
  });
  std::vector<std::vector<size_t>> threads;
  for (size_t i : order) {
    if (threads.empty() || msgs[threads.back().front()].subject != msgs[i].subject) {
      threads.emplace_back();
    }
    threads.back().push_back(i);
  }
  std::sort(threads.begin(), threads.end(), [&](const auto& a, const auto& b) {
    const auto& x = msgs[a.front()];
    const auto& y = msgs[b.front()];
    if (x.sent != y.sent) return x.sent < y.sent;
    return x.seq < y.seq;
  });
  std::string out;
  for (const auto& t : threads) {
    out += '(' + std::to_string(msgs[t.front()].id);
    if (t.size() == 2) {
      out += ' ' + std::to_string(msgs[t[1]].id);
    } else if (t.size() > 2) {
      out += ' ';
      for (size_t k = 1; k < t.size(); ++k) out += '(' + std::to_string(msgs[t[k]].id) + ')';
    }
    out += ')';
  }
  return out;
}

std::string thread_references(const std::vector<ThreadRecord>& msgs) {
  Forest f(msgs);
  std::unordered_map<std::string, int> id_table;

  // Step 1, for each message in mailbox order.
  for (size_t m = 0; m < msgs.size(); ++m) {
    const ThreadRecord& rec = msgs[m];
    // A: a message without a Message-ID, or whose id an earlier message already has, gets a
    // unique id (a container nobody can reference).
    int self = kNone;
    if (!rec.message_id.empty()) {
      auto it = id_table.find(rec.message_id);
      if (it == id_table.end()) {
        self = f.add(static_cast<int>(m));
        id_table.emplace(rec.message_id, self);
      } else if (f.dummy(it->second)) {
        self = it->second;
        f.at(self).msg = static_cast<int>(m);
      }
    }
    if (self == kNone) self = f.add(static_cast<int>(m));

    // Link the references in order, each the parent of the next: unknown ids become dummies;
    // an existing parent link is kept; no link that would make a loop.
    int prev = kNone;
    for (const auto& ref : rec.references) {
      int c;
      auto it = id_table.find(ref);
      if (it != id_table.end()) {
        c = it->second;
      } else {
        c = f.add(kNone);
        id_table.emplace(ref, c);
      }
      if (prev != kNone && f.at(c).parent == kNone) f.link(prev, c);
      prev = c;
    }
    // B: the last reference is this message's parent, replacing a parent presumed from an
    // earlier References field; no parent when there are no references (or it would loop).
    f.unlink(self);
    if (prev != kNone) f.link(prev, self);
  }

  // Step 2: everything without a parent is a root.
  std::vector<int> roots;
  for (size_t n = 0; n < f.size(); ++n) {
    if (f.at(static_cast<int>(n)).parent == kNone) roots.push_back(static_cast<int>(n));
  }
  // Step 3.
  roots = prune(f, roots, true);
  // Step 4: the roots by sent date; a dummy by its earliest child.
  for (int r : roots) {
    if (f.dummy(r)) f.sort_siblings(f.at(r).children);
  }
  f.sort_siblings(roots);

  // Step 5: merge threads whose subjects are the same.
  auto thread_subject = [&](int n) -> const std::string& {
    return f.message(f.representative(n)).subject;
  };
  auto is_reply = [&](int n) { return !f.dummy(n) && f.message(n).reply; };
  std::unordered_map<std::string, int> subject_table;
  for (int r : roots) {  // B
    const std::string& s = thread_subject(r);
    if (s.empty()) continue;
    auto [it, inserted] = subject_table.emplace(s, r);
    if (inserted) continue;
    int t = it->second;
    if (!f.dummy(t) && (f.dummy(r) || (is_reply(t) && !is_reply(r)))) it->second = r;
  }
  std::vector<char> is_root(f.size() + roots.size() + 1, 0);
  for (int r : roots) is_root[static_cast<size_t>(r)] = 1;
  for (size_t i = 0; i < roots.size(); ++i) {  // C
    int r = roots[i];
    if (!is_root[static_cast<size_t>(r)]) continue;
    const std::string s = thread_subject(r);
    if (s.empty()) continue;
    int t = subject_table.at(s);
    if (t == r) continue;
    if (f.dummy(t) && f.dummy(r)) {
      for (int k : f.at(r).children) {
        f.at(k).parent = t;
        f.at(t).children.push_back(k);
      }
      f.at(r).children.clear();
      is_root[static_cast<size_t>(r)] = 0;
    } else if (f.dummy(t) || (is_reply(r) && !is_reply(t))) {
      f.link(t, r);
      is_root[static_cast<size_t>(r)] = 0;
    } else {
      // A new dummy takes the place of the table's message, with both as its children.
      int d = f.add(kNone);
      if (static_cast<size_t>(d) >= is_root.size()) is_root.resize(static_cast<size_t>(d) + 1);
      auto pos = std::find(roots.begin(), roots.end(), t);
      *pos = d;
      is_root[static_cast<size_t>(t)] = 0;
      is_root[static_cast<size_t>(r)] = 0;
      is_root[static_cast<size_t>(d)] = 1;
      f.link(d, t);
      f.link(d, r);
      subject_table[s] = d;
    }
  }
  std::vector<int> final_roots;
  for (int r : roots) {
    if (is_root[static_cast<size_t>(r)]) final_roots.push_back(r);
  }
  // Step 6.
  f.sort_tree(final_roots);
  // Step 7.
  return f.render_roots(final_roots);
}

}  // namespace tegami::imap::server
