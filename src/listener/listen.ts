import type { Readable, Writable } from 'node:stream';
import type { ProcessEvent } from '../agent/protocol.js';
import type { Logger } from '../util/log.js';
import { ACK, EventParser, parseTokens, READY } from './protocol.js';

export interface ListenOptions {
  stdin: Readable;
  stdout: Writable;
  log: Logger;
  // Hands a batch of events to the agent (none: a TICK, "still here"; start: the listener has just
  // started, so the agent reads supervisord's table afresh); rejects when the agent is away.
  forward: (events: ProcessEvent[], start: boolean) => Promise<void>;
}

// supervisord's [eventlistener:supha]: acknowledges every event at once (supervisord's buffer must
// never fill), keeps the newest state of each process and forwards it to the agent; events that
// come during a forward go in the next one, right after it. While the agent is away, keeps the
// newest state of each process and sends it on the next event or TICK.
export async function listen(o: ListenOptions): Promise<void> {
  const parser = new EventParser();
  const pending = new Map<string, ProcessEvent>();
  let sending = false;
  let away = false;
  let start = true;
  let tick = false;

  const flush = async () => {
    if (sending) return;
    sending = true;
    try {
      while (pending.size > 0 || tick || start) {
        const batch = [...pending.values()];
        const first = start;
        pending.clear();
        tick = false;
        try {
          await o.forward(batch, first);
          start = false;
          if (away) o.log.info({ events: batch.length }, 'agent is back; newest states sent');
          away = false;
        } catch (err) {
          for (const ev of batch) {
            const key = `${ev.group}:${ev.name}`;
            if (!pending.has(key)) pending.set(key, ev);
          }
          if (!away) o.log.warn({ err: (err as Error).message }, 'agent away; keeping the newest process states for later');
          away = true;
          // The next event or TICK tries again.
          return;
        }
      }
    } finally {
      sending = false;
    }
  };

  o.stdout.write(READY);
  void flush();
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
          pending.delete(`${ev.group}:${ev.name}`);
          pending.set(`${ev.group}:${ev.name}`, ev);
        } else if (name.startsWith('TICK_')) tick = true;
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
