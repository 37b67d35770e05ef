import { setGroups } from '../ha/index.js';
import { scanRegistry } from '../registry/index.js';
import type { Agent } from './agent.js';
import type { AgentModule } from './module.js';
import type { ControlRequest, ControlResponse } from './protocol.js';

// Answers one control-socket request.
export async function handleControl(agent: Agent, req: ControlRequest): Promise<ControlResponse> {
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
      const released = await agent.holds.release(req.set);
      agent.log.warn({ set: req.set ?? '*', released }, `release ${req.set ?? 'all holds'}`);
      await agent.reconciler.kick('release');
      return { ok: true, released };
    }
    case 'check':
      return check(agent, req.set);
    case 'status':
      return { ok: true, status: await agent.status() };
    case 'quiesce': {
      if (!Array.isArray(req.groups) || typeof req.ms !== 'number' || req.ms < 0 || req.ms > 600_000)
        return { ok: false, error: 'quiesce: groups[] and ms (0..600000) expected' };
      agent.reconciler.quiesce(req.groups, req.ms);
      agent.log.info(
        { groups: req.groups, ms: req.ms },
        req.ms > 0 ? `quiesce ${req.groups.join(', ')} for ${req.ms} ms (supzcli acting)` : `quiesce lifted: ${req.groups.join(', ')}`,
      );
      return { ok: true };
    }
    case 'process': {
      let fatal = false;
      for (const ev of req.events) {
        agent.processEvents.set(`${ev.group}:${ev.name}`, ev);
        if (ev.state === 'FATAL' || ev.from === 'FATAL') fatal = true;
        if (ev.state === 'FATAL')
          agent.alerter.send({ kind: 'program-fatal', summary: `program ${ev.group}:${ev.name} is FATAL (was ${ev.from})`, program: ev });
      }
      if (fatal) void agent.reconciler.kick('supervisord-event');
      return { ok: true };
    }
    case 'sync':
      return syncControl(agent, req.action, req.set);
    default:
      return { ok: false, error: `unknown op "${(req as { op: string }).op}"` };
  }
}

// For keepalived's vrrp_script: healthy when this node does not act as MASTER of the set, or
// every program of the set is RUNNING.
async function check(agent: Agent, name: string): Promise<ControlResponse> {
  const set = agent.sets.get(name);
  if (!set) return { ok: false, error: `no service set "${name}"` };
  const role = agent.roleOf(name);
  if (role !== 'MASTER') return { ok: true, healthy: true, role, why: `not MASTER of ${name} (${role})` };
  const groups = new Set(setGroups(await scanRegistry([set.registry])).map((g) => g.name));
  const infos = (await agent.client.getAllProcessInfo()).filter((p) => groups.has(p.group));
  const bad = infos.filter((p) => p.statename !== 'RUNNING').map((p) => `${p.group}:${p.name} ${p.statename}`);
  const missing = [...groups].filter((g) => !infos.some((p) => p.group === g));
  if (bad.length + missing.length === 0) return { ok: true, healthy: true, role, why: `all ${infos.length} programs RUNNING` };
  return { ok: true, healthy: false, role, why: [...bad, ...missing.map((g) => `${g} not loaded`)].join(', ') };
}

// What the control socket needs of the sync module (src/sync/module.ts).
interface SyncControl {
  status(): unknown;
  pauseSync(set?: string): Promise<unknown>;
  resumeSync(set?: string): Promise<unknown>;
}

// supha sync status|pause|resume [--set S]
async function syncControl(agent: Agent, action: 'status' | 'pause' | 'resume', set: string | undefined): Promise<ControlResponse> {
  const mod = agent.modules.find((m) => m.name === 'sync') as (AgentModule & SyncControl) | undefined;
  if (!mod) return { ok: false, error: 'replication is not running in this agent (no ha.service-sets?)' };
  if (action === 'pause') return { ok: true, sync: await mod.pauseSync(set) };
  if (action === 'resume') return { ok: true, sync: await mod.resumeSync(set) };
  return { ok: true, sync: mod.status() };
}
