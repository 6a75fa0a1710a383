"""End to end: real clients against the real binary (issue: core service).

Another server delivers on the MX port (smtplib, swaks); IMAP clients read over implicit TLS
and STARTTLS (imaplib, curl, mbsync) with every user-name form and an app-specific password.
"""
import email.utils
import imaplib
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

import harness
from harness import DEMO, insecure_tls


def message(subject, body="Hello from the e2e test.\r\n", to=DEMO):
    return (f"From: Sender <sender@example.org>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: {email.utils.formatdate()}\r\nMessage-ID: <{subject.replace(' ', '.')}@example.org>\r\n"
            f"\r\n{body}").encode()


class CoreTest(harness.ServerTest):
    def imap(self, user=DEMO, password=None):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure_tls())
        m.login(user, password or self.server.app_password)
        return m

    def mx(self):
        return smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], local_hostname="sender.example.org")

    def fetch_all(self, m, mailbox="INBOX"):
        typ, data = m.select(mailbox)
        self.assertEqual(typ, "OK")
        typ, data = m.uid("SEARCH", None, "ALL")
        uids = data[0].split()
        out = {}
        for uid in uids:
            typ, d = m.uid("FETCH", uid, "(BODY.PEEK[])")
            self.assertEqual(typ, "OK")
            out[int(uid)] = d[0][1]
        return out

    def test_01_mx_delivers_to_every_address_form(self):
        self.server.cli("account", "alias-add", DEMO, "hello@tegami.test")
        forms = [DEMO, "demo@tegami.example", "demo+news@tegami.test", "DEMO@Tegami.Test",
                 "hello@tegami.test", "hello@tegami.example"]
        sent = []
        with self.mx() as s:
            for i, rcpt in enumerate(forms):
                raw = message(f"form {i}", to=rcpt)
                s.sendmail("sender@example.org", [rcpt], raw)
                sent.append(raw)
        m = self.imap()
        bodies = list(self.fetch_all(m).values())
        m.logout()
        for raw in sent:
            match = [b for b in bodies if b.endswith(raw)]
            self.assertEqual(len(match), 1, f"message {raw[:80]!r} not delivered exactly once")
            # A Received: header is prepended, the rest is byte for byte what was sent.
            self.assertTrue(match[0].startswith(b"Received: "), match[0][:200])

    def test_02_unknown_and_foreign_recipients_are_refused(self):
        with self.mx() as s:
            s.ehlo()
            s.mail("sender@example.org")
            code, text = s.rcpt("nobody@tegami.test")
            self.assertEqual(code, 550)
            self.assertIn(b"5.1.1", text)
            code, text = s.rcpt("someone@example.net")
            self.assertEqual(code, 554)
            self.assertIn(b"5.7.1", text)
            for hack in ["demo%example.net@tegami.test", "example.net!demo@tegami.test",
                         '"demo@example.net"@tegami.test', "<@tegami.test:someone@example.net>"]:
                code, text = s.rcpt(hack if not hack.startswith("<") else hack[1:-1])
                self.assertGreaterEqual(code, 500, f"{hack} accepted: {code} {text}")

    def test_03_imap_user_name_forms(self):
        for user in [DEMO, "demo", "DEMO", "demo@tegami.example", "Demo@Tegami.Example"]:
            m = self.imap(user)
            typ, _ = m.select("INBOX")
            self.assertEqual(typ, "OK", user)
            m.logout()
        # The app password is accepted without hyphens and in upper case too.
        m = self.imap(DEMO, self.server.app_password.replace("-", "").upper())
        m.logout()

    def test_04_wrong_passwords_are_refused_with_advice(self):
        for pw in ["wrong-pass-word-xxxx", self.server.account_password]:
            m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure_tls())
            with self.assertRaises(imaplib.IMAP4.error) as e:
                m.login(DEMO, pw)
            self.assertIn("app-specific password", str(e.exception))
            self.assertIn("AUTHENTICATIONFAILED", str(e.exception))
            m.shutdown()
        # The owner's history says exactly what happened.
        r = self.server.cli("account", "show", DEMO)
        self.assertIn("account password", r.stdout)

    def test_05_starttls_on_143(self):
        m = imaplib.IMAP4("127.0.0.1", self.server.ports["imap"])
        m.starttls(ssl_context=insecure_tls())
        m.login("demo", self.server.app_password)
        typ, data = m.select("INBOX")
        self.assertEqual(typ, "OK")
        m.logout()

    def test_06_special_use_folders(self):
        m = self.imap()
        typ, data = m.list()
        m.logout()
        listing = b"\n".join(data)
        for name, attr in [(b"Drafts", b"\\Drafts"), (b"Sent Messages", b"\\Sent"),
                           (b"Junk", b"\\Junk"), (b"Deleted Messages", b"\\Trash"),
                           (b"Archive", b"\\Archive")]:
            self.assertRegex(listing, re.escape(attr) + rb".*" + re.escape(name))
        self.assertIn(b"INBOX", listing)

    def test_07_swaks_delivers_with_and_without_starttls(self):
        for i, extra in enumerate([[], ["--tls"]]):
            r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(self.server.ports["smtp"]),
                                "--from", "swaks@example.org", "--to", "demo@tegami.test",
                                "--header", f"Subject: swaks {i}", "--helo", "swaks.example.org",
                                "--body", "sent by swaks", *extra],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertRegex(r.stdout, r"<[-~]+ +250 ")
            if extra:
                self.assertIn("STARTTLS", r.stdout)
        m = self.imap()
        m.select("INBOX")
        typ, data = m.search(None, "SUBJECT", '"swaks"')
        self.assertEqual(len(data[0].split()), 2)
        m.logout()

    def test_08_curl_reads_over_imaps(self):
        with self.mx() as s:
            s.sendmail("sender@example.org", [DEMO], message("for curl", "curl body line\r\n"))
        m = self.imap()
        m.select("INBOX")
        typ, data = m.uid("SEARCH", None, "SUBJECT", '"for curl"')
        uid = data[0].split()[-1].decode()
        m.logout()
        url = f"imaps://127.0.0.1:{self.server.ports['imaps']}/INBOX;UID={uid}"
        r = subprocess.run(["curl", "-sS", "-k", "--max-time", "30", "-u",
                            f"{DEMO}:{self.server.app_password}", url],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"curl body line", r.stdout)
        self.assertIn(b"Subject: for curl", r.stdout)

    def test_09_mbsync_mirrors_the_mailbox(self):
        tmp = tempfile.mkdtemp(prefix="mbsync-")
        try:
            maildir = os.path.join(tmp, "mail")
            os.makedirs(maildir)
            rc = os.path.join(tmp, "mbsyncrc")
            harness.write_mbsyncrc(rc, self.server, maildir, patterns="*")
            r = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            m = self.imap()
            remote = self.fetch_all(m)
            m.logout()
            local = []
            for sub in ("cur", "new"):
                d = os.path.join(maildir, "INBOX", sub)
                for name in os.listdir(d):
                    with open(os.path.join(d, name), "rb") as f:
                        # mbsync may add its own X-TUID bookkeeping header; the rest is ours.
                        local.append(re.sub(rb"(?m)^X-TUID: .*\n", b"", f.read()))
            # mbsync stores Maildir files with LF line ends (its default); content is the same.
            self.assertEqual(len(local), len(remote))
            self.assertEqual(sorted(local), sorted(b.replace(b"\r\n", b"\n") for b in remote.values()))
            for folder in ["Drafts", "Sent Messages", "Junk", "Deleted Messages", "Archive"]:
                self.assertTrue(os.path.isdir(os.path.join(maildir, folder)), folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_10_wrong_tls_mode_gets_an_answer(self):
        # Plain text client on the implicit-TLS IMAP port: a readable BYE instead of a hang.
        with socket.create_connection(("127.0.0.1", self.server.ports["imaps"]), timeout=15) as s:
            data = s.recv(4096)
        self.assertTrue(data.startswith(b"* BYE [ALERT]"), data)
        self.assertIn(str(self.server.ports["imap"]).encode(), data)
        with socket.create_connection(("127.0.0.1", self.server.ports["submissions"]), timeout=15) as s:
            data = s.recv(4096)
        self.assertTrue(data.startswith(b"421 4.7.0"), data)
        # TLS on the STARTTLS port is accepted as implicit TLS.
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imap"], ssl_context=insecure_tls())
        m.login(DEMO, self.server.app_password)
        m.logout()

    def test_11_cli_app_password_lifecycle(self):
        r = self.server.cli("app-password", "create", DEMO, "--label", "Thunderbird")
        pw = r.stdout.strip()
        self.assertRegex(pw, r"^[a-z]{4}-[a-z]{4}-[a-z]{4}-[a-z]{4}$")
        m = self.imap(DEMO, pw)
        m.logout()
        listing = self.server.cli("app-password", "list", DEMO).stdout
        self.assertIn("Thunderbird", listing)
        self.assertIn("last used", listing)
        # A session in IDLE with that password ends when the CLI revokes it.
        idle = insecure_tls().wrap_socket(
            socket.create_connection(("127.0.0.1", self.server.ports["imaps"]), timeout=15),
            server_hostname="localhost")
        idle.recv(4096)
        idle.sendall(f"a LOGIN {DEMO} {pw}\r\nb SELECT INBOX\r\nc IDLE\r\n".encode())
        got = b""
        while b"+ " not in got:
            got += idle.recv(4096)
        self.server.cli("app-password", "revoke", DEMO, "Thunderbird")
        deadline = time.time() + 10
        while b"* BYE" not in got and time.time() < deadline:
            chunk = idle.recv(4096)
            if not chunk:
                break
            got += chunk
        self.assertIn(b"* BYE", got)
        idle.close()
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure_tls())
        with self.assertRaises(imaplib.IMAP4.error):
            m.login(DEMO, pw)
        m.shutdown()
        history = self.server.cli("account", "show", DEMO).stdout
        self.assertIn("Thunderbird", history)
        # Creating a duplicate label of an active one fails clearly.
        self.server.cli("app-password", "create", DEMO, "--label", "Phone")
        r = self.server.cli("app-password", "create", DEMO, "--label", "Phone", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(r.stderr.startswith("tegami: "), r.stderr)

    def test_12_cli_domains_and_accounts(self):
        self.server.cli("domain", "add", "example.com")
        self.server.cli("domain", "add-alias", "example.com", "example.net")
        self.assertIn("example.net (alias of example.com)", self.server.cli("domain", "list").stdout)
        self.server.cli("account", "add", "alice@example.com", "--password-stdin",
                        stdin="correct horse battery\n")
        r = self.server.cli("account", "add", "bob@nowhere.invalid", "--password-stdin",
                            stdin="correct horse battery\n", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("nowhere.invalid", r.stderr)
        pw = self.server.cli("app-password", "create", "alice@example.com", "--label", "Mail").stdout.strip()
        with self.mx() as s:
            s.sendmail("x@example.org", ["alice@example.net"], message("to alice", to="alice@example.net"))
        m = self.imap("alice@example.net", pw)
        m.select("INBOX")
        typ, data = m.search(None, "ALL")
        self.assertEqual(len(data[0].split()), 1)
        m.logout()
        r = self.server.cli("domain", "add", "example.com", check=False)
        self.assertNotEqual(r.returncode, 0)

    def test_13_the_binary_allocates_with_jemalloc(self):
        # jemalloc prints its statistics at exit when asked; glibc's malloc would print nothing.
        # The running server has it mapped too.
        env = dict(os.environ, MALLOC_CONF="stats_print:true")
        r = subprocess.run([harness.BINARY, "--help"], env=env, capture_output=True, text=True,
                           timeout=30)
        out = r.stdout + r.stderr
        self.assertIn("jemalloc statistics", out)
        self.assertIn("opt.background_thread: true", out)
        with open(f"/proc/{self.server.proc.pid}/maps") as f:
            self.assertIn("libjemalloc", f.read())


if __name__ == "__main__":
    harness.main()
