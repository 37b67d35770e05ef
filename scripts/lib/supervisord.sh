# Sourced by the demo and the benchmarks: a supervisord of their own in folder $1, with its
# registry in $1/conf.d, its unix socket at $1/supervisor.sock and supervisorctl pointed at it.
write_supervisord_conf() {
  local dir=$1
  mkdir -p "$dir/conf.d" "$dir/logs"
  cat >"$dir/supervisord.conf" <<CONF
[unix_http_server]
file=$dir/supervisor.sock
chmod=0700
[supervisord]
logfile=$dir/supervisord.log
pidfile=$dir/supervisord.pid
childlogdir=$dir/logs
nodaemon=true
user=root
[supervisorctl]
serverurl=unix://$dir/supervisor.sock
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[include]
files = $dir/conf.d/*.conf
CONF
}
