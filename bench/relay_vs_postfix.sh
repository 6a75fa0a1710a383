#!/usr/bin/env bash
# Outbound relay throughput: authenticated submission to Tegami and to Postfix, both relaying
# every message to the same smtp-sink (Postfix's test server) on loopback, with the same
# durability (Postfix fsyncs its queue file before its 250; Tegami commits its queue entry with
# fsync before its 250, and records each outcome in its store afterwards).
#
# Both get the same messages from the same client, bench/smtpload (smtp-source has no AUTH):
# each session connects, signs in with AUTH PLAIN (Tegami: an app password; Postfix: the same
# string through Cyrus SASL sasldb, inside smtpd), then sends its share of N messages over that
# connection; each cell signs in as a fresh account. The clock runs from the first MAIL FROM
# until smtp-sink has taken all N; CPU is each server's (Postfix: the master and every daemon;
# Tegami: its process) from then until its queue is empty again (sign-in is not counted).
# Tegami finds the destination through DNS (unbound on loopback: MX of relay.test -> 127.0.0.1,
# `[queue] port` = the sink's port); Postfix through `relayhost = [127.0.0.1]:PORT`. Both use 20
# connections to the destination (Postfix's default_destination_concurrency_limit; Tegami's
# queue.connections and queue.per_domain set to match). No DKIM keys: Tegami signs nothing,
# like Postfix.
# Each cell runs ROUNDS times (default 3), the servers taking turns, and each server's median
# round is reported ("ratio range": the lowest and highest of the rounds' own ratios).
# Usage: bench/relay_vs_postfix.sh [MESSAGES]   (default 2000 per cell; SIZES and SESSIONS in the
# environment pick cells, e.g. SIZES="1024 10240" SESSIONS="1 20 100"; ROUNDS; HISTORY_ROUNDS,
# default 5, 0 = no history table; TEGAMI, TEGAMI_BUILD_DIR and TEGAMI_BUILD_TYPE: see
# bench/lib.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
N=${1:-2000}
SIZES=${SIZES:-1024 10240 102400}
SESSIONS=${SESSIONS:-1 20 100}
ROUNDS=${ROUNDS:-3}
RCPT=sink@relay.test
bench_install postfix sasl2-bin libsasl2-modules unbound bc python3
tegami_build
work=$(mktemp -d /tmp/tegami-bench-XXXX)
chmod 755 "$work"  # the peers run their daemons as their own users
cleanup() {
  postfix_stop "$work/postfix"
  local p
  for p in "${tpid:-}" "${unbound_pid:-}" "${sink_pid:-}"; do
    [[ -n "$p" ]] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
g++ -std=c++20 -O2 -o "$work/smtpload" bench/smtpload/smtpload.cpp -lpthread

sport=$(free_port)
sink_start "$sport" "$work/sink.count"

# Every round of every cell sends as a fresh account (user1@, user2@, ...): Tegami counts what an
# account sent in the last 24 hours at each submission, so a long-used account costs more per
# message (the history table at the end measures that); Postfix keeps no such state.
cells=0
for _ in $SIZES; do for _ in $SESSIONS; do cells=$((cells + ROUNDS)); done; done
ACCTS=() PASSES=() SASL=()
dport=$(free_port)
unbound_start "$work/dns" "$dport" relay.test. "relay.test. MX 10 mx.relay.test." \
  "mx.relay.test. A 127.0.0.1"
tegami_config "$work/tegami"
cat >>"$work/tegami/tegami.toml" <<CF
[limits]
messages_per_day = 100000000
recipients_per_day = 100000000
connections_per_ip = 100000
[dns]
forwarder = "127.0.0.1@$dport"
[queue]
port = $sport
connections = 20
per_domain = 20
CF
"$TEGAMI" domain add bench.test --data "$work/tegami" >/dev/null
# `domain add` makes DKIM keys; Postfix here signs nothing (no milter), so neither does Tegami.
rm -rf "$work/tegami/dkim"
for i in $(seq $((cells + 2))); do  # + warm-up and history
  ACCTS+=("user$i@bench.test")
  echo "benchpassword1" | "$TEGAMI" account add "user$i@bench.test" --password-stdin --quota 0 --data "$work/tegami" >/dev/null
  PASSES+=("$("$TEGAMI" app-password create "user$i@bench.test" --label bench --data "$work/tegami" | tail -1)")
  SASL+=("user$i@bench.test" "${PASSES[-1]}")
done
tegami_serve "$work/tegami" "$T_SUBMISSION"
tport=$T_SUBMISSION

# Postfix: the same accounts and passwords through SASL; everything else goes to the sink.
pport=$(free_port)
postfix_setup "$work/postfix" "$pport" bench.test
postconf -c "$work/postfix/etc" -e "relayhost = [127.0.0.1]:$sport"
postfix_sasl "$work/postfix" "${SASL[@]}"
postfix_run "$work/postfix" "$pport"
ppid_master=$(postfix_master_pid "$work/postfix")

server_cpu() { if [[ $1 == postfix ]]; then cpu_seconds_tree "$ppid_master"; else cpu_seconds_tree "$tpid"; fi; }
queue_empty() {
  if [[ $1 == postfix ]]; then
    postfix_queue_empty "$work/postfix"
  else
    "$TEGAMI" queue list --data "$work/tegami" 2>/dev/null | grep -q "the queue is empty"
  fi
}

# run NAME PORT ACCOUNT SIZE SESSIONS COUNT
#   -> "relay_seconds accept_seconds server_cpu driver_cpu sink_connections"
run() {
  local name=$1 port=$2 acct=$3 size=$4 sessions=$5 count=$6 before conns cpu0 cpu1 out start acc t1 n
  before=$(sink_count "$work/sink.count")
  conns=$(sink_count "$work/sink.count" sess)
  # The server's CPU is read after every session has signed in (Tegami checks an Argon2id hash
  # per sign-in, Postfix's sasldb compares plain text): what is counted is the messages' cost.
  rm -f "$work/ready"
  "$work/smtpload" --port "$port" --user "${ACCTS[acct]}" --pass "${PASSES[acct]}" \
    --from "${ACCTS[acct]}" --to "$RCPT" --count "$count" --sessions "$sessions" --size "$size" \
    --ready-file "$work/ready" >"$work/load.out" &
  local lpid=$!
  for _ in $(seq 6000); do [[ -e "$work/ready" ]] && break; kill -0 "$lpid" 2>/dev/null || break; sleep 0.01; done
  cpu0=$(server_cpu "$name")
  rm -f "$work/ready"
  wait "$lpid" || {
    echo "$name: the driver reported failures: $(cat "$work/load.out")" >&2
    return 1
  }
  out=$(cat "$work/load.out")
  start=$(sed -n 's/.* start=\([0-9.]*\) .*/\1/p' <<<"$out")
  acc=$(sed -n 's/.* seconds=\([0-9.]*\) .*/\1/p' <<<"$out")
  for _ in $(seq 30000); do  # at most 300 s
    n=$(sink_count "$work/sink.count")
    ((n - before >= count)) && break
    sleep 0.01
  done
  t1=$(date +%s.%N)
  if ((n - before < count)); then
    echo "$name: the sink got $((n - before)) of $count messages in 300 s" >&2
    return 1
  fi
  for _ in $(seq 600); do queue_empty "$name" && break; sleep 0.1; done  # at most 60 s
  cpu1=$(server_cpu "$name")
  echo "$(echo "$t1 - $start" | bc) $acc $(echo "$cpu1 - $cpu0" | bc)" \
    "$(sed -n 's/.* cpu_s=\([0-9.]*\).*/\1/p' <<<"$out") $(($(sink_count "$work/sink.count" sess) - conns))"
}

# Warm-up (not counted): processes started, caches filled.
warm=$((cells))
run tegami "$tport" "$warm" 1024 20 $((N / 4 + 20)) >/dev/null
run postfix "$pport" "$warm" 1024 20 $((N / 4 + 20)) >/dev/null

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "disk flush (4 KiB write + fdatasync in the data folder, median of 500): $(disk_flush_us "$work") us"
printf '%-7s %-8s %8s %8s %6s %11s %8s %8s %7s %7s %6s %7s %7s %6s\n' size sessions "T m/s" \
  "P m/s" ratio "ratio range" "T acc/s" "P acc/s" "T cpu" "P cpu" "cpu r" "T conn" "P conn" "drv"
cell=0
for size in $SIZES; do
  for sessions in $SESSIONS; do
    rounds=()  # "tr ta tc td tn pr pa pc pd pn" per round
    for _ in $(seq "$ROUNDS"); do
      read -r tr ta tc td tn < <(run tegami "$tport" "$cell" "$size" "$sessions" "$N")
      read -r pr pa pc pd pn < <(run postfix "$pport" "$cell" "$size" "$sessions" "$N")
      [[ -n "${tn:-}" && -n "${pn:-}" ]] || exit 1  # run said why
      cell=$((cell + 1))
      rounds+=("$tr $ta $tc $td $tn $pr $pa $pc $pd $pn")
    done
    python3 - "$N" "$size" "$sessions" "${rounds[@]}" <<'PY'
import statistics, sys
n, size, sessions = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rounds = [list(map(float, r.split())) for r in sys.argv[4:]]
tr, ta, tc, td, tn, pr, pa, pc, pd, pn = (statistics.median(col) for col in zip(*rounds))
t_rate, p_rate = n / tr, n / pr
t_cpu, p_cpu = tc * 1000 / n, pc * 1000 / n  # CPU seconds per 1000 messages
ratios = [r[5] / r[0] for r in rounds]
print(f"{size // 1024:>4} KB {sessions:<8} {t_rate:8.0f} {p_rate:8.0f} {t_rate / p_rate:6.2f} "
      f"{min(ratios):5.2f}-{max(ratios):<5.2f} {n / ta:8.0f} {n / pa:8.0f} {t_cpu:7.2f} "
      f"{p_cpu:7.2f} {(p_cpu / t_cpu) if t_cpu else float('inf'):6.2f} {tn * 1000 / n:7.0f} "
      f"{pn * 1000 / n:7.0f} {max(td, pd) * 1000 / n:6.2f}")
PY
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(T/P m/s: messages per second from the first MAIL FROM until smtp-sink had all $N, each"
echo " server's median of $ROUNDS rounds; ratio range: the rounds' own ratios; acc/s: the"
echo " submission replies alone; cpu: server CPU seconds per 1000 messages until its queue was"
echo " empty; cpu r: Postfix CPU / Tegami CPU; conn: connections to the sink per 1000 messages;"
echo " drv: the driver's own CPU seconds per 1000 messages, the larger of the two runs)"

# History: one account sends HISTORY_ROUNDS x N messages (1 KB, 20 sessions) to Tegami.
rounds=${HISTORY_ROUNDS:-5}
if ((rounds > 0)); then
  echo
  printf '%-6s %-22s %8s %8s\n' round "sent before (24 h)" "T m/s" "T cpu"
  for r in $(seq "$rounds"); do
    read -r tr ta tc td tn < <(run tegami "$tport" $((cells + 1)) 1024 20 "$N")
    [[ -n "${tn:-}" ]] || exit 1
    printf '%-6s %-22s %8.0f %8.2f\n' "$r" $(((r - 1) * N)) "$(echo "$N / $tr" | bc -l)" \
      "$(echo "$tc * 1000 / $N" | bc -l)"
  done
  echo "(one account; cpu: Tegami CPU seconds per 1000 messages)"
fi
