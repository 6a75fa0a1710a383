// The subcommands of the `tegami` binary. app/ is the only module that knows every other one.
#pragma once

#include <memory>
#include <string>

#include "app/cli.hpp"
#include "base/result.hpp"
#include "config/config.hpp"
#include "store/store.hpp"

namespace tegami::app {

// Configuration and store chosen by --config FILE, or --data DIR / --dev (development mode,
// default data folder ./dev-data).
struct Env {
  config::Config cfg;
  std::unique_ptr<store::Store> store;
};
Result<Env> open_env(const Args& args);
// The configuration alone, chosen the same way.
Result<config::Config> load_config(const Args& args);
// The value options every subcommand accepts.
inline const std::vector<std::string> kCommonOptions = {"config", "data", "label", "quota", "plan"};

int cmd_serve(const Args& args);
int cmd_check_config(const Args& args);
int cmd_domain(const Args& args);
int cmd_account(const Args& args);
int cmd_plans(const Args& args);
int cmd_app_password(const Args& args);
int cmd_dns_records(const Args& args);
int cmd_queue(const Args& args);

// Where the DKIM signing keys live: DATA/dkim/<domain>/<selector>.pem.
std::string dkim_key_dir(const config::Config& cfg);

// Development mode: makes sure tegami.test (+ alias tegami.example) and demo@tegami.test exist,
// with an app password kept in DATA/dev-credentials.txt, and returns the settings table text.
Result<std::string> prepare_dev(store::Store& store, const config::Config& cfg);

// The client settings table a provider publishes (server, port, TLS mode, user, password).
std::string settings_table(const config::Config& cfg, const std::string& address,
                           const std::string& app_password, const std::string& lang);

}  // namespace tegami::app
