// One line of `supha doctor`: what was checked, the verdict, what was seen, and how to fix it.
export type Verdict = 'ok' | 'fail' | 'warn' | 'skip';

export interface Check {
  name: string;
  verdict: Verdict;
  detail: string;
  fix?: string;
}

export const ok = (name: string, detail: string): Check => ({ name, verdict: 'ok', detail });
export const fail = (name: string, detail: string, fix: string): Check => ({ name, verdict: 'fail', detail, fix });
export const warn = (name: string, detail: string, fix: string): Check => ({ name, verdict: 'warn', detail, fix });
export const skip = (name: string, detail: string): Check => ({ name, verdict: 'skip', detail });
