#!/usr/bin/env node
/** The `veto` command: one subcommand per module, loaded lazily so each starts fast. */
const USAGE = `veto — real-time fraud decision engine

Usage: veto <command> [options]

Commands:
  serve        run the engine (HTTP API; NATS/Redis when configured, in-process otherwise)
  simulate     generate a synthetic transaction book (handbook simulator) as CSV
  train        train a classifier on a CSV through the engine's own actors
  evaluate     score a CSV's test period and print AUC / AP / CP@100 next to the book's baselines
  backtest     replay a CSV through the actors and a model, write TRANSACTION_ID,score,decision
  export-labels  write analysts' verdicts as a training CSV (service mode: from Redis)

Run 'veto <command> --help' for the options of a command.
`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  simulate: async () => (await import('./simulate.js')).runSimulate,
  train: async () => (await import('./train.js')).runTrain,
  evaluate: async () => (await import('./evaluate.js')).runEvaluate,
  backtest: async () => (await import('./backtest.js')).runBacktest,
  serve: async () => (await import('./serve.js')).runServe,
  'export-labels': async () => (await import('./export-labels.js')).runExportLabels,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (load === undefined) {
    process.stderr.write(`veto: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  return (await load())(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`veto: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
