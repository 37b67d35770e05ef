#!/usr/bin/env bash
# sup_run.sh: an app's standard entry point (the seed's "sup_run.sh start|stop|restart|update").
# It reads the app's program.ini (its "程序信息卡"), writes the app's supervisord program conf into
# the registry, and drives it through supzcli (never supervisorctl). Copy it next to program.ini,
# or run it from the app's folder, or set PROGRAM_INI.
#
#   sup_run.sh start|stop|restart|update|status|help
#
# program.ini (KEY=VALUE lines; # starts a comment at a line's start or after a space; a value
# may be quoted "..." or '...'; read, never sourced; owned by root and not writable by others):
#   PROGRAM_NAME      required  program name: letters, digits, _ . @ + -
#   PROGRAM_RUN       required  the command supervisord runs (relative: to PROGRAM_PATH)
#   PROGRAM_PATH      optional  the app's folder (default: program.ini's folder); its directory=
#   PROGRAM_USER, PROGRAM_NUMPROCS, PROGRAM_PRIORITY, PROGRAM_STARTSECS, PROGRAM_STOPWAITSECS,
#   PROGRAM_STOPSIGNAL, PROGRAM_AUTORESTART, PROGRAM_ENVIRONMENT, PROGRAM_STDOUT_LOGFILE,
#   PROGRAM_STDERR_LOGFILE    optional  the supervisord settings of the same name
#   PROGRAM_REGISTRY  optional  registry folder (default: $SUP_REGISTRY, then /etc/supervisor/conf.d)
# The conf always has autostart=false: supha starts programs only where their set is MASTER.
# Values are written literally: a % becomes %% (supervisord would read it as an expansion). Only
# the text %(here)s cannot be: supervisord replaces it before anything else. A value supervisord
# would read otherwise (" ;" or " #" start a comment there; an unbalanced quote in the command or
# the environment) is refused, and so is a conf of that name that defines anything else: the conf
# is checked with supervisord's own parser before it goes into the registry.
# start, restart, update and stop first ask `supzcli role --for ACTION REGISTRY`: when the registry
# is a service set's, they refuse (exit 2, nothing written) unless the local agent says this node
# is the set's MASTER (elsewhere the registry is a replica).
# Environment: SUPZCLI (default: supzcli on PATH), SUPHA_CONFIG (passed on to supzcli),
# SUP_RUN_FORCE=1 (act even when no agent answers: supzcli --force; never past an agent's answer).
set -euo pipefail

die() { echo "sup_run.sh: $*" >&2; exit 2; }

case "${1:-help}" in
  help | -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  start | stop | restart | update | status) ;;
  *) die "unknown action \"$1\" (start|stop|restart|update|status|help)" ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
ini=${PROGRAM_INI:-}
if [ -z "$ini" ]; then
  if [ -f "$here/program.ini" ]; then ini="$here/program.ini"; else ini="$(pwd)/program.ini"; fi
fi
[ -f "$ini" ] || die "no program.ini (looked for $ini; set PROGRAM_INI)"
ini=$(readlink -f "$ini")
# supervisord runs what program.ini says, as root unless PROGRAM_USER: only root may write it.
read -r ini_uid ini_mode < <(stat -c '%u %a' "$ini")
[ "$ini_uid" = 0 ] || die "$ini is owned by uid $ini_uid, not root: what it says runs as root (chown root $ini)"
(( (8#$ini_mode & 8#002) == 0 )) || die "$ini is writable by others (mode $ini_mode): anyone could choose what runs as root (chmod o-w $ini)"

declare -A P=()
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%$'\r'}
  [[ $line =~ ^[[:space:]]*(#|;|$) ]] && continue
  [[ $line =~ ^[[:space:]]*(PROGRAM_[A-Z_]+)[[:space:]]*=[[:space:]]*(.*)$ ]] || die "$ini: not KEY=VALUE: $line"
  key=${BASH_REMATCH[1]}
  val=${BASH_REMATCH[2]}
  if [[ $val =~ ^\"([^\"]*)\"[[:space:]]*(#.*)?$ || $val =~ ^\'([^\']*)\'[[:space:]]*(#.*)?$ ]]; then
    val=${BASH_REMATCH[1]}
  else
    [[ $val != [\"\']* ]] || die "$ini: $key: a quote that is not closed: $val"
    val=${val%%[[:space:]]#*}
    val=${val%"${val##*[![:space:]]}"}
  fi
  P[$key]=$val
done <"$ini"

name=${P[PROGRAM_NAME]:-}
run=${P[PROGRAM_RUN]:-}
[ -n "$name" ] || die "$ini: PROGRAM_NAME is missing"
[[ $name =~ ^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$ ]] || die "$ini: PROGRAM_NAME \"$name\" is not a program name"
[ -n "$run" ] || die "$ini: PROGRAM_RUN is missing"
path=${P[PROGRAM_PATH]:-$(dirname "$ini")}
registry=${P[PROGRAM_REGISTRY]:-${SUP_REGISTRY:-/etc/supervisor/conf.d}}
supzcli=${SUPZCLI:-supzcli}
case "$run" in /*) ;; *) run="$path/$run" ;; esac
for k in "${!P[@]}"; do
  case "${P[$k]}" in *$'\n'*) die "$ini: $k has a line break" ;; esac
done

force=()
[ "${SUP_RUN_FORCE:-}" = 1 ] && force=(--force)

# A value as supervisord must read it literally: every % doubled (else "%d" in a command breaks
# supervisord's config parsing, and with it reloadConfig for every program of the host).
lit() { printf '%s' "${1//%/%%}"; }

# The program conf, written beside its final name and renamed into place: a watcher (replication,
# supervisord) sees the old conf or the new one, never a part. The temp file goes on any exit.
tmp_conf=
trap '[ -z "$tmp_conf" ] || rm -f "$tmp_conf"' EXIT
write_conf() {
  [ -d "$registry" ] || die "registry folder $registry does not exist"
  tmp_conf=$(mktemp "$registry/.$name.conf.XXXXXX")
  {
    echo "; generated by sup_run.sh from $ini; edit program.ini, not this file"
    echo "[program:$name]"
    echo "command=$(lit "$run")"
    echo "directory=$(lit "$path")"
    echo "autostart=false"
    local opt key
    for opt in user numprocs priority startsecs stopwaitsecs stopsignal autorestart environment stdout_logfile stderr_logfile; do
      key="PROGRAM_${opt^^}"
      if [ -n "${P[$key]:-}" ]; then echo "$opt=$(lit "${P[$key]}")"; fi
    done
    # The one value meant as supervisord expansions.
    if [ -n "${P[PROGRAM_NUMPROCS]:-}" ] && [ "${P[PROGRAM_NUMPROCS]}" != 1 ]; then
      echo "process_name=%(program_name)s_%(process_num)02d"
    fi
  } >"$tmp_conf"
  chmod 0644 "$tmp_conf"
  local args=(command "$run" directory "$path")
  for opt in user numprocs priority startsecs stopwaitsecs stopsignal autorestart environment stdout_logfile stderr_logfile; do
    key="PROGRAM_${opt^^}"
    if [ -n "${P[$key]:-}" ]; then args+=("$opt" "${P[$key]}"); fi
  done
  check_conf "$tmp_conf" "$registry/$name.conf" "${args[@]}"
  mv -f "$tmp_conf" "$registry/$name.conf"
  tmp_conf=
}

# Reads the new conf with supervisord's own parser (the python that runs supervisord): every value
# must read back as program.ini wrote it (" ;" and " #" start comments there), the command and the
# environment must split (an unbalanced quote breaks reloadConfig for the whole host), and a conf
# already at the target must define this program and nothing else. One line on failure.
check_conf() {
  local py=python3 sv shebang
  if sv=$(command -v supervisord) && read -r shebang <"$sv"; then
    if [[ $shebang =~ ^\#\![[:space:]]*[^[:space:]]*/env[[:space:]]+([^[:space:]-][^[:space:]]*) ]]; then py=${BASH_REMATCH[1]}
    elif [[ $shebang =~ ^\#\![[:space:]]*([^[:space:]]*python[^[:space:]]*) ]]; then py=${BASH_REMATCH[1]}; fi
  fi
  "$py" - "$ini" "$name" "$@" <<'PY' || exit 2
import os, shlex, sys
ini, name, new, target, *pairs = sys.argv[1:]
try:
    from supervisor.options import ServerOptions, UnhosedConfigParser
except ImportError as e:
    print('sup_run.sh: cannot load supervisord\'s config parser with %s (%s); is supervisor installed?' % (sys.executable, e), file=sys.stderr)
    sys.exit(2)
section = 'program:' + name
def fail(msg):
    print('sup_run.sh: %s: %s' % (ini, msg), file=sys.stderr)
    sys.exit(2)
def parse(path):
    p = UnhosedConfigParser()
    p.expansions = {'here': os.path.dirname(path)}
    p.read(path)
    return p
if os.path.lexists(target):
    try:
        others = [s for s in parse(target).sections() if s != section]
    except Exception as e:
        fail('%s exists and supervisord cannot read it (%s); not overwriting it' % (target, str(e).splitlines()[0]))
    if others:
        fail('%s also defines %s; not overwriting it (rename PROGRAM_NAME or move those out)' % (target, ', '.join('[%s]' % s for s in others)))
p = parse(new)
for key, want in zip(pairs[0::2], pairs[1::2]):
    got = p.get(section, key) if p.has_option(section, key) else ''
    if got != want.replace('%', '%%'):
        fail('PROGRAM_%s: supervisord would read %r, not %r (" ;" and " #" start a comment in its confs)' % (key.upper(), got.replace('%%', '%'), want))
try:
    shlex.split(p.saneget(section, 'command'))
    opts = ServerOptions()
    opts.here = os.path.dirname(new)
    opts.process_groups_from_parser(p)
except Exception as e:
    fail('supervisord would refuse this conf: %s' % str(e).splitlines()[0].split(' in section ')[0])
PY
}

# Invariant 1: a service set's program runs only on the set's MASTER, and only the MASTER edits
# the set's registry (elsewhere it is a replica); asked before anything is written.
may() {
  [ -d "$registry" ] || die "registry folder $registry does not exist"
  "$supzcli" role "${force[@]}" --for "$1" "$registry" >/dev/null
}

case "${1:-help}" in
  start)
    may start
    write_conf
    "$supzcli" update "${force[@]}" "$name"
    "$supzcli" start "${force[@]}" "$name"
    ;;
  stop)
    # Stops it, removes it from supervisord and parks its conf: the standby will not start it.
    may stop
    "$supzcli" stop "${force[@]}" "$name"
    ;;
  restart)
    may restart
    write_conf
    "$supzcli" update "${force[@]}" "$name"
    "$supzcli" restart "${force[@]}" "$name"
    ;;
  update)
    # supervisord 4 refuses "reread NAME" (the seed's script broke on it): update does both.
    may update
    write_conf
    "$supzcli" update "${force[@]}" "$name"
    ;;
  status)
    exec "$supzcli" status "$name"
    ;;
esac
