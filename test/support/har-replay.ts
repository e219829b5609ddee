import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export const CASSETTES_DIR = path.join(__dirname, '..', 'fixtures', 'datadog-cassettes');

export interface HarEntry {
  request: { method: string; url: string };
  response: { status: number; headers: Array<{ name: string; value: string }>; content: { text?: string } };
}

/** Cassette folders end in a hash (`Monitors_4022238206`); `v1/Monitors/Get-a-monitor…` finds them without it. */
function resolveCassette(name: string): string {
  return name.split('/').reduce((dir, part, i) => {
    if (i === 0) return path.join(dir, part);
    const match = fs.readdirSync(dir).find((entry) => entry.startsWith(`${part}_`));
    if (!match) throw new Error(`no cassette folder ${part}_* in ${dir}`);
    return path.join(dir, match);
  }, CASSETTES_DIR);
}

/** The recorded entries of a cassette, in the order they were recorded. */
export function loadCassette(name: string): HarEntry[] {
  return JSON.parse(fs.readFileSync(path.join(resolveCassette(name), 'recording.har'), 'utf8')).log.entries;
}

/** `GET /api/v1/monitor/{id}`: `{id}` stands for any one path segment. */
export function requestMatches(pattern: string, method: string, pathname: string): boolean {
  const [patternMethod, patternPath] = pattern.split(' ');
  if (patternPath === undefined) throw new Error(`the request pattern "${pattern}" is not "METHOD /path"`);
  const source = patternPath
    .split('/')
    .map((s) => (s === '{id}' ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return patternMethod === method && new RegExp(`^${source}$`).test(decodeURIComponent(pathname));
}

/** Picks, in recorded order, one entry for each request pattern. */
export function recordedResponses(entries: HarEntry[], patterns: string[]): Array<{ pattern: string; entry: HarEntry }> {
  const unused = [...entries];
  return patterns.map((pattern) => {
    const index = unused.findIndex((e) => requestMatches(pattern, e.request.method, new URL(e.request.url).pathname));
    const entry = unused[index];
    if (entry === undefined) throw new Error(`the cassette has no (further) response for ${pattern}`);
    unused.splice(index, 1);
    return { pattern, entry };
  });
}

export interface HarReplay {
  url: string;
  /** Replaces what is queued: each request takes the next response and must match its pattern. */
  play(responses: Array<{ pattern: string; entry: HarEntry }>): void;
  /** How many queued responses no request has taken. */
  unplayed(): number;
  /** Requests that did not match what was queued (or found nothing queued). */
  problems: string[];
  close(): Promise<void>;
}

/** A loopback server that answers with recorded Datadog responses, byte for byte. */
export async function startHarReplay(): Promise<HarReplay> {
  const queued: Array<{ pattern: string; entry: HarEntry }> = [];
  const problems: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume().on('end', () => {
      const next = queued.shift();
      const pathname = new URL(req.url ?? '/', 'http://replay').pathname;
      if (!next || !requestMatches(next.pattern, req.method ?? '', pathname)) {
        problems.push(`${req.method} ${pathname} while expecting ${next?.pattern ?? 'nothing'}`);
        res.writeHead(599, { 'content-type': 'application/json' }).end('{"errors":["unexpected request"]}');
        return;
      }
      const { status, headers, content } = next.entry.response;
      const contentType = headers.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? 'application/json';
      res.writeHead(status, { 'content-type': contentType }).end(content.text ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    play: (responses) => void queued.splice(0, queued.length, ...responses),
    unplayed: () => queued.length,
    problems,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
