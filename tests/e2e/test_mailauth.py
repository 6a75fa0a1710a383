"""End to end: authenticated mail (issue 4, "Authenticated mail").

A real DNS server (unbound from Debian, the same configuration as src/dns/local_server.cpp) runs
on loopback with static zones under example.test; Tegami asks it through `[dns] forwarder`.
Mail arrives on the MX port with smtplib: a From domain that publishes `p=reject` with no valid
signature lands in Junk with `dmarc=fail`; a sender whose SPF record allows 127.0.0.1 lands in
INBOX with `spf=pass`. `tegami dns-records` prints MX, SPF, DKIM, DMARC and the SRV records; the
DKIM records it prints for tegami.test are published, and mail submitted on 465 (signed with
those keys) passes DKIM and DMARC when it comes back in through port 25.
"""
import base64
import email.utils
import imaplib
import os
import re
import shutil
import smtplib
import subprocess
import tempfile
import unittest

import harness
from harness import DEMO, insecure_tls

ZONE = [
    'good.example.test. TXT "v=spf1 ip4:127.0.0.1 -all"',
    'bad.example.test. TXT "v=spf1 -all"',
    '_dmarc.bad.example.test. TXT "v=DMARC1; p=reject"',
]
# A temporary problem: this zone refuses every query (REFUSED -> kTemporary -> temperror).
REFUSED = ["broken.example.test."]


def message(sender, subject):
    return (f"From: Sender <{sender}>\r\nTo: {DEMO}\r\nSubject: {subject}\r\n"
            f"Date: {email.utils.formatdate()}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@e2e.example>\r\n\r\nHello.\r\n").encode()


@unittest.skipUnless(os.access(harness.UNBOUND, os.X_OK), "unbound is not installed")
class MailAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not harness.BINARY:
            raise unittest.SkipTest("TEGAMI_BINARY not set")
        # The server's data folder first: `tegami dns-records` makes tegami.test's DKIM keys, and
        # the DNS server publishes them. SPF of tegami.test fails on purpose, so only DKIM can
        # make its mail pass DMARC (p=reject).
        cls.server = harness.Server()
        out = cls.server.cli("dns-records", "tegami.test").stdout
        zone = list(ZONE) + ['tegami.test. TXT "v=spf1 -all"',
                             '_dmarc.tegami.test. TXT "v=DMARC1; p=reject"']
        zone += harness.dkim_zone(out, "tegami.test")
        cls.dns = harness.LocalDns(zone, refused=REFUSED, static=["example.test.", "tegami.test."])
        cls.server.extra_config = (f'[dns]\nforwarder = "{cls.dns.forwarder}"\ntimeout_ms = 3000\n'
                                   '[mailauth]\nauthserv_id = "mx.tegami.test"\n')
        try:
            cls.server.start()
        except Exception:
            cls.dns.cleanup()
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        alive = cls.server.alive()
        cls.server.cleanup()
        cls.dns.cleanup()
        assert alive, "the server died during the tests"

    def imap(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure_tls())
        m.login(DEMO, self.server.app_password)
        return m

    def flags(self, mailbox, subject):
        m = self.imap()
        try:
            m.select(mailbox)
            typ, data = m.uid("SEARCH", None, "SUBJECT", f'"{subject}"')
            typ, d = m.uid("FETCH", data[0].split()[-1], "(FLAGS)")
            return d[0].decode()
        finally:
            m.logout()

    def find(self, mailbox, subject):
        m = self.imap()
        try:
            typ, _ = m.select(mailbox)
            self.assertEqual(typ, "OK")
            typ, data = m.uid("SEARCH", None, "SUBJECT", f'"{subject}"')
            uids = data[0].split()
            if not uids:
                return None
            typ, d = m.uid("FETCH", uids[-1], "(BODY.PEEK[])")
            return d[0][1].decode(errors="replace")
        finally:
            m.logout()

    def mx_send(self, sender, subject, raw=None):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"],
                          local_hostname="mail.example.test") as s:
            s.sendmail(sender, [DEMO], raw or message(sender, subject))

    @staticmethod
    def auth_results(raw):
        head = raw.split("\r\n\r\n", 1)[0]
        unfolded = re.sub(r"\r\n[ \t]+", " ", head)
        return [l for l in unfolded.split("\r\n") if l.lower().startswith("authentication-results:")]

    def test_spf_pass_lands_in_inbox(self):
        self.mx_send("news@good.example.test", "spf pass")
        raw = self.find("INBOX", "spf pass")
        self.assertIsNotNone(raw)
        ar = self.auth_results(raw)
        self.assertEqual(len(ar), 1, ar)
        self.assertTrue(ar[0].startswith("Authentication-Results: mx.tegami.test;"), ar)
        self.assertIn("spf=pass smtp.mailfrom=news@good.example.test", ar[0])
        self.assertIn("dkim=none", ar[0])

    def test_dmarc_reject_without_signature_lands_in_junk(self):
        self.mx_send("ceo@bad.example.test", "dmarc reject")
        self.assertIsNone(self.find("INBOX", "dmarc reject"))
        raw = self.find("Junk", "dmarc reject")
        self.assertIsNotNone(raw)
        ar = self.auth_results(raw)
        self.assertEqual(len(ar), 1, ar)
        self.assertIn("spf=fail", ar[0])
        self.assertIn("dmarc=fail", ar[0])
        self.assertIn("header.from=bad.example.test", ar[0])
        self.assertIn("$Junk", self.flags("Junk", "dmarc reject"))

    def test_forged_authentication_results_are_removed(self):
        raw = (b"Authentication-Results: mx.tegami.test; spf=pass smtp.mailfrom=ceo@bad.example.test;"
               b" dmarc=pass header.from=bad.example.test\r\n" + message("ceo@bad.example.test", "forged ar"))
        self.mx_send("ceo@bad.example.test", "forged ar", raw)
        stored = self.find("Junk", "forged ar")
        self.assertIsNotNone(stored)
        ar = self.auth_results(stored)
        self.assertEqual(len(ar), 1, ar)
        self.assertIn("dmarc=fail", ar[0])

    def test_dns_trouble_keeps_the_mail(self):
        self.mx_send("x@broken.example.test", "dns trouble")
        raw = self.find("INBOX", "dns trouble")
        self.assertIsNotNone(raw)
        ar = self.auth_results(raw)
        self.assertIn("spf=temperror", ar[0])

    def test_submission_sender_must_be_ours(self):
        with smtplib.SMTP_SSL("127.0.0.1", self.server.ports["submissions"],
                              context=insecure_tls()) as s:
            s.login(DEMO, self.server.app_password)
            with self.assertRaises(smtplib.SMTPSenderRefused) as cm:
                s.sendmail("ceo@bank.example.test", [DEMO], message("ceo@bank.example.test", "spoof"))
            self.assertEqual(cm.exception.smtp_code, 550)
            self.assertIn(b"5.7.1", cm.exception.smtp_error)
            self.assertIn(DEMO.encode(), cm.exception.smtp_error)

    def test_submitted_mail_is_dkim_signed_and_passes_dmarc(self):
        # Sent through 465 to a local recipient: signed with tegami.test's keys on the way in.
        with smtplib.SMTP_SSL("127.0.0.1", self.server.ports["submissions"],
                              context=insecure_tls()) as s:
            s.login(DEMO, self.server.app_password)
            s.sendmail(DEMO, [DEMO], message(DEMO, "signed by us"))
        stored = self.find("INBOX", "signed by us")
        self.assertIsNotNone(stored)
        self.assertEqual(stored.count("DKIM-Signature:"), 2, stored[:2000])
        # The same bytes arriving on port 25 from elsewhere: SPF fails, DKIM carries DMARC.
        self.mx_send(DEMO, "signed by us", stored.encode())
        raw = self.find("INBOX", "signed by us")  # the newest of the two
        self.assertNotEqual(raw, stored)
        ar = [a for a in self.auth_results(raw) if "mx.tegami.test" in a]
        self.assertEqual(len(ar), 1, ar)
        self.assertIn("spf=fail", ar[0])
        self.assertIn("dkim=pass header.d=tegami.test", ar[0])
        self.assertIn("header.s=tegami-ed", ar[0])
        self.assertIn("header.s=tegami-rsa", ar[0])
        self.assertIn("dmarc=pass", ar[0])

    def test_dns_records(self):
        data = tempfile.mkdtemp(prefix="tegami-dnsrec-")
        try:
            r = subprocess.run([harness.BINARY, "dns-records", "tegami.test", "--data", data],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            out = r.stdout
            for srv in ("_imaps._tcp.tegami.test.", "_imap._tcp.tegami.test.",
                        "_submissions._tcp.tegami.test.", "_submission._tcp.tegami.test."):
                self.assertRegex(out, re.escape(srv) + r" \d+ IN SRV \d+ \d+ \d+ \S+\.\n")
            self.assertRegex(out, r"_pop3._tcp.tegami.test. \d+ IN SRV 0 0 0 \.\n")
            self.assertRegex(out, r"tegami.test. \d+ IN MX 10 \S+\.\n")
            self.assertIn('"v=spf1 mx -all"', out)
            self.assertIn("_dmarc.tegami.test. 3600 IN TXT \"v=DMARC1; p=quarantine", out)
            # Each DKIM record: quoted strings of at most 255 octets that join to a key record.
            records = re.findall(r"^(\S+)\._domainkey\.tegami\.test\. IN TXT \((.*?)\)$", out,
                                 re.S | re.M)
            self.assertEqual(sorted(sel for sel, _ in records), ["tegami-ed", "tegami-rsa"])
            for sel, body in records:
                parts = re.findall(r'"([^"]*)"', body)
                self.assertTrue(all(len(p) <= 255 for p in parts))
                tags = dict(t.strip().split("=", 1) for t in "".join(parts).split(";") if t.strip())
                self.assertEqual(tags["v"], "DKIM1")
                key = base64.b64decode(tags["p"])
                if sel == "tegami-ed":
                    self.assertEqual(tags["k"], "ed25519")
                    self.assertEqual(len(key), 32)
                else:
                    self.assertEqual(tags["k"], "rsa")
                    self.assertGreater(len(key), 256)  # 2048-bit SubjectPublicKeyInfo
                self.assertTrue(os.path.exists(os.path.join(data, "dkim", "tegami.test", sel + ".pem")))
            # The keys stay: a second run prints the same records.
            r2 = subprocess.run([harness.BINARY, "dns-records", "tegami.test", "--data", data],
                                capture_output=True, text=True, timeout=60)
            self.assertEqual(r2.stdout, out)
        finally:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    harness.main()
