/** `sessiongate check --config FILE`: validate a config; every problem with its field path; non-zero exit when invalid. */
import type { Command } from 'commander';
import { findConfigFile, loadOrReport } from './config-file.js';
import { EXIT, print, printError } from './output.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('validate a config file and print every problem with its field path')
    .option('-c, --config <file>', 'config file (YAML or JSON); default ./sessiongate.yaml')
    .action((opts: { config?: string }) => {
      const file = findConfigFile(opts.config);
      if (file === null) {
        printError('no config file: pass --config FILE (or create sessiongate.yaml here)');
        process.exitCode = EXIT.INVALID;
        return;
      }
      const loaded = loadOrReport(file);
      if (loaded === null) {
        process.exitCode = EXIT.INVALID;
        return;
      }
      const c = loaded.config;
      const n = (count: number, what: string): string => `${count} ${what}${count === 1 ? '' : 's'}`;
      print(`${file}: valid (${n(c.listeners.length, 'listener')}, ${n(c.servers.length, 'server')}, ${n(c.services.length, 'service')})`);
      process.exitCode = EXIT.OK;
    });
}
