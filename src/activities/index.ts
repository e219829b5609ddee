import { type AnalysisDeps, createAnalysisActivities } from './analysis';
import { createEvidenceActivities, type EvidenceDeps } from './evidence';
import { createGithubActivities, type GithubDeps } from './github';
import { createGroupActivities, type GroupDeps } from './groups';
import { createInvestigationActivities } from './investigation';
import { createLlmActivities, type LlmDeps } from './llm';
import { createNotebookActivities } from './notebook';
import { createPrefetchActivities, type PrefetchDeps } from './prefetch';
import { createProcessorActivities, type ProcessorDeps } from './processors';
import { createStoreActivities, type StoreDeps } from './store';

export type ActivityDeps = StoreDeps & ProcessorDeps & PrefetchDeps & EvidenceDeps & AnalysisDeps & LlmDeps & GithubDeps & GroupDeps;

/** Every activity the worker registers, built over injected clients. */
export const createActivities = (deps: ActivityDeps) => ({
  ...createStoreActivities(deps),
  ...createProcessorActivities(deps),
  ...createPrefetchActivities(deps),
  ...createEvidenceActivities(deps),
  ...createAnalysisActivities(deps),
  ...createInvestigationActivities(deps),
  ...createLlmActivities(deps),
  ...createNotebookActivities(deps),
  ...createGithubActivities(deps),
  ...createGroupActivities(deps),
});

export type Activities = ReturnType<typeof createActivities>;
