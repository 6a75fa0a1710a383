#!/usr/bin/env bash
# IMAP throughput and memory: Tegami against Dovecot (Maildir, mail_fsync = optimized), both on
# loopback over implicit TLS, the same account and the same messages, driven by our own load
# generator (bench/imapload). Prints each figure and the Tegami/Dovecot ratio, per wall second
# and per server CPU second.
# Usage: bench/imap_vs_dovecot.sh [MESSAGES] [SECONDS]   (defaults: 10000 messages, 10 s runs;
# IDLE_CLIENTS, default 10000, the IDLE connections)
# Builds Tegami as bench/lib.sh's tegami_build says (TEGAMI_BUILD_DIR, TEGAMI_BUILD_TYPE).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
N=${1:-10000}
S=${2:-10}
bench_install dovecot-core dovecot-imapd bc python3
tegami_build  # TEGAMI_BUILD_DIR / TEGAMI_BUILD_TYPE (bench/lib.sh)
# Thousands of IDLE connections (below): file descriptors for both servers and the loader, and
# inotify instances for Dovecot (one per imap process; with Linux's default of 128 per user the
# other connections would learn of new mail only by polling every 30 s). Dovecot's
# documentation advises raising the inotify limits for many IDLE users.
ulimit -n 65536 2>/dev/null || true
sysctl -qw fs.inotify.max_user_instances=65536 fs.inotify.max_user_watches=1048576 2>/dev/null || true
work=$(mktemp -d /tmp/tegami-bench-XXXX)
chmod 755 "$work"  # the peers run their daemons as their own users
g++ -std=c++20 -O2 -o "$work/imapload" bench/imapload/imapload.cpp -lssl -lcrypto -lpthread
LOAD=$work/imapload
trap 'dovecot_stop "$work/dovecot"; [[ -n "${tpid:-}" ]] && kill "$tpid" 2>/dev/null; rm -rf "$work"' EXIT

# Tegami in development mode on free ports, with a bench account.
tport=$(free_port)
mkdir -p "$work/tegami"
cat >"$work/tegami/tegami.toml" <<CF
[server]
dev = true
data_dir = "$work/tegami"
[ports]
smtp = $(free_port)
submission = $(free_port)
submissions = $(free_port)
imap = $(free_port)
imaps = $tport
https = $(free_port)
[limits]
connections_per_ip = 100000
CF
"$TEGAMI" domain add bench.test --data "$work/tegami" >/dev/null
echo "benchpassword1" | "$TEGAMI" account add bench@bench.test --password-stdin --quota 0 --data "$work/tegami" >/dev/null
# Mail apps sign in with an app-specific password (Argon2id-hashed, verified once per process
# and then recognised by a keyed SHA-256); Dovecot gets the same string as a PLAIN password.
PASS=$("$TEGAMI" app-password create bench@bench.test --label bench --data "$work/tegami")
tegami_start() {
  "$TEGAMI" serve --config "$work/tegami/tegami.toml" >/dev/null 2>>"$work/tegami.log" &
  tpid=$!
  wait_port "$tport"
}
tegami_start

dport=$(free_port)
mkdir -p "$work/dovecot"
dovecot_start "$work/dovecot" "$dport" bench@bench.test "$PASS" \
  "$work/tegami/tls/cert.pem" "$work/tegami/tls/key.pem"
dpid=$(dovecot_master_pid "$work/dovecot")

measure() {  # measure SERVER ARGS... -> prints "ops_per_s cpu_seconds"
  local server=$1; shift
  local port pid c0 c1 out
  if [[ $server == tegami ]]; then port=$tport; pid=$tpid; else port=$dport; pid=$dpid; fi
  c0=$(cpu_seconds_tree "$pid")
  out=$("$LOAD" --port "$port" --user bench@bench.test --pass "$PASS" "$@")
  c1=$(cpu_seconds_tree "$pid")
  echo "$(sed -n 's/.*ops_per_s=\([0-9.]*\).*/\1/p' <<<"$out") $(sed -n 's/.* ops=\([0-9]*\).*/\1/p' <<<"$out") $(echo "$c1 - $c0" | bc)"
}

row() {  # row NAME ARGS...
  local name=$1; shift
  read -r tr to tc < <(measure tegami "$@")
  read -r dr do dc < <(measure dovecot "$@")
  python3 - "$name" "$tr" "$to" "$tc" "$dr" "$do" "$dc" <<'PY'
import sys
name = sys.argv[1]
tr, to, tc, dr, do, dc = map(float, sys.argv[2:])
t_cpu = to / tc if tc > 0 else float("inf")
d_cpu = do / dc if dc > 0 else float("inf")
print(f"{name:<34} {tr:12.1f} {dr:12.1f} {tr / dr if dr else 0:7.2f} {t_cpu / d_cpu if d_cpu else 0:9.2f}")
PY
}

printf '%-34s %12s %12s %7s %9s\n' workload "tegami op/s" "dovecot op/s" ratio "cpu ratio"
row "populate (APPEND ${N})" --workload populate --count "$N" --size 3000
row "session, 10 clients" --workload session --clients 10 --seconds "$S"
row "session, 50 clients" --workload session --clients 50 --seconds "$S"
row "steady, 10 clients" --workload steady --clients 10 --seconds "$S"
row "steady, 50 clients" --workload steady --clients 50 --seconds "$S"
row "FETCH envelopes of ${N}" --workload fetch --count "$N" --items "(FLAGS ENVELOPE)"
row "FETCH full bodies of ${N}" --workload fetch --count "$N" --items "(BODY.PEEK[])"
row "FETCH flags of ${N}" --workload fetch --count "$N" --items "(FLAGS)"
row "SEARCH TEXT over ${N} (x5)" --workload search --count 5 --text needle

# Connections in IDLE (TLS, logged in, INBOX selected): memory per connection (growth of the
# servers' proportional set size once every connection is in IDLE) and how long a new message
# takes to reach them all (another connection APPENDs it; the time until every idle connection
# has read its EXISTS, the median of three rounds).
idle_fanout() {  # idle_fanout PID PORT CLIENTS -> "kib_per_connection seconds"
  local pid=$1 port=$2 n=$3 before after lp out=$work/idle.out
  before=$(pss_tree_kib "$pid")
  "$LOAD" --port "$port" --user bench@bench.test --pass "$PASS" --workload idle \
    --clients "$n" --seconds 2 --rounds 3 >"$out" &
  lp=$!
  until grep -q "^workload=idle" "$out" || ! kill -0 "$lp" 2>/dev/null; do sleep 0.2; done
  sleep 1
  after=$(pss_tree_kib "$pid")
  wait "$lp" || { echo "imapload failed: $(cat "$out")" >&2; echo "0 0"; return; }
  echo "$(((after - before) / n)) $(sed -n 's/^fanout .* seconds=//p' "$out" | sort -n | sed -n 2p)"
}
# Dovecot runs an imap process per connection (1.4 MB of proportional set size each with a
# 3,000-message INBOX, 2.9 MB with 10,000, and more beside it in the page cache): it gets as
# many of the IDLE_CLIENTS connections as this machine's available memory holds at 5 MB each
# with 4 GB to spare (at 3 MB each, 6,000 connections left it 2 GB, and its fan-out took 98 s
# instead of 15 s), Tegami the same number and then all of them.
IDLE_CLIENTS=${IDLE_CLIENTS:-10000}
avail_kib=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
DN=$(((avail_kib - 4 * 1024 * 1024) / (5 * 1024) / 1000 * 1000))
((DN > IDLE_CLIENTS)) && DN=$IDLE_CLIENTS
((DN < 1000)) && DN=1000
# Tegami starts afresh before each count: memory the earlier workloads freed (and malloc kept)
# would otherwise hide what the connections take.
tegami_restart() { kill "$tpid" && wait "$tpid" 2>/dev/null || true; tegami_start; }
tegami_restart
read -r tm tf < <(idle_fanout "$tpid" "$tport" "$DN")
read -r dm df < <(idle_fanout "$dpid" "$dport" "$DN")
printf '%-34s %10s KiB %10s KiB\n' "memory per idle TLS connection" "$tm" "$dm"
python3 - "new mail to ${DN} IDLE connections" "$tf" "$df" <<'PY'
import sys
name, t, d = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
print(f"{name:<34} {t:10.3f} s {d:10.3f} s {d / t if t else 0:7.2f}")
PY
if ((DN < IDLE_CLIENTS)); then
  tegami_restart
  read -r tm tf < <(idle_fanout "$tpid" "$tport" "$IDLE_CLIENTS")
  printf '%-34s %10s KiB %10.3f s (Tegami alone)\n' "${IDLE_CLIENTS} IDLE connections" "$tm" "$tf"
fi
echo "(ratio: Tegami/Dovecot operations per wall second; cpu ratio: the same per server CPU second)"
