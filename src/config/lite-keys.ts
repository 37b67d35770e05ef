// Every key the config file may hold, for the light loader: a file with any other key goes to the
// full loader, which reports it ("unknown keys are errors" holds for supzcli's read-only verbs
// too). test/config/lite.test.ts checks this tree against the zod schema.
// A tree: `true` is a leaf (any value; the full loader checks types), `{ '*': … }` a record.
export type KeyTree = { readonly [key: string]: KeyTree | true };

const node: KeyTree = {
  'health-check-url': true,
  'upstream-url': true,
  'start-cmd': true,
  'stop-cmd': true,
  'supervisor-program': true,
  backup: true,
};

export const CONFIG_KEYS: KeyTree = {
  'project-name': true,
  'state-dir': true,
  'runtime-dir': true,
  supervisor: { 'server-url': true, username: true, password: true, 'registry-dirs': true, 'timeout-ms': true, 'wait-timeout-ms': true },
  nginx: {
    'nginx-home': true,
    'nginx-reload-cmd': true,
    'nginx-test-cmd': true,
    'upstream-conf-path': true,
    'pid-file': true,
    upstream: { 'upstream-name': true, keepalive: true, 'node-group': { '*': { nodes: { '*': node }, 'default-group': true, 'upgrade-cmd': true } } },
    health: {
      'interval-ms': true,
      'timeout-ms': true,
      'fail-threshold': true,
      concurrency: true,
      'max-restarts': true,
      'restart-backoff-ms': true,
      'start-grace-ms': true,
      'restart-reset-ms': true,
    },
    switch: { 'health-passes': true, 'health-deadline-ms': true, 'verify-window-ms': true, 'drain-ms': true, 'check-interval-ms': true, 'verify-url': true },
  },
  ha: {
    'node-name': true,
    keepalived: { 'notify-fifo': true, 'pid-file': true },
    'service-sets': { '*': { 'vrrp-instance': true, registry: true, vip: true } },
    peers: { '*': { 'agent-url': true, 'sync-target': true, 'ssh-options': true, 'password-file': true } },
    sync: { 'debounce-ms': true, 'retry-min-ms': true, 'retry-max-ms': true, 'timeout-ms': true, 'role-check-timeout-ms': true },
    agent: {
      listen: true,
      'token-file': true,
      'control-socket': true,
      'reconcile-interval-ms': true,
      http: { 'header-timeout-ms': true, 'request-timeout-ms': true, 'max-connections': true, 'max-body-bytes': true },
    },
    'alert-command': true,
    'alert-timeout-ms': true,
  },
  supzcli: { 'refuse-verbs': true },
};

// True when every key of `data` (recursively, where the tree has a subtree) is in `tree`.
// A subtree's value that is not an object is left to the full loader's type check: false.
export function onlyKnownKeys(data: unknown, tree: KeyTree = CONFIG_KEYS): boolean {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  for (const [k, v] of Object.entries(data)) {
    const sub = tree[k] ?? tree['*'];
    if (sub === undefined) return false;
    if (sub !== true && !onlyKnownKeys(v, sub)) return false;
  }
  return true;
}
