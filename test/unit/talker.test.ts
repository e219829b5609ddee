import type { SeenLine } from '../../src/analysis/investigator/observations';
import { topTalker } from '../../src/analysis/investigator/talker';

const ONSET = Date.parse('2026-11-24T03:00:00Z');
const line = (example: string, minutesFromOnset: number, count = 40, template = example): SeenLine => ({
  template,
  example,
  count,
  level: 'warn',
  firstSeen: ONSET + minutesFromOnset * 60_000,
  lastSeen: ONSET + 20 * 60_000,
  hosts: ['mq-01'],
  services: ['broker'],
  why: [],
  query: '',
});

describe('the top talker behind a trouble', () => {
  it('names the client that the new lines around the onset name most, and not the message or a size', () => {
    const own = [line('msg: dispatch_slow, username: debug-console, clientid: web-7f3a, time_ms: 8421', -5)];
    const elsewhere = [line('msg: dispatch_slow, username: debug-console, clientid: web-19c2, time_ms: 7904', -4)];
    expect(topTalker(own, [...own, ...elsewhere], ONSET, new Set())).toBe('debug-console');
  });

  it('finds a hot record and a crawler by its user agent', () => {
    const key = [line('{"path":"/v1/vessels/9784312/track","status":504}', -3), line('{"msg":"slow query","imo":9784312}', -2)];
    expect(topTalker(key, key, ONSET, new Set())).toBe('9784312');
    const crawler = [
      line(
        '{"status":503,"user_agent":"Scrapy/2.11.2 (+https://scrapy.org)"}',
        -6,
        45,
        '{"status":<*>,"user_agent":"Scrapy/2.11.2 (+https://scrapy.org)"}',
      ),
    ];
    expect(topTalker(crawler, crawler, ONSET, new Set())).toBe('Scrapy');
  });

  it('says nothing from lines long before the onset, from one line’s own ids, or for names already on the chain', () => {
    const old = [line('class=ExportJob jid=aa11', -90), line('class=ExportJob jid=bb22', -80)];
    expect(topTalker(old, old, ONSET, new Set())).toBeUndefined();
    const single = [line('request id=req-5c2e7b failed', -1, 1, 'request id=<*> failed')];
    expect(topTalker(single, single, ONSET, new Set())).toBeUndefined();
    const known = [line('upstream=rates-api slow', -2), line('upstream=rates-api timeout', -1)];
    expect(topTalker(known, known, ONSET, new Set(['rates-api']))).toBeUndefined();
  });
});
