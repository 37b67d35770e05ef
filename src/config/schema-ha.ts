import { z } from 'zod';

export const serviceSetSchema = z.strictObject({
  'vrrp-instance': z.string().min(1),
  registry: z.string().min(1),
  vip: z.string().optional(),
});

export const peerSchema = z.strictObject({
  'agent-url': z.string().optional(),
  'sync-target': z.string().optional(),
  'ssh-options': z.array(z.string()).optional(),
  'password-file': z.string().optional(),
});

// The quorum witness (docs/quorum.md): a lease-bound key in etcd decides who may run a set.
export const quorumSchema = z.strictObject({
  // etcd client URLs (http:// or https://), tried in order.
  endpoints: z.array(z.string().min(1)).min(1),
  // The lease of each set's owner key. etcd counts leases in whole seconds.
  'lease-ttl-ms': z.number().int().positive().default(3_000),
  // Keys live under <prefix>/sets/<set>/owner; default /supha/<project-name>.
  prefix: z.string().min(1).optional(),
  // No endpoint answers: stop (the safe default) or freeze (keep what runs, start nothing new).
  policy: z.enum(['stop', 'freeze']).default('stop'),
  // One request to an endpoint.
  'request-timeout-ms': z.number().int().positive().default(500),
  // How long a MASTER waits for the key (the old holder stopping, then releasing) before it
  // writes its track file so keepalived moves the VIP away.
  'acquire-wait-ms': z.number().int().nonnegative().default(1_500),
  // https endpoints: the CA that signed etcd's certificate, and a client certificate if etcd asks.
  tls: z
    .strictObject({
      'ca-file': z.string().optional(),
      'cert-file': z.string().optional(),
      'key-file': z.string().optional(),
    })
    .optional(),
  // This host's id in the owner keys (created once): tells a previous agent of this host from
  // another host with the same node name. Default <state-dir>/quorum-host-id.
  'host-id-file': z.string().min(1).optional(),
  // etcd's own authentication (etcdctl user add): the password in a file readable by root only.
  auth: z.strictObject({ user: z.string().min(1), 'password-file': z.string().min(1) }).optional(),
});

export const haSchema = z.strictObject({
  'node-name': z.string().min(1).optional(),
  keepalived: z
    .strictObject({
      'notify-fifo': z.string().default('/run/supha/keepalived.fifo'),
      'pid-file': z.string().default('/run/keepalived.pid'),
    })
    .prefault({}),
  'service-sets': z.record(z.string(), serviceSetSchema).default({}),
  peers: z.record(z.string(), peerSchema).default({}),
  // Registry replication to the peers (docs/replication.md).
  sync: z
    .strictObject({
      // Quiet time that collapses a burst of registry changes into one push.
      'debounce-ms': z.number().int().nonnegative().default(10),
      // Backoff of a failed push: doubles from retry-min-ms up to retry-max-ms.
      'retry-min-ms': z.number().int().positive().default(500),
      'retry-max-ms': z.number().int().positive().default(30_000),
      // One rsync run (connection and transfer) and one question to a peer's agent.
      'timeout-ms': z.number().int().positive().default(30_000),
      'role-check-timeout-ms': z.number().int().positive().default(1_000),
      // What pushes deleted or overwrote on this node (<registry>/.supha-history/): kept this long,
      // and at most this many pushes' worth.
      'history-max-age-days': z.number().positive().default(30),
      'history-max-count': z.number().int().positive().default(200),
    })
    .prefault({}),
  agent: z
    .strictObject({
      listen: z.string().default('127.0.0.1:7373'),
      'token-file': z.string().optional(),
      'control-socket': z.string().optional(),
      // The agent's JSON log: a file (reopened on SIGHUP, for logrotate) instead of stderr.
      'log-file': z.string().optional(),
      'reconcile-interval-ms': z.number().int().positive().default(5_000),
      // Limits of the HTTP API (docs/agent.md): nothing a client sends may stall or crash it.
      http: z
        .strictObject({
          'header-timeout-ms': z.number().int().positive().default(10_000),
          'request-timeout-ms': z.number().int().positive().default(30_000),
          'max-connections': z.number().int().positive().default(64),
          'max-body-bytes': z.number().int().positive().default(65_536),
        })
        .prefault({}),
    })
    .prefault({}),
  // Run on every transition, split brain, refused push, failed switch and FATAL program: argv (no
  // shell), the event as one JSON line on stdin (docs/alerts.md).
  'alert-command': z.array(z.string().min(1)).min(1).optional(),
  'alert-timeout-ms': z.number().int().positive().default(10_000),
  quorum: quorumSchema.optional(),
});

export type QuorumConfig = z.infer<typeof quorumSchema>;

export type HaConfig = z.infer<typeof haSchema>;
