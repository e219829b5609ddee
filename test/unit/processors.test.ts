import { rateLimitResetMs } from '../../src/datadog/client';
import { codeOfStatus, FATAL_CODES } from '../../src/errors';
import { RAYNE_WEBHOOK_PAYLOAD } from '../../src/datadog/webhook-template';
import { DatadogAlertSchema } from '../../src/intake/datadog-payload';
import {
  defaultProcessorConfig,
  enabledTargets,
  mergeProcessorConfig,
  ProcessorConfigInput,
  redactUrl,
  viewProcessorConfig,
  withoutUrlSecrets,
} from '../../src/processors/config';
import { datadogAppUrl } from '../../src/datadog/links';
import { type AlertEvent, groupSlackMessage, notifyMessage, slackMessage } from '../../src/processors/messages';
import { selectProcessors } from '../../src/workflows/processor-selection';
import type { Tier1Plan, TransitionDecision } from '../../src/contracts/incident';

const decision = (overrides: Partial<TransitionDecision> = {}): TransitionDecision => ({
  status: 'Alert',
  episode: 1,
  startRca: true,
  closesIncident: false,
  repeat: false,
  ...overrides,
});

const config = mergeProcessorConfig(
  defaultProcessorConfig(),
  ProcessorConfigInput.parse({
    notify: { urls: ['http://notify.local/a'] },
    forward: { urls: ['https://forward.local/in?token=t'], statuses: ['Alert', 'OK'] },
    slack: { webhook_url: 'https://hooks.slack.com/services/T/B/secret' },
    downtime: { enabled: true },
  }),
);
const plan = (overrides: Partial<Tier1Plan> = {}): Tier1Plan => ({
  targets: enabledTargets(config),
  runOn: 'every_transition',
  flapping: { transitions: 4, windowMinutes: 30 },
  transitionsInWindow: 1,
  ...overrides,
});
const names = (tasks: { processor: string }[]) => tasks.map((t) => t.processor);

describe('selectProcessors', () => {
  it('runs each target configured for the status', () => {
    expect(names(selectProcessors(plan(), decision()).tasks)).toEqual(['notify', 'forward', 'slack']);
    const ok = selectProcessors(plan(), decision({ status: 'OK', closesIncident: true, startRca: false }));
    expect(names(ok.tasks)).toEqual(['notify', 'forward', 'slack', 'downtime']);
    const warn = selectProcessors(plan(), decision({ status: 'Warn' }));
    expect(warn.skipped.map((s) => [s.processor, s.reason])).toEqual([
      ['forward', 'not configured for Warn'],
      ['downtime', 'not configured for Warn'],
    ]);
  });

  it('skips repeats only when configured for state changes', () => {
    expect(selectProcessors(plan(), decision({ repeat: true })).tasks).toHaveLength(3);
    const changesOnly = selectProcessors(plan({ runOn: 'state_changes' }), decision({ repeat: true }));
    expect(changesOnly.tasks).toEqual([]);
    expect(selectProcessors(plan({ runOn: 'state_changes' }), decision()).tasks).toHaveLength(3);
  });

  it('replaces pages with one Slack flapping notice, then stays quiet while flapping', () => {
    const below = selectProcessors(plan({ transitionsInWindow: 3 }), decision());
    expect(below.flapping).toBe(false);
    const starts = selectProcessors(plan({ transitionsInWindow: 4 }), decision());
    expect(starts.tasks.map((t) => [t.processor, t.mode])).toEqual([
      ['forward', 'transition'],
      ['slack', 'flapping'],
    ]);
    const during = selectProcessors(plan({ transitionsInWindow: 7 }), decision());
    expect(names(during.tasks)).toEqual(['forward']);
    expect(during.skipped.map((s) => s.processor)).toEqual(['notify', 'slack', 'downtime']);
  });
});

describe('processor settings', () => {
  it('never shows secrets and identifies URL targets by hash', () => {
    const shown = JSON.stringify(viewProcessorConfig(config));
    expect(shown).not.toContain('/B/secret');
    expect(shown).not.toContain('token=t');
    const forward = enabledTargets(config).find((t) => t.processor === 'forward')!;
    expect(forward.target).toMatch(/^[0-9a-f]{16}$/);
    expect(forward.label).toBe('https://forward.local/in?…');
    expect(redactUrl('http://a.local:8080/x#frag')).toBe('http://a.local:8080/x');
  });

  it('refuses a new URL that carries credentials, naming the field, in every section that takes URLs', () => {
    for (const [section, body] of [
      ['notify', { notify: { urls: ['https://ok.local/a', 'http://user:PASS@notify.local/a'] } }],
      ['forward', { forward: { urls: ['https://user@forward.local/in'] } }],
      ['slack', { slack: { webhook_url: 'https://:PASS@hooks.slack.local/x' } }],
    ] as const) {
      const parsed = ProcessorConfigInput.safeParse(body);
      expect(parsed.success).toBe(false);
      expect(parsed.error!.issues[0]!.path[0]).toBe(section);
      expect(parsed.error!.issues[0]!.message).toContain('credentials');
    }
    // An @ in the path or query is not a credential.
    expect(ProcessorConfigInput.safeParse({ notify: { urls: ['https://notify.local/to/ops@example.com?cc=a@b'] } }).success).toBe(true);
  });

  it("takes credentials and tokens out of the URLs an error quotes, as Node's fetch quotes them", async () => {
    const url = 'http://user:PASS@127.0.0.1:9/hook?token=T0K3N';
    const message = await fetch(url).then(
      () => '',
      (err: Error) => err.message,
    );
    // Node refuses a URL with credentials, and says which.
    expect(message).toContain('PASS');
    const scrubbed = withoutUrlSecrets(message);
    expect(scrubbed).not.toMatch(/PASS|T0K3N|user:/);
    expect(scrubbed).toContain('http://127.0.0.1:9/hook?…');
    expect(withoutUrlSecrets('no url here')).toBe('no url here');
  });

  it('keeps a stored secret when an update omits it, and replaces only the sections given', () => {
    const withSecret = mergeProcessorConfig(
      config,
      ProcessorConfigInput.parse({ forward: { urls: ['http://f.local'], signing_secret: 's'.repeat(20) } }),
    );
    const updated = mergeProcessorConfig(withSecret, ProcessorConfigInput.parse({ forward: { urls: ['http://g.local'] } }));
    expect(updated.forward).toMatchObject({ urls: ['http://g.local'], signing_secret: 's'.repeat(20) });
    expect(updated.slack.webhook_url).toBe('https://hooks.slack.com/services/T/B/secret');
    expect(updated.downtime.enabled).toBe(true);
  });

  it('defaults downtime to the old behaviour: off until enabled, then mute recovered monitors for two hours', () => {
    expect(defaultProcessorConfig().downtime).toMatchObject({ enabled: false, statuses: ['OK'], duration_minutes: 120, scope: '*' });
    expect(enabledTargets(defaultProcessorConfig())).toEqual([]);
  });
});

describe('messages', () => {
  const event: AlertEvent = {
    id: '42',
    account: 'default',
    status: 'Warn',
    monitorId: '7',
    monitorName: 'Latency',
    title: 'p99 above 2s',
    message: 'checkout p99 2.4s',
    hostname: 'web-1',
    service: 'checkout',
    scope: 'service:checkout',
    workflowId: 'incident/default/7/service:checkout',
  };

  it('maps Datadog API sites to their web apps', () => {
    expect(datadogAppUrl('https://api.datadoghq.com')).toBe('https://app.datadoghq.com');
    expect(datadogAppUrl('https://api.datadoghq.eu/')).toBe('https://app.datadoghq.eu');
    expect(datadogAppUrl('https://api.us5.datadoghq.com')).toBe('https://us5.datadoghq.com');
    expect(datadogAppUrl('https://api.ddog-gov.com')).toBe('https://app.ddog-gov.com');
    expect(datadogAppUrl('http://127.0.0.1:9999')).toBe('http://127.0.0.1:9999');
  });

  it('keeps the old notify title format', () => {
    expect(notifyMessage(event, {})).toMatchObject({ title: '[Warn] p99 above 2s', message: 'checkout p99 2.4s', urgency: 'normal' });
  });

  it('colours Slack messages by status and lists the links it has', () => {
    const message = slackMessage(event, { monitor: 'https://app/monitors/7', temporalRun: 'http://ui/run' }, 'transition');
    expect(message.attachments![0]!.color).toBe('#f2a900');
    const text = JSON.stringify(message);
    expect(text).toContain('<https://app/monitors/7|Monitor>');
    expect(text).toContain('<http://ui/run|Temporal run>');
    expect(text).not.toContain('|RCA>');
    expect(slackMessage(event, {}, 'flapping', '4+ transitions in 30 min').text).toMatch(/^:warning: Flapping/);
  });

  it("reports a group's RCA over its members, bounded, with its links", () => {
    const members = Array.from({ length: 12 }, (_, i) => ({ monitorId: String(i), hostname: 'db-01', status: 'Alert' }));
    const group = {
      memberCount: 12,
      services: ['orders'],
      hosts: ['db-01'],
      members,
      rootCause: 'the primary failed over',
      verdict: 'confirmed',
    };
    const report = JSON.stringify(groupSlackMessage(group, { group: 'https://r/groups/g1', notebook: 'https://dd/notebook/1' }, 'report'));
    expect(report).toContain('12 alerts, one incident: orders');
    expect(report).toContain('the primary failed over');
    expect(report).toContain('… and 2 more');
    expect(report).toContain('<https://r/groups/g1|Group>');
    const resolved = groupSlackMessage(group, {}, 'resolved');
    expect(resolved.text).toBe(':large_green_circle: Resolved: 12 grouped alerts on orders');
    expect(JSON.stringify(resolved)).not.toContain('failed over');
  });
});

describe('Datadog retry advice', () => {
  it('waits for the rate-limit reset on 429, retries 5xx and network errors, fails fast on client errors', () => {
    const fatal = (status: number | undefined) => FATAL_CODES.includes(codeOfStatus(status));
    expect(rateLimitResetMs(429, { 'x-ratelimit-reset': '7' })).toBe(7000);
    expect(rateLimitResetMs(429, {})).toBeUndefined();
    expect(rateLimitResetMs(503, { 'retry-after': '7' })).toBeUndefined();
    for (const status of [429, 503, undefined]) expect(fatal(status)).toBe(false);
    for (const status of [400, 401, 403, 404]) expect(fatal(status)).toBe(true);
  });
});

describe('the Datadog webhook payload template', () => {
  it('produces a payload the intake accepts once Datadog fills it in', () => {
    const filled = JSON.parse(
      JSON.stringify(RAYNE_WEBHOOK_PAYLOAD)
        .replace(/"\$ALERT_ID"/g, '"4821"')
        .replace('"$ALERT_TRANSITION"', '"Triggered"')
        .replace('"$TAGS"', '"env:prod,service:api"')
        .replace('"$DATE"', '"1706540400000"')
        .replace('"$LAST_UPDATED"', '"1706540400000"')
        .replace(/"\$[A-Z_]+"/g, '"x"'),
    );
    const parsed = DatadogAlertSchema.parse(filled);
    expect(parsed).toMatchObject({ monitor_id: '4821', alert_status: 'Alert', tags: ['env:prod', 'service:api'] });
  });
});
