import type { AgentModule } from './module.js';
import type { ControlRequest, ControlResponse } from './protocol.js';
import { validateRequest } from './validate.js';
import type { AgentView } from './view.js';

// Answers one control-socket request; a request that is not valid whole changes nothing.
export async function handleControl(agent: AgentView, raw: ControlRequest): Promise<ControlResponse> {
  const v = validateRequest(raw);
  if (!v.ok) {
    agent.log.warn({ op: (raw as { op?: unknown }).op }, `control: ${v.error}`);
    return { ok: false, error: v.error };
  }
  const req = v.req;
  switch (req.op) {
    case 'notify': {
      const known = agent.notify(req.event, req.source ?? 'notify');
      return { ok: true, known };
    }
    case 'hold': {
      if (req.set !== undefined && !agent.sets.has(req.set)) return { ok: false, error: `no service set "${req.set}"` };
      await agent.holds.hold(req.set, req.reason);
      agent.log.warn({ set: req.set ?? '*', reason: req.reason }, `hold ${req.set ?? 'all sets'}: ${req.reason}`);
      void agent.reconciler.kick('hold');
      return { ok: true, holds: agent.holds.all() };
    }
    case 'release': {
      // A hold on a set the config no longer has can still be released (it is in holds.json).
      if (req.set !== undefined && !agent.sets.has(req.set) && !agent.holds.heldBy(req.set)) return { ok: false, error: `no service set "${req.set}"` };
      const released = await agent.holds.release(req.set);
      agent.log.warn({ set: req.set ?? '*', released }, `release ${req.set ?? 'all holds'}`);
      // NOTE: not awaited: the release is done; a slow pass must not make the caller see no agent.
      void agent.reconciler.kick('release');
      return { ok: true, released };
    }
    case 'check': {
      const set = agent.sets.get(req.set);
      if (!set) return { ok: false, error: `no service set "${req.set}"` };
      const h = await agent.reconciler.health(req.set);
      return { ok: true, healthy: h?.healthy ?? false, role: agent.roleOf(req.set), why: h?.why ?? 'unknown' };
    }
    case 'status':
      return { ok: true, status: await agent.status() };
    case 'quiesce': {
      agent.reconciler.quiesce(req.groups, req.ms);
      agent.log.info(
        { groups: req.groups, ms: req.ms },
        req.ms > 0
          ? `quiesce ${req.groups.join(', ')} for ${req.ms} ms (supzcli acting; starts held back, stops not)`
          : `quiesce lifted: ${req.groups.join(', ')}`,
      );
      return { ok: true };
    }
    case 'process':
      agent.processEvents(req.events, req.start === true);
      return { ok: true };
    case 'sync':
      return syncControl(agent, req.action, req.set);
    case 'switched':
      agent.metrics.switched(req.outcome, req.ms);
      agent.log.info({ outcome: req.outcome, ms: req.ms }, `switch recorded: ${req.outcome} in ${req.ms} ms`);
      return { ok: true };
  }
}

// What the control socket needs of the sync module (src/sync/module.ts).
interface SyncControl {
  status(): unknown;
  pauseSync(set?: string): Promise<unknown>;
  resumeSync(set?: string): Promise<unknown>;
  received(set: string): Promise<void>;
}

// supha sync status|pause|resume [--set S]
async function syncControl(agent: AgentView, action: 'status' | 'pause' | 'resume' | 'received', set: string | undefined): Promise<ControlResponse> {
  const mod = agent.modules.find((m) => m.name === 'sync') as (AgentModule & SyncControl) | undefined;
  if (!mod) return { ok: false, error: 'replication is not running in this agent (no ha.service-sets?)' };
  if (action === 'received') {
    if (set === undefined) return { ok: false, error: 'sync received: name the set' };
    await mod.received(set);
    return { ok: true };
  }
  if (action === 'pause') return { ok: true, sync: await mod.pauseSync(set) };
  if (action === 'resume') return { ok: true, sync: await mod.resumeSync(set) };
  return { ok: true, sync: mod.status() };
}
