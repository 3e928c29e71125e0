/** `sessiongate start [--config FILE]`: the gateway; the embedded demo when there is no config. */
import type { Command } from 'commander';
import { formatIssue } from '../config/index.js';
import { findConfigFile, loadOrReport } from './config-file.js';
import { runDemo } from './demo.js';
import { EXIT, printError } from './output.js';
import { runGateway } from './run-gateway.js';

export function registerStart(program: Command): void {
  program
    .command('start', { isDefault: true })
    .description('run the gateway (the embedded demo when there is no config file)')
    .option('-c, --config <file>', 'config file (YAML or JSON); default ./sessiongate.yaml, else the demo')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .action(async (opts: { config?: string; logLevel?: string }) => {
      const file = findConfigFile(opts.config);
      if (file === null) {
        await runDemo({ logLevel: opts.logLevel, traffic: false });
        return;
      }
      const loaded = loadOrReport(file);
      if (loaded === null) {
        process.exitCode = EXIT.INVALID;
        return;
      }
      await runGateway(loaded, {
        logLevel: opts.logLevel,
        banner: (gw) =>
          `sessiongate ${file}\n${gw.listeners.map((l) => `  listener ${l.name}: ${l.url}\n`).join('')}` +
          loaded.warnings.map((w) => `  warning: ${formatIssue(w)}\n`).join(''),
      });
      if (process.exitCode === EXIT.FAILURE) printError('the gateway did not start');
    });
}
