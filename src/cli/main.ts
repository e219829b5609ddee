import { Command, Option } from 'commander';
import { type Config, ConfigError, loadConfig, obsoleteSettings } from '../config';
import { StartupError } from '../errors';
import { createLogger, type Logger } from '../logger';
import type { AnalystName } from '../contracts/rca';
import { addApiCommands, EXIT } from './api-commands';
import { addLogsCommand } from './logs';

// Loaded on first use: Temporal's worker, pg and the API take seconds to load, and `rayne logs` needs none of them.
const stack = () => require('./stack-commands') as typeof import('./stack-commands');

type Action = (config: Config, log: Logger) => Promise<void>;

/** Loads config, runs the action, and turns failures into one clear line and exit code 1. */
const run = (action: Action) => async () => {
  try {
    const config = loadConfig();
    const log = createLogger(config.LOG_LEVEL);
    for (const warning of obsoleteSettings(config)) log.warn(warning);
    await action(config, log);
    process.exit(0);
  } catch (err) {
    // A rejection can carry anything, or nothing: say what there is.
    console.error(`\nrayne: ${err instanceof StartupError ? err.message : ((err as Error | undefined)?.stack ?? String(err))}`);
    process.exit(err instanceof ConfigError ? EXIT.config : EXIT.failed);
  }
};

export function buildCli(): Command {
  const program = new Command('rayne').description('Durable alert investigation on Temporal');
  // Commander exits 1 on a bad argument or option; 2 keeps "you typed it wrong" apart from "it failed". Subcommands inherit this.
  program.exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage));
  program
    .command('dev')
    .description('run the whole stack locally: embedded Postgres, Temporal dev server, worker, API')
    .option(
      '--sandbox [scenario-file]',
      'also run a Datadog sandbox seeded from a scenario (default scenarios/storefront-web-host-cpu.json) as the default account',
    )
    .action((opts: { sandbox?: string | true }) => run((c, l) => stack().dev(c, l, opts.sandbox))());
  program
    .command('api')
    .description('serve the HTTP API (needs DATABASE_URL and TEMPORAL_ADDRESS)')
    .action(run((c, l) => stack().api(c, l)));
  program
    .command('worker')
    .description('run a Temporal worker for Rayne workflows and activities')
    .addOption(
      new Option('--queue <queue>', 'main: workflows and activities; llm: only model turns (TEMPORAL_LLM_TASK_QUEUE); all: both')
        .choices(['all', 'main', 'llm'])
        .default('all'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  rayne worker\n  TEMPORAL_LLM_TASK_QUEUE=rayne-llm rayne worker --queue main   # scale these with alerts\n  TEMPORAL_LLM_TASK_QUEUE=rayne-llm rayne worker --queue llm    # and these with model spend (RAYNE_LLM_CONCURRENCY)\n',
    )
    .action((opts: { queue: 'all' | 'main' | 'llm' }) => run((c, l) => stack().worker(c, l, opts.queue))());
  program
    .command('migrate')
    .description('apply database migrations and register Temporal search attributes')
    .action(run((c) => stack().migrateCommand(c)));
  program
    .command('demo')
    .argument('[scenario-file]', 'an incident scenario (see scenarios/README.md); default scenarios/storefront-web-host-cpu.json')
    .option('--exit', 'stop once the results are printed instead of waiting for Ctrl-C')
    .description(
      'run the stack against a Datadog sandbox seeded from a scenario, send its alert and recovery, and show what each processor did',
    )
    .action((file: string | undefined, opts: { exit?: boolean }) => run((c, l) => stack().demo(c, l, file, opts.exit === true))());
  program
    .command('eval')
    .argument('<dir>', 'a folder of scenario files (see scenarios/README.md), or of storms (scenarios/storms/README.md)')
    .option('--analyst <name>', 'analyse with this analyst instead of the configured one (claude, ollama, offline)')
    .option(
      '--cross-validate',
      "also score each company's scenarios (alert.org_name) with offline-analyst weights fitted on the other companies",
    )
    .option('--bundles <dir>', "also write each scenario's stored evidence bundle to this folder")
    .description('run every scenario through the pipeline and score the reports (uses RAYNE_URL when set, else starts its own stack)')
    .action((dir: string, opts: { analyst?: AnalystName; bundles?: string; crossValidate?: boolean }) =>
      run((c, l) => stack().evaluate(c, l, dir, opts))(),
    );
  addApiCommands(program);
  addLogsCommand(program);
  program.addHelpText(
    'after',
    '\nExamples:\n  rayne dev\n  rayne dev --sandbox\n  rayne send --scenario scenarios/storefront-web-host-cpu.json --wait\n  rayne demo\n  rayne demo scenarios/checkout-service-error-rate-spike.json --exit\n  rayne send --scenario scenarios/storefront-web-host-cpu.json\n  rayne events list --since 1h\n  rayne rca show 123\n  rayne eval scenarios\n  DATABASE_URL=postgres://... TEMPORAL_ADDRESS=temporal:7233 rayne api\n' +
      '\nsend, events and rca talk to the API at $RAYNE_URL (default http://localhost:8080; --url overrides) with $RAYNE_API_TOKEN.\n' +
      'Exit codes: 0 ok, 1 failed (the API answered an error), 2 usage, 66 input file unreadable, 69 API unreachable, 78 bad configuration.\n',
  );
  return program;
}

if (require.main === module) void buildCli().parseAsync(process.argv);
