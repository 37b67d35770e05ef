# Registry replication (docs/replication.md): a real keepalived makes this node MASTER of set
# "apps" (its registry is the demo's conf.d); the agent pushes the registry to a peer's rsync
# daemon on every change. Everything network-facing runs in a namespace of its own.
say "replication: keepalived, supha agent and a peer's rsync daemon in a network namespace"
REPL_NS="supha-demo-$$"
repl_cleanup() {
  for pid in ${REPL_PIDS:-}; do kill "$pid" 2>/dev/null || true; done
  sleep 0.3
  ip netns del "$REPL_NS" 2>/dev/null || true
  cleanup
}
REPL_PIDS=""
trap repl_cleanup EXIT
ip netns add "$REPL_NS"
ip -n "$REPL_NS" link set lo up
ip -n "$REPL_NS" link add d0 type veth peer name d1
ip -n "$REPL_NS" link set d1 up
ip -n "$REPL_NS" addr add 198.18.7.1/24 dev d0
ip -n "$REPL_NS" link set d0 up
# ip netns exec execs the command, so $! is its PID.

# The peer: an rsync daemon whose module receives <set>/ folders.
mkdir -p "$DEMO/peer" "$DEMO/repl"
printf 'supha:demo-secret\n' > "$DEMO/repl/secrets"; chmod 600 "$DEMO/repl/secrets"
printf 'demo-secret\n' > "$DEMO/repl/password"; chmod 600 "$DEMO/repl/password"
cat > "$DEMO/repl/rsyncd.conf" <<CONF
pid file = $DEMO/repl/rsyncd.pid
use chroot = no
uid = root
gid = root
[registry]
path = $DEMO/peer
read only = no
auth users = supha
secrets file = $DEMO/repl/secrets
CONF
ip netns exec "$REPL_NS" rsync --daemon --no-detach --config="$DEMO/repl/rsyncd.conf" --address=198.18.7.1 --port=873 & REPL_PIDS="$REPL_PIDS $!"

cat > "$DEMO/repl/config.json" <<JSON
{
  "project-name": "demo",
  "state-dir": "$DEMO/state",
  "supervisor": { "server-url": "unix://$DEMO/supervisor.sock", "registry-dirs": [] },
  "ha": {
    "node-name": "demo1",
    "keepalived": { "notify-fifo": "$DEMO/repl/ka.fifo", "pid-file": "$DEMO/repl/keepalived.pid" },
    "service-sets": { "apps": { "vrrp-instance": "VI_DEMO", "registry": "$DEMO/conf.d" } },
    "peers": { "demo2": { "sync-target": "rsync://supha@198.18.7.1/registry", "password-file": "$DEMO/repl/password" } },
    "agent": { "listen": "198.18.7.1:7373", "reconcile-interval-ms": 500 }
  }
}
JSON
export SUPHA_CONFIG="$DEMO/repl/config.json"
ip netns exec "$REPL_NS" node "$ROOT/dist/src/cli/supha.js" agent --log-file "$DEMO/repl/agent.log" & REPL_PIDS="$REPL_PIDS $!"
for _ in $(seq 100); do [ -p "$DEMO/repl/ka.fifo" ] && [ -S "$DEMO/state/agent.sock" ] && break; sleep 0.1; done

# keepalived: one VRRP instance whose only peer never answers, so it becomes MASTER at once.
cat > "$DEMO/repl/keepalived.conf" <<CONF
global_defs {
  vrrp_version 3
  notify_fifo $DEMO/repl/ka.fifo
}
vrrp_instance VI_DEMO {
  state BACKUP
  interface d0
  virtual_router_id 71
  priority 150
  advert_int 0.1
  unicast_src_ip 198.18.7.1
  unicast_peer {
    198.18.7.2
  }
  virtual_ipaddress {
    198.18.7.100/24 dev d0
  }
}
CONF
ip netns exec "$REPL_NS" keepalived -n -l -D -G -P -f "$DEMO/repl/keepalived.conf" -p "$DEMO/repl/keepalived.pid" \
  -r "$DEMO/repl/vrrp.pid" -c "$DEMO/repl/checkers.pid" >"$DEMO/repl/keepalived.out" 2>&1 & REPL_PIDS="$REPL_PIDS $!"

wait_for() { for _ in $(seq 100); do eval "$1" && return 0; sleep 0.1; done; echo "(gave up waiting for: $1)"; return 1; }
wait_for '[ -f "$DEMO/peer/apps/billing.conf" ]'
say "keepalived says MASTER: the agent started the set and pushed its registry to the peer"
supha sync status
ls "$DEMO/peer/apps"

say "a conf added on the MASTER is on the peer a moment later"
printf '[program:reports]\ncommand=/bin/sleep 100000\nautostart=false\nstartsecs=0\n' > "$DEMO/conf.d/reports.conf"
wait_for '[ -f "$DEMO/peer/apps/reports.conf" ]' && ls "$DEMO/peer/apps"

say "supha sync pause: changes wait (the watcher keeps running)"
supha sync pause
printf '[program:audit]\ncommand=/bin/sleep 100000\nautostart=false\nstartsecs=0\n' > "$DEMO/conf.d/audit.conf"
rm "$DEMO/conf.d/reports.conf"
sleep 0.5
supha sync status
ls "$DEMO/peer/apps"

say "supha sync resume: what waited is pushed (the add and the removal)"
supha sync resume
wait_for '[ -f "$DEMO/peer/apps/audit.conf" ] && [ ! -f "$DEMO/peer/apps/reports.conf" ]' && ls "$DEMO/peer/apps"
supha status

for pid in $REPL_PIDS; do kill "$pid" 2>/dev/null || true; done
REPL_PIDS=""
sleep 0.3
ip netns del "$REPL_NS" 2>/dev/null || true
trap cleanup EXIT
