/** A call made after run_complete/run_error was written; only that call fails (D9). */
export class TerminalEventError extends Error {
  constructor(what = 'emit') {
    super(`cannot ${what}: a terminal event (run_complete or run_error) was already written`);
    this.name = 'TerminalEventError';
  }
}

/** The output pipe failed; every later call fails this way, with the first failure as cause. */
export class SinkFailedError extends Error {
  constructor(cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`output sink failed: ${reason}`, { cause });
    this.name = 'SinkFailedError';
  }
}

/** A storage.put filename that the runtime would refuse (empty, `/`, `\` or `..`). */
export class StorageFilenameError extends Error {
  readonly filename: string;
  constructor(filename: string, reason: string) {
    super(`invalid storage filename ${JSON.stringify(filename)}: ${reason}`);
    this.name = 'StorageFilenameError';
    this.filename = filename;
  }
}

/** A value that msgpack cannot carry faithfully; `path` names where it sits. */
export class EncodeError extends TypeError {
  readonly path: string;
  constructor(path: string, what: string) {
    super(`cannot encode ${what} at ${path}`);
    this.name = 'EncodeError';
    this.path = path;
  }
}
