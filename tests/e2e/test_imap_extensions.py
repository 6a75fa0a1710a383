"""End to end: IMAP extensions (issue 3) with Python imaplib against the real binary.

CAPABILITY advertises what is tested here: ESEARCH and SEARCHRES (RFC 4731, 5182),
LIST-EXTENDED and LIST-STATUS (RFC 5258, 5819), CREATE-SPECIAL-USE (RFC 6154), STATUS=SIZE
(RFC 8438), SAVEDATE (RFC 8514), OBJECTID (RFC 8474), WITHIN (RFC 5032), UNAUTHENTICATE
(RFC 8437), QRESYNC (RFC 7162).
"""
import email.utils
import imaplib
import re
import unittest

import harness
from harness import DEMO, insecure_tls


def message(subject, body="Hello from the extensions test.\r\n"):
    return (f"From: Sender <sender@example.org>\r\nTo: {DEMO}\r\nSubject: {subject}\r\n"
            f"Date: {email.utils.formatdate()}\r\n\r\n{body}").encode()


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
                    "QRESYNC", "UNAUTHENTICATE"]:
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
        emailid = re.search(r"EMAILID \((E\d+)\)", text).group(1)
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


if __name__ == "__main__":
    harness.main()
