import { client, v1 } from '@datadog/datadog-api-client';
import type { AccountCredentials } from '../accounts/store';

export interface KeyValidation {
  valid: boolean;
  status?: number;
  message: string;
}

/** Asks Datadog's key validation endpoint (GET /api/v1/validate) of the account's site whether its API key is valid. */
export async function validateDatadogKeys(account: AccountCredentials, timeoutMs = 10_000): Promise<KeyValidation> {
  const configuration = client.createConfiguration({
    authMethods: { apiKeyAuth: account.apiKey, appKeyAuth: account.appKey },
    baseServer: new client.BaseServerConfiguration(account.baseUrl.replace(/\/+$/, ''), {}),
    httpConfig: { signal: AbortSignal.timeout(timeoutMs) } as never,
  });
  try {
    const result = await new v1.AuthenticationApi(configuration).validate();
    return { valid: result.valid === true, status: 200, message: result.valid ? 'API key is valid' : 'Datadog did not confirm the key' };
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === 403 || code === 401) return { valid: false, status: code, message: `Datadog rejected the API key (${code})` };
    return { valid: false, status: code, message: `could not reach Datadog at ${account.baseUrl}: ${(err as Error).message}` };
  }
}
