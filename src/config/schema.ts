import { z } from 'zod';
import { SUPERVISOR_DEFAULTS as D, DEFAULT_STATE_DIR } from './defaults.js';
import { haSchema } from './schema-ha.js';
import { nginxSchema } from './schema-nginx.js';

export const supervisorSchema = z.strictObject({
  'server-url': z.string().default(D['server-url']),
  username: z.string().optional(),
  password: z.string().optional(),
  'registry-dirs': z.array(z.string()).default([...D['registry-dirs']]),
  'timeout-ms': z.number().int().positive().default(D['timeout-ms']),
  'wait-timeout-ms': z.number().int().positive().default(D['wait-timeout-ms']),
});

// The whole file. Every section but project-name is optional; unknown keys are errors.
export const configSchema = z.strictObject({
  'project-name': z.string().min(1),
  'state-dir': z.string().default(DEFAULT_STATE_DIR),
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
