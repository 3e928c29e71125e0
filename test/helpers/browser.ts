/**
 * Headless Chromium for the web UI's tests: Debian's /usr/bin/chromium driven by playwright-core (never a
 * browser downloaded by Playwright), a fresh profile per launch. Also builds the UI (web/dist) when it is
 * missing or older than its sources, so that `vitest run` alone tests the current UI.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.SESSIONGATE_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh user-data-dir; resolves to the reason when it cannot be launched. */
export async function launchBrowser(): Promise<TestBrowser | string> {
  const profile = mkdtempSync(join(tmpdir(), 'sg-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      timeout: 30_000,
    });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    return `${CHROMIUM} cannot be launched: ${(err as Error).message.split('\n')[0]}`;
  }
}

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Runs `vite build web` unless web/dist is newer than every source of the UI. */
export async function ensureUiBuilt(): Promise<void> {
  const built = (() => {
    try {
      return statSync(join(ROOT, 'web/dist/index.html')).mtimeMs;
    } catch {
      return 0;
    }
  })();
  const sources = Math.max(newest(join(ROOT, 'web/src')), newest(join(ROOT, 'web/index.html')), newest(join(ROOT, 'web/vite.config.ts')), newest(join(ROOT, 'web/public')));
  if (built >= sources) return;
  await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', 'web', '--logLevel', 'warn'], { cwd: ROOT, timeout: 120_000 });
}
