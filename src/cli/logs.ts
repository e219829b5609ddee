/** `rayne logs templates [FILE]`: mines log messages into templates, offline, no stack needed. */
import fs from 'node:fs';
import readline from 'node:readline';
import type { Command } from 'commander';
import { TemplateMiner, type MinedTemplate } from '../logs/template-miner';

/** Registers `logs templates` on the program. */
export function addLogsCommand(program: Command): void {
  const logs = program.command('logs').description('work with raw log messages');
  logs
    .command('templates')
    .argument('[file]', 'log messages, one per line (standard input when omitted)')
    .option('--summary', 'print the template table (count, first and last line, template, example) instead')
    .description('print the template of every line, in order, values written <*>')
    .action(async (file: string | undefined, opts: { summary?: boolean }) => {
      try {
        await printTemplates(file, opts.summary === true);
      } catch (err) {
        console.error(`rayne: ${(err as Error).message}`);
        process.exitCode = 1;
      }
    });
}

async function printTemplates(file: string | undefined, summary: boolean): Promise<void> {
  const miner = new TemplateMiner();
  const lines: string[] = [];
  for await (const line of readline.createInterface({ input: await openInput(file), crlfDelay: Infinity })) {
    miner.add(line);
    if (!summary) lines.push(line);
  }
  if (summary) return write(summaryTable(miner.templates()));
  // Templates generalise as lines arrive, so each line gets its cluster's final template.
  let chunk = '';
  for (const line of lines) {
    chunk += `${miner.templateOf(line)}\n`;
    if (chunk.length >= CHUNK) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
}

const CHUNK = 1 << 16;

/** Writes to stdout, waiting when it is full; a reader that went away (`| head`) ends output quietly. */
async function write(text: string): Promise<void> {
  if (text === '' || process.stdout.destroyed) return;
  if (process.stdout.listenerCount('error') === 0)
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  if (process.stdout.write(text)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      process.stdout.off('drain', done).off('close', done);
      resolve();
    };
    process.stdout.on('drain', done).on('close', done);
  });
}

/** Resolves once the file is open, so a missing file is one clear error rather than a stream event. */
async function openInput(file: string | undefined): Promise<NodeJS.ReadableStream> {
  if (file === undefined || file === '-') return process.stdin;
  const stream = fs.createReadStream(file);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`)),
    );
  });
  return stream;
}

function summaryTable(templates: MinedTemplate[]): string {
  if (templates.length === 0) return '';
  const width = String(templates.reduce((max, t) => Math.max(max, t.lastLine), 99999)).length;
  const pad = (v: string | number) => String(v).padStart(width);
  const rows = templates.map(
    (t) => `${pad(t.count)}  ${pad(t.firstLine)}  ${pad(t.lastLine)}  ${t.template}\n${' '.repeat(3 * width + 6)}e.g. ${t.example}\n`,
  );
  return `${pad('count')}  ${pad('first')}  ${pad('last')}  template\n${rows.join('')}`;
}
