"""Bad input on every port: garbage, binary data, 10 MB lines, unterminated literals, deep
nesting, half-open connections. Each gets an error or a closed connection; the server neither
crashes, nor hangs other sessions, nor grows its memory with the input."""
import imaplib
import os
import smtplib
import socket
import ssl
import time

import harness
from harness import DEMO, insecure_tls


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


class BadInputTest(harness.ServerTest):
    def plain(self, port, timeout=20):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        return s

    def tls(self, port, timeout=20):
        return insecure_tls().wrap_socket(self.plain(port, timeout), server_hostname="localhost")

    def read_some(self, s, limit=1 << 16):
        try:
            return s.recv(limit)
        except (socket.timeout, ConnectionError, ssl.SSLError):
            return b""

    def assert_healthy(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure_tls(), timeout=10)
        m.login(DEMO, self.server.app_password)
        self.assertEqual(m.select("INBOX")[0], "OK")
        m.logout()
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=10) as s:
            self.assertEqual(s.noop()[0], 250)

    def send_all(self, s, data):
        try:
            s.sendall(data)
        except (ConnectionError, ssl.SSLError, socket.timeout):
            pass  # the server may close early: that is an allowed answer

    def test_huge_lines(self):
        big = b"a" * (10 * 1024 * 1024)
        for port, greeting in [(self.server.ports["imap"], b"* OK"), (self.server.ports["smtp"], b"220")]:
            s = self.plain(port)
            time.sleep(0.3)
            self.assertTrue(self.read_some(s).startswith(greeting))
            self.send_all(s, big + b"\r\n")
            reply = self.read_some(s)
            self.assertTrue(reply == b"" or b"BAD" in reply or reply.startswith(b"5") or reply.startswith(b"* BYE"),
                            reply[:200])
            s.close()
        self.assertLess(rss_mb(self.server.proc.pid), 300)
        self.assert_healthy()

    def test_garbage_and_binary(self):
        junk = os.urandom(65536) + b"\r\n\x00\xff\r\n"
        for port in self.server.ports.values():
            if port == self.server.ports["https"]:
                continue
            s = self.plain(port, timeout=10)
            self.send_all(s, junk)
            self.read_some(s)
            s.close()
        # Garbage after login and over TLS.
        s = self.tls(self.server.ports["imaps"])
        self.read_some(s)
        self.send_all(s, f"a LOGIN {DEMO} {self.server.app_password}\r\n".encode())
        self.assertIn(b"a OK", self.read_some(s))
        for line in [b"\x00\x01\x02", b"a SELECT", b"b FETCH 1:* (BODY[", b"c SEARCH ((((", b")))",
                     b"d UID FETCH 0 FLAGS", b"e STORE x +FLAGS (\\Seen)", b"f LIST \xff\xfe \"*\"",
                     b"g CREATE \"\xe6\x97\xa5\xff\"", b"* * *", b"h NOOP"]:
            self.send_all(s, line + b"\r\n")
        time.sleep(0.5)
        out = b""
        while b"h OK" not in out:
            chunk = self.read_some(s)
            if not chunk:
                break
            out += chunk
        self.assertIn(b"h OK", out, out[-500:])
        self.assertIn(b"BAD", out)
        s.close()
        self.assert_healthy()

    def test_literals_and_nesting(self):
        s = self.tls(self.server.ports["imaps"])
        self.read_some(s)
        self.send_all(s, f"a LOGIN {DEMO} {self.server.app_password}\r\n".encode())
        self.assertIn(b"a OK", self.read_some(s))
        # A literal far beyond the limit is refused before any byte of it is read.
        self.send_all(s, b"b APPEND INBOX {4000000000}\r\n")
        reply = self.read_some(s)
        self.assertTrue(b"b NO" in reply or b"b BAD" in reply, reply)
        # Non-synchronizing literal over the limit: refused, connection may close.
        self.send_all(s, b"c SELECT INBOX\r\n")
        reply = self.read_some(s)
        self.assertIn(b"c OK", reply)
        self.send_all(s, b"d SEARCH " + b"(" * 5000 + b"ALL" + b")" * 5000 + b"\r\n")
        reply = b""
        while b"d " not in reply:
            chunk = self.read_some(s)
            if not chunk:
                break
            reply += chunk
        self.assertTrue(b"d BAD" in reply or b"d NO" in reply, reply[-300:])
        s.close()
        # An announced literal that never comes: the session times out or waits, alone.
        s2 = self.tls(self.server.ports["imaps"])
        self.read_some(s2)
        self.send_all(s2, f"a LOGIN {DEMO} {{30}}\r\n".encode())
        self.read_some(s2)
        self.assert_healthy()
        s2.close()

    def test_half_open_connections_do_not_block_others(self):
        socks = []
        for i in range(60):
            port = [self.server.ports["imap"], self.server.ports["smtp"], self.server.ports["imaps"]][i % 3]
            s = self.plain(port, timeout=5)
            if i % 2:
                self.send_all(s, b"a LOG")  # a partial command, never finished
            socks.append(s)
        t = time.time()
        self.assert_healthy()
        self.assertLess(time.time() - t, 5)
        for s in socks:
            s.close()

    def test_smtp_data_abuse(self):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=10) as c:
            c.ehlo("x.example.org")
            code, _ = c.docmd("DATA")
            self.assertEqual(code, 503)
            # BDAT without MAIL: the chunk is read in full (RFC 3030) and refused.
            c.send(b"BDAT 10 LAST\r\n0123456789")
            code, _ = c.getreply()
            self.assertEqual(code // 100, 5)
            code, _ = c.docmd("MAIL FROM:<a@example.org> SIZE=999999999999")
            self.assertEqual(code, 552)
        # A message over the size limit is refused after its end with 552 and loses nothing else.
        s = self.plain(self.server.ports["smtp"])
        self.read_some(s)
        self.send_all(s, b"EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<demo@tegami.test>\r\nDATA\r\n")
        time.sleep(0.3)
        self.read_some(s)
        chunk = (b"y" * 998 + b"\r\n") * 1024
        for _ in range(22):
            self.send_all(s, chunk)
        self.send_all(s, b".\r\n")
        reply = b""
        deadline = time.time() + 20
        while b"552" not in reply and time.time() < deadline:
            c = self.read_some(s)
            if not c:
                break
            reply += c
        self.assertIn(b"552", reply)
        s.close()
        self.assert_healthy()


if __name__ == "__main__":
    harness.main()
