#!/usr/bin/env bash
# Large mailbox (issue 3): one INBOX of MESSAGES messages (default 1,000,000) built by
# bench/fillstore, served by `tegami serve` (development mode, loopback, implicit TLS) and driven
# by bench/imapload's "timed" workload. Prints, for each command, its wall time, the response
# size and the server's peak RSS during it (VmHWM, reset before each command).
# Usage: bench/large_mailbox.sh [MESSAGES]
# Environment: TEGAMI_BUILD_DIR (default build-large, a Release build), LARGE_CACHE (default
# /tmp/tegami-large-MESSAGES: the filled folder, kept and copied for each run, since filling
# takes minutes; delete it to fill again).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
dir=${TEGAMI_BUILD_DIR:-build-large}
cache=${LARGE_CACHE:-/tmp/tegami-large-$N}

[[ -f $dir/build.ninja ]] || cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$dir" -j2 tegami fillstore imapload >/dev/null
TEGAMI=$PWD/$dir/src/app/tegami
LOAD=$PWD/$dir/bench/imapload

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {  # at most 60 s
  for _ in $(seq 600); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}

if [[ ! -f $cache/.filled ]]; then
  rm -rf "$cache"
  echo "filling $cache with $N messages (once)"
  /usr/bin/time -f "fill: %e s, peak RSS %M KiB" "$PWD/$dir/bench/fillstore" --data "$cache" --messages "$N"
  touch "$cache/.filled"
fi
du -sh "$cache" | sed 's/^/data folder: /'

work=$(mktemp -d /tmp/tegami-large-run-XXXX)
trap '[[ -n "${tpid:-}" ]] && kill "$tpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
cp -a "$cache" "$work/data"
rm -f "$work/data/LOCK"
tport=$(free_port)
cat >"$work/tegami.toml" <<CF
[server]
dev = true
data_dir = "$work/data"
[ports]
smtp = $(free_port)
submission = $(free_port)
submissions = $(free_port)
imap = $(free_port)
imaps = $tport
https = $(free_port)
CF
"$TEGAMI" serve --config "$work/tegami.toml" >/dev/null 2>"$work/tegami.log" &
tpid=$!
wait_port "$tport"
PASS=$(sed -n 's/^app=//p' "$work/data/dev-credentials.txt")
echo "server RSS after start: $(awk '/VmRSS/ {print $2}' /proc/$tpid/status) KiB"

# 1,000 messages spread over the mailbox (UIDs 1, 1+step, ...), for STORE and EXPUNGE.
step=$((N / 1000 > 0 ? N / 1000 : 1))
uids=$(seq -s, 1 "$step" "$N" | cut -d, -f1-1000)
"$LOAD" --port "$tport" --user demo@tegami.test --pass "$PASS" --workload timed --pid "$tpid" \
  --cmds "STATUS INBOX (MESSAGES UNSEEN DELETED)|SELECT INBOX|UID FETCH 1:* (FLAGS)|UID SEARCH TEXT needle|UID SEARCH TEXT nowordlikethis|UID STORE $uids +FLAGS.SILENT (\\Deleted)|EXPUNGE|SELECT INBOX"
echo "(seconds: wall time of the command as the client sees it; hwm_kib: the server's peak RSS"
echo " during the command; rss_kib: its RSS after it)"
