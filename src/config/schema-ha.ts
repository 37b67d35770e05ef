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
  agent: z
    .strictObject({
      listen: z.string().default('127.0.0.1:7373'),
      'token-file': z.string().optional(),
      'control-socket': z.string().optional(),
      'reconcile-interval-ms': z.number().int().positive().default(5_000),
    })
    .prefault({}),
});

export type HaConfig = z.infer<typeof haSchema>;
