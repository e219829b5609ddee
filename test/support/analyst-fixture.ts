import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AccountStore } from '../../src/accounts/store';
import { startDatadogSandbox } from '../../src/demo/sandbox';
import { loadScenario } from '../../src/demo/scenario';
import type { EvidenceBundle } from '../../src/evidence/bundle';
import { loadSecretBox } from '../../src/secret-box';
import { createSimilarityProviders } from '../../src/similarity/providers';
import { createTestDatabase } from './harness';

/** The scenario the analyst activity tests investigate, with its stored evidence bundle. */
export const SCENARIO = 'checkout-service-error-rate-spike';
export const fixture = JSON.parse(fs.readFileSync(path.resolve(__dirname, `../fixtures/evidence/${SCENARIO}.json`), 'utf8')) as {
  bundle: EvidenceBundle;
};
export const scenarioFile = path.resolve(__dirname, `../../scenarios/${SCENARIO}.json`);

/** A report that satisfies the schema, as a model would submit it. */
export const REPORT = {
  summary: 'Checkout errors rose after the v4.12.0 deployment.',
  root_cause: 'The checkout-service v4.12.0 deployment broke payment calls.',
  category: 'deployment',
  confidence: 0.8,
  hypotheses: [
    {
      category: 'deployment',
      culprit: 'checkout-service v4.12.0',
      statement: 'The checkout-service v4.12.0 deployment broke payment calls.',
      score: 0.8,
      supporting: [
        { claim: 'deploy of v4.12.0 seven minutes before the alert', source: 'events' },
        { claim: 'payment client errors start after the deploy', source: 'logs' },
      ],
      against: [],
    },
    {
      category: 'dependency_failure',
      culprit: 'payment gateway',
      statement: 'The payment gateway is failing.',
      score: 0.2,
      supporting: [],
      against: [{ claim: 'the gateway answers other services', source: 'logs' }],
    },
  ],
  evidence: [{ claim: 'deploy of v4.12.0 seven minutes before the alert', source: 'events' }],
  remediation: ['roll back checkout-service to v4.11.x'],
  missing_data: [],
};

/**
 * What the analyst activities talk to: a test database, the Datadog sandbox seeded with the
 * scenario at the bundle's alert time, the real account store (account "brightcart" points at
 * the sandbox) and the default similarity providers.
 */
export async function startAnalystBackends() {
  const database = await createTestDatabase();
  const sandbox = await startDatadogSandbox({
    apiKey: 'k',
    appKey: 'a',
    scenario: loadScenario(scenarioFile),
    alertTime: new Date(fixture.bundle.alert.alertTime),
  });
  const accounts = new AccountStore(database.db, loadSecretBox(crypto.randomBytes(32).toString('hex'), os.tmpdir()));
  await accounts.create({ name: 'brightcart', base_url: sandbox.url, api_key: 'k', app_key: 'a' });
  const similarity = createSimilarityProviders(
    { OLLAMA_URL: undefined, OLLAMA_EMBED_MODEL: 'n', QDRANT_URL: undefined, QDRANT_API_KEY: undefined, QDRANT_COLLECTION: 'c' },
    database.db,
  );
  return {
    database,
    sandbox,
    accounts,
    similarity,
    async stop() {
      await sandbox.close();
      await database.drop();
    },
  };
}
