import { toApplicationFailure } from '../errors';

/**
 * The activities, each failing with the ApplicationFailure its RayneFailure maps to, so Temporal
 * sees the code and acts on it (fail now, wait for a reset, or back off); other errors pass as they are.
 */
export function reportingFailures<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const wrap =
    (activity: (...args: never[]) => Promise<unknown>) =>
    (...args: never[]) =>
      activity(...args).catch((err: unknown) => {
        throw toApplicationFailure(err);
      });
  return Object.fromEntries(Object.entries(activities).map(([name, activity]) => [name, wrap(activity)])) as T;
}
