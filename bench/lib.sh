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

wait_port() {  # wait_port PORT: until something accepts on 127.0.0.1:PORT (at most 20 s)
  for _ in $(seq 200); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}

# postfix_start DIR PORT DOMAIN: a Postfix instance of its own (config, queue, Maildirs under
# DIR) that accepts mail for any user at DOMAIN on 127.0.0.1:PORT and delivers it to Maildir
# through the virtual(8) agent, fsyncing the queue file and the Maildir file as it always does.
postfix_start() {
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
  postfix -c "$dir/etc" check >/dev/null 2>&1 || true
  postfix -c "$dir/etc" start >/dev/null 2>&1 || { echo "postfix did not start; see $dir/maillog" >&2; return 1; }
  wait_port "$port"
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
    read -r -a f <"/proc/$pid/stat" 2>/dev/null || continue
    # fields 14-17: utime stime cutime cstime (the comm field has no spaces for these daemons)
    total=$((total + f[13] + f[14] + f[15] + f[16]))
  done
  echo "scale=3; $total / $tck" | bc
}

postfix_master_pid() { sed -n 's/ //gp' "$1/spool/pid/master.pid"; }

# dovecot_start DIR PORT USER PASS CERT KEY: a Dovecot instance of its own (config, state, logs
# and Maildirs under DIR) serving USER/PASS over implicit TLS on 127.0.0.1:PORT, with Dovecot's
# default durability (mail_fsync = optimized). Mail is owned by "nobody".
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
CF
  dovecot -c "$dir/dovecot.conf"
  wait_port "$port"
}

dovecot_stop() { [ -f "$1/dovecot.conf" ] && doveadm -c "$1/dovecot.conf" stop 2>/dev/null || true; }
dovecot_master_pid() { cat "$1/run/master.pid"; }

rss_tree_kib() {  # resident memory of a process and its children, KiB
  local total=0 v
  for pid in "$1" $(pgrep -P "$1"); do
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
