import { createStoreActivities, type StoreDeps } from './store';

export type ActivityDeps = StoreDeps;

/** Every activity the worker registers, built over injected clients. */
export const createActivities = (deps: ActivityDeps) => ({
  ...createStoreActivities(deps),
});

export type Activities = ReturnType<typeof createActivities>;
