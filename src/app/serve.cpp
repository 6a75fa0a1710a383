// `tegami serve`: wires the store, sign-in, change hub and protocol sessions to the listeners.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "app/app.hpp"
#include "app/revocation_watch.hpp"
#include "auth/authenticator.hpp"
#include "dns/resolver.hpp"
#include "imap/server/server.hpp"
#include "log/log.hpp"
#include "net/server.hpp"
#include "net/tls.hpp"
#include "queue/runner.hpp"
#include "smtp/server/recipient_cache.hpp"
#include "smtp/server/server.hpp"
#include "store/change_hub.hpp"

namespace tegami::app {

int cmd_serve(const Args& args) {
  if (!args.flag("dev") && !args.option("config")) {
    std::cerr << "tegami: serve needs --config FILE, or --dev for development mode\n";
    return 2;
  }
  auto env = open_env(args);
  if (!env.ok()) {
    std::cerr << "tegami: " << env.error().message << "\n";
    return 1;
  }
  config::Config& cfg = env->cfg;
  store::Store& store = *env->store;
  if (cfg.log_level == "debug") log::set_min_level(log::Level::kDebug);
  if (cfg.log_level == "warn") log::set_min_level(log::Level::kWarn);
  if (cfg.log_level == "error") log::set_min_level(log::Level::kError);

  std::string table;
  if (cfg.dev) {
    if (cfg.tls_cert.empty()) {
      cfg.tls_cert = cfg.data_dir + "/tls/cert.pem";
      cfg.tls_key = cfg.data_dir + "/tls/key.pem";
      if (auto st = net::ensure_self_signed(cfg.tls_cert, cfg.tls_key, cfg.hostname); !st.ok()) {
        std::cerr << "tegami: " << st.error().message << "\n";
        return 1;
      }
    }
    auto t = prepare_dev(store, cfg);
    if (!t.ok()) {
      std::cerr << "tegami: cannot prepare development mode: " << t.error().message << "\n";
      return 1;
    }
    table = *t;
  }
  if (cfg.tls_cert.empty() || cfg.tls_key.empty()) {
    std::cerr << "tegami: [tls] cert and key are required (see docs/configuration.md)\n";
    return 1;
  }
  auto tls = net::TlsContext::load({cfg.tls_cert, cfg.tls_key});
  if (!tls.ok()) {
    std::cerr << "tegami: " << tls.error().message << "\n";
    return 1;
  }

  auth::Policy policy;
  policy.allow_account_password = cfg.allow_account_password;
  policy.default_domain = cfg.default_domain;
  auth::Authenticator authenticator(store, policy);
  store::ChangeHub hub;

  imap::server::Context imap_ctx;
  imap_ctx.store = &store;
  imap_ctx.auth = &authenticator;
  imap_ctx.hub = &hub;
  imap_ctx.hostname = cfg.hostname;
  imap_ctx.append_limit = static_cast<uint64_t>(cfg.message_size);
  imap_ctx.allow_login_without_tls = cfg.dev;

  // One resolver for the whole server (SPF, DKIM and DMARC checks, the outbound queue). In
  // development mode DNS is asked only through a configured forwarder (a test DNS server), never
  // the system's: a development server sends no mail to the internet.
  std::unique_ptr<dns::Resolver> resolver;
  if (!cfg.dev || !cfg.dns_forwarder.empty()) {
    dns::ResolverOptions ro;
    ro.forwarder = cfg.dns_forwarder;
    ro.trust_anchor_file = cfg.dns_trust_anchor;
    ro.timeout_ms = static_cast<int>(cfg.dns_timeout_ms);
    auto r = dns::make_unbound_resolver(ro);
    if (!r.ok()) {
      std::cerr << "tegami: cannot start the DNS resolver: " << r.error().message << "\n";
      return 1;
    }
    resolver = std::move(*r);
  }

  smtp::server::Context mx_ctx;
  mx_ctx.store = &store;
  mx_ctx.auth = &authenticator;
  mx_ctx.hub = &hub;
  mx_ctx.mode = smtp::server::Mode::kMx;
  mx_ctx.hostname = cfg.hostname;
  mx_ctx.max_message_size = static_cast<uint64_t>(cfg.message_size);
  mx_ctx.max_recipients = static_cast<uint32_t>(cfg.recipients_per_message);
  mx_ctx.resolver = cfg.mailauth_check ? resolver.get() : nullptr;
  mx_ctx.authserv_id = cfg.authserv_id.empty() ? cfg.hostname : cfg.authserv_id;
  mx_ctx.dmarc_junk = cfg.dmarc_junk;
  smtp::server::RecipientCache recipients;
  mx_ctx.recipients = &recipients;
  smtp::server::Context sub_ctx = mx_ctx;
  sub_ctx.mode = smtp::server::Mode::kSubmission;
  sub_ctx.allow_auth_without_tls = cfg.dev;
  sub_ctx.dkim_key_dir = dkim_key_dir(cfg);
  for (const config::Plan& p : cfg.plans) {  // the default plan is among them (config)
    store::SendLimits l{p.messages_per_day, p.recipients_per_day, 86400};
    if (p.name == cfg.default_plan) {
      sub_ctx.send_policy.limits = l;
      sub_ctx.send_policy.recipients_per_message = p.recipients_per_message;
    }
    sub_ctx.send_policy.plans.push_back({p.name, l, p.recipients_per_message});
  }
  sub_ctx.send_policy.suspend_after = cfg.suspend_after;
  sub_ctx.send_policy.retry_for = cfg.queue_lifetime;
  sub_ctx.send_policy.hostname = cfg.hostname;
  sub_ctx.outbound = resolver != nullptr;

  int threads = cfg.threads > 0
                    ? cfg.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  net::ServerLimits limits;
  limits.max_connections = static_cast<int>(cfg.connections);
  limits.max_connections_per_ip = static_cast<int>(cfg.connections_per_ip);
  net::Server server(*tls, threads, limits);

  auto imap_handler = [&imap_ctx](std::unique_ptr<net::Stream> s) {
    return imap::server::serve(std::move(s), imap_ctx);
  };
  auto mx_handler = [&mx_ctx](std::unique_ptr<net::Stream> s) {
    return smtp::server::serve(std::move(s), mx_ctx);
  };
  auto sub_handler = [&sub_ctx](std::unique_ptr<net::Stream> s) {
    return smtp::server::serve(std::move(s), sub_ctx);
  };
  const auto& p = cfg.ports;
  std::string imaps_wrong = fmt::format(
      "* BYE [ALERT] Port {} expects SSL/TLS from the first byte. In your mail app set the "
      "incoming server's security to SSL/TLS, or use port {} with STARTTLS.\r\n",
      p.imaps, p.imap);
  std::string smtps_wrong = fmt::format(
      "421 4.7.0 Port {} expects SSL/TLS from the first byte. In your mail app set the outgoing "
      "server's security to SSL/TLS, or use port {} with STARTTLS.\r\n",
      p.submissions, p.submission);

  for (const auto& addr : cfg.listen) {
    std::vector<net::ListenerSpec> specs = {
        {"smtp", addr, p.smtp, net::TlsMode::kStartTlsNoDetect, "", mx_handler},
        {"submission", addr, p.submission, net::TlsMode::kStartTls, "", sub_handler},
        {"submissions", addr, p.submissions, net::TlsMode::kImplicit, smtps_wrong, sub_handler},
        {"imap", addr, p.imap, net::TlsMode::kStartTls, "", imap_handler},
        {"imaps", addr, p.imaps, net::TlsMode::kImplicit, imaps_wrong, imap_handler},
    };
    for (auto& spec : specs) {
      std::string name = spec.name;
      auto port = server.listen(std::move(spec));
      if (!port.ok()) {
        std::cerr << "tegami: " << port.error().message << "\n";
        return 1;
      }
      log::info("listening",
                {{"listener", name}, {"address", addr}, {"port", std::to_string(*port)}});
    }
  }
  start_revocation_watch(server.io(), store, hub);
  std::unique_ptr<queue::Runner> runner;
  if (resolver) {
    queue::RunnerOptions qo;
    qo.hostname = cfg.hostname;
    qo.port = static_cast<uint16_t>(cfg.queue_port);
    qo.max_connections = static_cast<int>(cfg.queue_connections);
    qo.max_per_domain = static_cast<int>(cfg.queue_per_domain);
    qo.retry_first = cfg.queue_retry_first;
    qo.retry_max = cfg.queue_retry_max;
    qo.delay_notice_after = cfg.queue_delay_notice;
    qo.message_size = cfg.message_size;
    qo.command_timeout = std::chrono::seconds(cfg.queue_timeout);
    qo.final_timeout = std::chrono::seconds(cfg.queue_timeout * 2);
    qo.ca_file = cfg.queue_ca_file;
    qo.sts.ca_file = cfg.queue_ca_file;
    qo.sts.connect_to = cfg.queue_sts_connect_to;
    qo.dane = cfg.queue_dane;
    qo.mta_sts = cfg.queue_mta_sts;
    qo.idle_poll = std::chrono::seconds(cfg.queue_poll);
    qo.worker_io = [&server]() -> boost::asio::io_context& { return server.next_io(); };
    runner = std::make_unique<queue::Runner>(server.io(), store, &hub, *resolver, qo);
    runner->start();
    queue::Runner* r = runner.get();
    sub_ctx.on_queued = [r](store::QueuedMessage m, std::shared_ptr<const std::string> raw) {
      r->queued(std::move(m), std::move(raw));
    };
  } else {
    log::warn("queue_disabled",
              {{"reason",
                "development mode without dns.forwarder: mail for other domains stays "
                "queued"}});
  }
  if (!table.empty()) std::cout << table << std::flush;
  log::info("started", {{"hostname", cfg.hostname},
                        {"data", cfg.data_dir},
                        {"mode", cfg.dev ? "development" : "production"}});
  server.run();
  if (runner) runner->stop();
  log::info("stopped");
  return 0;
}

}  // namespace tegami::app
