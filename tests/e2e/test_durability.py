"""Acknowledged means durable: SIGKILL the server at random moments during a stream of
concurrent SMTP deliveries and IMAP APPENDs, restart it, and check that every acknowledged
message is there byte for byte and that nothing half-written is visible."""
import imaplib
import random
import smtplib
import threading
import time
import unittest

import harness
from harness import DEMO, insecure_tls

CYCLES = 3


def make_message(tag, size):
    filler = ("x" * 70 + "\r\n") * (size // 72)
    return (f"From: load@example.org\r\nTo: {DEMO}\r\nSubject: {tag}\r\nMessage-ID: <{tag}@example.org>\r\n"
            f"\r\n{tag}\r\n{filler}end {tag}\r\n").encode()


class DurabilityTest(unittest.TestCase):
    def setUp(self):
        if not harness.BINARY:
            raise unittest.SkipTest("TEGAMI_BINARY not set")
        self.server = harness.Server()
        self.server.start()

    def tearDown(self):
        self.server.cleanup()

    def run_load(self, cycle, acked, sent, stop):
        lock = threading.Lock()
        ports = self.server.ports
        password = self.server.app_password

        def smtp_worker(w):
            n = 0
            try:
                with smtplib.SMTP("127.0.0.1", ports["smtp"], timeout=10) as s:
                    while not stop.is_set() and n < 2000:
                        tag = f"c{cycle}-s{w}-{n}"
                        raw = make_message(tag, random.choice([200, 3000, 70000, 300000]))
                        with lock:
                            sent[tag] = raw
                        s.sendmail("load@example.org", [DEMO], raw)
                        with lock:
                            acked[tag] = raw
                        n += 1
            except (OSError, smtplib.SMTPException):
                pass

        def imap_worker(w):
            n = 0
            try:
                m = imaplib.IMAP4_SSL("127.0.0.1", ports["imaps"], ssl_context=insecure_tls(), timeout=10)
                m.login(DEMO, password)
                while not stop.is_set() and n < 2000:
                    tag = f"c{cycle}-a{w}-{n}"
                    raw = make_message(tag, random.choice([200, 5000, 100000]))
                    with lock:
                        sent[tag] = raw
                    typ, _ = m.append("INBOX", None, None, raw)
                    if typ == "OK":
                        with lock:
                            acked[tag] = raw
                    n += 1
            except (OSError, imaplib.IMAP4.abort, imaplib.IMAP4.error, ValueError):
                pass

        threads = [threading.Thread(target=smtp_worker, args=(i,)) for i in range(4)]
        threads += [threading.Thread(target=imap_worker, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        return threads

    def test_kill_during_writes(self):
        acked, sent = {}, {}
        for cycle in range(CYCLES):
            stop = threading.Event()
            threads = self.run_load(cycle, acked, sent, stop)
            time.sleep(random.uniform(0.5, 2.0))
            self.server.kill()
            stop.set()
            for t in threads:
                t.join(timeout=30)
            self.server.start()
            self.check(acked, sent)
        self.assertGreater(len(acked), 20, "the load generator barely ran")

    def check(self, acked, sent):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure_tls())
        m.login(DEMO, self.server.app_password)
        m.select("INBOX", readonly=True)
        typ, data = m.uid("SEARCH", None, "ALL")
        seen = {}
        for uid in data[0].split():
            typ, d = m.uid("FETCH", uid, "(BODY.PEEK[])")
            body = d[0][1]
            subject = [l for l in body.split(b"\r\n") if l.startswith(b"Subject: ")]
            self.assertTrue(subject, body[:300])
            tag = subject[0][9:].decode()
            self.assertIn(tag, sent, "a message nobody sent")
            # Complete, never half-written: the stored message ends with what was sent.
            self.assertTrue(body.endswith(sent[tag]), f"{tag} is not complete")
            self.assertNotIn(tag, seen, f"{tag} stored twice")
            seen[tag] = True
        m.logout()
        missing = [t for t in acked if t not in seen]
        self.assertEqual(missing, [], "acknowledged messages lost")


if __name__ == "__main__":
    harness.main()
