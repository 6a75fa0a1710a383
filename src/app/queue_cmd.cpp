// `tegami queue list | show ID | retry ID|--all | delete ID`: the outbound queue for
// administrators. A running server picks up retries at its next look at the queue (within
// [queue] poll_seconds).
#include <fmt/format.h>

#include <iostream>

#include "app/app.hpp"
#include "base/clock.hpp"
#include "base/strings.hpp"
#include "queue/dsn.hpp"

namespace tegami::app {
namespace {

int fail(const std::string& msg) {
  std::cerr << "tegami: " << msg << "\n";
  return 1;
}

std::string when(int64_t t) { return t == 0 ? "-" : format_utc(t, true); }

const char* state_name(store::RcptState s) {
  switch (s) {
    case store::RcptState::kPending:
      return "pending";
    case store::RcptState::kDelivered:
      return "delivered";
    case store::RcptState::kFailed:
      return "failed";
  }
  return "?";
}

// The RFC 3463 status in a recorded reply: "550 5.1.1 ..." or our own "4.4.1 ...".
std::string status_in(std::string_view reply) {
  auto is_status = [](std::string_view w) {
    return w.size() >= 5 && (w[0] == '2' || w[0] == '4' || w[0] == '5') && w[1] == '.' &&
           w.find_first_not_of("0123456789.") == std::string_view::npos;
  };
  auto words = split(reply, ' ');
  for (size_t i = 0; i < words.size() && i < 2; ++i)
    if (is_status(words[i])) return std::string(words[i]);
  return {};
}

std::optional<store::Id> parse_id(const std::string& s) {
  auto n = parse_u64(s);
  if (!n || *n == 0 || *n > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<store::Id>(*n);
}

}  // namespace

int cmd_queue(const Args& args) {
  const char* u = "tegami queue list | show ID | retry ID|--all | delete ID";
  const auto& w = args.words;
  if (w.empty()) {
    std::cerr << "usage: " << u << "\n";
    return 2;
  }
  auto env = open_env(args);
  if (!env.ok()) return fail(env.error().message);
  auto& s = *env->store;
  if (w[0] == "list" && w.size() == 1) {
    auto all = s.queue_list();
    if (!all.ok()) return fail(all.error().message);
    if (all->empty()) {
      std::cout << "the queue is empty\n";
      return 0;
    }
    std::cout << fmt::format("{:>6}  {:<20}  {:>9}  {:<28}  {}\n", "ID", "QUEUED", "SIZE", "FROM",
                             "PENDING RECIPIENTS (next attempt, last reply)");
    for (const auto& q : *all) {
      std::string rcpts;
      for (const auto& r : q.rcpts) {
        if (r.state != store::RcptState::kPending) continue;
        if (!rcpts.empty()) rcpts += "; ";
        rcpts += r.address + " (" + when(r.next_attempt) +
                 (r.last_reply.empty() ? "" : ", " + r.last_reply.substr(0, 100)) + ")";
      }
      std::cout << fmt::format("{:>6}  {:<20}  {:>9}  {:<28}  {}\n", q.id,
                               when(q.created).substr(0, 20), q.size,
                               q.env_from.empty() ? "<>" : q.env_from, rcpts);
    }
    return 0;
  }
  if (w[0] == "show" && w.size() == 2) {
    auto id = parse_id(w[1]);
    if (!id) return fail("'" + w[1] + "' is not a queue ID (see tegami queue list)");
    auto q = s.queue_get(*id);
    if (!q.ok()) return fail(q.error().message);
    std::cout << "id: " << q->id << "\n"
              << "from: " << (q->env_from.empty() ? "<>" : q->env_from) << "\n"
              << "size: " << q->size << " bytes\n"
              << "queued: " << when(q->created) << "\n"
              << "gives up: " << when(q->expires) << "\n"
              << "delay notice sent: " << (q->delay_notified ? "yes" : "no") << "\n";
    if (!q->envid.empty()) std::cout << "envid: " << q->envid << "\n";
    if (q->requiretls) std::cout << "requiretls: yes\n";
    for (const auto& r : q->rcpts) {
      std::cout << fmt::format("recipient {}: {}, {} attempt(s)", r.address, state_name(r.state),
                               r.attempts);
      if (r.state == store::RcptState::kPending) std::cout << ", next " << when(r.next_attempt);
      std::cout << "\n";
      if (r.last_reply.empty()) continue;
      std::cout << "  last reply (" << when(r.last_attempt)
                << (r.last_host.empty() ? "" : ", " + r.last_host) << "): " << r.last_reply << "\n";
      queue::DsnRecipient d;
      d.final_recipient = r.address;
      d.action = r.state == store::RcptState::kFailed ? "failed" : "delayed";
      d.diagnostic = r.last_reply;
      d.status = status_in(r.last_reply);
      std::cout << "  meaning: " << queue::explain_failure(d, "en", env->cfg.message_size) << "\n";
    }
    return 0;
  }
  const bool all = args.flag("all");
  if (w[0] == "retry" && w.size() == (all ? 1u : 2u)) {
    int64_t now = system_clock().now_unix();
    std::vector<store::Id> ids;
    if (all) {
      auto queued = s.queue_list();
      if (!queued.ok()) return fail(queued.error().message);
      for (const auto& q : *queued) ids.push_back(q.id);
    } else {
      auto id = parse_id(w[1]);
      if (!id) return fail("'" + w[1] + "' is not a queue ID (see tegami queue list)");
      ids.push_back(*id);
    }
    for (store::Id id : ids) {
      auto st = s.queue_retry(id, now);
      if (!st.ok()) return fail(st.error().message);
    }
    std::cout << ids.size() << " message(s) will be tried again at the server's next look at "
              << "the queue\n";
    return 0;
  }
  if (w[0] == "delete" && w.size() == 2) {
    auto id = parse_id(w[1]);
    if (!id) return fail("'" + w[1] + "' is not a queue ID (see tegami queue list)");
    auto st = s.queue_delete(*id);
    if (!st.ok()) return fail(st.error().message);
    std::cout << "deleted queued message " << *id << " (no bounce is sent)\n";
    return 0;
  }
  std::cerr << "usage: " << u << "\n";
  return 2;
}

}  // namespace tegami::app
