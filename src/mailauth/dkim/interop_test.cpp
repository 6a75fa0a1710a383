// Interoperability with an independent implementation: Debian's python3-dkim (dkimpy) verifies
// our signatures and signs messages we verify, for both algorithms and both canonicalizations.
// Skipped when /usr/bin/python3 cannot import dkim and nacl (apt-get install python3-dkim
// python3-nacl).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "base/strings.hpp"
#include "dns/fake_resolver.hpp"
#include "mailauth/dkim/keys.hpp"
#include "mailauth/dkim/sign.hpp"
#include "mailauth/dkim/verify.hpp"

namespace tegami::mailauth::dkim {
namespace {

constexpr const char* kScript = R"PY(
import sys, dkim
mode = sys.argv[1]
records = {}
for line in open(sys.argv[2], 'rb').read().splitlines():
    name, rec = line.split(b'\t', 1)
    records[name] = rec
def dnsfunc(name, timeout=5):
    return records.get(name.rstrip(b'.'))
if mode == 'verify':
    msg = open(sys.argv[3], 'rb').read()
    d = dkim.DKIM(msg)
    n = sum(1 for k, v in d.headers if k.lower() == b'dkim-signature')
    ok = all(d.verify(idx=i, dnsfunc=dnsfunc) for i in range(n))
    sys.exit(0 if ok and n > 0 else 1)
else:  # sign CANON IN OUT RSA_PEM ED_SEED_B64
    canon = sys.argv[3].encode().split(b'/')
    msg = open(sys.argv[4], 'rb').read()
    rsa = open(sys.argv[6], 'rb').read()
    ed = open(sys.argv[7], 'rb').read().strip()
    h1 = dkim.sign(msg, b'rsa1', b'example.com', rsa, canonicalize=tuple(canon))
    h2 = dkim.sign(msg, b'ed1', b'example.com', ed, canonicalize=tuple(canon),
                   signature_algorithm=b'ed25519-sha256')
    open(sys.argv[5], 'wb').write(h1 + h2 + msg)
)PY";

const std::string kMessage =
    "From: Alice Example <alice@example.com>\r\n"
    "To: Bob <bob@example.net>, carol@example.org\r\n"
    "Cc: Dave <dave@example.net>\r\n"
    "Subject:   Lunch \t on Friday?  \r\n"
    "Date: Fri, 17 Nov 2023 10:00:00 +0900\r\n"
    "Message-ID: <lunch-1@example.com>\r\n"
    "References: <a@example.com>\r\n"
    " <b@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hi Bob,  \r\n"
    "\r\n"
    "\tshall we have lunch  on Friday?\r\n"
    "\r\n"
    "\r\n";

void write_file(const std::string& path, const std::string& s) {
  std::ofstream(path, std::ios::binary) << s;
}
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Dkimpy : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("/usr/bin/python3 -c 'import dkim, nacl' >/dev/null 2>&1") != 0)
      GTEST_SKIP() << "python3-dkim / python3-nacl not installed";
    char tmpl[] = "/tmp/dkim_interop_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    rsa_ = std::make_unique<PrivateKey>(std::move(PrivateKey::generate(KeyType::kRsa).value()));
    // RFC 8463 A.1's key: dkimpy takes the base64 seed.
    std::string seed_b64 = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
    ed_ = std::make_unique<PrivateKey>(
        std::move(PrivateKey::from_ed25519_seed(*base64_decode(seed_b64)).value()));
    write_file(dir_ + "/script.py", kScript);
    write_file(dir_ + "/records", "rsa1._domainkey.example.com\t" + rsa_->dns_record() +
                                      "\ned1._domainkey.example.com\t" + ed_->dns_record() + "\n");
    write_file(dir_ + "/rsa.pem", rsa_->to_pem());
    write_file(dir_ + "/ed.seed", seed_b64);
    dns_.add_txt("rsa1._domainkey.example.com", rsa_->dns_record());
    dns_.add_txt("ed1._domainkey.example.com", ed_->dns_record());
  }
  void TearDown() override {
    if (!dir_.empty()) std::system(("rm -rf " + dir_).c_str());
  }
  int run(const std::string& args, bool quiet = false) {
    std::string cmd = "cd " + dir_ + " && /usr/bin/python3 script.py " + args;
    if (quiet) cmd += " 2>/dev/null";
    return std::system(cmd.c_str());
  }
  std::string dir_;
  std::unique_ptr<PrivateKey> rsa_, ed_;
  dns::FakeResolver dns_;
};

TEST_F(Dkimpy, VerifiesOurSignatures) {
  for (Canon c : {Canon::kRelaxed, Canon::kSimple}) {
    SignOptions o;
    o.header_canon = o.body_canon = c;
    std::vector<SigningKey> keys;
    keys.push_back(SigningKey{"example.com", "rsa1", PrivateKey::from_pem(rsa_->to_pem()).value()});
    keys.push_back(SigningKey{"example.com", "ed1", PrivateKey::from_pem(ed_->to_pem()).value()});
    auto fields = sign(kMessage, keys, o);
    ASSERT_TRUE(fields.ok());
    write_file(dir_ + "/ours.eml", *fields + kMessage);
    EXPECT_EQ(run("verify records ours.eml"), 0) << canon_name(c) << "\n" << *fields;
    // And a tampered copy fails there too.
    std::string bad = *fields + kMessage;
    bad.replace(bad.find("shall"), 5, "could");
    write_file(dir_ + "/bad.eml", bad);
    EXPECT_NE(run("verify records bad.eml", /*quiet=*/true), 0);
  }
}

TEST_F(Dkimpy, WeVerifyItsSignatures) {
  write_file(dir_ + "/in.eml", kMessage);
  for (std::string canon : {"relaxed/relaxed", "simple/simple", "relaxed/simple"}) {
    ASSERT_EQ(run("sign records " + canon + " in.eml out.eml rsa.pem ed.seed"), 0);
    std::string signed_msg = read_file(dir_ + "/out.eml");
    VerifyOptions vo;
    auto r = verify(signed_msg, dns_, vo);
    ASSERT_EQ(r.size(), 2u) << signed_msg;
    EXPECT_EQ(r[0].verdict, Verdict::kPass) << canon << ": " << r[0].detail << "\n" << signed_msg;
    EXPECT_EQ(r[0].algorithm, "rsa-sha256");
    EXPECT_EQ(r[1].verdict, Verdict::kPass) << canon << ": " << r[1].detail << "\n" << signed_msg;
    EXPECT_EQ(r[1].algorithm, "ed25519-sha256");
  }
}

}  // namespace
}  // namespace tegami::mailauth::dkim
