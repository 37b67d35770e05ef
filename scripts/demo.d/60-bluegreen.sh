# shellcheck shell=bash
# Blue/green behind Nginx: two groups of backend nodes run by the demo's supervisord, a real
# nginx in front, a health round, a render, a switch, and the runtime files. Sourced by demo.sh.

BG="$DEMO/bluegreen"
mkdir -p "$BG/nginx/tmp" "$BG/runtime" "$BG/state"
read -r P1 P1B P2 P2B PN < <(node -e '
const net = require("net"); const out = [];
(function next() { const s = net.createServer().listen(0, "127.0.0.1", () => { out.push(s.address().port); s.close(() => out.length < 5 ? next() : console.log(out.join(" "))); }); })();')

for spec in "jetty1 $P1 v1" "jetty1-backup $P1B v1-backup" "jetty2 $P2 v2" "jetty2-backup $P2B v2-backup"; do
  set -- $spec
  printf '[program:%s]\ncommand=%s %s/test/fixtures/backend.mjs %s %s\nautostart=false\nstartsecs=0\nstopwaitsecs=5\n' \
    "$1" "$(command -v node)" "$ROOT" "$2" "$3" > "$DEMO/conf.d/$1.conf"
done
supervisorctl -c "$DEMO/supervisord.conf" update >/dev/null
supervisorctl -c "$DEMO/supervisord.conf" start jetty1 jetty1-backup >/dev/null

NGX=(-p "$BG/nginx" -e "$BG/nginx/error.log" -c "$BG/nginx/nginx.conf")
cat > "$BG/nginx/upstream.conf" <<CONF
upstream jetty { server 127.0.0.1:$P1; server 127.0.0.1:$P1B backup; }
CONF
cat > "$BG/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $BG/nginx/nginx.pid;
error_log $BG/nginx/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path $BG/nginx/tmp/body; proxy_temp_path $BG/nginx/tmp/proxy;
  fastcgi_temp_path $BG/nginx/tmp/fastcgi; uwsgi_temp_path $BG/nginx/tmp/uwsgi; scgi_temp_path $BG/nginx/tmp/scgi;
  include $BG/nginx/upstream.conf;
  server {
    listen 127.0.0.1:$PN;
    location / { proxy_pass http://jetty; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
nginx "${NGX[@]}" & pids+=($!)
NGINX_PID=$!

node_json() {
  cat <<JSON
{ "health-check-url": "http://127.0.0.1:$2/", "upstream-url": "127.0.0.1:$2", "supervisor-program": "$1", "backup": $3 }
JSON
}
cat > "$BG/config.json" <<JSON
{
    "project-name": "demo-bluegreen",
    "state-dir": "$BG/state",
    "runtime-dir": "$BG/runtime",
    "supervisor": { "server-url": "unix://$DEMO/supervisor.sock", "registry-dirs": ["$DEMO/conf.d"] },
    "nginx": {
        "nginx-reload-cmd": "nginx ${NGX[*]} -s reload",
        "nginx-test-cmd": "nginx ${NGX[*]} -t",
        "upstream-conf-path": "$BG/nginx/upstream.conf",
        "pid-file": "$BG/nginx/nginx.pid",
        "upstream": {
            "upstream-name": "jetty",
            "keepalive": 1,
            "node-group": {
                "group1": { "default-group": "primary", "nodes": {
                    "jetty1": $(node_json jetty1 "$P1" false), "jetty1-backup": $(node_json jetty1-backup "$P1B" true) } },
                "group2": { "default-group": "standby", "nodes": {
                    "jetty2": $(node_json jetty2 "$P2" false), "jetty2-backup": $(node_json jetty2-backup "$P2B" true) } }
            }
        },
        "health": { "fail-threshold": 2 },
        "switch": { "health-passes": 2, "check-interval-ms": 200, "verify-window-ms": 1000, "drain-ms": 500,
                    "verify-url": "http://127.0.0.1:$PN/" }
    }
}
JSON
bg() { supha "$@" --config "$BG/config.json"; }
# One GET through nginx (no curl needed).
through() { node -e 'fetch(process.argv[1]).then((r) => r.text()).then((t) => console.log(t.trim()), (e) => console.log(String(e)))' "http://127.0.0.1:$PN/"; }
for _ in $(seq 50); do [ "$(through)" = v1 ] && break; sleep 0.1; done

say "blue/green: nginx on 127.0.0.1:$PN in front of group1 (primary) and group2 (standby)"
bg nodes check
say "render the primary group's upstream: nginx -t on a copy of nginx.conf, install, reload, verify"
bg upstream render --print
say "render again: the same as live, so nothing is reloaded"
bg upstream render
echo "through nginx: $(through)"

say "supha switch: start group2, health gate, swap, reload, verify, drain, stop group1"
bg switch
echo "through nginx: $(through)"
say "the runtime files (the seed's shape)"
cat "$BG/runtime/node-group-status.json"
bg nodes check >/dev/null
cat "$BG/runtime/node-health-status.json"

say "a switch back to a group that never gets healthy rolls back by itself (exit 1)"
sed -i "s|backend.mjs $P1 v1$|backend.mjs $P1 v1 sick|" "$DEMO/conf.d/jetty1.conf"
supervisorctl -c "$DEMO/supervisord.conf" update >/dev/null
sed -i 's/"switch": { "health-passes": 2,/"switch": { "health-passes": 2, "health-deadline-ms": 2000,/' "$BG/config.json"
bg switch || echo "(exit $?)"
echo "through nginx, still: $(through)"

kill "$NGINX_PID" 2>/dev/null || true
supervisorctl -c "$DEMO/supervisord.conf" stop jetty2 jetty2-backup >/dev/null
unset -f node_json bg through
