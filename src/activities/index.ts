import { createProcessorActivities, type ProcessorDeps } from './processors';
import { createStoreActivities, type StoreDeps } from './store';

export type ActivityDeps = StoreDeps & ProcessorDeps;

/** Every activity the worker registers, built over injected clients. */
export const createActivities = (deps: ActivityDeps) => ({
  ...createStoreActivities(deps),
  ...createProcessorActivities(deps),
});

export type Activities = ReturnType<typeof createActivities>;
