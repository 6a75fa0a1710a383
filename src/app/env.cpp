#include <filesystem>

#include "app/app.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace tegami::app {

Result<config::Config> load_config(const Args& args) {
  if (auto path = args.option("config")) {
    auto cfg = config::load_file(*path);
    if (!cfg.ok()) return cfg.error();
    if (auto data = args.option("data")) cfg->data_dir = *data;
    return cfg;
  }
  return config::dev_config(args.option("data").value_or("./dev-data"));
}

Result<Env> open_env(const Args& args) {
  Env env;
  auto cfg = load_config(args);
  if (!cfg.ok()) return cfg.error();
  env.cfg = std::move(*cfg);
  std::error_code ec;
  std::filesystem::create_directories(env.cfg.data_dir, ec);
  if (ec)
    return make_error(Errc::kPerm,
                      "cannot create the data folder " + env.cfg.data_dir + ": " + ec.message());
  auto st = store::open_sqlite_store(env.cfg.data_dir);
  if (!st.ok()) return st.error();
  env.store = std::move(*st);
  return env;
}

}  // namespace tegami::app
