import { z } from 'zod';

// Node and group names go into the upstream file (comments), file names and logs: a name that
// could end a comment or a directive (newline, `;`, `}`) or a path (`/`, a leading `.`) is refused.
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
// A record whose keys are such names; a bad key is reported by name.
const named = <T extends z.ZodType>(what: string, value: T) =>
  z.record(z.string(), value).superRefine((rec, ctx) => {
    for (const key of Object.keys(rec)) {
      if (!NAME_RE.test(key))
        ctx.addIssue({ code: 'custom', path: [key], message: `${what} name ${JSON.stringify(key)}: letters, digits, _ . - only, not starting with . or -` });
    }
  });

// Nginx's `server` parameters, per node or per group (a node's own win). Absent: Nginx's defaults.
const serverParams = {
  weight: z.number().int().positive().max(10_000).optional(),
  'max-fails': z.number().int().nonnegative().max(10_000).optional(),
  // Nginx time in seconds or coarser (the upstream module refuses ms): 10, 10s, 1m.
  'fail-timeout': z
    .string()
    .regex(/^\d{1,6}(s|m|h|d)?$/, 'an nginx time in s, m, h or d: 10s, 1m')
    .optional(),
};

// The seed's nginx section (py-server-tools config.json), keys kept exactly, plus supha's.
export const nodeSchema = z.strictObject({
  ...serverParams,
  'health-check-url': z.string(),
  'upstream-url': z.string(),
  'start-cmd': z.string().optional(),
  'stop-cmd': z.string().optional(),
  'supervisor-program': z.string().optional(),
  backup: z.boolean().default(false),
});

export const groupSchema = z.strictObject({
  ...serverParams,
  nodes: named('node', nodeSchema),
  'default-group': z.enum(['primary', 'standby']),
  'upgrade-cmd': z.string().optional(),
});

export const healthSchema = z.strictObject({
  'interval-ms': z.number().int().positive().default(2_000),
  'timeout-ms': z.number().int().positive().default(2_000),
  'fail-threshold': z.number().int().positive().default(5),
  concurrency: z.number().int().positive().default(8),
  'max-restarts': z.number().int().nonnegative().default(3),
  'restart-backoff-ms': z.number().int().nonnegative().default(5_000),
  // After supha (re)starts a node, it is not restarted again before this long unless it has
  // answered 200 since (slow starters are not killed while they boot).
  'start-grace-ms': z.number().int().nonnegative().default(60_000),
  // Bound on a node's start-cmd or stop-cmd (its whole process group is killed after it).
  'cmd-timeout-ms': z.number().int().positive().default(120_000),
  // A node healthy this long after its last restart gets its reboot-count back to 0.
  'restart-reset-ms': z.number().int().nonnegative().default(600_000),
});

export const switchSchema = z.strictObject({
  'health-passes': z.number().int().positive().default(3),
  'health-deadline-ms': z.number().int().positive().default(30_000),
  'verify-window-ms': z.number().int().nonnegative().default(3_000),
  'drain-ms': z.number().int().nonnegative().default(2_000),
  'check-interval-ms': z.number().int().positive().default(500),
  'verify-url': z.string().optional(),
  // render-primary (the seed's): the upstream holds the primary group, a switch reloads Nginx.
  // both-groups: both groups always in the upstream (a stopped node refuses connections and
  // Nginx's proxy_next_upstream retries them), a switch starts one group and stops the other, no reload.
  mode: z.enum(['render-primary', 'both-groups']).default('render-primary'),
  // How long a switch waits for the lock held by the agent's health round (or another command).
  'lock-wait-ms': z.number().int().nonnegative().default(15_000),
  // The verify window passes with up to this many failed checks (all URLs together).
  'verify-failures': z.number().int().nonnegative().default(0),
  // Which answers pass verification: 2xx, or 2xx and 3xx.
  'verify-accept': z.enum(['2xx', '2xx-3xx']).default('2xx'),
  // A response header naming the node that answered through verify-url: it must be a node of the new group.
  'verify-header': z.string().min(1).optional(),
  // Run after the health gate, before traffic moves (a smoke test): failing rolls back.
  'pre-switch-cmd': z.string().optional(),
  // Run after a switch completed: failing is reported (exit 1) but undoes nothing.
  'post-switch-cmd': z.string().optional(),
});

export const nginxSchema = z.strictObject({
  'nginx-home': z.string().default('/usr/local/nginx'),
  // Default: <binary> -s reload, the binary found as for nginx-test-cmd.
  'nginx-reload-cmd': z.string().optional(),
  'nginx-test-cmd': z.string().optional(),
  'upstream-conf-path': z.string(),
  // Where a reload's verification looks last for Nginx's master pid (after `pid` in nginx -T,
  // <nginx-home>/logs/nginx.pid and the binary's --pid-path).
  'pid-file': z.string().default('/run/nginx.pid'),
  // The service set (ha.service-sets) whose programs the nodes are: blue/green acts only where
  // the set is MASTER, and the group roles travel with its registry.
  'service-set': z.string().min(1).optional(),
  upstream: z.strictObject({
    'upstream-name': z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only, not starting with . or -'),
    keepalive: z.number().int().nonnegative().default(0),
    'node-group': named('group', groupSchema),
  }),
  health: healthSchema.prefault({}),
  switch: switchSchema.prefault({}),
});

export type NginxConfig = z.infer<typeof nginxSchema>;
export type NodeConfig = z.infer<typeof nodeSchema>;
export type GroupConfig = z.infer<typeof groupSchema>;
