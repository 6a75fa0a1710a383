#!/usr/bin/env bash
# Local delivery throughput: Tegami's MX port against Postfix (virtual(8) delivery to Maildir),
# both on loopback, both driven by Postfix's own smtp-source, with the same durability (Postfix
# fsyncs its queue file and the Maildir file; Tegami replies 250 only after its group commit).
# Prints messages/s and CPU ms per message for each, and the Tegami/Postfix ratios. The same
# smtp-source against smtp-sink (which stores nothing) gives each cell's ceiling: the most any
# server can show with this driver on this machine ("max ratio" = sink / Postfix).
# Each cell runs ROUNDS times (default 3), the servers taking turns (Tegami, Postfix, sink, then
# again), and each server's median round is reported: a passing load on the host then moves one
# round of one server, not the cell's ratio; "ratio range" gives the lowest and highest of the
# rounds' ratios (round i of Tegami against round i of Postfix).
# Usage: bench/smtp_vs_postfix.sh [MESSAGES]   (default 2000 per run; SIZES and SESSIONS in the
# environment pick cells, e.g. SIZES="1024" SESSIONS="1 20"; ROUNDS; TEGAMI, TEGAMI_BUILD_DIR
# and TEGAMI_BUILD_TYPE choose the binary, see bench/lib.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
N=${1:-2000}
SIZES=${SIZES:-1024 10240 102400}
SESSIONS=${SESSIONS:-1 20 100}
ROUNDS=${ROUNDS:-3}
bench_install postfix bc python3
tegami_build
work=$(mktemp -d /tmp/tegami-bench-XXXX)
chmod 755 "$work"  # the peers run their daemons as their own users
trap 'postfix_stop "$work/postfix"; for p in "${tpid:-}" "${sink_pid:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT

pport=$(free_port)
postfix_start "$work/postfix" "$pport" bench.test
ppid_master=$(postfix_master_pid "$work/postfix")

tegami_config "$work/tegami"
tport=$T_SMTP
cat >>"$work/tegami/tegami.toml" <<CF
[limits]
recipients_per_message = 1000
CF
"$TEGAMI" domain add bench.test --data "$work/tegami" >/dev/null
echo "benchpassword1" | "$TEGAMI" account add user@bench.test --password-stdin --quota 0 --data "$work/tegami" >/dev/null
tegami_serve "$work/tegami" "$tport"
sport=$(free_port)
sink_start "$sport" "$work/sink.count"

run() {  # run NAME PORT SIZE SESSIONS -> "seconds cpu"
  local name=$1 port=$2 size=$3 sessions=$4 before after cpu0 cpu1 t0 t1
  if [[ $name == postfix ]]; then
    before=$(postfix_delivered "$work/postfix")
    cpu0=$(cpu_seconds_tree "$ppid_master")
  elif [[ $name == tegami ]]; then
    cpu0=$(cpu_seconds_tree "$tpid")
  else
    cpu0=0
  fi
  t0=$(date +%s.%N)
  /usr/sbin/smtp-source -s "$sessions" -m "$N" -l "$size" -f load@example.org \
    -t user@bench.test "127.0.0.1:$port"
  if [[ $name == postfix ]]; then  # accepted is not delivered: wait for the Maildir files
    for _ in $(seq 6000); do
      after=$(postfix_delivered "$work/postfix")
      ((after - before >= N)) && break
      sleep 0.01
    done
  fi
  t1=$(date +%s.%N)
  case $name in
    postfix) cpu1=$(cpu_seconds_tree "$ppid_master") ;;
    tegami) cpu1=$(cpu_seconds_tree "$tpid") ;;
    *) cpu1=0 ;;
  esac
  echo "$(echo "$t1 - $t0" | bc) $(echo "$cpu1 - $cpu0" | bc)"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "disk flush (4 KiB write + fdatasync in the data folder, median of 500): $(disk_flush_us "$work") us"
printf '%-8s %-9s %12s %12s %10s %10s %8s %11s %8s %10s %9s\n' size sessions "tegami msg/s" \
  "postfix msg/s" "tegami ms" "postfix ms" "ratio" "ratio range" "cpu ratio" "sink msg/s" "max ratio"
for size in $SIZES; do
  for sessions in $SESSIONS; do
    rounds=()  # "ts tc ps pc ss" per round
    for _ in $(seq "$ROUNDS"); do
      read -r ts tc < <(run tegami "$tport" "$size" "$sessions")
      read -r ps pc < <(run postfix "$pport" "$size" "$sessions")
      read -r ss _ < <(run sink "$sport" "$size" "$sessions")
      rounds+=("$ts $tc $ps $pc $ss")
    done
    python3 - "$N" "$size" "$sessions" "${rounds[@]}" <<'PY'
import statistics, sys
n, size, sessions = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rounds = [list(map(float, r.split())) for r in sys.argv[4:]]
ts, tc, ps, pc, ss = (statistics.median(col) for col in zip(*rounds))
t_rate, p_rate, s_rate = n / ts, n / ps, n / ss
t_cpu, p_cpu = tc * 1000 / n, pc * 1000 / n
ratios = [r[2] / r[0] for r in rounds]
print(f"{size:<8} {sessions:<9} {t_rate:12.0f} {p_rate:12.0f} {t_cpu:10.2f} {p_cpu:10.2f} "
      f"{t_rate / p_rate:8.2f} {min(ratios):5.2f}-{max(ratios):<5.2f} "
      f"{(p_cpu / t_cpu) if t_cpu else float('inf'):8.2f} {s_rate:10.0f} {s_rate / p_rate:9.2f}")
PY
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(msg/s: accepted and durably delivered, each server's median of $ROUNDS rounds; ms: server CPU"
echo " per message; ratio: Tegami/Postfix throughput; ratio range: the rounds' own ratios; cpu"
echo " ratio: Postfix CPU / Tegami CPU; sink msg/s: the same smtp-source against smtp-sink, which"
echo " stores nothing; max ratio: sink / Postfix, the most this driver can show)"
