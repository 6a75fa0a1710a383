// Ends live sessions whose app password was revoked by another process (the CLI): the server
// polls the store for recent revocations and publishes them on the change hub, where IMAP
// sessions (IDLE included) listen. Revocations made inside the server publish directly.
#include "app/revocation_watch.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <set>

#include "base/clock.hpp"
#include "log/log.hpp"
#include "net/offload.hpp"

namespace tegami::app {

namespace {

asio::awaitable<void> watch(store::Store& store, store::ChangeHub& hub,
                            std::chrono::milliseconds period) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  int64_t since = system_clock().now_unix();
  std::set<store::Id> seen;  // revocations in [since, now] already published
  for (;;) {
    timer.expires_after(period);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    auto query = [&store, since] { return store.app_passwords_revoked_since(since); };
    auto revoked = co_await net::offload(query);
    if (!revoked.ok()) {
      log::warn("revocation_watch_failed", {{"error", revoked.error().message}});
      continue;
    }
    for (const auto& ap : *revoked) {
      if (!seen.insert(ap.id).second) continue;
      hub.publish_revocation(ap.account_id, ap.id);
    }
    // Keep the window small: anything older than a minute has been published already.
    int64_t horizon = system_clock().now_unix() - 60;
    if (horizon > since) {
      since = horizon;
      std::set<store::Id> keep;
      for (const auto& ap : *revoked)
        if (ap.revoked >= since && seen.count(ap.id)) keep.insert(ap.id);
      seen.swap(keep);
    }
  }
}

}  // namespace

void start_revocation_watch(asio::io_context& io, store::Store& store, store::ChangeHub& hub,
                            std::chrono::milliseconds period) {
  asio::co_spawn(io, watch(store, hub, period), asio::detached);
}

}  // namespace tegami::app
