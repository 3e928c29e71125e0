/** Finding and loading the config file for `start` and `check`. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, formatIssue, loadConfigFile, type LoadedConfig } from '../config/index.js';
import { printError } from './output.js';

export const DEFAULT_CONFIG_FILES = ['sessiongate.yaml', 'sessiongate.yml', 'sessiongate.json'];

/** `--config FILE`, else a `sessiongate.yaml` in the working directory, else null (the demo). */
export function findConfigFile(explicit: string | undefined, cwd = process.cwd()): string | null {
  if (explicit) return resolve(cwd, explicit);
  for (const name of DEFAULT_CONFIG_FILES) {
    const file = resolve(cwd, name);
    if (existsSync(file)) return file;
  }
  return null;
}

/** Loads a config file, or prints every problem and returns null. */
export function loadOrReport(file: string): LoadedConfig | null {
  try {
    const loaded = loadConfigFile(file);
    for (const w of loaded.warnings) printError(`warning: ${formatIssue(w)}`);
    return loaded;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    printError(`${file}: ${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}:`);
    for (const issue of err.issues) printError(`  ${formatIssue(issue)}`);
    return null;
  }
}
