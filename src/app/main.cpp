// The tegami binary: `tegami <command> ...`. See `tegami help`.
#include <sys/stat.h>

#include <iostream>
#include <string>

#include "app/app.hpp"

// The binary links jemalloc (docs/libraries.md), which reads its options from this variable
// (then from the environment's MALLOC_CONF): background threads give freed memory back to the
// system after its decay time even while the server is idle, instead of at the next
// allocation.
extern "C" {
const char* malloc_conf = "background_thread:true";
}

namespace {

const char* kHelp = R"(usage: tegami <command> [options]

  serve --dev [--data DIR]            development mode on 127.0.0.1 (ports + 10000)
  serve --config FILE                 production
  check-config --config FILE          validate a configuration file
  domain add DOMAIN
  domain add-alias DOMAIN ALIAS_DOMAIN
  domain list
  account add ADDRESS [--password-stdin] [--plan NAME] [--quota BYTES]
  account list | show ADDRESS
  account plan ADDRESS NAME           move to a plan (its quota and sending limits)
  plans                               the plans and what each allows
  account alias-add ADDRESS ALIAS | alias-remove ADDRESS ALIAS
  account passwd ADDRESS [--password-stdin]
  account two-factor ADDRESS on|off
  account unsuspend ADDRESS           allow sending again after a suspension
  app-password create ADDRESS --label LABEL   (prints the password once)
  app-password list ADDRESS [--all]
  app-password revoke ADDRESS LABEL|--all
  queue list | show ID               the outbound queue
  queue retry ID|--all | delete ID
  dns-records DOMAIN                  MX, SPF, DKIM (keys made on first use), DMARC, SRV lines

Every command takes --config FILE, or --data DIR for a development data folder
(default ./dev-data).
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace tegami::app;
  // What this process creates (the database with password hashes and mail, message files, keys,
  // logs) is for the account it runs as alone.
  ::umask(077);
  if (argc < 2 || std::string(argv[1]) == "help" || std::string(argv[1]) == "--help") {
    std::cout << kHelp;
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  std::string error;
  auto args = parse_args(argc, argv, 2, kCommonOptions, error);
  if (!args) {
    std::cerr << "tegami: " << error << "\n";
    return 2;
  }
  if (cmd == "serve") return cmd_serve(*args);
  if (cmd == "check-config") return cmd_check_config(*args);
  if (cmd == "domain") return cmd_domain(*args);
  if (cmd == "account") return cmd_account(*args);
  if (cmd == "plans") return cmd_plans(*args);
  if (cmd == "app-password") return cmd_app_password(*args);
  if (cmd == "dns-records") return cmd_dns_records(*args);
  if (cmd == "queue") return cmd_queue(*args);
  std::cerr << "tegami: unknown command '" << cmd << "' (see tegami help)\n";
  return 2;
}
