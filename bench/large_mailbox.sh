#!/usr/bin/env bash
# Large mailbox (issue 3): one INBOX of MESSAGES messages (default 1,000,000) built by
# bench/fillstore, served by `tegami serve` (development mode, loopback, implicit TLS) and driven
# by bench/imapload's "timed" workload. Prints, for each command, its wall time, the response
# size and the server's peak RSS during it (VmHWM, reset before each command).
#
# With --dovecot, the same messages (fillstore --maildir: same generator, flags and internal
# dates) also go to a Dovecot Maildir, Dovecot (Debian's package, bench/lib.sh's dovecot_start:
# Maildir, mail_fsync = optimized, implicit TLS) serves them on loopback beside Tegami, and the
# same command list runs against each server in turn (Tegami first, then Dovecot; one server is
# driven at a time). Dovecot has no index of the Maildir before its first SELECT: building it is
# part of what that SELECT measures; the SELECT right after it shows the cost with the index.
# Prints each command's time on both, the ratio (Dovecot time / Tegami time), each server's CPU
# during the command (Tegami's process; Dovecot's master and every process under it, imap-login's
# TLS included) and their ratio, and both peak RSS figures: Tegami's process; for Dovecot the imap process that serves the connection (started
# ahead of it through process_min_avail = 1, so its pid is known before LOGIN; imap-login, which
# proxies the TLS, is not counted), and whatever else runs under the master during the run
# (an indexer, if any) is listed with its peak. Afterwards both servers are asked, over a new
# connection (Python imaplib), for STATUS INBOX (MESSAGES) and UID SEARCH TEXT needle, and the
# answers are compared.
#
# Usage: bench/large_mailbox.sh [MESSAGES] [--dovecot]
# Environment: TEGAMI_BUILD_DIR (default build-large, a Release build), LARGE_CACHE (default
# /tmp/tegami-large-MESSAGES: the filled folder, kept and copied for each run, since filling
# takes minutes; delete it to fill again), DOVECOT_LARGE_CACHE (default
# /tmp/dovecot-large-MESSAGES: the filled Maildir, hard-linked for each run; Dovecot renames and
# unlinks files but never rewrites one, so the cache stays as filled), LARGE_CMDS (the command
# list, '|' between commands; the default depends on --dovecot), LARGE_TIMEOUT (seconds allowed
# for each server's command list, default 3600).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
N=${1:-1000000}
vs=${2:-}
[[ -z $vs || $vs == --dovecot ]] || {
  echo "usage: $0 [MESSAGES] [--dovecot]" >&2
  exit 2
}
dir=${TEGAMI_BUILD_DIR:-build-large}
cache=${LARGE_CACHE:-/tmp/tegami-large-$N}
dcache=${DOVECOT_LARGE_CACHE:-/tmp/dovecot-large-$N}
limit=${LARGE_TIMEOUT:-3600}

[[ -f $dir/build.ninja ]] || cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$dir" -j2 tegami fillstore imapload >/dev/null
[[ -n $vs ]] && bench_install dovecot-core dovecot-imapd python3
TEGAMI=$PWD/$dir/src/app/tegami
LOAD=$PWD/$dir/bench/imapload
FILL=$PWD/$dir/bench/fillstore
if git rev-parse --git-dir >/dev/null 2>&1; then
  echo "tegami built from $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' with uncommitted changes in src/')"
fi
[[ -n $vs ]] && echo "dovecot $(dovecot --version)"

WAIT_PORT_SECONDS=60  # for bench/lib.sh's wait_port: a server may open a large store slowly

if [[ ! -f $cache/.filled ]]; then
  rm -rf "$cache"
  echo "filling $cache with $N messages (once)"
  /usr/bin/time -f "fill: %e s, peak RSS %M KiB" "$FILL" --data "$cache" --messages "$N"
  touch "$cache/.filled"
fi
du -sh "$cache" | sed 's/^/data folder: /'
if [[ -n $vs && ! -f $dcache/.filled ]]; then
  rm -rf "$dcache"
  mkdir -p "$dcache"
  echo "filling $dcache/Maildir with the same $N messages (once)"
  /usr/bin/time -f "fill: %e s, peak RSS %M KiB" "$FILL" --maildir "$dcache/Maildir" --messages "$N"
  chown -R nobody:nogroup "$dcache/Maildir"  # Dovecot's bench user (bench/lib.sh)
  touch "$dcache/.filled"
fi

work=$(mktemp -d /tmp/tegami-large-run-XXXX)
chmod 755 "$work"  # Dovecot's imap process runs as nobody
cleanup() {
  [[ -n $vs ]] && dovecot_stop "$work/dovecot"
  [[ -n "${tpid:-}" ]] && kill "$tpid" 2>/dev/null
  [[ -n "${spid:-}" ]] && kill "$spid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cp -a "$cache" "$work/data"
rm -f "$work/data/LOCK"
tegami_config "$work/data"
tegami_serve "$work/data" "$T_IMAPS"
PASS=$(sed -n 's/^app=//p' "$work/data/dev-credentials.txt")
USER=demo@tegami.test
echo "server RSS after start: $(awk '/VmRSS/ {print $2}' /proc/$tpid/status) KiB"

# 1,000 messages spread over the mailbox (UIDs 1, 1+step, ...), for STORE and EXPUNGE.
step=$((N / 1000 > 0 ? N / 1000 : 1))
uids=$(seq -s, 1 "$step" "$N" | cut -d, -f1-1000)
if [[ -z $vs ]]; then
  "$LOAD" --port "$T_IMAPS" --user "$USER" --pass "$PASS" --workload timed --pid "$tpid" \
    --cmds "${LARGE_CMDS:-STATUS INBOX (MESSAGES UNSEEN DELETED)|SELECT INBOX|UID FETCH 1:* (FLAGS)|UID SEARCH TEXT needle|UID SEARCH TEXT nowordlikethis|UID STORE $uids +FLAGS.SILENT (\\Deleted)|EXPUNGE|SELECT INBOX}"
  echo "(seconds: wall time of the command as the client sees it; hwm_kib: the server's peak RSS"
  echo " during the command; rss_kib: its RSS after it)"
  exit 0
fi

# --- Tegami and Dovecot, the same commands on the same messages ---
cmds=${LARGE_CMDS:-SELECT INBOX|SELECT INBOX|UID FETCH 1:* (FLAGS)|UID SEARCH TEXT needle|UID STORE $uids +FLAGS.SILENT (\\Deleted)|EXPUNGE|SELECT INBOX}
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "tegami: load average before: $(load)"
c0=$(cpu_seconds_tree "$tpid")
timeout "$limit" "$LOAD" --port "$T_IMAPS" --user "$USER" --pass "$PASS" --workload timed \
  --pid "$tpid" --cpu-pid "$tpid" --cmds "$cmds" | tee "$work/tegami.out"
c1=$(cpu_seconds_tree "$tpid")
tcpu=$(echo "$c1 - $c0" | bc)
echo "tegami: load average after: $(load); server CPU for the session: $tcpu s"

d=$work/dovecot
home=$d/home/$USER
mkdir -p "$home"
cp -al "$dcache/Maildir" "$home/Maildir"
chown nobody:nogroup "$d/home" "$home" "$home/Maildir" "$home/Maildir/cur" "$home/Maildir/new" \
  "$home/Maildir/tmp"
files=$(find "$home/Maildir/cur" -type f | wc -l)
echo "dovecot: $files message files in Maildir/cur, no Dovecot index yet"
((files == N)) || {
  echo "the Maildir has $files messages, not $N" >&2
  exit 1
}
# One imap process waits ahead of the connection (its pid is then known before LOGIN); the
# default vsz_limit (256 MB) is lifted for a mailbox of this size, as for any large mailbox.
DOVECOT_EXTRA_CONF=$'service imap {\n  process_min_avail = 1\n  vsz_limit = 4G\n}'
cp "$work/data/tls/cert.pem" "$work/data/tls/key.pem" "$work/"
dport=$(free_port)
DOVECOT_EXTRA_CONF=$DOVECOT_EXTRA_CONF dovecot_start "$d" "$dport" "$USER" "$PASS" \
  "$work/cert.pem" "$work/key.pem"
dpid=$(dovecot_master_pid "$d")  # waits for the pid file
dimap=
for _ in $(seq 200); do
  dimap=$(pgrep -P "$dpid" -x imap | head -1 || true)
  [[ -n $dimap ]] && break
  sleep 0.1
done
[[ -n $dimap ]] || {
  echo "no imap process waits under the Dovecot master" >&2
  exit 1
}
# Every second: the master's children and their peak RSS (an indexer would show here).
(
  set +e
  for _ in $(seq "$limit"); do
    for p in $(pgrep -P "$dpid"); do
      echo "$(cat /proc/$p/comm 2>/dev/null) $p $(awk '/^VmHWM:/ {print $2}' /proc/$p/status 2>/dev/null)"
    done
    sleep 1
  done
) >"$work/dovecot-children.txt" 2>/dev/null &
spid=$!

echo "dovecot: load average before: $(load)"
c0=$(cpu_seconds_tree "$dpid")
timeout "$limit" "$LOAD" --port "$dport" --user "$USER" --pass "$PASS" --workload timed \
  --pid "$dimap" --cpu-pid "$dpid" --cmds "$cmds" | tee "$work/dovecot.out"
for _ in $(seq 100); do  # the imap process ends after LOGOUT (service_count = 1)
  kill -0 "$dimap" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$dimap" 2>/dev/null && echo "warning: imap process $dimap still runs after LOGOUT" >&2
c1=$(cpu_seconds_tree "$dpid")
dcpu=$(echo "$c1 - $c0" | bc)
kill "$spid" 2>/dev/null || true
wait "$spid" 2>/dev/null || true
spid=
echo "dovecot: load average after: $(load); server CPU for the session (master, imap-login, the imap process): $dcpu s"
echo "dovecot: processes under the master during the run (name, pid, largest VmHWM seen):"
awk -v served="$dimap" '
  NF == 3 && $3 + 0 > m[$1 " " $2] { m[$1 " " $2] = $3 }
  NF >= 2 { s[$1 " " $2] = 1 }
  END {
    for (k in s) {
      split(k, f, " ")
      note = ""
      if (f[2] == served) note = " (served this connection; its VmHWM is reset before each command)"
      else if (f[1] == "imap") note = " (waits for the next connection)"
      printf "  %s %s KiB%s\n", k, m[k] + 0, note
    }
  }' "$work/dovecot-children.txt" | sort

# Both servers hold the same mail: message count and the UIDs SEARCH finds, over a new connection.
check() {  # check PORT
  timeout "$limit" python3 - "$1" "$USER" "$PASS" <<'PY'
import hashlib, imaplib, ssl, sys
port, user, pw = int(sys.argv[1]), sys.argv[2], sys.argv[3]
m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ssl._create_unverified_context())
m.login(user, pw)
status = m.status("INBOX", "(MESSAGES)")[1][0].decode()
m.select("INBOX", readonly=True)
hits = m.uid("SEARCH", "TEXT", "needle")[1][0].split()
print(f"messages={status.split('MESSAGES ')[1].rstrip(')')} needle_hits={len(hits)} "
      f"uids_sha1={hashlib.sha1(b' '.join(hits)).hexdigest()[:12]}")
m.logout()
PY
}
tcheck=$(check "$T_IMAPS")
dcheck=$(check "$dport")
echo "after the run: tegami  $tcheck"
echo "after the run: dovecot $dcheck"
[[ $tcheck == "$dcheck" ]] && echo "same messages and the same SEARCH hits on both" ||
  echo "WARNING: the servers differ" >&2

python3 - "$work/tegami.out" "$work/dovecot.out" "$N" "$tcpu" "$dcpu" <<'PY'
import re, sys
def parse(path):
    rows = []
    for line in open(path):
        m = re.match(r'cmd="(.*?)" seconds=([\d.]+) lines=(\d+) bytes=(\d+)(?: hwm_kib=(\d+) rss_kib=(\d+))?(?: cpu_s=([\d.]+))?', line)
        if m:
            rows.append(m.groups())
    return rows
t, d = parse(sys.argv[1]), parse(sys.argv[2])
n = int(sys.argv[3])
print(f"\n{n} messages; ratio = Dovecot time / Tegami time; CPU: the servers' CPU seconds during the "
      "command (Dovecot: every process under its master, imap-login's TLS included); peak RSS in MB "
      "(VmHWM during the command)")
print("| command | Tegami s | Dovecot s | ratio | Tegami CPU s | Dovecot CPU s | CPU ratio "
      "| Tegami peak RSS | Dovecot imap peak RSS | response bytes T / D |")
print("|---|---|---|---|---|---|---|---|---|---|")
seen = {}
for i in range(max(len(t), len(d))):
    a = t[i] if i < len(t) else None
    b = d[i] if i < len(d) else None
    name = (a or b)[0]
    if name.startswith("UID STORE"):
        name = "UID STORE (1,000 UIDs) +FLAGS.SILENT (\\Deleted)"
    seen[name] = seen.get(name, 0) + 1
    if name == "SELECT INBOX":
        name += ("", " (again)", " (after EXPUNGE)")[min(seen[name] - 1, 2)]
    ts = float(a[1]) if a else None
    ds = float(b[1]) if b else None
    if ts is None or ds is None:
        ratio = "-"
    elif ts > 0:
        ratio = f"{ds / ts:.2f}"
    else:  # imapload prints milliseconds: Tegami answered in less than 0.5 ms
        ratio = f"> {ds / 0.0005:.0f}"
    mb = lambda r: f"{int(r[4]) / 1024:.0f}" if r and r[4] else "-"
    cpu = lambda r: r[6] if r and r[6] is not None else "-"
    tc = float(a[6]) if a and a[6] is not None else None
    dc = float(b[6]) if b and b[6] is not None else None
    if tc is None or dc is None:
        cratio = "-"
    elif tc > 0:
        cratio = f"{dc / tc:.2f}"
    else:  # below the clock tick (10 ms)
        cratio = f"> {dc / 0.01:.0f}" if dc > 0 else "-"
    print(f"| `{name}` | {ts if ts is not None else '-'} | {ds if ds is not None else '-'} | {ratio} "
          f"| {cpu(a)} | {cpu(b)} | {cratio} "
          f"| {mb(a)} | {mb(b)} | {a[3] if a else '-'} / {b[3] if b else '-'} |")
print(f"server CPU seconds for the whole session: Tegami {sys.argv[4]}, Dovecot {sys.argv[5]}")
PY
