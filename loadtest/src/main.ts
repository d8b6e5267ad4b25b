// parley-load: XMPP load generator. `main.ts` only parses options, starts the run and prints.
import { parseConfig, USAGE, UsageError } from './run/config.ts';
import { runLoad } from './run/coordinator.ts';
import { runWorkerChild, WORKER_ENV } from './run/workers.ts';
import { progressPrinter } from './report/progress.ts';
import { formatTable } from './report/table.ts';
import { defaultOutDir, writeReports } from './report/write.ts';

async function main(): Promise<number> {
  let cfg: ReturnType<typeof parseConfig>;
  try {
    cfg = parseConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`parley-load: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (cfg === 'help') {
    console.log(USAGE);
    return 0;
  }
  const progress = progressPrinter(process.stdout, cfg.quiet);
  const result = await runLoad(cfg, { progress: (p) => progress.update(p) });
  progress.done();
  console.log(formatTable(result));
  const files = writeReports(result, cfg.outDir || defaultOutDir(result), cfg.html);
  console.log(`\nresult: ${files.json}${files.html ? `\nreport: ${files.html}` : ''}`);
  return 0;
}

if (process.env[WORKER_ENV] !== undefined) {
  runWorkerChild();
} else {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
