import { z } from 'zod';

// The seed's nginx section (py-server-tools config.json), keys kept exactly, plus supha's.
export const nodeSchema = z.strictObject({
  'health-check-url': z.string(),
  'upstream-url': z.string(),
  'start-cmd': z.string().optional(),
  'stop-cmd': z.string().optional(),
  'supervisor-program': z.string().optional(),
  backup: z.boolean().default(false),
});

export const groupSchema = z.strictObject({
  nodes: z.record(z.string(), nodeSchema),
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
  upstream: z.strictObject({
    'upstream-name': z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    keepalive: z.number().int().nonnegative().default(0),
    'node-group': z.record(z.string(), groupSchema),
  }),
  health: healthSchema.prefault({}),
  switch: switchSchema.prefault({}),
});

export type NginxConfig = z.infer<typeof nginxSchema>;
export type NodeConfig = z.infer<typeof nodeSchema>;
export type GroupConfig = z.infer<typeof groupSchema>;
