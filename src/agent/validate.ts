import { z } from 'zod';
import { parseNotifyArgs } from '../keepalived/index.js';
import type { ControlRequest } from './protocol.js';

const setName = z.string().min(1).max(200);
const text = z.string().max(2_000);

const processEvent = z.strictObject({
  name: z.string().max(500),
  group: z.string().max(500),
  state: z.string().max(50),
  from: z.string().max(50),
  at: z.string().max(50),
});

const schema = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('notify'),
    event: z.strictObject({ type: z.string().max(20), name: z.string().max(500), state: z.string().max(50), priority: z.number().optional() }),
    source: z.string().max(50).optional(),
  }),
  z.strictObject({ op: z.literal('hold'), set: setName.optional(), reason: text.min(1) }),
  z.strictObject({ op: z.literal('release'), set: setName.optional() }),
  z.strictObject({ op: z.literal('check'), set: setName }),
  z.strictObject({ op: z.literal('status') }),
  z.strictObject({ op: z.literal('quiesce'), groups: z.array(z.string().min(1).max(500)).max(10_000), ms: z.number().int().min(0).max(600_000) }),
  z.strictObject({ op: z.literal('process'), events: z.array(processEvent).max(100_000), start: z.boolean().optional() }),
  // received (from supha sync accept) names its set; the handler says so when it does not.
  z.strictObject({ op: z.literal('sync'), action: z.enum(['status', 'pause', 'resume', 'received']), set: setName.optional() }),
  z.strictObject({ op: z.literal('switched'), outcome: z.enum(['ok', 'rolled-back', 'failed']), ms: z.number().min(0).max(86_400_000) }),
]);

// Checks one control request whole (every op, every field) before anything acts on it; a notify
// event is checked as `supha notify` checks its arguments (state names, priority 0-255).
export function validateRequest(raw: unknown): { ok: true; req: ControlRequest } | { ok: false; error: string } {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    return { ok: false, error: `bad request: ${i?.path.join('.') || 'op'}: ${i?.message ?? 'invalid'}` };
  }
  const req = r.data as ControlRequest;
  if (req.op === 'notify') {
    const e = r.data.op === 'notify' ? r.data.event : undefined;
    const p = parseNotifyArgs(e?.type ?? '', e?.name ?? '', e?.state ?? '', e?.priority === undefined ? undefined : String(e.priority));
    if (!p.ok) return { ok: false, error: `bad request: event: ${p.error}` };
    return { ok: true, req: { ...req, event: p.event } };
  }
  return { ok: true, req };
}
