"""Starts the real tegami binary on loopback for end-to-end tests with real clients.

Each Server gets its own data folder and free high ports, runs in development mode (self-signed
certificate, demo account demo@tegami.test) and is stopped with SIGTERM (or SIGKILL on purpose).
"""
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

BINARY = os.environ.get("TEGAMI_BINARY", "")
UNBOUND = "/usr/sbin/unbound"
DEMO = "demo@tegami.test"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def insecure_tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Server:
    def __init__(self, data_dir=None, extra_config=""):
        self.own_dir = data_dir is None
        self.data = data_dir or tempfile.mkdtemp(prefix="tegami-e2e-")
        self.ports = {k: free_port() for k in ("smtp", "submission", "submissions", "imap", "imaps", "https")}
        self.extra_config = extra_config
        self.proc = None
        self.log_path = os.path.join(self.data, "server.log")

    def config_text(self):
        ports = "\n".join(f"{k} = {v}" for k, v in self.ports.items())
        return (f'[server]\ndev = true\nhostname = "localhost"\ndata_dir = "{self.data}"\n'
                f"[ports]\n{ports}\n{self.extra_config}\n")

    def start(self, timeout=30):
        # A port free_port() found free can be taken before tegami binds it (by an outgoing
        # connection of a test running beside this one: both come from the ephemeral range);
        # tegami then exits saying so, and starts again on other ports.
        self.log = open(self.log_path, "ab")
        for attempt in range(3):
            if self.spawn(timeout):
                break
            if attempt == 2 or "Address already in use" not in self.tail_log():
                raise RuntimeError("tegami exited: " + self.tail_log())
            self.ports = {k: free_port() for k in self.ports}
        self.creds = {}
        with open(os.path.join(self.data, "dev-credentials.txt")) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                self.creds[k] = v
        return self

    def spawn(self, timeout):
        """Starts tegami and waits until it accepts; False when it exited instead."""
        self.config = os.path.join(self.data, "tegami.toml")
        with open(self.config, "w") as f:
            f.write(self.config_text())
        self.proc = subprocess.Popen([BINARY, "serve", "--config", self.config],
                                     stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL,
                                     env=dict(os.environ, LANG="C"))
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.ports["imaps"]), timeout=1):
                    pass
                with socket.create_connection(("127.0.0.1", self.ports["smtp"]), timeout=1):
                    pass
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("tegami did not start: " + self.tail_log())
        return True

    @property
    def app_password(self):
        return self.creds["app"]

    @property
    def account_password(self):
        return self.creds["account"]

    def tail_log(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cli(self, *args, stdin=None, check=True):
        r = subprocess.run([BINARY, *args, "--data", self.data], input=stdin, capture_output=True,
                           text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"tegami {' '.join(args)} failed: {r.stderr}")
        return r

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.data, ignore_errors=True)


class LocalDns:
    """unbound on 127.0.0.1 and a free port, answering `local-data` lines."""

    def __init__(self, local_data, refused=(), static=("example.test.",)):
        self.dir = tempfile.mkdtemp(prefix="tegami-dns-")
        self.proc = None
        conf = os.path.join(self.dir, "unbound.conf")
        for _ in range(5):
            self.port = free_port()
            with open(conf, "w") as c:
                c.write("server:\n  interface: 127.0.0.1\n"
                        f"  port: {self.port}\n"
                        '  do-daemonize: no\n  username: ""\n  chroot: ""\n'
                        f'  directory: "{self.dir}"\n'
                        '  pidfile: ""\n  use-syslog: no\n  logfile: ""\n  do-ip6: no\n'
                        '  module-config: "iterator"\n')
                for z in static:
                    c.write(f'  local-zone: "{z}" static\n')
                for z in refused:
                    c.write(f'  local-zone: "{z}" refuse\n')
                for d in local_data:
                    c.write(f"  local-data: '{d}'\n")
                c.write("remote-control:\n  control-enable: no\n")
            with open(os.path.join(self.dir, "unbound.log"), "wb") as log:
                self.proc = subprocess.Popen([UNBOUND, "-d", "-c", conf], stdout=log, stderr=log,
                                             stdin=subprocess.DEVNULL)
            for _ in range(100):
                if self.proc.poll() is not None:
                    break
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                        return
                except OSError:
                    time.sleep(0.05)
            self.stop()
        raise RuntimeError("unbound did not start")

    @property
    def forwarder(self):
        return f"127.0.0.1@{self.port}"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def dkim_zone(dns_records_output, domain):
    """The DKIM TXT records printed by `tegami dns-records DOMAIN`, as unbound local-data."""
    out = []
    pat = r"^(\S+\._domainkey\." + re.escape(domain) + r"\.) IN TXT \((.*?)\)$"
    for sel, body in re.findall(pat, dns_records_output, re.S | re.M):
        out.append(sel + " TXT " + " ".join(f'"{p}"' for p in re.findall(r'"([^"]*)"', body)))
    return out


def write_mbsyncrc(path, server, maildir, patterns="*", user=DEMO, password=None):
    """An mbsync (isync 1.4) configuration mirroring the account to a local Maildir."""
    with open(path, "w") as f:
        f.write(f"""IMAPAccount tegami
Host 127.0.0.1
Port {server.ports['imaps']}
User {user}
Pass {password or server.app_password}
SSLType IMAPS
CertificateFile {server.data}/tls/cert.pem
SystemCertificates no

IMAPStore remote
Account tegami

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel all
Far :remote:
Near :local:
Patterns {patterns}
Create Near
SyncState *
""")


class ServerTest(unittest.TestCase):
    """One server for the whole test class."""
    extra_config = ""

    @classmethod
    def setUpClass(cls):
        if not BINARY:
            raise unittest.SkipTest("TEGAMI_BINARY not set")
        cls.server = Server(extra_config=cls.extra_config).start()

    @classmethod
    def tearDownClass(cls):
        alive = cls.server.alive()
        cls.server.cleanup()
        assert alive, "the server died during the tests"


def main():
    unittest.main(verbosity=2)
