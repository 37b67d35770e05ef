import { z } from 'zod';
import { haSchema } from './schema-ha.js';
import { nginxSchema } from './schema-nginx.js';

export const supervisorSchema = z.strictObject({
  'server-url': z.string().default('unix:///var/run/supervisor.sock'),
  username: z.string().optional(),
  password: z.string().optional(),
  'registry-dirs': z.array(z.string()).default(['/etc/supervisor/conf.d']),
  'timeout-ms': z.number().int().positive().default(10_000),
  'wait-timeout-ms': z.number().int().positive().default(120_000),
});

// The whole file. Every section but project-name is optional; unknown keys are errors.
export const configSchema = z.strictObject({
  'project-name': z.string().min(1),
  'state-dir': z.string().default('/var/lib/supha'),
  'runtime-dir': z.string().optional(),
  supervisor: supervisorSchema.prefault({}),
  nginx: nginxSchema.optional(),
  ha: haSchema.optional(),
  supzcli: z
    .strictObject({
      // Verbs refused outright, on top of the built-in list (shutdown, reload, "all" forms).
      'refuse-verbs': z.array(z.string()).default([]),
    })
    .prefault({}),
});

export type RawConfig = z.infer<typeof configSchema>;
export type SupervisorConfig = z.infer<typeof supervisorSchema>;
