"""End to end: sending (issue 4). Two Tegami instances and a real DNS server on loopback.

Instance A (tegami.test, the dev account demo@) sends; instance B hosts other.example.test with
bob@. unbound answers the MX and A records of other.example.test (pointing at 127.0.0.1), and
tegami.test's SPF, DMARC and the DKIM keys that `tegami dns-records` made in A's data folder.
A's queue delivers to B's SMTP port (`[queue] port`, the documented test setting).

Mail written with real clients (smtplib on 465, swaks on 587 with STARTTLS, neomutt on 465)
goes through A's durable queue to B, where it arrives with dkim=pass, spf=pass and dmarc=pass.
An unknown user, a domain that does not exist and a null MX come back as RFC 3464 bounces in
demo's INBOX (checked with Python's email parser); a destination that is down keeps the message
queued, visible to `tegami queue list|show`, and `tegami queue retry|delete` act on it.
"""
import email
import email.policy
import email.utils
import imaplib
import os
import re
import shutil
import smtplib
import subprocess
import tempfile
import time
import unittest

import harness
from harness import DEMO, insecure_tls

BOB = "bob@other.example.test"
NEOMUTT = shutil.which("neomutt")
SWAKS = shutil.which("swaks")


def message(sender, to, subject, body="Hello from the e2e test.\r\n"):
    return (f"From: Demo <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: {email.utils.formatdate()}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}.{time.time()}@tegami.test>\r\n\r\n"
            + body).encode()


@unittest.skipUnless(os.access(harness.UNBOUND, os.X_OK), "unbound is not installed")
class SendingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not harness.BINARY:
            raise unittest.SkipTest("TEGAMI_BINARY not set")
        cls.b = harness.Server()
        cls.a = harness.Server()
        cls.dns = None
        try:
            cls.b.cli("domain", "add", "other.example.test")
            cls.b.cli("account", "add", BOB, "--password-stdin", stdin="bob password 1234\n")
            cls.bob_pw = cls.b.cli("app-password", "create", BOB, "--label", "e2e").stdout.strip()
            out = cls.a.cli("dns-records", "tegami.test").stdout
            zone = [
                "other.example.test. MX 10 mx.other.example.test.",
                "mx.other.example.test. A 127.0.0.1",
                # Nothing listens on 127.0.0.2 at B's port: connections are refused.
                "down.example.test. MX 10 mx.down.example.test.",
                "mx.down.example.test. A 127.0.0.2",
                "nullmx.example.test. MX 0 .",
                'tegami.test. TXT "v=spf1 ip4:127.0.0.1 -all"',
                '_dmarc.tegami.test. TXT "v=DMARC1; p=reject"',
            ] + harness.dkim_zone(out, "tegami.test")
            cls.dns = harness.LocalDns(zone, static=["example.test.", "tegami.test."])
            dns = f'[dns]\nforwarder = "{cls.dns.forwarder}"\ntimeout_ms = 3000\n'
            cls.b.extra_config = dns + '[mailauth]\nauthserv_id = "mx.other.example.test"\n'
            cls.b.start()
            cls.a.extra_config = dns + (
                f"[queue]\nport = {cls.b.ports['smtp']}\nretry_first = 2\nretry_max = 4\n"
                "timeout = 10\npoll = 1\n")
            cls.a.start()
        except Exception:
            cls.cleanup_all()
            raise

    @classmethod
    def cleanup_all(cls):
        for s in (cls.a, cls.b):
            s.cleanup()
        if cls.dns:
            cls.dns.cleanup()

    @classmethod
    def tearDownClass(cls):
        alive = cls.a.alive() and cls.b.alive()
        logs = cls.a.tail_log() if not alive else ""
        cls.cleanup_all()
        assert alive, "a server died during the tests: " + logs

    # ------------------------------------------------------------------ helpers

    def wait_for(self, server, user, password, mailbox, subject, timeout=30):
        """The newest message with `subject` in `mailbox`, polling until it arrives."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = imaplib.IMAP4_SSL("127.0.0.1", server.ports["imaps"], ssl_context=insecure_tls())
            try:
                m.login(user, password)
                m.select(mailbox)
                m.literal = subject.encode()
                typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", "SUBJECT")
                uids = data[0].split()
                if uids:
                    typ, d = m.uid("FETCH", uids[-1], "(BODY.PEEK[])")
                    return d[0][1]
            finally:
                m.logout()
            time.sleep(0.3)
        self.fail(f"no message '{subject}' in {user} {mailbox} after {timeout}s; A's log: "
                  + self.a.tail_log(3000))

    def bob_has(self, subject):
        return self.wait_for(self.b, BOB, self.bob_pw, "INBOX", subject)

    def bounce_for(self, address):
        """The DSN in demo's INBOX that names `address`, parsed."""
        deadline = time.time() + 40
        while time.time() < deadline:
            m = imaplib.IMAP4_SSL("127.0.0.1", self.a.ports["imaps"], ssl_context=insecure_tls())
            try:
                m.login(DEMO, self.a.app_password)
                m.select("INBOX")
                typ, data = m.uid("SEARCH", "TEXT", address)
                for uid in reversed(data[0].split()):
                    typ, d = m.uid("FETCH", uid, "(BODY.PEEK[])")
                    msg = email.message_from_bytes(d[0][1], policy=email.policy.default)
                    if msg.get_content_type() == "multipart/report":
                        return msg
            finally:
                m.logout()
            time.sleep(0.3)
        self.fail(f"no bounce for {address}; A's log: " + self.a.tail_log(3000))

    def submit_465(self, to, subject):
        with smtplib.SMTP_SSL("127.0.0.1", self.a.ports["submissions"], context=insecure_tls()) as s:
            s.login(DEMO, self.a.app_password)
            refused = s.sendmail(DEMO, to, message(DEMO, ", ".join(to), subject))
            self.assertEqual(refused, {})

    @staticmethod
    def auth_results(raw, authserv):
        head = raw.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
        unfolded = re.sub(r"\r\n[ \t]+", " ", head)
        return [l for l in unfolded.split("\r\n")
                if l.lower().startswith("authentication-results: " + authserv)]

    # ------------------------------------------------------------------ tests

    def test_smtplib_465_reaches_the_other_server_dkim_valid(self):
        self.submit_465([BOB, DEMO], "hello bob over 465")
        raw = self.bob_has("hello bob over 465")
        ar = self.auth_results(raw, "mx.other.example.test")
        self.assertEqual(len(ar), 1, raw[:3000])
        self.assertIn("spf=pass smtp.mailfrom=demo@tegami.test", ar[0])
        self.assertIn("dkim=pass header.d=tegami.test", ar[0])
        self.assertIn("dmarc=pass", ar[0])
        # The local copy went straight into demo's INBOX in the same step.
        self.wait_for(self.a, DEMO, self.a.app_password, "INBOX", "hello bob over 465", 5)
        # Delivered recipients leave the queue.
        deadline = time.time() + 10
        while "the queue is empty" not in self.a.cli("queue", "list").stdout:
            self.assertLess(time.time(), deadline, self.a.cli("queue", "list").stdout)
            time.sleep(0.2)

    @unittest.skipUnless(SWAKS, "swaks is not installed")
    def test_swaks_587_starttls(self):
        r = subprocess.run(
            [SWAKS, "--server", f"127.0.0.1:{self.a.ports['submission']}", "--tls",
             "--auth", "PLAIN", "--auth-user", DEMO, "--auth-password", self.a.app_password,
             "--from", DEMO, "--to", BOB, "--header", "Subject: hello bob via swaks",
             "--body", "sent with swaks"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("queued for delivery", r.stdout)
        raw = self.bob_has("hello bob via swaks")
        ar = self.auth_results(raw, "mx.other.example.test")
        self.assertIn("dkim=pass header.d=tegami.test", ar[0])
        self.assertIn("dmarc=pass", ar[0])

    @unittest.skipUnless(NEOMUTT, "neomutt is not installed")
    def test_neomutt_465(self):
        home = tempfile.mkdtemp(prefix="tegami-neomutt-")
        try:
            rc = os.path.join(home, "muttrc")
            with open(rc, "w") as f:
                f.write(f'set from = "{DEMO}"\nset realname = "Demo"\n'
                        f'set smtp_url = "smtps://{DEMO.replace("@", "%40")}@127.0.0.1:'
                        f'{self.a.ports["submissions"]}/"\n'
                        f'set smtp_pass = "{self.a.app_password}"\n'
                        f'set certificate_file = "{self.a.data}/tls/cert.pem"\n'
                        "set ssl_verify_host = no\nset ssl_force_tls = yes\n"
                        "set record = \"\"\nset copy = no\nset send_charset = \"utf-8\"\n")
            r = subprocess.run([NEOMUTT, "-n", "-F", rc, "-s", "hello bob via neomutt 日本語",
                                BOB], input="本文です。 Body.\n", capture_output=True, text=True,
                               timeout=60, env=dict(os.environ, HOME=home, TERM="dumb"))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            raw = self.bob_has("hello bob via neomutt 日本語")
            ar = self.auth_results(raw, "mx.other.example.test")
            self.assertIn("dkim=pass header.d=tegami.test", ar[0])
        finally:
            shutil.rmtree(home, ignore_errors=True)

    def test_unknown_user_bounces_with_an_explanation(self):
        self.submit_465(["nobody@other.example.test"], "to nobody")
        dsn = self.bounce_for("nobody@other.example.test")
        self.assertIn("Auto-Submitted", dsn)
        parts = list(dsn.iter_parts())
        self.assertEqual(len(parts), 3, [p.get_content_type() for p in parts])
        text = parts[0].get_content()
        self.assertIn("550 5.1.1", text)
        self.assertTrue(re.search(r"[\u3040-\u30ff]", text), text)  # Japanese
        status = parts[1]
        self.assertIn(status.get_content_type(),
                      ("message/delivery-status", "message/global-delivery-status"))
        report = status.as_string()
        self.assertIn("Final-Recipient: rfc822; nobody@other.example.test", report)
        self.assertIn("Action: failed", report)
        self.assertIn("Status: 5.1.1", report)
        self.assertIn("Remote-MTA: dns; mx.other.example.test", report)
        self.assertIn("to nobody", parts[2].as_string())  # the original headers

    def test_no_such_domain_bounces(self):
        self.submit_465(["x@nosuch.example.test"], "to nowhere")
        report = list(self.bounce_for("x@nosuch.example.test").iter_parts())[1].as_string()
        self.assertIn("Status: 5.1.2", report)

    def test_null_mx_bounces(self):
        self.submit_465(["x@nullmx.example.test"], "to null mx")
        report = list(self.bounce_for("x@nullmx.example.test").iter_parts())[1].as_string()
        self.assertIn("Status: 5.1.10", report)

    def test_unreachable_destination_stays_queued_and_the_cli_acts_on_it(self):
        self.submit_465(["x@down.example.test"], "to a server that is down")
        deadline = time.time() + 20
        while True:
            listing = self.a.cli("queue", "list").stdout
            m = re.search(r"^\s*(\d+)\s.*x@down\.example\.test \(.*connection to 127\.0\.0\.2", listing, re.M)
            if m:
                break
            self.assertLess(time.time(), deadline, listing)
            time.sleep(0.3)
        qid = m.group(1)
        show = self.a.cli("queue", "show", qid).stdout
        self.assertIn("recipient x@down.example.test: pending", show)
        self.assertRegex(show, r"[1-9]\d* attempt\(s\)")
        self.assertIn("4.4.1 mx.down.example.test [127.0.0.2]: connection to 127.0.0.2", show)
        meaning = re.search(r"meaning: (.*)", show).group(1)
        self.assertIn("connect", meaning.lower())
        r = self.a.cli("queue", "retry", qid)
        self.assertIn("1 message(s)", r.stdout)
        self.a.cli("queue", "delete", qid)
        self.assertNotIn("x@down.example.test", self.a.cli("queue", "list").stdout)
        bad = self.a.cli("queue", "show", qid, check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("no queued message", bad.stderr)
        bad = self.a.cli("queue", "show", "abc", check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertEqual(self.a.cli("queue", "frobnicate", check=False).returncode, 2)


if __name__ == "__main__":
    harness.main()
