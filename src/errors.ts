import { ActivityFailure } from '@temporalio/common';

/** Thrown when Rayne cannot start as configured; the message says what to change, so the CLI prints it without a stack. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Why a scheduled activity failed, in its own words: its cause, not Temporal's "Activity task failed". Workflow-safe. */
export const failureReason = (err: unknown): string =>
  (err instanceof ActivityFailure ? (err.cause as Error | undefined)?.message : undefined) ?? (err as Error).message;
