import fs from 'node:fs';
import path from 'node:path';
import type { EvidenceBundle } from '../../src/evidence/bundle';

/** The scenario the analyst activity tests investigate, with its stored evidence bundle. */
export const SCENARIO = 'checkout-service-error-rate-spike';
export const fixture = JSON.parse(fs.readFileSync(path.resolve(__dirname, `../fixtures/evidence/${SCENARIO}.json`), 'utf8')) as { bundle: EvidenceBundle };
export const scenarioFile = path.resolve(__dirname, `../../scenarios/${SCENARIO}.json`);

/** A report that satisfies the schema, as a model would submit it. */
export const REPORT = {
  summary: 'Checkout errors rose after the v4.12.0 deployment.',
  root_cause: 'The checkout-service v4.12.0 deployment broke payment calls.',
  category: 'deployment',
  confidence: 0.8,
  evidence: [{ claim: 'deploy of v4.12.0 seven minutes before the alert', source: 'events' }],
  remediation: ['roll back checkout-service to v4.11.x'],
  missing_data: [],
};
