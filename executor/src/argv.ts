export type Mode =
  | { kind: 'run'; script: string }
  | { kind: 'validate'; script: string }
  | { kind: 'browser-server'; script: string }
  | { kind: 'launch-browser'; script: string }
  | { kind: 'usage'; problem: string };

export const USAGE =
  'Usage: executor.mjs <script> | --validate <script> | --browser-server <script> | --launch-browser <script>';

const FLAG_MODES = {
  '--validate': 'validate',
  '--browser-server': 'browser-server',
  '--launch-browser': 'launch-browser',
} as const;

/** Contract §14.2; anything else is a usage error (exit 3). */
export function parseArgs(args: readonly string[]): Mode {
  if (args.length === 0) return { kind: 'usage', problem: 'missing script path' };
  const [first, ...rest] = args as [string, ...string[]];
  if (Object.prototype.hasOwnProperty.call(FLAG_MODES, first)) {
    const kind = FLAG_MODES[first as keyof typeof FLAG_MODES];
    if (rest.length !== 1 || rest[0] === '') return { kind: 'usage', problem: `${first} needs exactly one script path` };
    return { kind, script: rest[0]! };
  }
  if (first.startsWith('-')) return { kind: 'usage', problem: `unknown option ${first}` };
  if (rest.length > 0) return { kind: 'usage', problem: 'too many arguments' };
  if (first === '') return { kind: 'usage', problem: 'empty script path' };
  return { kind: 'run', script: first };
}
