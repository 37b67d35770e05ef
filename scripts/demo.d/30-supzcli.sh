# supzcli: the supervisorctl operators type (sourced by scripts/demo.sh; $DEMO, $ROOT, SUPHA_CONFIG set).
mkdir -p "$DEMO/bin"
printf '#!/bin/sh\nexec node "%s/dist/src/cli/supzcli.js" "$@"\n' "$ROOT" >"$DEMO/bin/supzcli"
chmod +x "$DEMO/bin/supzcli"
supzcli() { "$DEMO/bin/supzcli" "$@"; }

say "supzcli status: what supervisorctl status prints (exit 3: a listed program is not running)"
supzcli status || echo "(exit $?)"

say "supzcli refuses what takes the whole host down: one line, exit 2, nothing done"
supzcli stop all || echo "(exit $?)"
supzcli shutdown || echo "(exit $?)"
supzcli stop '../billing' || echo "(exit $?)"

say "supzcli stop mailer: stopped, removed from supervisord, conf parked (the standby will not start it)"
supzcli stop mailer
ls "$DEMO/conf.d" "$DEMO/state/parked"

say "supzcli start mailer: conf back in the registry, loaded, started"
supzcli start mailer
supzcli status mailer

say "the prompt, driven through a pipe"
printf 'version\nrestart all\nquit\n' | supzcli || true

say "sup_run.sh + program.ini: the example app's conf is written (autostart=false) and started via supzcli"
cp -rL "$ROOT/supervisor/example-app" "$DEMO/example-app"
SUPZCLI="$DEMO/bin/supzcli" SUP_REGISTRY="$DEMO/conf.d" "$DEMO/example-app/sup_run.sh" start
cat "$DEMO/conf.d/example-app.conf"
SUPZCLI="$DEMO/bin/supzcli" SUP_REGISTRY="$DEMO/conf.d" "$DEMO/example-app/sup_run.sh" stop

say "every command above, in the audit log (<state-dir>/audit.log)"
tail -n 4 "$DEMO/state/audit.log"
