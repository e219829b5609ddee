import { v1 } from '@datadog/datadog-api-client';
import type { AccountCredentials } from '../accounts/store';
import { callDatadog, DatadogError } from './client';

export interface KeyValidation {
  valid: boolean;
  status?: number;
  message: string;
}

/** Asks Datadog's key validation endpoint (GET /api/v1/validate) of the account's site whether its API key is valid. */
export async function validateDatadogKeys(account: AccountCredentials, timeoutMs = 10_000): Promise<KeyValidation> {
  try {
    const result = await callDatadog(account, 'validate API key', (c) => new v1.AuthenticationApi(c).validate(), { timeoutMs });
    return { valid: result.valid === true, status: 200, message: result.valid ? 'API key is valid' : 'Datadog did not confirm the key' };
  } catch (err) {
    if (!(err instanceof DatadogError)) throw err;
    const { status } = err.data;
    if (status === 403 || status === 401) return { valid: false, status, message: `Datadog rejected the API key (${status})` };
    return { valid: false, status, message: `could not reach Datadog at ${account.baseUrl}: ${err.message}` };
  }
}
