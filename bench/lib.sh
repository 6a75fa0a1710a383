# Shared helpers for the benchmark scripts: peers (Postfix, Dovecot) in private folders on
# loopback, free ports, timing. Sourced, not run.

bench_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (at most WAIT_PORT_SECONDS, default
# 20 s)
wait_port() {
  for _ in $(seq $((${WAIT_PORT_SECONDS:-20} * 10))); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}

# tegami_build: builds Tegami (TEGAMI_BUILD_DIR, default build; TEGAMI_BUILD_TYPE, default
# RelWithDebInfo) and sets TEGAMI to the binary. A TEGAMI already set in the environment to an
# executable is used as it is (the same binary for several benchmarks).
tegami_build() {
  [[ -n "${TEGAMI:-}" && -x "$TEGAMI" ]] && return 0
  local dir=${TEGAMI_BUILD_DIR:-build}
  bash scripts/setup.sh >/dev/null
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="${TEGAMI_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
  ninja -C "$dir" tegami >"$dir/bench-build.log" 2>&1 || {
    echo "tegami did not build; see $dir/bench-build.log" >&2
    return 1
  }
  TEGAMI=$PWD/$dir/src/app/tegami
}

# tegami_config DIR: DIR/tegami.toml for a development-mode instance on free loopback ports;
# sets T_SMTP, T_SUBMISSION, T_SUBMISSIONS, T_IMAP, T_IMAPS. Callers append their own tables.
tegami_config() {
  local dir=$1
  mkdir -p "$dir"
  T_SMTP=$(free_port) T_SUBMISSION=$(free_port) T_SUBMISSIONS=$(free_port)
  T_IMAP=$(free_port) T_IMAPS=$(free_port)
  cat >"$dir/tegami.toml" <<CF
[server]
dev = true
data_dir = "$dir"
[ports]
smtp = $T_SMTP
submission = $T_SUBMISSION
submissions = $T_SUBMISSIONS
imap = $T_IMAP
imaps = $T_IMAPS
https = $(free_port)
CF
}

# tegami_serve DIR PORT: starts `tegami serve` with DIR/tegami.toml (log in DIR.log), sets tpid,
# waits until PORT accepts. Not in a subshell: call it directly, not inside $(...).
tegami_serve() {
  "$TEGAMI" serve --config "$1/tegami.toml" >/dev/null 2>"$1.log" &
  tpid=$!
  wait_port "$2"
}

# postfix_start DIR PORT DOMAIN: a Postfix instance of its own (config, queue, Maildirs under
# DIR) that accepts mail for any user at DOMAIN on 127.0.0.1:PORT and delivers it to Maildir
# through the virtual(8) agent, fsyncing the queue file and the Maildir file as it always does.
postfix_start() { postfix_setup "$@" && postfix_run "$1" "$2"; }

# postfix_setup DIR PORT DOMAIN: writes that instance's configuration without starting it
# (change it with `postconf -c DIR/etc -e ...`, then postfix_run DIR PORT).
postfix_setup() {
  local dir=$1 port=$2 domain=$3
  mkdir -p "$dir/etc" "$dir/spool" "$dir/data" "$dir/mail"
  chown postfix "$dir/data"
  chown -R postfix "$dir/mail"
  cp /usr/share/postfix/master.cf.dist "$dir/etc/master.cf" 2>/dev/null || cp /etc/postfix/master.cf "$dir/etc/master.cf"
  sed -i "s/^smtp      inet  n       -       y       -       -       smtpd/127.0.0.1:$port inet n - n - - smtpd/" "$dir/etc/master.cf"
  grep -q "^127.0.0.1:$port" "$dir/etc/master.cf" || echo "127.0.0.1:$port inet n - n - - smtpd" >>"$dir/etc/master.cf"
  sed -i 's/^\(smtp      inet.*\)$/#\1/' "$dir/etc/master.cf"
  cat >"$dir/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory = $dir/data
mail_owner = postfix
myhostname = bench-postfix.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
virtual_mailbox_domains = $domain
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = static:mailbox/
virtual_uid_maps = static:$(id -u postfix)
virtual_gid_maps = static:$(id -g postfix)
virtual_destination_concurrency_limit = 100
default_process_limit = 200
smtpd_client_connection_count_limit = 0
smtpd_client_message_rate_limit = 0
message_size_limit = 20971520
maillog_file_prefixes = $dir
maillog_file = $dir/maillog
CF
}

postfix_run() {  # postfix_run DIR PORT
  postfix -c "$1/etc" check >/dev/null 2>&1 || true
  postfix -c "$1/etc" start >/dev/null 2>&1 || { echo "postfix did not start; see $1/maillog" >&2; return 1; }
  wait_port "$2"
}

# postfix_sasl DIR USER PASS [USER PASS]...: smtpd offers AUTH PLAIN (Cyrus SASL, a sasldb file
# under DIR, read inside smtpd: no helper process outside the instance) to these users and relays
# only for signed-in clients. Needs the packages sasl2-bin and libsasl2-modules.
postfix_sasl() {
  local dir=$1 sasl=$1/etc/sasl  # Debian's Postfix looks in config_directory/sasl
  shift
  mkdir -p "$sasl"
  while (($# >= 2)); do
    printf '%s' "$2" | saslpasswd2 -p -c -f "$sasl/sasldb2" -u "${1#*@}" "${1%@*}"
    shift 2
  done
  chown -R postfix "$sasl"
  cat >"$sasl/smtpd.conf" <<CF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $sasl/sasldb2
mech_list: PLAIN
CF
  postconf -c "$dir/etc" -e smtpd_sasl_auth_enable=yes smtpd_sasl_type=cyrus \
    smtpd_sasl_path=smtpd cyrus_sasl_config_path="$sasl" smtpd_sasl_security_options=noanonymous \
    smtpd_sasl_local_domain= "smtpd_relay_restrictions=permit_sasl_authenticated, reject"
}

postfix_stop() { postfix -c "$1/etc" stop >/dev/null 2>&1 || true; }

postfix_delivered() {  # number of messages in the Maildirs under DIR/mail
  find "$1/mail" -path '*/new/*' -type f 2>/dev/null | wc -l
}

postfix_queue_empty() { [ -z "$(find "$1/spool/incoming" "$1/spool/active" "$1/spool/deferred" -type f 2>/dev/null | head -1)" ]; }

# CPU seconds (user + system) used so far by a process and the children it has reaped, plus
# its live children: for Postfix, the master and every daemon it started.
cpu_seconds_tree() {
  local root=$1 total=0 tck f
  tck=$(getconf CLK_TCK)
  for pid in "$root" $(pgrep -P "$root"); do
    read -r -a f 2>/dev/null <"/proc/$pid/stat" || continue  # quiet if it just ended
    # fields 14-17: utime stime cutime cstime (the comm field has no spaces for these daemons)
    total=$((total + f[13] + f[14] + f[15] + f[16]))
  done
  echo "scale=3; $total / $tck" | bc
}

# disk_flush_us DIR: what one durable reply costs on DIR's disk before any server does anything:
# the median of 500 rounds of "write 4 KiB into an allocated file, fdatasync". Each message from
# one session waits for at least one such flush (Tegami's commit, Postfix's queue file).
disk_flush_us() {
  python3 - "$1" <<'PY'
import os, statistics, sys, time
path = os.path.join(sys.argv[1], "flush-probe")
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
os.posix_fallocate(fd, 0, 4 << 20)
os.fsync(fd)
times = []
for i in range(500):
    t = time.perf_counter()
    os.pwrite(fd, b"x" * 4096, (i % 1024) * 4096)
    os.fdatasync(fd)
    times.append((time.perf_counter() - t) * 1e6)
os.close(fd)
os.unlink(path)
print(f"{statistics.median(times):.0f}")
PY
}

postfix_master_pid() { sed -n 's/ //gp' "$1/spool/pid/master.pid"; }

# dovecot_start DIR PORT USER PASS CERT KEY: a Dovecot instance of its own (config, state, logs
# and Maildirs under DIR) serving USER/PASS over implicit TLS on 127.0.0.1:PORT, with Dovecot's
# default durability (mail_fsync = optimized). Mail is owned by "nobody". DOVECOT_EXTRA_CONF, if
# set, is appended to the configuration (sections of the same name are merged by Dovecot).
dovecot_start() {
  local dir=$1 port=$2 user=$3 pass=$4 cert=$5 key=$6
  mkdir -p "$dir/run" "$dir/state" "$dir/home"
  chown nobody:nogroup "$dir/home"
  echo "$user:{PLAIN}$pass" >"$dir/passwd"
  cat >"$dir/dovecot.conf" <<CF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <$cert
ssl_key = <$key
disable_plaintext_auth = yes
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$dir/home/%u
}
mail_location = maildir:~/Maildir
mail_fsync = optimized
mail_max_userip_connections = 100000
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = $port
    ssl = yes
  }
  process_limit = 20000
  client_limit = 20000
}
service imap {
  process_limit = 20000
}
default_process_limit = 20000
default_client_limit = 40000
protocol imap {
  imap_max_line_length = 64k
}
${DOVECOT_EXTRA_CONF:-}
CF
  dovecot -c "$dir/dovecot.conf"
  wait_port "$port"
}

dovecot_stop() { [ -f "$1/dovecot.conf" ] && doveadm -c "$1/dovecot.conf" stop 2>/dev/null || true; }
dovecot_master_pid() {  # the master may accept connections before it writes its pid file
  for _ in $(seq 100); do  # at most 10 s
    [[ -s "$1/run/master.pid" ]] && break
    sleep 0.1
  done
  cat "$1/run/master.pid"
}

# Proportional set size of a process and its children, KiB: memory shared between processes
# (libraries, a forking server's common pages) is divided among them, not counted in each.
pss_tree_kib() {
  local total=0 v
  for pid in "$1" $(pgrep -P "$1"); do
    v=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# unbound_start DIR PORT ZONE RECORD...: unbound on 127.0.0.1:PORT answering the given
# local-data records; ZONE is static (nothing under it is asked outside); sets unbound_pid.
unbound_start() {
  local dir=$1 port=$2 zone=$3 r
  shift 3
  mkdir -p "$dir"
  {
    printf 'server:\n  interface: 127.0.0.1\n  port: %s\n  do-daemonize: no\n  username: ""\n' "$port"
    printf '  chroot: ""\n  directory: "%s"\n  pidfile: ""\n  use-syslog: no\n  logfile: ""\n' "$dir"
    printf '  do-ip6: no\n  module-config: "iterator"\n  local-zone: "%s" static\n' "$zone"
    for r in "$@"; do printf "  local-data: '%s'\n" "$r"; done
    printf 'remote-control:\n  control-enable: no\n'
  } >"$dir/unbound.conf"
  unbound -d -c "$dir/unbound.conf" >"$dir/unbound.log" 2>&1 &
  unbound_pid=$!
  wait_port "$port"  # unbound answers over TCP too
}

# sink_start PORT FILE: Postfix's smtp-sink on 127.0.0.1:PORT, throwing messages away and
# writing its running counters to FILE; sets sink_pid. sink_count FILE [sess|quit|mesg]: how many
# sessions, QUITs or messages (the default) it has taken.
sink_start() {
  smtp-sink -u nobody -c "127.0.0.1:$1" 1000 >"$2" &
  sink_pid=$!
  wait_port "$1"
}
sink_count() {
  local n
  n=$(tail -c 200 "$1" | tr '\r' '\n' | sed -n "s/.*${2:-mesg}=\([0-9]*\).*/\1/p" | tail -1)
  echo "${n:-0}"
}
