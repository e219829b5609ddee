import { loadSystem, LOGHUB_SYSTEMS } from '../../bench/loghub';
import { rankBySuspicion } from '../../src/logs/suspicion';
import { TemplateMiner, type LineMeta } from '../../src/logs/template-miner';
import { isValueToken, tokenize } from '../../src/logs/tokenize';

function mine(lines: string[], meta?: (i: number) => LineMeta): TemplateMiner {
  const miner = new TemplateMiner();
  lines.forEach((line, i) => miner.add(line, meta?.(i)));
  return miner;
}

const templatesOf = (lines: string[]) => {
  const miner = mine(lines);
  return lines.map((l) => miner.templateOf(l));
};

/** A deterministic generator (mulberry32), so a failing sample can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('tokenize', () => {
  it('keeps the separators, so a template reads like its lines', () => {
    const { tokens, seps } = tokenize('  Received block blk_-42 src: /10.0.0.1:5001 dest:  /10.0.0.2:50010  ');
    expect(tokens).toEqual(['Received', 'block', 'blk_-42', 'src', '/10.0.0.1', '5001', 'dest', '/10.0.0.2', '50010']);
    expect(seps).toEqual(['', ' ', ' ', ' ', ': ', ':', ' ', ': ', ':', '']);
  });

  it('leaves a closing full stop or ellipsis in the separator, not in a token of its own', () => {
    expect(tokenize('Starting service... done.')).toEqual({
      tokens: ['Starting', 'service', 'done'],
      seps: ['', ' ', '... ', '.'],
      variable: [false, false, false],
    });
  });

  it('tells values from names by their shape', () => {
    for (const value of [
      '42',
      '-1',
      '0x1f3a',
      '10.0.0.1',
      '65020ms',
      'blk_-4411589',
      'mesos-slave-07',
      'attempt_1445_0020_m_000001_0',
      'b9000564-fe1a-409b-b8cc-1e88b294cd1d',
      'true',
      'null',
      'steps1514044800223',
    ]) {
      expect([value, isValueToken(value)]).toEqual([value, true]);
    }
    for (const name of [
      'jk2_init',
      'HttpServer2$QuotingInputFilter',
      'log4j',
      'hadoop-metrics2.properties',
      'SCREEN_ON',
      'UTF8',
      'sha256',
    ]) {
      expect([name, isValueToken(name)]).toEqual([name, false]);
    }
  });

  it('reads a MAC or IPv6 address as one value, and keeps a time or `Class::method` apart at its colons', () => {
    expect(tokenize('DHCPACK to 00:1a:2b:3c:4d:5e via eth0')).toMatchObject({
      tokens: ['DHCPACK', 'to', '00:1a:2b:3c:4d:5e', 'via', 'eth0'],
      variable: [false, false, true, false, false],
    });
    expect(tokenize('listening on fe80::1ff:fe23:4567:890a port 22').tokens).toEqual([
      'listening',
      'on',
      'fe80::1ff:fe23:4567:890a',
      'port',
      '22',
    ]);
    expect(tokenize('at 02:38:23 in Store::Apply').tokens).toEqual(['at', '02', '38', '23', 'in', 'Store', 'Apply']);
  });

  it('reads user@host as one value, but keeps an object and its hash apart', () => {
    expect(tokenize('mail for alice.b@mail.example.com queued')).toMatchObject({
      tokens: ['mail', 'for', 'alice.b@mail.example.com', 'queued'],
      variable: [false, false, true, false],
    });
    expect(tokenize('login root@web-3 ok').tokens).toEqual(['login', 'root@web-3', 'ok']);
    expect(tokenize('callback KeyguardMonitor@712d093').tokens).toEqual(['callback', 'KeyguardMonitor', '712d093']);
    expect(tokenize('Started Server$Connector@0.0.0.0:80').tokens).toEqual(['Started', 'Server$Connector', '0.0.0.0', '80']);
  });

  it('reads host names, day and month names, default accounts and numbers after a mark as values', () => {
    for (const value of ['mail.example.com', 'proxy.cs.example.edu.hk', 'host.co.jp', 'Sun', 'JUL', 'root', 'Admin', '<1', '*64', '~3'])
      expect([value, isValueToken(value)]).toEqual([value, true]);
    for (const name of ['chrome.exe', 'mapred.task.id', 'com.example.health', 'org.apache.Foo', 'Sunday', 'May2', 'ssh2', 'eth0'])
      expect([name, isValueToken(name)]).toEqual([name, false]);
  });

  it('reads a URL after its scheme, a path after its slash and a compact key=value value as one token', () => {
    expect(tokenize('Input split: hdfs://10.1.1.1:9000/logs/a.log:0+7292').tokens).toEqual([
      'Input',
      'split',
      'hdfs',
      '10.1.1.1:9000/logs/a.log:0+7292',
    ]);
    expect(tokenize('GET /v2/servers?all=True&x=1 HTTP/1.1').tokens).toEqual(['GET', '/v2/servers?all=True&x=1', 'HTTP', '1.1']);
    expect(tokenize('manager=com.acme.c@8a2a501 steps=1##2##3').tokens).toEqual(['manager', 'com.acme.c@8a2a501', 'steps', '1##2##3']);
  });
});

describe('TemplateMiner', () => {
  it('writes values in place, whatever the format', () => {
    expect(
      templatesOf([
        '10.251.73.220:50010 Served block blk_-7724713468912166542 to /10.251.203.80',
        'Accepted password for alice from 192.168.1.10 port 52144 ssh2',
        'user_id=42 action=checkout status=failed elapsed=1.5s',
        'Connecting to driver: spark://CoarseGrainedScheduler@10.10.34.11:48069',
        'Deleting block blk_1781953582842324563 file /mnt/hadoop/dfs/data/current/subdir5/blk_1781953582842324563',
        'Notification: 3 (n.leader), 0x700000197 (n.zxid), LOOKING (n.state)',
        'Port 8080 is open.',
      ]),
    ).toEqual([
      '<*>:<*> Served block <*> to <*>',
      'Accepted password for alice from <*> port <*> ssh2',
      'user_id=<*> action=checkout status=failed elapsed=<*>',
      'Connecting to driver: spark://<*>',
      'Deleting block <*> file <*>',
      'Notification: <*> (n.leader), <*> (n.zxid), LOOKING (n.state)',
      'Port <*> is open.',
    ]);
  });

  it('keeps a few words used often apart (HTTP methods, states) and merges a place with many words', () => {
    const methods = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD'];
    // Mostly GET; each of the others now and then, as in an access log.
    const requests = Array.from(
      { length: 60 },
      (_, i) => `10.0.0.${i} "${i % 10 === 9 ? methods[1 + (((i / 10) | 0) % 5)] : 'GET'} /api/items/${i}" status: 200`,
    );
    const classes = [
      'EventType',
      'TaskEventType',
      'JobEventType',
      'SpeculatorEventType',
      'ContainerAllocatorEventType',
      'CommitterEventType',
      'JobFinishEventType',
    ];
    const registrations = classes.map((c) => `Registering class ${c} for class ${c}Dispatcher`);
    const templates = templatesOf([...requests, ...registrations]);
    expect(new Set(templates.slice(0, 60))).toEqual(new Set(methods.map((m) => `<*> "${m} <*>" status: <*>`)));
    expect(new Set(templates.slice(60))).toEqual(new Set(['Registering class <*> for class <*>']));
  });

  it('writes a list of values of varying length, and a quantity with a varying unit, as one value', () => {
    expect(
      templatesOf([
        'ask 10.0.0.1:50010 to delete blk_1',
        'ask 10.0.0.2:50010 to delete blk_1 blk_2 blk_3',
        'Block rdd_1 stored (estimated size 5.2 KB, free 317.1 KB)',
        'Block rdd_2 stored (estimated size 93.0 B, free 317.0 KB)',
      ]),
    ).toEqual([
      'ask <*>:<*> to delete <*>',
      'ask <*>:<*> to delete <*>',
      'Block <*> stored (estimated size <*>, free <*> KB)',
      'Block <*> stored (estimated size <*>, free <*> KB)',
    ]);
  });

  it('generalises a template as lines arrive, and every line gets the final one', () => {
    const miner = new TemplateMiner();
    miner.add('Opening proxy : MININT-FNANLI5.corp:52368');
    expect(miner.templateOf('Opening proxy : MININT-FNANLI5.corp:52368')).toBe('Opening proxy : MININT-FNANLI5.corp:<*>');
    miner.add('Opening proxy : 04DN8IQ.corp:54883');
    expect(miner.templateOf('Opening proxy : MININT-FNANLI5.corp:52368')).toBe('Opening proxy : <*>:<*>');
    expect(miner.templates().map((t) => t.template)).toEqual(['Opening proxy : <*>:<*>']);
  });

  it('keeps two messages apart when they differ in more than the value', () => {
    const lines = [
      'Client attempting to establish new session at /10.0.0.1:33425',
      'Client attempting to renew session 0x24ed9311 at /10.0.0.2:37115',
    ];
    expect(templatesOf(lines)).toEqual([
      'Client attempting to establish new session at <*>:<*>',
      'Client attempting to renew session <*> at <*>:<*>',
    ]);
  });

  it('counts lines per template with their times, hosts, services, levels and first example', () => {
    const t0 = Date.parse('2024-05-01T10:00:00Z');
    const miner = mine(
      ['disk full on /dev/sda1', 'started worker 1', 'disk full on /dev/sdb1', 'started worker 2', 'disk full on /dev/sda1'],
      (i) => ({
        at: new Date(t0 + i * 30_000),
        host: `web-${i % 2}`,
        service: 'api',
        level: i === 4 ? 'WARN' : 'ERROR',
      }),
    );
    const [disk, worker] = miner.templates();
    expect(disk).toMatchObject({
      template: 'disk full on <*>',
      count: 3,
      firstLine: 1,
      lastLine: 5,
      example: 'disk full on /dev/sda1',
      firstSeen: new Date(t0),
      lastSeen: new Date(t0 + 120_000),
      levels: { error: 2, warn: 1 },
    });
    expect([...disk!.hosts].sort()).toEqual(['web-0']);
    expect([...disk!.services]).toEqual(['api']);
    expect([...disk!.perMinute.values()].reduce((a, b) => a + b)).toBe(3);
    expect(worker).toMatchObject({ template: 'started worker <*>', count: 2, firstLine: 2, lastLine: 4 });
    expect([...worker!.hosts]).toEqual(['web-1']);
  });

  it('gives an empty message an empty template', () => {
    expect(templatesOf(['', '   '])).toEqual(['', '']);
  });

  it('keeps an id while its template generalises', () => {
    const miner = new TemplateMiner();
    miner.add('Opening proxy : MININT-FNANLI5.corp:52368');
    const [first] = miner.templates();
    miner.add('Opening proxy : 04DN8IQ.corp:54883');
    expect(miner.templates().map((t) => [t.id, t.template])).toEqual([[first!.id, 'Opening proxy : <*>:<*>']]);
  });

  it('splits on a place with few distinct words and writes a place with many as a value', () => {
    const states = ['state is alpha', 'state is beta', 'state is gamma'];
    const classes = Array.from(
      { length: 8 },
      (_, i) => `loaded ${['Alpha', 'Beta', 'Gamma', 'Delta', 'Epsilon', 'Zeta', 'Eta', 'Theta'][i]}Handler`,
    );
    expect(templatesOf([...states, ...classes])).toEqual([...states, ...classes.map(() => 'loaded <*>')]);
  });

  it('writes a few names seen rarely after `=` or with slashes as a value, and keeps them apart when each is frequent', () => {
    const rare = ['login user=alice', 'login user=bob', 'opened key HKLM\\Software', 'opened key HKLM\\System'];
    expect(templatesOf(rare)).toEqual(['login user=<*>', 'login user=<*>', 'opened key <*>', 'opened key <*>']);
    const frequent = Array.from({ length: 40 }, (_, i) => (i % 2 ? 'mode=fast' : 'mode=safe'));
    expect(templatesOf(frequent)).toEqual(frequent);
  });

  it('writes ids that differ only in their digits as a value, however often each is seen', () => {
    const lines = Array.from({ length: 60 }, (_, i) => `link down on ${['eth0', 'eth1', 'wlan0'][i % 3]}`);
    expect(new Set(templatesOf(lines))).toEqual(new Set(['link down on <*>']));
  });

  it('writes a few dotted names as a value unless each is frequent, and keeps a few text words apart', () => {
    const programs = ['chrome.exe', 'chrome.exe', 'chrome.exe', 'git.exe'].map((p, i) => `${p} - connection ${i} closed`);
    expect(new Set(templatesOf(programs))).toEqual(new Set(['<*> - connection <*> closed']));
    const states = ['link up', 'link down'].flatMap((l) => [l, l]);
    expect(templatesOf(states)).toEqual(states);
  });

  it('re-reads its templates as lines accumulate, so a name that becomes frequent splits', () => {
    const miner = new TemplateMiner();
    ['mode=fast', 'mode=safe'].forEach((l) => miner.add(l));
    expect(miner.templateOf('mode=fast')).toBe('mode=<*>');
    for (let i = 0; i < 20; i++) ['mode=fast', 'mode=safe'].forEach((l) => miner.add(l));
    expect(miner.templateOf('mode=fast')).toBe('mode=fast');
  });

  it('takes its thresholds from the config it is given', () => {
    const states = ['state is alpha', 'state is beta'];
    const miner = new TemplateMiner({ maxSplitWords: 1 });
    states.forEach((l) => miner.add(l));
    expect(states.map((l) => miner.templateOf(l))).toEqual(['state is <*>', 'state is <*>']);
  });

  describe.each([1, 2, 3])('on random messages (seed %i)', (seed) => {
    const next = random(seed);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
    const letter = (i: number) => String.fromCharCode(97 + (i % 26));
    const vocabulary = Array.from({ length: 300 }, (_, i) => `w${letter(i)}${letter(i / 26)}`);
    const values = [
      () => String(Math.floor(next() * 1e6)),
      () => `0x${Math.floor(next() * 1e9).toString(16)}`,
      () => `10.0.${Math.floor(next() * 255)}.${Math.floor(next() * 255)}`,
      () => `/var/data/f${Math.floor(next() * 1e4)}`,
    ];
    // 30 message kinds of 3-8 words, a third of them values: ids, counts, addresses, paths.
    const kinds = Array.from({ length: 30 }, () =>
      Array.from({ length: 3 + Math.floor(next() * 6) }, (_, i) => (i > 0 && next() < 0.33 ? undefined : pick(vocabulary))),
    );
    const lines = Array.from({ length: 3000 }, () => {
      const kind = Math.floor(next() * kinds.length);
      return { kind, line: kinds[kind]!.map((w) => w ?? pick(values)()).join(' ') };
    });
    const miner = mine(lines.map((l) => l.line));

    it("gives lines that differ only in values their kind's template", () => {
      for (const { kind, line } of lines) expect(miner.templateOf(line)).toBe(kinds[kind]!.map((w) => w ?? '<*>').join(' '));
    });

    it('keeps kinds with different constant text apart, and its memory to one template per kind', () => {
      const kindsSeen = new Set(lines.map((l) => kinds[l.kind]!.map((w) => w ?? '<*>').join(' ')));
      expect(
        miner
          .templates()
          .map((t) => t.template)
          .sort(),
      ).toEqual([...kindsSeen].sort());
    });
  });

  it.each([1, 2, 3, 4, 5])("never makes a new template when a template's own example comes again (LogHub sample, seed %i)", (seed) => {
    const next = random(seed);
    const systems = LOGHUB_SYSTEMS.map((s) => loadSystem(s).contents);
    const sample = Array.from({ length: 3000 }, () => {
      const lines = systems[Math.floor(next() * systems.length)]!;
      return lines[Math.floor(next() * lines.length)]!;
    });
    const miner = mine(sample);
    const before = miner.templates();
    const examples = before.map((t) => t.example).sort(() => next() - 0.5);
    for (const example of examples) miner.add(example);
    const after = miner.templates();
    expect(after.map((t) => t.template).sort()).toEqual(before.map((t) => t.template).sort());
    expect(after.reduce((n, t) => n + t.count, 0)).toBe(sample.length + examples.length);
    for (const t of before) expect(miner.templateOf(t.example)).toBe(t.template);
  });
});

describe('rankBySuspicion', () => {
  const alert = new Date('2024-05-01T12:00:00Z');
  const minutesBefore = (m: number) => new Date(alert.getTime() - m * 60_000);

  /** An hour of steady traffic, a burst of timeouts in the last minutes and a message new at the alert. */
  function incidentMiner(): TemplateMiner {
    const miner = new TemplateMiner();
    for (let m = 60; m >= 1; m--) {
      miner.add(`GET /health 200 in ${m} ms`, { at: minutesBefore(m), level: 'info' });
      if (m % 20 === 0 || m <= 5)
        for (let k = 0; k < (m <= 5 ? 10 : 1); k++)
          miner.add(`upstream timeout after ${m}${k} ms`, { at: minutesBefore(m), level: 'warn' });
      if (m % 10 === 0) miner.add(`cache miss for key user:${m}`, { at: minutesBefore(m), level: 'error' });
    }
    miner.add('connection pool exhausted (size 20)', { at: minutesBefore(2), level: 'error' });
    miner.add('shutdown requested by operator', { at: new Date(alert.getTime() + 60_000), level: 'info' });
    return miner;
  }

  it('puts a new error first, then a burst, then steady errors, and leaves out what came after the alert', () => {
    const ranked = rankBySuspicion(incidentMiner().templates(), alert);
    expect(ranked.map((r) => r.template.template)).toEqual([
      'connection pool exhausted (size <*>)',
      'upstream timeout after <*> ms',
      'cache miss for key user:<*>',
      'GET <*> <*> in <*> ms',
    ]);
    expect(ranked[0]!.reasons).toContain('new 2 min before the alert');
    expect(ranked[1]!.recent).toBe(50);
    expect(ranked[1]!.score).toBeGreaterThan(ranked[2]!.score);
  });

  it('scores a steady template without errors at zero', () => {
    const steady = rankBySuspicion(incidentMiner().templates(), alert).find((r) => r.template.template.startsWith('GET'))!;
    expect(steady.score).toBe(0);
    expect(steady.reasons).toEqual([]);
  });

  it('ranks templates without times by level alone', () => {
    const miner = mine(['job 1 done', 'job 2 failed', 'job 3 done'], (i) => ({ level: i === 1 ? 'error' : 'info' }));
    expect(rankBySuspicion(miner.templates(), alert).map((r) => [r.template.template, r.score])).toEqual([
      ['job <*> failed', 2],
      ['job <*> done', 0],
    ]);
  });
});
