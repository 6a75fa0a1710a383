"""End to end: a new message reaches 1,000 idle sessions of the same account within a second
(issue 3, "IDLE").

1,000 plain IMAP connections on loopback (development mode allows LOGIN without TLS there) log
in as demo@, SELECT INBOX and IDLE, driven by one selector loop. Then one message arrives on the
SMTP port; the test measures the time from the server's 250 until every session has seen
"* N EXISTS", and checks that each session can then leave IDLE with DONE.
"""
import selectors
import smtplib
import socket
import time
import unittest

import harness
from harness import DEMO

SESSIONS = 1000


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setblocking(False)
        self.buf = b""
        self.state = "greeting"

    def send(self, data):
        self.sock.setblocking(True)
        self.sock.sendall(data)
        self.sock.setblocking(False)


@unittest.skipUnless(harness.BINARY, "TEGAMI_BINARY not set")
class IdleFanoutTest(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server(extra_config="[limits]\nconnections_per_ip = 5000\n")
        self.server.start()
        self.conns = []
        self.sel = selectors.DefaultSelector()

    def tearDown(self):
        for c in self.conns:
            try:
                c.sock.close()
            except OSError:
                pass
        self.sel.close()
        alive = self.server.alive()
        log = self.server.tail_log()
        self.server.cleanup()
        self.assertTrue(alive, log)

    def pump(self, done, deadline, on_line):
        """Reads lines until done() or the deadline; on_line(conn, line) for each."""
        while not done():
            left = deadline - time.time()
            if left <= 0:
                return False
            for key, _ in self.sel.select(timeout=min(left, 0.5)):
                c = key.data
                try:
                    chunk = c.sock.recv(65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    raise AssertionError("a session was closed: " + self.server.tail_log())
                c.buf += chunk
                while b"\r\n" in c.buf:
                    line, c.buf = c.buf.split(b"\r\n", 1)
                    on_line(c, line)
        return True

    def test_new_message_reaches_1000_idle_sessions_within_a_second(self):
        login = (f"a LOGIN {DEMO} {self.server.app_password}\r\nb SELECT INBOX\r\nc IDLE\r\n").encode()
        for _ in range(SESSIONS):
            c = Conn(self.server.ports["imap"])
            self.conns.append(c)
            self.sel.register(c.sock, selectors.EVENT_READ, c)
        idling = set()

        def setup_line(c, line):
            if c.state == "greeting" and line.startswith(b"* OK"):
                c.state = "login"
                c.send(login)
            elif line.startswith((b"a NO", b"a BAD", b"b NO", b"b BAD", b"c NO", b"c BAD")):
                raise AssertionError(line)
            elif line.startswith(b"+ "):
                c.state = "idle"
                idling.add(id(c))

        ok = self.pump(lambda: len(idling) == SESSIONS, time.time() + 120, setup_line)
        self.assertTrue(ok, f"only {len(idling)} of {SESSIONS} sessions reached IDLE")

        seen = set()

        def exists_line(c, line):
            if line.endswith(b" EXISTS") and line.startswith(b"* "):
                seen.add(id(c))

        msg = (f"From: a@example.org\r\nTo: {DEMO}\r\nSubject: fan-out\r\n\r\nhi\r\n").encode()
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"]) as s:
            s.sendmail("a@example.org", [DEMO], msg)
            t0 = time.time()
        ok = self.pump(lambda: len(seen) == SESSIONS, t0 + 10, exists_line)
        elapsed = time.time() - t0
        self.assertTrue(ok, f"{len(seen)} of {SESSIONS} sessions saw the message after 10 s")
        print(f"\n{SESSIONS} idle sessions saw the new message {elapsed * 1000:.0f} ms after 250",
              flush=True)
        self.assertLess(elapsed, 1.0)

        # Every session can leave IDLE.
        done = set()

        def done_line(c, line):
            if line.startswith(b"c OK"):
                done.add(id(c))

        for c in self.conns:
            c.send(b"DONE\r\n")
        self.assertTrue(self.pump(lambda: len(done) == SESSIONS, time.time() + 30, done_line))


if __name__ == "__main__":
    harness.main()
