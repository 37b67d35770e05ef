// Program names as supzcli takes them: `name`, `group:*` (the whole group), `group:process`.

// supervisorctl's split_namespec: `g:` and `g:*` mean the whole group (process undefined).
export function splitNamespec(name: string): { group: string; process: string | undefined } {
  const i = name.indexOf(':');
  if (i < 0) return { group: name, process: name };
  const process = name.slice(i + 1);
  return { group: name.slice(0, i), process: process === '' || process === '*' ? undefined : process };
}

const PART = /^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$/;

// Why a name is refused before anything is touched, or undefined when it is fine. Names never
// reach a shell or a path, but a `/`, `..`, a glob or a shell character is a typo or worse.
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'an empty name';
  if (name.includes('/')) return 'it has a "/" (give the program name, not a path)';
  if (name.includes('..')) return 'it has ".."';
  const { group, process } = splitNamespec(name);
  const rest = name.slice(group.length);
  const globbed = /[*?[\]{}]/.test(group) || (process !== undefined && /[*?[\]{}]/.test(process));
  if (globbed) return 'it has a glob character (name programs one by one, or a whole group as GROUP:*)';
  if (/[\s;|&$`'"<>()!\\#~%^=,]/.test(name)) return 'it has a shell character';
  if (!PART.test(group) || (process !== undefined && !PART.test(process)) || (rest !== '' && !/^:(\*|[^:]*)$/.test(rest))) {
    return 'it is not a program name (letters, digits and _ . @ + -, optionally GROUP:NAME or GROUP:*)';
  }
  return undefined;
}
