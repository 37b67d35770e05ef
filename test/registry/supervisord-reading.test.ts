import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { entriesOf, IniError, isRegistryFile, parseIni, type RegistryEntry } from '../../src/registry/index.js';
import { SupervisorFault } from '../../src/supervisor/index.js';
import { type Supervisord, startSupervisord } from '../helpers/supervisord.js';

// Each conf is read twice: by supha (entriesOf/parseIni) and by a real supervisord 4.2.5 that
// includes it (reloadConfig, then getAllConfigInfo). The two readings must agree, or both must
// refuse the file. Nothing here states the expected answer: supervisord does.
const C = 'command=/bin/sleep 1000';
const ACCEPTED: Record<string, string> = {
  'header with a comment': `[program:b] ; note\n${C}\nautostart=false\npriority=3\n`,
  'header with a ; right after ]': `[program:b2]; note\n${C}\nautostart=false\n`,
  'inline # after a space': `[program:c]\n${C}\nautostart=false # x\npriority=4 # y\n`,
  'no, off, 0, Yes, ON': ['no', 'off', '0', 'Yes', 'ON'].map((v, i) => `[program:bool${i}]\n${C}\nautostart=${v}\n`).join(''),
  'priority=0 is 0': `[program:zero]\n${C}\npriority=0\n`,
  'signed, spaced and underscored integers': `[program:i1]\n${C}\npriority=-5\n[program:i2]\n${C}\npriority = +7 ;c\n[program:i3]\n${C}\npriority=1_000\n`,
  'a ; or # without a space before it is data': `[program:semi]\ncommand=/bin/echo a;b#c ; d\n`,
  'the prefix search order of configparser': `[program:order]\ncommand=/bin/echo x#1 #2 ;3\n`,
  'continuation lines, blank lines and comments inside them': `[program:cont]\ncommand=/bin/echo\n  one\n\n  two\n  # not part\n  three\n`,
  'an indented key is a continuation': `[program:ind]\ncommand=/bin/sleep 1000\n  autostart=false\n`,
  'keys are case-insensitive, : is a delimiter': `[program:keys]\nCOMMAND : /bin/sleep 1000\nAutoStart: false\n`,
  '[DEFAULT] fills in the same file': `[DEFAULT]\nautostart=false\npriority=42\n[program:dflt]\n${C}\n[program:dflt2]\n${C}\npriority=1\n`,
  'a repeated section merges': `[program:twice]\n${C}\n[program:twice]\nautostart=false\n`,
  'event listeners default to priority -1': `[eventlistener:ev]\ncommand=/bin/cat\nevents=TICK_60\n`,
  'a group takes its own priority': `[group:g]\nprograms=g1, g2\npriority=50\n[program:g1]\n${C}\n[program:g2]\n${C}\npriority=7\nautostart=off\n`,
  'CRLF line ends': `[program:crlf]\r\n${C}\r\nautostart=false\r\npriority=9\r\n`,
  'Python whitespace, not JS whitespace': `[program:ws]\n${C}\x1c\npriority=\u20035\u3000\n`,
  'a stripped name and full-line comments': `; top\n# top\n[program: spaced ]\n  ; indented comment\n${C}\n`,
  'expansion from the environment': `[program:exp]\n${C}\nautostart=%(ENV_SUPHA_TEST_BOOL)s\n`,
};
const REFUSED: Record<string, string> = {
  'autostart=maybe': `[program:r1]\n${C}\nautostart=maybe\n`,
  'autostart=false#x (no space: one word)': `[program:r2]\n${C}\nautostart=false#x\n`,
  'priority=0x10': `[program:r3]\n${C}\npriority=0x10\n`,
  'a name with a space': `[program:a b]\n${C}\n`,
  'an option before any section': `${C}\n[program:r5]\n${C}\n`,
  'a line that is no key=value': `[program:r6]\n${C}\ngarbage\n`,
  'an empty program in a group': `[group:rg]\nprograms=r7,\n[program:r7]\n${C}\n`,
  'an unknown expansion': `[program:r8]\n${C}\npriority=%(nope)s\n`,
  'a byte order mark (Python reads it as data)': `\ufeff[program:r9]\n${C}\n`,
};

interface Row {
  name: string;
  group: string;
  autostart: boolean;
  group_prio: number;
  process_prio: number;
  command: string;
}

// What supervisord's getAllConfigInfo should hold for a file, from supha's reading of it.
function expectedRows(text: string): Row[] {
  const entries = entriesOf(text, 'case.conf');
  const values = new Map(parseIni(text).map((s) => [s.name.slice(s.name.indexOf(':') + 1).trim(), s.values]));
  const groups = entries.filter((e) => e.kind === 'group');
  const rows: Row[] = [];
  for (const e of entries.filter((x) => x.kind !== 'group')) {
    const g: RegistryEntry = groups.find((x) => x.programs.includes(e.name)) ?? e;
    const v = values.get(e.name) ?? {};
    // An event listener pool's priority defaults to -1, its process's (the program's) to 999.
    const process_prio = e.kind === 'eventlistener' ? Number(v.priority ?? 999) : e.priority;
    rows.push({ name: e.name, group: g.name, autostart: e.autostart, group_prio: g.priority, process_prio, command: v.command ?? '' });
  }
  return rows.sort((a, b) => (a.name < b.name ? -1 : 1));
}

describe('registry confs read as supervisord 4.2.5 reads them', () => {
  let sv: Supervisord;
  let file: string;
  before(async () => {
    // supervisord expands %(ENV_X)s from its environment, inherited from this process.
    process.env.SUPHA_TEST_BOOL = 'false';
    sv = await startSupervisord();
    file = join(sv.registryDir, 'case.conf');
  });
  after(async () => sv?.stop());

  // supervisord's reading: the config info rows once the file is included, or the fault.
  async function supervisordReads(text: string): Promise<Row[] | SupervisorFault> {
    await writeFile(file, text);
    try {
      await sv.client().reloadConfig();
      const info = (await sv.client().getAllConfigInfo()) as unknown as Row[];
      return info.map(({ name, group, autostart, group_prio, process_prio, command }) => ({ name, group, autostart, group_prio, process_prio, command }));
    } catch (err) {
      if (err instanceof SupervisorFault) return err;
      throw err;
    } finally {
      await rm(file, { force: true });
    }
  }

  test('registry files are the ones the shipped [include] glob *.conf loads', async () => {
    const names = ['in.conf', 'other.ini', '.hidden.conf', '~tilde.conf', 'x.conf~', 'UP.CONF'];
    for (const n of names) await writeFile(join(sv.registryDir, n), `[program:${n.replace(/[^a-z]/gi, '')}]\n${C}\n`);
    try {
      await sv.client().reloadConfig();
      const loaded = (await sv.client().getAllConfigInfo()).map((i) => i.name).sort();
      const ours = names
        .filter(isRegistryFile)
        .map((n) => n.replace(/[^a-z]/gi, ''))
        .sort();
      assert.deepEqual(ours, loaded);
      assert.ok(loaded.length > 0);
    } finally {
      for (const n of names) await rm(join(sv.registryDir, n), { force: true });
    }
  });

  for (const [what, text] of Object.entries(ACCEPTED)) {
    test(`accepted: ${what}`, async () => {
      const theirs = await supervisordReads(text);
      assert.ok(Array.isArray(theirs) && theirs.length > 0, `supervisord refused or read nothing: ${String(theirs)}`);
      assert.deepEqual(expectedRows(text), theirs);
    });
  }
  for (const [what, text] of Object.entries(REFUSED)) {
    test(`refused: ${what}`, async () => {
      const theirs = await supervisordReads(text);
      assert.ok(theirs instanceof SupervisorFault && theirs.fault === 'CANT_REREAD', `supervisord did not refuse it: ${JSON.stringify(theirs)}`);
      assert.throws(() => entriesOf(text, 'case.conf'), IniError);
    });
  }
});
