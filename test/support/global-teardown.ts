import fs from 'node:fs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RunningPostgres } from '../../src/dev/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as Record<string, unknown>).__rayneTest as
    { postgres: RunningPostgres; env: TestWorkflowEnvironment; workDir: string } | undefined;
  if (!state) return;
  await Promise.allSettled([state.env.teardown(), state.postgres.stop()]);
  fs.rmSync(state.workDir, { recursive: true, force: true });
}
