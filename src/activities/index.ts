import { createEvidenceActivities, type EvidenceDeps } from './evidence';
import { createPrefetchActivities, type PrefetchDeps } from './prefetch';
import { createProcessorActivities, type ProcessorDeps } from './processors';
import { createStoreActivities, type StoreDeps } from './store';

export type ActivityDeps = StoreDeps & ProcessorDeps & PrefetchDeps & EvidenceDeps;

/** Every activity the worker registers, built over injected clients. */
export const createActivities = (deps: ActivityDeps) => ({
  ...createStoreActivities(deps),
  ...createProcessorActivities(deps),
  ...createPrefetchActivities(deps),
  ...createEvidenceActivities(deps),
});

export type Activities = ReturnType<typeof createActivities>;
