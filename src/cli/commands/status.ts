import { loadConfig } from '../../config/index.js';
import { clientFromConfig, formatStatusLines, programJson } from '../../supervisor/index.js';
import type { Io } from '../io.js';

export async function statusCommand(args: { config?: string | undefined; json?: boolean | undefined }, io: Io): Promise<number> {
  const cfg = await loadConfig(args.config, io.env);
  const infos = await clientFromConfig(cfg).getAllProcessInfo();
  if (args.json) io.out(JSON.stringify({ programs: infos.map(programJson) }));
  else for (const line of formatStatusLines(infos)) io.out(line);
  return 0;
}
