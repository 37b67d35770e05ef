import type { Readable, Writable } from 'node:stream';
import type { ProcessEvent } from '../agent/protocol.js';
import type { Logger } from '../util/log.js';
import { ACK, EventParser, parseTokens, READY } from './protocol.js';

export interface ListenOptions {
  stdin: Readable;
  stdout: Writable;
  log: Logger;
  // Hands a batch of events to the agent; rejects when the agent is away.
  forward: (events: ProcessEvent[]) => Promise<void>;
}

// supervisord's [eventlistener:supha]: acknowledges every event at once (supervisord's buffer must
// never fill), keeps the newest state of each process and forwards it to the agent; while the agent
// is away, keeps that newest state and sends it on the next event or TICK.
export async function listen(o: ListenOptions): Promise<void> {
  const parser = new EventParser();
  const pending = new Map<string, ProcessEvent>();
  let sending = false;
  let away = false;

  const flush = async () => {
    if (sending || pending.size === 0) return;
    sending = true;
    const batch = [...pending.values()];
    pending.clear();
    try {
      await o.forward(batch);
      if (away) o.log.info({ events: batch.length }, 'agent is back; newest states sent');
      away = false;
    } catch (err) {
      for (const ev of batch) {
        const key = `${ev.group}:${ev.name}`;
        if (!pending.has(key)) pending.set(key, ev);
      }
      if (!away) o.log.warn({ err: (err as Error).message }, 'agent away; keeping the newest process states for later');
      away = true;
    } finally {
      sending = false;
    }
  };

  o.stdout.write(READY);
  o.stdin.on('data', (chunk: Buffer) => {
    for (const p of parser.push(chunk)) {
      if ('error' in p) o.log.error(`supervisord sent a malformed event: ${p.error}`);
      else {
        const name = p.event.headers.eventname ?? '';
        if (name.startsWith('PROCESS_STATE_')) {
          const t = parseTokens(p.event.payload);
          const ev: ProcessEvent = {
            name: t.processname ?? '',
            group: t.groupname ?? t.processname ?? '',
            state: name.slice('PROCESS_STATE_'.length),
            from: t.from_state ?? '',
            at: new Date().toISOString(),
          };
          pending.set(`${ev.group}:${ev.name}`, ev);
        }
      }
      // NOTE: the acknowledgement and the next READY in one write; nothing else ever goes to stdout.
      o.stdout.write(`${ACK}${READY}`);
    }
    void flush();
  });
  await new Promise<void>((resolve) => {
    o.stdin.once('end', resolve);
    o.stdin.once('close', resolve);
  });
}
