# shellcheck shell=bash
# The HA agent on one node, against the demo supervisord: keepalived events in (through
# `supha notify` and the FIFO, as keepalived would write them), programs started and stopped,
# the hold, `supha check`, and "keepalived gone = not MASTER". A copy of `sleep` named keepalived
# stands in for keepalived's process (the agent needs its pid file to name a live process whose
# name is keepalived).
say "agent: keepalived decides, supervisord follows (set 'shop' = the demo registry)"
cp /bin/sleep "$DEMO/keepalived"
"$DEMO/keepalived" 100000 & pids+=($!)
FAKE_KA=$!
echo "$FAKE_KA" > "$DEMO/keepalived.pid"
AGENT_CFG="$DEMO/agent-config.json"
cat > "$AGENT_CFG" <<JSON
{
  "project-name": "demo",
  "state-dir": "$DEMO/state",
  "supervisor": { "server-url": "unix://$DEMO/supervisor.sock", "registry-dirs": [] },
  "ha": {
    "node-name": "demo-node",
    "keepalived": { "notify-fifo": "$DEMO/keepalived.fifo", "pid-file": "$DEMO/keepalived.pid" },
    "service-sets": { "shop": { "vrrp-instance": "VI_SHOP", "registry": "$DEMO/conf.d" } },
    "agent": { "listen": "127.0.0.1:17373", "reconcile-interval-ms": 500 }
  }
}
JSON
was_running=$(supervisorctl -c "$DEMO/supervisord.conf" status | awk '$2 == "RUNNING" {print $1}' || true)
node "$ROOT/dist/src/cli/supha.js" --config "$AGENT_CFG" agent --log-file "$DEMO/agent.log" & pids+=($!)
AGENT_PID=$!
for _ in $(seq 100); do [ -S "$DEMO/state/agent.sock" ] && break; sleep 0.1; done
sleep 0.5

say "keepalived's notify script says MASTER: supha notify INSTANCE VI_SHOP MASTER 150"
supha --config "$AGENT_CFG" notify INSTANCE VI_SHOP MASTER 150
sleep 1
supha --config "$AGENT_CFG" status

say "keepalived's notify_fifo says BACKUP: the set stops"
echo 'INSTANCE "VI_SHOP" BACKUP 100' > "$DEMO/keepalived.fifo"
sleep 1
supha --config "$AGENT_CFG" status | grep -E "RUNNING|STOPPED|set shop" || true

say "supha check shop (for vrrp_script): not MASTER, so healthy"
supha --config "$AGENT_CFG" check shop; echo "(exit $?)"

say "hold: a MASTER event is logged, not acted on; release acts"
supha --config "$AGENT_CFG" hold --set shop --reason "demo maintenance"
echo 'INSTANCE "VI_SHOP" MASTER 150' > "$DEMO/keepalived.fifo"
sleep 1
supha --config "$AGENT_CFG" status | grep -E 'HOLD|set shop|MASTER \(fifo' || true
supha --config "$AGENT_CFG" release --set shop
sleep 1
supha --config "$AGENT_CFG" status | grep -E "RUNNING|STOPPED|set shop" || true
supha --config "$AGENT_CFG" check shop; echo "(check exit $?)"

say "the HTTP API: /v1/role (peers ask it) and /metrics"
curl -s "http://127.0.0.1:17373/v1/role?set=shop"; echo
curl -s http://127.0.0.1:17373/metrics | grep -E '^supha_(keepalived_up|set_role\{set="shop",role="MASTER"\})'

say "keepalived dies (its process gone): not MASTER any more, the set stops"
kill "$FAKE_KA"
sleep 1.5
supha --config "$AGENT_CFG" status | grep -E 'keepalived|set shop|-> STOP'

say "every transition is one log line"
grep -o '"msg":"transition[^"]*"' "$DEMO/agent.log" | sed 's/"msg":"//; s/"$//'
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
echo "agent stopped (exit after SIGTERM: clean)"
# Leave the demo supervisord as the next parts expect it.
for p in $was_running; do supervisorctl -c "$DEMO/supervisord.conf" start "$p" >/dev/null || true; done
