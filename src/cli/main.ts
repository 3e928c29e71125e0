/** The `sessiongate` command. */
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerCheck } from './check.js';
import { registerDemo } from './demo.js';
import { registerExchangeLog } from './exchange-log.js';
import { registerExchanges } from './exchanges.js';
import { registerHashPassword } from './hash-password.js';
import { EXIT, printError } from './output.js';
import { registerOverview } from './overview.js';
import { registerSessions } from './sessions.js';
import { registerStart } from './start.js';

/** Every command and option (also read by scripts/docs.ts for docs/cli.md). */
export function buildProgram(): Command {
  const program = new Command('sessiongate')
    .description('HTTP session gateway: proxy, client sessions, upstream session reuse, live exchange log')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride((err) => {
      process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.INVALID;
      throw err;
    });
  registerStart(program);
  registerCheck(program);
  registerDemo(program);
  registerSessions(program);
  registerExchanges(program);
  registerExchangeLog(program);
  registerOverview(program);
  registerHashPassword(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('commander.')) return;
    printError(`sessiongate: ${(err as Error).message}`);
    process.exitCode = EXIT.FAILURE;
  }
}
