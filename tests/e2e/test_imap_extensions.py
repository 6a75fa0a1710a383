"""End to end: IMAP extensions (issue 3) with Python imaplib against the real binary.

CAPABILITY advertises what is tested here: ESEARCH and SEARCHRES (RFC 4731, 5182),
LIST-EXTENDED and LIST-STATUS (RFC 5258, 5819), CREATE-SPECIAL-USE (RFC 6154), STATUS=SIZE
(RFC 8438), SAVEDATE (RFC 8514), OBJECTID (RFC 8474), WITHIN (RFC 5032), UNAUTHENTICATE
(RFC 8437), QRESYNC (RFC 7162), COMPRESS=DEFLATE (RFC 4978); SORT, SORT=DISPLAY,
THREAD=ORDEREDSUBJECT, THREAD=REFERENCES (RFC 5256, 5957), ESORT (RFC 5267), PREVIEW (RFC 8970);
MULTIAPPEND (RFC 3502), UTF8=ACCEPT (RFC 6855), NOTIFY (RFC 5465), CONTEXT=SEARCH and
CONTEXT=SORT (RFC 5267 §4).
"""
import email.utils
import imaplib
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import zlib

import harness
from harness import DEMO, insecure_tls


def message(subject, body="Hello from the extensions test.\r\n"):
    return (f"From: Sender <sender@example.org>\r\nTo: {DEMO}\r\nSubject: {subject}\r\n"
            f"Date: {email.utils.formatdate()}\r\n\r\n{body}").encode()


class CompressedIMAP(imaplib.IMAP4_SSL):
    """imaplib with COMPRESS=DEFLATE: raw deflate both ways once start_compress() is called."""
    deflater = None

    def start_compress(self):
        self.deflater = zlib.compressobj(wbits=-15)
        self.inflater = zlib.decompressobj(wbits=-15)
        self.plain = b""
        self.wire_in = 0

    def send(self, data):
        if self.deflater:
            data = self.deflater.compress(data) + self.deflater.flush(zlib.Z_SYNC_FLUSH)
        super().send(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise imaplib.IMAP4.abort("connection closed")
        self.wire_in += len(chunk)
        self.plain += self.inflater.decompress(chunk)

    def read(self, size):
        if not self.deflater:
            return super().read(size)
        while len(self.plain) < size:
            self._fill()
        out, self.plain = self.plain[:size], self.plain[size:]
        return out

    def readline(self):
        if not self.deflater:
            return super().readline()
        while b"\n" not in self.plain:
            self._fill()
        i = self.plain.index(b"\n") + 1
        out, self.plain = self.plain[:i], self.plain[i:]
        return out


class ImapExtensionsTest(harness.ServerTest):
    def imap(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure_tls())
        m.login(DEMO, self.server.app_password)
        return m

    def command(self, m, name, *args):
        """Sends a command imaplib has no method for; returns (status, untagged of `name`)."""
        typ, dat = m._simple_command(name, *args)
        return m._untagged_response(typ, dat, name)

    def test_01_capabilities(self):
        m = self.imap()
        typ, data = m.capability()
        self.assertEqual(typ, "OK")
        caps = data[0].decode().split()
        for cap in ["ESEARCH", "SEARCHRES", "LIST-EXTENDED", "LIST-STATUS", "CREATE-SPECIAL-USE",
                    "SPECIAL-USE", "STATUS=SIZE", "SAVEDATE", "OBJECTID", "WITHIN", "CONDSTORE",
                    "QRESYNC", "UNAUTHENTICATE", "SORT", "SORT=DISPLAY", "THREAD=ORDEREDSUBJECT",
                    "THREAD=REFERENCES", "ESORT", "PREVIEW", "NOTIFY", "CONTEXT=SEARCH",
                    "CONTEXT=SORT"]:
            self.assertIn(cap, caps)
        m.logout()

    def test_02_esearch_and_searchres(self):
        m = self.imap()
        self.assertEqual(self.command(m, "CREATE", "Esearch")[0], "OK")
        for i in range(5):
            flags = "(\\Seen)" if i % 2 == 0 else None
            typ, data = m.append("Esearch", flags, None, message(f"esearch {i}"))
            self.assertEqual(typ, "OK")
        m.select("Esearch")
        typ, _ = m.uid("SEARCH", "RETURN (MIN MAX COUNT ALL) UNSEEN")
        self.assertEqual(typ, "OK")
        typ, data = m.response("ESEARCH")
        self.assertRegex(data[0].decode(), r'^\(TAG "[^"]+"\) UID MIN 2 MAX 4 COUNT 2 ALL 2,4$')
        typ, _ = m.search(None, "RETURN (COUNT) YOUNGER 3600")
        typ, data = m.response("ESEARCH")
        self.assertTrue(data[0].decode().endswith("COUNT 5"), data)
        typ, data = m.search(None, "OLDER 3600")
        self.assertEqual(data, [b""])
        # SEARCHRES: save, then use "$".
        typ, _ = m.search(None, "RETURN (SAVE) SEEN")
        self.assertEqual(typ, "OK")
        typ, data = m.fetch("$", "(UID)")
        self.assertEqual(typ, "OK")
        self.assertEqual([re.search(rb"UID (\d+)", d).group(1) for d in data], [b"1", b"3", b"5"])
        m.logout()

    def test_03_list_extended_and_status(self):
        m = self.imap()
        typ, _ = m.create('"Projects/Tegami"')
        self.assertEqual(typ, "OK")
        m.unsubscribe("Projects")
        m.append("Projects/Tegami", None, None, message("in a subfolder"))
        typ, data = self.command(m, "LIST", "(SUBSCRIBED RECURSIVEMATCH)", '""', "%")
        self.assertEqual(typ, "OK")
        lines = [d.decode() for d in data]
        self.assertIn('(\\HasChildren) "/" Projects ("CHILDINFO" ("SUBSCRIBED"))', lines)
        self.assertIn('(\\HasNoChildren \\Subscribed) "/" INBOX', lines)
        typ, data = self.command(m, "LIST", '""', '"Projects/*"', "RETURN",
                                 "(STATUS (MESSAGES UNSEEN SIZE MAILBOXID))")
        self.assertEqual(typ, "OK")
        self.assertEqual([d.decode() for d in data], ['(\\HasNoChildren) "/" Projects/Tegami'])
        typ, data = m.response("STATUS")
        self.assertRegex(data[0].decode(),
                         r"^Projects/Tegami \(MESSAGES 1 UNSEEN 1 SIZE \d+ MAILBOXID \(M\d+\)\)$")
        typ, data = m.status("Projects/Tegami", "(SIZE)")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0].decode(), r"^Projects/Tegami \(SIZE \d+\)$")
        with self.assertRaisesRegex(imaplib.IMAP4.error, "RECURSIVEMATCH"):
            self.command(m, "LIST", "(RECURSIVEMATCH)", '""', "*")
        m.logout()

    def test_04_create_special_use(self):
        m = self.imap()
        typ, data = self.command(m, "CREATE", "Receipts", "(USE (\\Archive))")
        self.assertEqual(typ, "OK")
        typ, data = self.command(m, "LIST", "(SPECIAL-USE)", '""', "*")
        self.assertIn('(\\HasNoChildren \\Archive) "/" Receipts', [d.decode() for d in data])
        typ, data = m._simple_command("CREATE", "Odd", "(USE (\\Important))")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[USEATTR]", data[0])
        m.logout()

    def test_05_objectid_and_savedate(self):
        m = self.imap()
        m.append("INBOX", None, None, message("object ids"))
        typ, data = m.select("INBOX")
        self.assertEqual(typ, "OK")
        typ, data = m.response("MAILBOXID")
        self.assertRegex(data[0].decode(), r"^\(M\d+\)$")
        typ, data = m.fetch("1", "(EMAILID THREADID SAVEDATE)")
        self.assertEqual(typ, "OK")
        text = data[0].decode()
        emailid = re.search(r"EMAILID \((E\d+_\d+)\)", text).group(1)
        self.assertIn("THREADID NIL", text)
        self.assertRegex(text, r'SAVEDATE "\d+-\w{3}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}"')
        typ, data = m.copy("1", "Archive")
        self.assertEqual(typ, "OK")
        m.select("Archive")
        typ, data = m.search(None, "EMAILID", emailid)
        self.assertEqual(data[0].split(), [b"1"])
        typ, data = m.fetch("1", "(EMAILID)")
        self.assertIn(f"EMAILID ({emailid})", data[0].decode())
        typ, data = m.search(None, "SAVEDSINCE", "1-Jan-2000", "SAVEDATESUPPORTED")
        self.assertEqual(data[0].split(), [b"1"])
        m.logout()

    def test_06_unauthenticate(self):
        imaplib.Commands.setdefault("UNAUTHENTICATE", ("AUTH", "SELECTED"))
        m = self.imap()
        m.select("INBOX")
        typ, data = m._simple_command("UNAUTHENTICATE")
        self.assertEqual(typ, "OK")
        with self.assertRaisesRegex(imaplib.IMAP4.error, "Sign in first"):
            m._simple_command("LIST", '""', "*")
        m.state = "NONAUTH"  # imaplib does not know UNAUTHENTICATE
        typ, data = m.login(DEMO, self.server.app_password)
        self.assertEqual(typ, "OK")
        typ, data = m.select("INBOX")
        self.assertEqual(typ, "OK")
        m.logout()

    def test_07_qresync(self):
        m = self.imap()
        typ, data = m.enable("QRESYNC")
        self.assertEqual(typ, "OK")
        self.assertEqual(m.response("ENABLED")[1], [b"QRESYNC"])
        m.create("Qresync")
        for i in range(4):
            m.append("Qresync", None, None, message(f"qresync {i}"))
        typ, data = m.select("Qresync")
        self.assertEqual(typ, "OK")
        uidvalidity = int(m.response("UIDVALIDITY")[1][0])
        modseq = int(m.response("HIGHESTMODSEQ")[1][0])
        m.store("1", "+FLAGS.SILENT", "(\\Deleted)")
        typ, data = m.expunge()
        self.assertEqual(typ, "OK")
        self.assertEqual(data, [None])  # no EXPUNGE responses once QRESYNC is enabled
        self.assertEqual(m.response("VANISHED")[1], [b"1"])
        m.uid("STORE", "3", "+FLAGS.SILENT", "(\\Seen)")
        typ, data = m.uid("FETCH", "1:*", "(FLAGS) (CHANGEDSINCE %d VANISHED)" % modseq)
        self.assertEqual(typ, "OK")
        self.assertEqual(m.response("VANISHED")[1], [b"(EARLIER) 1"])
        self.assertEqual(len(data), 1)
        self.assertIn(b"UID 3", data[0])
        m.logout()

        # A client coming back with what it knew resynchronises in one SELECT.
        m = self.imap()
        m.enable("QRESYNC")
        typ, data = m._simple_command("SELECT", "Qresync",
                                      "(QRESYNC (%d %d 1:4))" % (uidvalidity, modseq))
        self.assertEqual(typ, "OK")
        self.assertEqual(m.response("VANISHED")[1], [b"(EARLIER) 1"])
        fetches = m.response("FETCH")[1]
        self.assertEqual(len(fetches), 1, fetches)
        self.assertRegex(fetches[0].decode(), r"^2 \(UID 3 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$")
        m.logout()

    def test_08_compress_deflate(self):
        imaplib.Commands.setdefault("COMPRESS", ("AUTH", "SELECTED"))
        m = CompressedIMAP("127.0.0.1", self.server.ports["imaps"], ssl_context=insecure_tls())
        m.login(DEMO, self.server.app_password)
        typ, data = m._simple_command("COMPRESS", "DEFLATE")
        self.assertEqual(typ, "OK")
        m.start_compress()
        m.create("Compressed")
        body = "".join(f"line {i} of a long and repetitive message\r\n" for i in range(5000))
        raw = message("compressed", body)
        typ, data = m.append("Compressed", None, None, raw)
        self.assertEqual(typ, "OK")
        typ, data = m.select("Compressed")
        self.assertEqual(typ, "OK")
        typ, data = m.fetch("1", "(BODY.PEEK[])")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0][1], raw)
        self.assertLess(m.wire_in, len(raw) // 5)
        typ, data = m._simple_command("COMPRESS", "DEFLATE")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[COMPRESSIONACTIVE]", data[0])
        m.logout()

    def test_10_sort_thread_esort_preview(self):
        def raw(headers, body):
            return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()

        m = self.imap()
        m.create("Sorting")
        msgs = [
            raw(["From: Zoe <a@x.example>", "Subject: Plans", "Message-ID: <p1@e2e>",
                 "Date: Tue, 2 Jan 2024 10:00:00 +0000"], "See you   at\r\n\r\nten."),
            raw(["From: b@x.example", "Subject: Re: Plans", "Message-ID: <p2@e2e>",
                 "References: <p1@e2e>", "Date: Mon, 1 Jan 2024 10:00:00 +0000"], "Early reply"),
            raw(["From: c@x.example", "Subject: =?utf-8?q?=C3=A9t=C3=A9?=", "Message-ID: <p3@e2e>",
                 "Date: Wed, 3 Jan 2024 10:00:00 +0000",
                 "Content-Type: text/plain; charset=iso-8859-1",
                 "Content-Transfer-Encoding: quoted-printable"], "=E9t=E9 chaud"),
            raw(["From: Adam <a2@x.example>", "Subject: [team] Fwd: plans",
                 "Message-ID: <p4@e2e>", "References: <p1@e2e> <p2@e2e>",
                 "Date: Thu, 4 Jan 2024 10:00:00 +0000", "Content-Type: text/html"],
                "<p>Hello &amp; <b>welcome</b></p>"),
        ]
        for r in msgs:
            self.assertEqual(m.append("Sorting", None, None, r)[0], "OK")
        m.select("Sorting")
        # SORT (RFC 5256): base subjects, sent dates, first From mailbox; SORT=DISPLAY names.
        self.assertEqual(m.sort("(SUBJECT)", "UTF-8", "ALL"), ("OK", [b"3 1 2 4"]))
        self.assertEqual(m.sort("(DATE)", "UTF-8", "ALL"), ("OK", [b"2 1 3 4"]))
        self.assertEqual(m.sort("(REVERSE DATE)", "US-ASCII", "ALL"), ("OK", [b"4 3 1 2"]))
        self.assertEqual(m.sort("(FROM)", "UTF-8", "ALL"), ("OK", [b"1 4 2 3"]))
        self.assertEqual(m.sort("(DISPLAYFROM)", "UTF-8", "ALL"), ("OK", [b"4 2 3 1"]))
        self.assertEqual(m.sort("(SUBJECT)", "UTF-8", "SUBJECT", "plans"), ("OK", [b"1 2 4"]))
        self.assertEqual(m.uid("SORT", "(DATE)", "UTF-8", "ALL"), ("OK", [b"2 1 3 4"]))
        typ, data = m.sort("(DATE)", "KOI8-R", "ALL")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[BADCHARSET", data[0])
        with self.assertRaises(imaplib.IMAP4.error):
            m.sort("(BOGUS)", "UTF-8", "ALL")
        # THREAD (RFC 5256 §3).
        self.assertEqual(m.thread("REFERENCES", "UTF-8", "ALL"), ("OK", [b"(1 2 4)(3)"]))
        self.assertEqual(m.thread("ORDEREDSUBJECT", "UTF-8", "ALL"), ("OK", [b"(2 (1)(4))(3)"]))
        self.assertEqual(m.uid("THREAD", "REFERENCES", "UTF-8", "NOT", "FROM", "c@x"),
                         ("OK", [b"(1 2 4)"]))
        # ESORT (RFC 5267): ESEARCH in sort order.
        typ, _ = self.command(m, "SORT", "RETURN", "(MIN MAX COUNT ALL)", "(DATE)", "UTF-8",
                              "ALL")
        self.assertEqual(typ, "OK")
        typ, data = m.response("ESEARCH")
        self.assertRegex(data[0].decode(), r'^\(TAG "[^"]+"\) MIN 2 MAX 4 COUNT 4 ALL 2,1,3:4$')
        # PREVIEW (RFC 8970): decoded text, whitespace collapsed, no \Seen.
        typ, data = m.fetch("1:4", "(PREVIEW)")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0], b'1 (PREVIEW "See you at ten.")')
        self.assertEqual(data[1], b'2 (PREVIEW "Early reply")')
        self.assertEqual(data[2][1].decode(), "\u00e9t\u00e9 chaud")
        self.assertIn(b'4 (PREVIEW "Hello & welcome")', data)
        typ, data = m.fetch("2", "(PREVIEW (LAZY) FLAGS)")
        self.assertEqual(data, [b'2 (PREVIEW "Early reply" FLAGS ())'])
        m.logout()

    @unittest.skipUnless(shutil.which("mbsync"), "mbsync not installed")
    def test_09_mbsync_syncs_over_compress(self):
        m = self.imap()
        m.append("INBOX", None, None, message("for mbsync", "x" * 20000 + "\r\n"))
        m.logout()
        tmp = tempfile.mkdtemp(prefix="mbsync-")
        try:
            maildir = os.path.join(tmp, "mail")
            os.makedirs(maildir)
            rc = os.path.join(tmp, "mbsyncrc")
            harness.write_mbsyncrc(rc, self.server, maildir, patterns="INBOX")
            r = subprocess.run(["mbsync", "-Dn", "-c", rc, "-a"], capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
            self.assertIn("COMPRESS DEFLATE", r.stdout + r.stderr)
            found = False
            for sub in ("cur", "new"):
                for name in os.listdir(os.path.join(maildir, "INBOX", sub)):
                    with open(os.path.join(maildir, "INBOX", sub, name), "rb") as f:
                        found = found or b"Subject: for mbsync" in f.read()
            self.assertTrue(found)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def raw_command(self, m, tag, parts):
        """Sends one command made of `parts` over imaplib's connection: bytes are sent as they
        are, except that after a part ending in a synchronizing literal ("{n}\\r\\n") the
        server's "+" is awaited. Returns the lines up to and including the tagged reply."""
        lines = []
        for part in parts:
            m.send(part)
            if re.search(rb"\{\d+\}\r\n$", part):
                line = m.readline()
                lines.append(line)
                if not line.startswith(b"+"):
                    return lines
        while True:
            line = m.readline()
            lines.append(line)
            if line.startswith(tag.encode() + b" ") or not line:
                return lines

    def test_11_multiappend(self):
        m = self.imap()
        typ, data = m.capability()
        self.assertIn("MULTIAPPEND", data[0].decode().split())
        self.assertEqual(m.create("Multi")[0], "OK")
        one, two, three = message("multi one"), message("multi two"), message("multi three")
        # Synchronizing, then non-synchronizing literals, each message with its flags and date.
        lines = self.raw_command(m, "MA1", [
            b'MA1 APPEND Multi (\\Seen) "01-Mar-2024 10:00:00 +0000" {%d}\r\n' % len(one),
            one + b" (\\Flagged $Todo) {%d+}\r\n" % len(two) + two +
            b' "02-Mar-2024 12:00:00 +0100" {%d}\r\n' % len(three),
            three + b"\r\n"])
        self.assertEqual(len([x for x in lines if x.startswith(b"+")]), 2, lines)
        self.assertRegex(lines[-1], rb"^MA1 OK \[APPENDUID \d+ 1:3\] ")
        # A bad flag in the middle: nothing stored, and the connection goes on.
        lines = self.raw_command(m, "MA2", [
            b"MA2 APPEND Multi {%d+}\r\n" % len(one) + one + b" (\\Bad) {%d+}\r\n" % len(two) +
            two + b" {%d+}\r\n" % len(three) + three + b"\r\n"])
        self.assertTrue(lines[-1].startswith(b"MA2 BAD"), lines)
        # Larger than the APPENDLIMIT in the middle, non-synchronizing: read and dropped.
        limit = int(re.search(r"APPENDLIMIT=(\d+)", data[0].decode()).group(1))
        big = b"x" * (limit + 1)
        lines = self.raw_command(m, "MA3", [
            b"MA3 APPEND Multi {%d+}\r\n" % len(one) + one + b" {%d+}\r\n" % len(big) + big +
            b" {%d+}\r\n" % len(three) + three + b"\r\n"])
        self.assertTrue(lines[-1].startswith(b"MA3 NO [TOOBIG]"), lines)
        self.assertEqual(m.noop()[0], "OK")
        # Another connection sees exactly the three messages of MA1.
        other = self.imap()
        typ, st = other.status("Multi", "(MESSAGES UIDNEXT)")
        self.assertEqual(st, [b"Multi (MESSAGES 3 UIDNEXT 4)"])
        other.select("Multi", readonly=True)
        typ, got = other.fetch("1:*", "(FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        text = b" ".join(x[0] + x[1] if isinstance(x, tuple) else x for x in got)
        self.assertIn(b"multi one", text)
        self.assertIn(b"multi two", text)
        self.assertIn(b"multi three", text)
        self.assertIn(b"$Todo", text)
        self.assertIn(b'" 2-Mar-2024 11:00:00 +0000"', text)
        other.logout()
        m.logout()
    def test_12_utf8_accept(self):
        m = self.imap()
        typ, data = m.capability()
        self.assertIn("UTF8=ACCEPT", data[0].decode().split())
        # Before ENABLE: modified UTF-7 names.
        self.assertEqual(m.create("&ZeVnLIqe-")[0], "OK")
        typ, data = m.enable("UTF8=ACCEPT")
        self.assertEqual(typ, "OK")
        self.assertTrue(m.utf8_enabled)
        # imaplib now sends UTF-8; names with 8-bit characters go in quoted strings.
        typ, data = m.list('""', '"日本*"')
        self.assertEqual(typ, "OK")
        self.assertEqual(data, ['(\\HasNoChildren) "/" "日本語"'.encode()])
        self.assertEqual(m.create('"Réunions/été"')[0], "OK")
        typ, data = m.status('"Réunions/été"', "(MESSAGES)")
        self.assertEqual(data, ['"Réunions/été" (MESSAGES 0)'.encode()])
        # A message with UTF-8 headers through UTF8 (~{n}). (imaplib's append() puts "UTF8 ("
        # inside an ordinary literal once UTF-8 is enabled, so the command is sent raw.)
        msg = ("From: 山田 <yamada@example.jp>\r\nTo: " + DEMO + "\r\nSubject: 会議の件\r\n"
               "\r\n本文です。\r\n").encode()
        lines = self.raw_command(m, "U1", [
            b'U1 APPEND "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" UTF8 (~{%d+}\r\n' % len(msg) + msg +
            b")\r\n"])
        self.assertRegex(lines[-1], rb"^U1 OK \[APPENDUID \d+ 1\] ")
        typ, _ = m.select('"日本語"')
        self.assertEqual(typ, "OK")
        typ, data = m.search(None, "SUBJECT", '"会議"')
        self.assertEqual(data, [b"1"])
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])")
        self.assertIn("Subject: 会議の件".encode(), data[0][1])
        # No CHARSET but UTF-8 after ENABLE UTF8=ACCEPT (RFC 6855 §3; imaplib refuses to send
        # one, so raw).
        lines = self.raw_command(m, "U2", [b"U2 SEARCH CHARSET ISO-8859-1 ALL\r\n"])
        self.assertTrue(lines[-1].startswith(b"U2 BAD"), lines)
        m.logout()
        # A session that did not enable UTF-8 sees modified UTF-7 and the bytes unchanged.
        other = self.imap()
        typ, data = other.list('""', "&ZeVnLIqe-")
        self.assertEqual(data, [b'(\\HasNoChildren) "/" &ZeVnLIqe-'])
        other.select("&ZeVnLIqe-", readonly=True)
        typ, data = other.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertIn("Subject: 会議の件".encode(), data[0][1])
        other.logout()

    def read_until(self, m, patterns, timeout=10):
        """Reads lines (unsolicited ones included) until every regex in `patterns` matched one."""
        m.sock.settimeout(timeout)
        lines, left = [], list(patterns)
        try:
            while left:
                line = m.readline()
                if not line:
                    break
                lines.append(line)
                left = [p for p in left if not re.search(p, line)]
        finally:
            m.sock.settimeout(None)
        self.assertEqual(left, [], lines)
        return lines

    def test_13_notify(self):
        m = self.imap()
        typ, data = m.capability()
        self.assertIn("NOTIFY", data[0].decode().split())
        self.assertEqual(m.create("NotifyBox")[0], "OK")
        m.select("INBOX")
        # NOTIFY SET STATUS: STATUS for the other watched mailboxes before the tagged OK.
        lines = self.raw_command(m, "N1", [
            b"N1 NOTIFY SET STATUS (SELECTED (MessageNew (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])"
            b" MessageExpunge FlagChange)) (SUBTREE NotifyBox (MessageNew MessageExpunge "
            b"MailboxName SubscriptionChange))\r\n"])
        self.assertTrue(lines[-1].startswith(b"N1 OK"), lines)
        self.assertTrue(any(re.match(rb"\* STATUS NotifyBox \(MESSAGES 0 UIDNEXT 1 ", x)
                            for x in lines), lines)
        # Another connection's changes arrive without a command (RFC 5465 §5).
        other = self.imap()
        other.append("NotifyBox", None, None, message("notify other"))
        other.append("INBOX", None, None, message("notify inbox"))
        other.create("NotifyBox/Sub")
        self.read_until(m, [rb"^\* STATUS NotifyBox \(MESSAGES 1 UIDNEXT 2 ",
                            rb"^\* \d+ EXISTS", rb"^\* \d+ FETCH \(UID \d+ BODY\[HEADER",
                            rb'^\* LIST \(.*\) "/" NotifyBox/Sub'])
        other.unsubscribe("NotifyBox/Sub")
        other.rename("NotifyBox/Sub", "NotifyBox/Renamed")
        self.read_until(m, [rb'^\* LIST \(\\HasNoChildren\) "/" NotifyBox/Sub',
                            rb'NotifyBox/Renamed \("OLDNAME" \(NotifyBox/Sub\)\)'])
        # During IDLE the same events (§4).
        m.send(b"N2 IDLE\r\n")
        self.assertTrue(m.readline().startswith(b"+"))
        other.append("NotifyBox", None, None, message("during idle"))
        self.read_until(m, [rb"^\* STATUS NotifyBox \(MESSAGES 2 "])
        m.send(b"DONE\r\n")
        self.read_until(m, [rb"^N2 OK"])
        # Unsupported events: NO [BADEVENT]; composition errors: BAD.
        lines = self.raw_command(m, "N3", [
            b"N3 NOTIFY SET (PERSONAL (MessageNew MessageExpunge AnnotationChange))\r\n"])
        self.assertTrue(lines[-1].startswith(b"N3 NO [BADEVENT ("), lines)
        lines = self.raw_command(m, "N4", [b"N4 NOTIFY SET (SELECTED (MessageNew))\r\n"])
        self.assertTrue(lines[-1].startswith(b"N4 BAD"), lines)
        lines = self.raw_command(m, "N5", [b"N5 NOTIFY NONE\r\n"])
        self.assertTrue(lines[-1].startswith(b"N5 OK"), lines)
        other.logout()
        m.logout()

    def test_14_context_search_sort(self):
        m = self.imap()
        self.assertEqual(m.create("CtxBox")[0], "OK")
        for subject in ["ctx b", "ctx a", "ctx c"]:
            m.append("CtxBox", None, None, message(subject))
        m.select("CtxBox")
        lines = self.raw_command(m, "X1", [b"X1 UID SEARCH RETURN (UPDATE) UNSEEN\r\n"])
        self.assertIn(b'* ESEARCH (TAG "X1") UID ALL 1:3\r\n', lines)
        lines = self.raw_command(m, "X2", [
            b"X2 UID SORT RETURN (UPDATE PARTIAL 1:2) (SUBJECT) UTF-8 ALL\r\n"])
        self.assertIn(b'* ESEARCH (TAG "X2") UID PARTIAL (1:2 2,1)\r\n', lines)
        lines = self.raw_command(m, "X3", [b"X3 SEARCH RETURN (PARTIAL 0:2) ALL\r\n"])
        self.assertTrue(lines[-1].startswith(b"X3 BAD"), lines)
        # Another connection's changes arrive without a command: ADDTO after EXISTS,
        # REMOVEFROM for a message that no longer matches (RFC 5267 §4.3).
        other = self.imap()
        other.append("CtxBox", None, None, message("ctx aa"))
        self.read_until(m, [rb"^\* 4 EXISTS", rb'^\* ESEARCH \(TAG "X1"\) UID ADDTO \(0 4\)',
                            rb'^\* ESEARCH \(TAG "X2"\) UID ADDTO \(2 4\)'])
        other.select("CtxBox")
        other.store("1", "+FLAGS", "(\\Seen)")
        self.read_until(m, [rb'^\* ESEARCH \(TAG "X1"\) UID REMOVEFROM \(0 1\)'])
        lines = self.raw_command(m, "X4", [b'X4 CANCELUPDATE "X1" "X2"\r\n'])
        self.assertTrue(lines[-1].startswith(b"X4 OK"), lines)
        lines = self.raw_command(m, "X5", [b'X5 CANCELUPDATE "X1"\r\n'])
        self.assertTrue(lines[-1].startswith(b"X5 BAD"), lines)
        other.logout()
        m.logout()

if __name__ == "__main__":
    harness.main()
