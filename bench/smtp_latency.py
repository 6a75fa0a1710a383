#!/usr/bin/env python3
"""Where one SMTP client's time goes: the median time from sending each command to reading its
reply, over N messages, against any server (Tegami, Postfix, smtp-sink).

Without --user: one message per connection, as smtp-source does (connect+greeting, EHLO, MAIL,
RCPT, DATA, the content, QUIT). With --user/--pass: one connection, AUTH PLAIN once, then
MAIL, RCPT, DATA and the content per message, as bench/smtpload does. The first tenth of the
messages warm up and are not counted.

  python3 bench/smtp_latency.py --port 2525 --count 2000 --size 1024 --rcpt user@bench.test
"""
import argparse
import base64
import socket
import statistics
import sys
import time


def reply(f):
    while True:
        line = f.readline()
        if not line:
            sys.exit("the server closed the connection")
        if line[3:4] != b"-":
            return line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--from", dest="sender", default="load@example.org")
    ap.add_argument("--rcpt", required=True)
    ap.add_argument("--user")
    ap.add_argument("--password")
    o = ap.parse_args()
    line = b"X" * 70 + b"\r\n"
    content = (b"From: " + o.sender.encode() + b"\r\nTo: " + o.rcpt.encode() +
               b"\r\nSubject: latency\r\n\r\n" + line * max(1, o.size // len(line)) + b".\r\n")
    steps = [("mail", b"MAIL FROM:<" + o.sender.encode() + b">\r\n"),
             ("rcpt", b"RCPT TO:<" + o.rcpt.encode() + b">\r\n"),
             ("data", b"DATA\r\n"), ("content", content)]
    times = {}

    def connect():
        s = socket.create_connection((o.host, o.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s, s.makefile("rb")

    def run(s, f, name, data):
        t = time.perf_counter()
        s.sendall(data)
        r = reply(f)
        times.setdefault(name, []).append(time.perf_counter() - t)
        if r[:1] not in b"23":
            sys.exit(f"{name}: {r.decode(errors='replace').strip()}")

    if o.user:
        s, f = connect()
        reply(f)
        run(s, f, "ehlo", b"EHLO latency\r\n")
        token = base64.b64encode(b"\0" + o.user.encode() + b"\0" + o.password.encode())
        run(s, f, "auth", b"AUTH PLAIN " + token + b"\r\n")
        for _ in range(o.count):
            for name, data in steps:
                run(s, f, name, data)
        s.close()
    else:
        for _ in range(o.count):
            t = time.perf_counter()
            s, f = connect()
            reply(f)
            times.setdefault("connect", []).append(time.perf_counter() - t)
            run(s, f, "ehlo", b"EHLO latency\r\n")
            for name, data in steps:
                run(s, f, name, data)
            run(s, f, "quit", b"QUIT\r\n")
            s.close()
    total = 0.0
    for name, v in times.items():
        if len(v) < 10:
            continue
        v = sorted(v[len(v) // 10:])
        med = statistics.median(v) * 1e6
        total += med
        print(f"{name:8s} median {med:8.1f} us   p90 {v[len(v) * 9 // 10] * 1e6:8.1f} us")
    print(f"a message: {total:.0f} us (sum of the medians)")


if __name__ == "__main__":
    main()
