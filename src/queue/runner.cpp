#include "queue/runner.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include "base/clock.hpp"
#include "base/strings.hpp"
#include "index/message_index.hpp"
#include "log/log.hpp"
#include "mime/header.hpp"
#include "net/offload.hpp"
#include "queue/dsn.hpp"
#include "queue/route.hpp"
#include "smtp/client/client.hpp"
#include "smtp/proto/command.hpp"

namespace tegami::queue {

namespace asio = boost::asio;
namespace client = smtp::client;

int64_t retry_delay(int attempts, int64_t first, int64_t max) {
  int64_t d = std::max<int64_t>(first, 1);
  for (int i = 1; i < attempts && d < max; ++i) d *= 2;
  return std::min(d, max);
}

namespace {

// What happened to one recipient in this round.
struct Outcome {
  enum Kind { kNone, kDelivered, kPerm, kTemp } kind = kNone;
  std::string reply;   // "550 5.1.1 ..." (all its lines) or our own reason
  std::string status;  // RFC 3463 code
  std::string host;
  bool relayed = false;  // delivered to a server without DSN: we owe NOTIFY=SUCCESS reports
};

// The recipients of one message for one destination domain.
struct Job {
  store::QueuedMessage msg;
  std::shared_ptr<const std::string> content;  // the message, when the submission handed it over
  std::string domain;
  std::vector<size_t> rcpts;  // indices into msg.rcpts
  std::vector<Outcome> out;   // parallel to rcpts
  bool recorded = false;      // the store took the outcome
};

// The outcome of one job as the store records it (queue_update's arguments).
struct Record {
  store::Id id = 0;
  std::string domain;
  std::vector<store::RcptUpdate> updates;
  bool delay_notice = false;
  std::vector<store::Notice> notices;
  std::vector<std::string> kinds;      // parallel to notices ("failure", ...), for the log
  std::vector<std::string> addresses;  // parallel to updates, for the log
};

const char* kind_name(DsnKind k) {
  switch (k) {
    case DsnKind::kFailure:
      return "failure";
    case DsnKind::kDelay:
      return "delay";
    case DsnKind::kSuccess:
      return "success";
  }
  return "notice";
}

std::string status_of(const client::Reply& r) {
  if (!r.enhanced.empty()) return r.enhanced;
  if (r.code >= 500) return "5.0.0";
  if (r.code >= 400) return "4.0.0";
  return "2.0.0";
}

// "550 ..." (a reply code first)?
bool starts_with_code(std::string_view s) {
  return s.size() >= 3 && std::isdigit(static_cast<unsigned char>(s[0])) &&
         std::isdigit(static_cast<unsigned char>(s[1])) &&
         std::isdigit(static_cast<unsigned char>(s[2])) && (s.size() == 3 || s[3] == ' ');
}

// Whether the recipient's NOTIFY asks for `what` (`dflt` without NOTIFY); false for NEVER,
// which names nothing else (RFC 3461 §4.1).
bool notify_has(const std::string& notify, std::string_view what, bool dflt) {
  if (notify.empty()) return dflt;
  for (auto part : split(notify, ','))
    if (iequals(trim(part), what)) return true;
  return false;
}

std::string original_subject(std::string_view raw) {
  auto fields = mime::parse_header_fields(raw);
  auto v = mime::find_field(fields, "Subject");
  return v ? mime::decode_header_value(*v) : std::string();
}

}  // namespace

// A worker's open connection to its destination, kept between batches.
struct Kept {
  std::unique_ptr<client::Connection> conn;
  std::string host;
};

// A message to schedule: found in the store, or handed over by the submission with its bytes.
struct Due {
  store::QueuedMessage msg;
  std::shared_ptr<const std::string> content;  // null: read from the store when sent
};

// Bytes of handed-over messages kept in memory: per message, and in all.
constexpr size_t kHoldOne = 256 * 1024;
constexpr size_t kHoldAll = 64 * 1024 * 1024;

struct Runner::Impl : std::enable_shared_from_this<Runner::Impl> {
  asio::io_context& io;
  store::Store& store;
  store::ChangeHub* hub;
  dns::Resolver& dns;
  RunnerOptions opts;
  client::StsCache sts;
  asio::strand<asio::io_context::executor_type> strand;
  asio::steady_timer timer;
  std::atomic<bool> stopped{false};
  bool woken = false;  // on strand: look again before waiting
  bool rescan = true;  // on strand: that look reads every due message from the store
  // On strand: where the last full page of a burst of looks ended; the next look goes on from
  // there (queue_id 0: from the start).
  store::QueueDuePlace due_after;
  // On strand: when to look at every due message again (an absolute time, so that a stream of
  // new messages does not keep pushing a retry back).
  std::chrono::steady_clock::time_point next_scan{};

  std::mutex mu;                   // guards the fields below
  std::vector<Due> handed;         // just queued, handed over by the submission
  std::vector<Record> unrecorded;  // outcomes the store refused to take; kept in flight
  std::set<std::pair<store::Id, std::string>> in_flight;  // (message, domain)
  std::map<std::string, std::deque<Job>> waiting;         // per domain
  std::map<std::string, int> active;                      // workers per domain
  // Workers holding an idle connection, per domain: new jobs cancel their wait.
  std::map<std::string, std::vector<std::shared_ptr<asio::steady_timer>>> idle;
  int total_active = 0;
  std::atomic<size_t> held_bytes{0};  // see queued(): handed-over bytes still referenced

  Impl(asio::io_context& io_, store::Store& s, store::ChangeHub* h, dns::Resolver& d,
       RunnerOptions o)
      : io(io_),
        store(s),
        hub(h),
        dns(d),
        opts(std::move(o)),
        strand(asio::make_strand(io_)),
        timer(strand) {}

  asio::awaitable<void> loop() {
    auto self = shared_from_this();
    while (!stopped) {
      std::vector<Due> given;
      {
        std::lock_guard lk(mu);
        given.swap(handed);
      }
      // After the swap: a handed-over message's recipients are due from its commit's time,
      // which is then no later than `now`.
      int64_t now = system_clock().now_unix();
      const bool full = rescan;
      if (full) {
        // Every due message not in hand yet (at start, on a timer, after `tegami queue
        // retry`): a read of the store, so this is not done for each new message.
        rescan = false;
        bool unrecorded_left = false;
        {
          std::lock_guard lk(mu);
          unrecorded_left = !unrecorded.empty();
        }
        if (unrecorded_left) {
          auto retry = [this]() { record_unrecorded(); };
          co_await net::offload(std::move(retry));
        }
        // What is in flight or waiting is left out of the read: it came back on every look and
        // filled the page, so that a slow destination's backlog hid every message behind it
        // (other destinations' retries, everything after a restart) until it drained. Taken
        // before the read: a job leaves `in_flight` only after its outcome is committed, so the
        // read sees the outcome of any job that is not skipped.
        store::QueueSkip skip;
        {
          std::lock_guard lk(mu);
          skip.jobs = in_flight;
          for (const auto& [domain, q] : waiting)
            if (q.size() >= opts.due_page) skip.domains.insert(domain);
        }
        // A look after a full page goes on where that page ended: from the start, each look of
        // a burst stepped over every recipient the earlier ones had taken (after a restart with
        // a large backlog, the walks added up to the square of the backlog).
        skip.after = std::move(due_after);
        due_after = {};
        auto fetch = [this, now, &skip]() { return store.queue_due(now, opts.due_page, skip); };
        auto due = co_await net::offload(std::move(fetch));
        if (!due) {
          log::warn("queue_read_failed", {{"error", due.error().message}});
        } else {
          // A full page: more may be due behind it, and the next look begins where this one
          // ended. Each look takes new jobs only, so this ends; a destination with a page of
          // jobs waiting is skipped, so memory stays bounded. A burst that reaches the end
          // after beginning part way wraps around: one more look from the start, for what
          // became takeable behind its place meanwhile (a destination whose page drained).
          const bool more = due->ended.queue_id != 0;
          const bool wrap = !more && skip.after.queue_id != 0;
          due_after = std::move(due->ended);
          std::vector<Due> found;
          for (auto& m : due->messages) found.push_back({std::move(m), nullptr});
          schedule(std::move(found), now, &skip);
          if (more || wrap) {
            rescan = true;
            woken = true;
          }
        }
        if (!rescan) {
          // Wait for the next due time. Something already due is in flight (or waits for a
          // connection slot): a finishing worker wakes the loop. Not read while another look
          // follows at once (`rescan` is only set together with `woken`): the look that ends
          // the burst sets the time.
          auto next_fn = [this]() { return store.queue_next_due(); };
          auto next = co_await net::offload(std::move(next_fn));
          std::chrono::milliseconds wait = opts.idle_poll;
          int64_t secs = next && *next > 0 ? *next - system_clock().now_unix() : 0;
          if (secs > 0)
            wait = std::min<std::chrono::milliseconds>(wait, std::chrono::seconds(secs));
          next_scan =
              std::chrono::steady_clock::now() + std::max(wait, std::chrono::milliseconds(50));
        }
      }
      if (!given.empty() || !full) {
        // Just queued (the ones a full look found are in flight already and are skipped), or a
        // worker ended: start the ones waiting for a connection slot.
        schedule(std::move(given), now);
      }
      if (woken) {
        woken = false;
        continue;
      }
      timer.expires_at(next_scan);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (std::chrono::steady_clock::now() >= next_scan) rescan = true;  // time for a full look
      woken = false;
    }
  }

  // Splits due messages into (message, domain) jobs and starts workers within the limits. A
  // look's messages (`skip` given) make no job of what the look left out: a message read for one
  // destination must not bring back a job of another that was in hand at the read (it may have
  // ended since, and the read's copy is stale) or whose destination already has a page waiting.
  void schedule(std::vector<Due> due, int64_t now, const store::QueueSkip* skip = nullptr) {
    std::vector<std::string> to_start;
    {
      std::lock_guard lk(mu);
      for (auto& [m, content] : due) {
        std::map<std::string, Job> by_domain;
        for (size_t i = 0; i < m.rcpts.size(); ++i) {
          const auto& r = m.rcpts[i];
          if (r.state != store::RcptState::kPending || r.next_attempt > now) continue;
          if (in_flight.count({m.id, r.domain})) continue;
          if (skip && (skip->domains.count(r.domain) || skip->jobs.count({m.id, r.domain})))
            continue;
          by_domain[r.domain].rcpts.push_back(i);
        }
        for (auto& [domain, job] : by_domain) {
          job.msg = m;
          job.content = content;
          job.domain = domain;
          job.out.resize(job.rcpts.size());
          in_flight.insert({m.id, domain});
          waiting[domain].push_back(std::move(job));
        }
      }
      for (auto& [domain, q] : waiting) {
        // Workers waiting with an idle connection to this destination take the new jobs.
        if (auto it = idle.find(domain); it != idle.end() && !q.empty()) {
          for (auto& t : it->second) asio::post(t->get_executor(), [t] { t->cancel(); });
        }
        int want = std::min<int>(opts.max_per_domain, static_cast<int>(q.size()));
        while (active[domain] < want && total_active < opts.max_connections) {
          ++active[domain];
          ++total_active;
          to_start.push_back(domain);
        }
      }
    }
    for (const auto& d : to_start) {
      auto self = shared_from_this();
      auto ex = asio::make_strand(opts.worker_io ? opts.worker_io() : io);
      asio::co_spawn(ex, self->worker(d, ex), asio::detached);
    }
  }

  // Takes batches of jobs for one domain until none are left.
  asio::awaitable<void> worker(std::string domain, asio::any_io_executor ex) {
    auto self = shared_from_this();
    Kept kept;  // the last good connection, reused while batches keep coming
    bool may_linger = true;
    for (;;) {
      std::vector<Job> batch;
      std::shared_ptr<asio::steady_timer> linger;
      {
        std::lock_guard lk(mu);
        auto& q = waiting[domain];
        while (!q.empty() && batch.size() < 50) {
          batch.push_back(std::move(q.front()));
          q.pop_front();
        }
        if (batch.empty() && kept.conn && may_linger && opts.linger.count() > 0 && !stopped) {
          // Keep the connection a moment for the next message to this destination.
          linger = std::make_shared<asio::steady_timer>(ex, opts.linger);
          idle[domain].push_back(linger);
        } else if (batch.empty()) {
          --active[domain];
          --total_active;
          if (active[domain] == 0 && q.empty()) {
            active.erase(domain);
            waiting.erase(domain);
          }
          break;
        }
      }
      if (linger) {
        boost::system::error_code ec;
        co_await linger->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        {
          std::lock_guard lk(mu);
          auto& v = idle[domain];
          v.erase(std::remove(v.begin(), v.end(), linger), v.end());
          if (v.empty()) idle.erase(domain);
        }
        may_linger = false;  // nothing came: the next empty look ends the worker
        continue;
      }
      may_linger = true;
      try {
        co_await deliver_domain(domain, batch, ex, kept);
      } catch (const std::exception& e) {
        log::error("queue_worker_failed", {{"domain", domain}, {"error", e.what()}});
        for (auto& j : batch)
          for (auto& o : j.out)
            if (o.kind == Outcome::kNone) o = {Outcome::kTemp, "internal error", "4.3.0", ""};
      }
      co_await finalize_all(batch, ex);
      {
        // A job whose outcome the store did not take stays in flight (in `unrecorded`), so
        // that a delivered message is not sent again; the loop records it later.
        std::lock_guard lk(mu);
        for (auto& j : batch)
          if (j.recorded) in_flight.erase({j.msg.id, domain});
      }
      poke(false);
    }
    if (kept.conn) co_await kept.conn->quit();
  }

  // Records every job's outcome. Those that need no notice go to the store's writer from here,
  // the others (a notice's content is read and composed) from the worker pool; all in parallel,
  // so that group commit puts several in one transaction and one fsync instead of one each.
  asio::awaitable<void> finalize_all(std::vector<Job>& batch, asio::any_io_executor ex) {
    auto left = std::make_shared<std::atomic<size_t>>(batch.size());
    asio::steady_timer done(ex, std::chrono::steady_clock::time_point::max());
    // On `ex`: the timer is cancelled on the worker's strand, after its wait has begun (this
    // coroutine does not yield between handing the jobs on and the wait).
    auto one_done = [left, &done] {
      if (left->fetch_sub(1) == 1) done.cancel();
    };
    for (auto& j : batch) {
      Job* job = &j;
      Findings f = findings(*job);
      if (!needs_notices(job->msg, f)) {
        store::Id id = f.rec.id;
        std::vector<store::RcptUpdate> updates = f.rec.updates;
        auto settle = [this, job, rec = std::move(f.rec), ex, one_done](Status st) mutable {
          asio::post(ex, [this, job, rec = std::move(rec), st = std::move(st), one_done]() mutable {
            const bool taken = recorded(rec, st);
            keep(*job, std::move(rec), taken);
            one_done();
          });
        };
        store.post_queue_update(id, std::move(updates), f.rec.delay_notice, std::move(settle));
        continue;
      }
      asio::post(net::worker_pool(), [this, job, f = std::move(f), ex, one_done]() mutable {
        try {
          add_notices(job->msg, f);
        } catch (const std::exception& e) {
          // The outcome is recorded all the same (the job leaves flight), without the notices
          // whose composition threw.
          log::error("queue_notice_failed",
                     {{"queue_id", std::to_string(job->msg.id)}, {"error", e.what()}});
        }
        // The store marks the delay notice sent only when one is in the record: one skipped
        // (no INBOX for a moment) or lost above is tried again by the next attempt or job.
        f.rec.delay_notice = std::any_of(f.rec.notices.begin(), f.rec.notices.end(),
                                         [](const store::Notice& n) { return n.delay; });
        bool taken = false;
        try {
          taken = record(f.rec);
        } catch (const std::exception& e) {
          log::error("queue_finalize_failed", {{"queue_id", std::to_string(job->msg.id)},
                                               {"error", e.what()},
                                               {"next", "kept in memory, recorded again later"}});
        }
        keep(*job, std::move(f.rec), taken);
        asio::post(ex, one_done);
      });
    }
    boost::system::error_code ec;
    co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  static void fail_all(std::vector<Job>& batch, Outcome::Kind k, const std::string& reply,
                       const std::string& status) {
    for (auto& j : batch)
      for (auto& o : j.out)
        if (o.kind == Outcome::kNone || o.kind == Outcome::kTemp) o = {k, reply, status, ""};
  }

  asio::awaitable<void> deliver_domain(const std::string& domain, std::vector<Job>& batch,
                                       asio::any_io_executor ex, Kept& kept) {
    if (kept.conn) {
      // The previous batch's connection (RFC 5321 §4.5.4.1: many messages per connection).
      bool usable = co_await send_batch(*kept.conn, kept.host, batch);
      if (!usable || remaining(batch)) {
        co_await kept.conn->quit();
        kept.conn.reset();
      }
      if (!remaining(batch)) co_return;
    }
    int64_t now = system_clock().now_unix();
    RouteOptions ro;
    ro.port = opts.port;
    ro.dane = opts.dane;
    ro.mta_sts = opts.mta_sts;
    ro.ca_file = opts.ca_file;
    ro.sts = opts.sts;
    auto route_fn = [this, &domain, &ro, now]() { return find_route(dns, sts, domain, ro, now); };
    Route route = co_await net::offload(std::move(route_fn));
    if (route.hosts.empty()) {
      fail_all(batch, route.permanent ? Outcome::kPerm : Outcome::kTemp, route.error, route.status);
      log::info("queue_no_route", {{"domain", domain}, {"error", route.error}});
      co_return;
    }
    std::string last_error = "no mail server of " + domain + " could be reached";
    std::string last_status = "4.4.1";
    bool all_perm = true;
    for (const auto& host : route.hosts) {
      if (!remaining(batch)) break;
      for (const auto& ip : host.ips) {
        if (!remaining(batch)) break;
        client::Options co;
        co.ehlo_name = opts.hostname;
        co.tls = host.tls;
        co.connect_timeout = opts.connect_timeout;
        co.command_timeout = opts.command_timeout;
        co.final_timeout = opts.final_timeout;
        client::Reply greeting;
        auto conn = co_await client::connect(ex, ip, opts.port, co, &greeting);
        if (!conn && host.tls.policy == client::TlsPolicy::kOpportunistic &&
            conn.error().message.rfind(client::kTlsHandshakeFailed, 0) == 0) {
          // RFC 7435: a broken opportunistic TLS stack should not stop delivery.
          co.tls.skip_starttls = true;
          auto again = co_await client::connect(ex, ip, opts.port, co, &greeting);
          conn = std::move(again);
        }
        if (!conn) {
          last_error = conn.error().message;  // names the host, the address and the reply
          last_status = greeting.code ? status_of(greeting) : "4.4.1";
          if (conn.code() != Errc::kPerm) all_perm = false;
          log::info("queue_connect_failed",
                    {{"domain", domain}, {"host", host.name}, {"ip", ip}, {"error", last_error}});
          continue;
        }
        all_perm = false;
        bool usable = co_await send_batch(**conn, host.name, batch);
        if (usable && !remaining(batch)) {
          kept.conn = std::move(*conn);
          kept.host = host.name;
          co_return;
        }
        co_await (*conn)->quit();
      }
    }
    if (remaining(batch)) {
      fail_all(batch, all_perm ? Outcome::kPerm : Outcome::kTemp, last_error, last_status);
    }
  }

  static bool remaining(const std::vector<Job>& batch) {
    for (const auto& j : batch)
      for (const auto& o : j.out)
        if (o.kind == Outcome::kNone) return true;
    return false;
  }

  // Sends every job with recipients still open over `conn`; stops when it becomes unusable
  // (the rest then go to the next address or host). Returns whether it is still usable.
  asio::awaitable<bool> send_batch(client::Connection& conn, const std::string& host,
                                   std::vector<Job>& batch) {
    for (auto& j : batch) {
      client::Envelope env;
      std::vector<size_t> open;
      for (size_t k = 0; k < j.rcpts.size(); ++k) {
        if (j.out[k].kind != Outcome::kNone) continue;
        const auto& r = j.msg.rcpts[j.rcpts[k]];
        client::Recipient cr;
        cr.address = r.address;
        cr.notify = r.notify;
        if (!r.orcpt.empty()) {
          auto semi = r.orcpt.find(';');
          cr.orcpt = semi == std::string::npos
                         ? std::string()
                         : r.orcpt.substr(0, semi) + ";" +
                               smtp::proto::xtext_encode(r.orcpt.substr(semi + 1));
        }
        env.rcpts.push_back(std::move(cr));
        open.push_back(k);
      }
      if (open.empty()) continue;
      env.from = j.msg.env_from;
      env.envid = j.msg.envid;
      env.ret = j.msg.ret;
      env.eight_bit = j.msg.eight_bit;
      env.smtputf8 = j.msg.smtputf8;
      env.requiretls = j.msg.requiretls;
      if (!j.content) {
        store::Id blob = j.msg.blob_id;
        auto read = [this, blob]() { return store.read_blob(blob); };
        auto content = co_await net::offload(std::move(read));
        if (!content) {
          for (size_t k : open)
            j.out[k] = {Outcome::kTemp, "cannot read the message: " + content.error().message,
                        "4.3.0", ""};
          continue;
        }
        j.content = std::make_shared<const std::string>(std::move(*content));
      }
      client::SendResult res = co_await conn.send(env, *j.content);
      for (size_t i = 0; i < open.size() && i < res.rcpts.size(); ++i) {
        const client::Reply& rep = res.rcpts[i];
        Outcome& o = j.out[open[i]];
        o.reply = rep.full();  // every line of a multi-line reply, for the notices
        o.status = status_of(rep);
        o.host = rep.local ? std::string() : host;
        if (rep.ok()) {
          o.kind = Outcome::kDelivered;
          o.relayed = !conn.dsn();
        } else if (rep.permanent()) {
          o.kind = Outcome::kPerm;
        } else if (rep.local && !res.connection_usable) {
          o.kind = Outcome::kNone;  // lost connection: another address may do better
          o.reply = host + ": " + rep.str();
        } else {
          o.kind = Outcome::kTemp;
        }
      }
      log::info("queue_sent", {{"queue_id", std::to_string(j.msg.id)},
                               {"host", host},
                               {"ip", conn.ip()},
                               {"tls", conn.tls() ? conn.tls_version() : "none"},
                               {"verified", conn.tls_verified() ? "yes" : "no"},
                               {"first_reply", res.rcpts.empty() ? "" : res.rcpts[0].str()}});
      if (!res.connection_usable) co_return false;
    }
    co_return true;
  }

  // A job's outcome as the store records it, and whom each notice would tell.
  struct Findings {
    Record rec;
    std::vector<DsnRecipient> failed, delayed, succeeded;
  };

  Findings findings(const Job& j) const {
    const int64_t now = system_clock().now_unix();
    const store::QueuedMessage& m = j.msg;
    Findings f;
    f.rec.id = m.id;
    f.rec.domain = j.domain;
    for (size_t k = 0; k < j.rcpts.size(); ++k) {
      const auto& r = m.rcpts[j.rcpts[k]];
      Outcome o = j.out[k];
      if (o.kind == Outcome::kNone)
        o = {Outcome::kTemp, o.reply.empty() ? "not attempted" : o.reply, "4.4.1", ""};
      store::RcptUpdate u;
      u.rcpt_id = r.id;
      // Our own reasons carry their status in front ("4.4.1 mx... refused"), as replies do
      // after their code: `tegami queue show` explains both. The store keeps the first line
      // (`tegami queue list` shows one line per recipient); notices get them all.
      const std::string line = o.reply.substr(0, o.reply.find('\n'));
      u.reply = starts_with_code(line) || o.status.empty() ? line : o.status + " " + line;
      u.host = o.host;
      u.attempted = now;
      DsnRecipient d;
      d.final_recipient = r.address;
      d.original_recipient = r.orcpt;
      d.status = o.status;
      d.remote_mta = o.host;
      d.diagnostic = o.reply;
      d.last_attempt = now;
      if (o.kind == Outcome::kDelivered) {
        u.state = store::RcptState::kDelivered;
        // RFC 3461 §6.2: a server that took NOTIFY reports itself; one without DSN gets our
        // "relayed" report.
        d.action = "relayed";
        if (o.relayed && notify_has(r.notify, "SUCCESS", false)) f.succeeded.push_back(d);
      } else if (o.kind == Outcome::kPerm || now >= m.expires) {
        u.state = store::RcptState::kFailed;
        if (o.kind != Outcome::kPerm && (d.status.empty() || d.status[0] != '5'))
          d.status = "4.4.7";  // delivery time expired
        d.action = "failed";
        if (notify_has(r.notify, "FAILURE", true)) f.failed.push_back(d);
      } else {
        u.state = store::RcptState::kPending;
        u.next_attempt = now + retry_delay(r.attempts + 1, opts.retry_first, opts.retry_max);
        if (u.next_attempt > m.expires) u.next_attempt = m.expires;
        d.action = "delayed";
        d.retry_until = m.expires;
        if (notify_has(r.notify, "DELAY", true)) f.delayed.push_back(d);
      }
      f.rec.updates.push_back(std::move(u));
      f.rec.addresses.push_back(r.address);
    }
    // `m` is this job's snapshot: another job of the message (another domain) may have sent
    // the notice since. The store puts it in only for the first (Notice::delay), so that one
    // names every recipient still waiting, those of the message's other destinations too (as
    // the snapshot has them).
    f.rec.delay_notice =
        !m.delay_notified && !f.delayed.empty() && now - m.created >= opts.delay_notice_after;
    if (f.rec.delay_notice) {
      for (const auto& r : m.rcpts) {
        if (r.domain == j.domain || r.state != store::RcptState::kPending) continue;
        if (!notify_has(r.notify, "DELAY", true)) continue;
        DsnRecipient d;
        d.final_recipient = r.address;
        d.original_recipient = r.orcpt;
        d.action = "delayed";
        d.remote_mta = r.last_host;
        d.diagnostic = r.last_reply.empty() ? "not attempted yet" : r.last_reply;
        d.last_attempt = r.last_attempt;
        d.retry_until = m.expires;
        f.delayed.push_back(d);
      }
    }
    return f;
  }

  // RFC 3461 §6.2: only a message with a sender and an account here has someone to tell.
  static bool needs_notices(const store::QueuedMessage& m, const Findings& f) {
    const bool can_notify = !m.env_from.empty() && m.account_id != 0;
    return can_notify && (!f.failed.empty() || f.rec.delay_notice || !f.succeeded.empty());
  }

  // The notices (bounce, delay, success) of `f` into its record: reads the message (blocking).
  void add_notices(const store::QueuedMessage& m, Findings& f) {
    if (!needs_notices(m, f)) return;
    const int64_t now = system_clock().now_unix();
    auto raw = store.read_blob(m.blob_id);
    auto inbox = store.get_mailbox(m.account_id, "INBOX");
    if (!raw || !inbox) {
      log::warn("queue_notice_skipped", {{"queue_id", std::to_string(m.id)},
                                         {"reason", raw ? "no INBOX" : raw.error().message}});
      return;
    }
    auto make = [&](DsnKind kind, std::vector<DsnRecipient> rcpts) {
      DsnInput in;
      in.kind = kind;
      in.reporting_mta = opts.hostname;
      in.from = "MAILER-DAEMON@" + opts.hostname;
      in.to = m.env_from;
      in.envid = m.envid;
      in.arrival = m.created;
      in.now = now;
      in.subject = original_subject(*raw);
      in.rcpts = std::move(rcpts);
      in.original = *raw;
      in.headers_only = !iequals(m.ret, "FULL");
      in.message_size = opts.message_size;
      store::Notice n;
      n.raw = compose_dsn(in);
      n.idx = index::build(n.raw);
      n.target.account_id = m.account_id;
      n.target.mailbox_id = inbox->id;
      n.target.enforce_quota = false;  // a bounce is never lost to a full mailbox
      n.delay = kind == DsnKind::kDelay;
      f.rec.kinds.push_back(kind_name(kind));
      f.rec.notices.push_back(std::move(n));
    };
    if (!f.failed.empty()) make(DsnKind::kFailure, std::move(f.failed));
    if (!f.succeeded.empty()) make(DsnKind::kSuccess, std::move(f.succeeded));
    if (f.rec.delay_notice) make(DsnKind::kDelay, std::move(f.delayed));
  }

  // A record the store did not take stays in memory (`unrecorded`), recorded again later.
  void keep(Job& j, Record rec, bool taken) {
    j.recorded = taken;
    if (taken) return;
    std::lock_guard lk(mu);
    unrecorded.push_back(std::move(rec));
  }

  // Writes one outcome to the store; false (logged) when it must be written again later. A
  // notice the store left out because its mailbox is gone (the sender's account was deleted
  // since it was composed) is logged: nobody is left to tell.
  bool record(const Record& rec) {
    auto r = store.queue_update(rec.id, rec.updates, rec.delay_notice, rec.notices);
    if (!r) return recorded(rec, r.error());
    for (const auto& d : r->dropped) {
      if (d.index >= rec.notices.size()) continue;
      const store::Notice& n = rec.notices[d.index];
      log::warn("queue_notice_dropped", {{"queue_id", std::to_string(rec.id)},
                                         {"domain", rec.domain},
                                         {"notice", rec.kinds[d.index]},
                                         {"account", std::to_string(n.target.account_id)},
                                         {"mailbox", std::to_string(n.target.mailbox_id)},
                                         {"reason", d.reason},
                                         {"next", "outcome recorded without it"}});
    }
    return recorded(rec, Status{});
  }

  // After the store's answer `st` to one outcome: logs it, and asks for the next due retry.
  // True when nothing is left to record: taken, or its message is gone.
  bool recorded(const Record& rec, const Status& st) {
    if (!st && st.code() == Errc::kNotFound) {
      // Deleted while it was being delivered (`tegami queue delete`). Kept, the record was
      // written again at every full look, forever, and its job stayed in flight.
      log::info("queue_message_gone", {{"queue_id", std::to_string(rec.id)},
                                       {"domain", rec.domain},
                                       {"next", "outcome dropped"}});
      return true;
    }
    if (!st) {
      log::error("queue_update_failed", {{"queue_id", std::to_string(rec.id)},
                                         {"error", st.error().message},
                                         {"next", "kept in memory, recorded again later"}});
      return false;
    }
    if (hub)
      for (const auto& n : rec.notices) hub->publish(n.target.mailbox_id);
    int64_t retry = 0;
    for (const auto& u : rec.updates)
      if (u.state == store::RcptState::kPending && (retry == 0 || u.next_attempt < retry))
        retry = u.next_attempt;
    if (retry > 0) due_at(retry);
    for (size_t k = 0; k < rec.updates.size(); ++k) {
      const auto& u = rec.updates[k];
      const char* state = u.state == store::RcptState::kDelivered ? "delivered"
                          : u.state == store::RcptState::kFailed  ? "failed"
                                                                  : "deferred";
      log::info("queue_result", {{"queue_id", std::to_string(rec.id)},
                                 {"rcpt", rec.addresses[k]},
                                 {"result", state},
                                 {"reply", u.reply},
                                 {"next", u.next_attempt ? std::to_string(u.next_attempt) : ""}});
    }
    return true;
  }

  // Records again the outcomes the store refused before; those it takes leave flight.
  void record_unrecorded() {
    std::vector<Record> todo;
    {
      std::lock_guard lk(mu);
      todo.swap(unrecorded);
    }
    std::vector<Record> still;
    std::vector<std::pair<store::Id, std::string>> done;
    for (auto& rec : todo) {
      if (record(rec)) {
        done.emplace_back(rec.id, rec.domain);
      } else {
        still.push_back(std::move(rec));
      }
    }
    std::lock_guard lk(mu);
    for (auto& d : done) in_flight.erase(d);
    for (auto& rec : still) unrecorded.push_back(std::move(rec));
  }

  // Makes the loop look again now; with `full`, at every due message in the store.
  void poke(bool full) {
    auto self = shared_from_this();
    asio::post(strand, [self, full] {
      self->woken = true;
      if (full) self->rescan = true;
      self->timer.cancel();
    });
  }

  // A recipient is due again at `when` (Unix seconds): the next full look is no later.
  void due_at(int64_t when) {
    auto self = shared_from_this();
    auto at = std::chrono::steady_clock::now() +
              std::chrono::seconds(std::max<int64_t>(0, when - system_clock().now_unix()));
    asio::post(strand, [self, at] {
      if (at >= self->next_scan) return;
      self->next_scan = at;
      self->timer.cancel();
    });
  }

  void queued(store::QueuedMessage m, std::shared_ptr<const std::string> content) {
    // The bytes stay in memory while the message waits for a connection: within a budget, and
    // small messages only; the others are read from the store when their turn comes.
    const size_t n = content ? content->size() : 0;
    if (content && (n > kHoldOne || held_bytes.fetch_add(n) + n > kHoldAll)) {
      if (n <= kHoldOne) held_bytes.fetch_sub(n);  // over the budget: take the count back
      content.reset();
    }
    if (content) {
      // Gives the bytes back to the budget once: made in place, never copied (a copy's
      // destructor would give them back too, and the count would wrap around to "full").
      struct Held {
        Held(std::shared_ptr<const std::string> b, std::weak_ptr<Impl> o)
            : bytes(std::move(b)), owner(std::move(o)) {}
        Held(const Held&) = delete;
        Held& operator=(const Held&) = delete;
        ~Held() {
          if (auto o = owner.lock()) o->held_bytes.fetch_sub(bytes->size());
        }
        std::shared_ptr<const std::string> bytes;
        std::weak_ptr<Impl> owner;
      };
      auto held = std::make_shared<Held>(content, weak_from_this());
      content = std::shared_ptr<const std::string>(held, held->bytes.get());
    }
    {
      std::lock_guard lk(mu);
      handed.push_back({std::move(m), std::move(content)});
    }
    poke(false);
  }
};

Runner::Runner(asio::io_context& io, store::Store& store, store::ChangeHub* hub, dns::Resolver& dns,
               RunnerOptions opts)
    : impl_(std::make_shared<Impl>(io, store, hub, dns, std::move(opts))) {}

Runner::~Runner() { stop(); }

void Runner::queued(store::QueuedMessage m, std::shared_ptr<const std::string> content) {
  impl_->queued(std::move(m), std::move(content));
}

void Runner::start() {
  auto impl = impl_;
  asio::co_spawn(impl->strand, impl->loop(), asio::detached);
}

void Runner::wake() { impl_->poke(true); }

void Runner::stop() {
  if (impl_->stopped.exchange(true)) return;
  impl_->poke(true);
}

}  // namespace tegami::queue
