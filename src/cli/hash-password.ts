/** `sessiongate hash-password`: a scrypt hash for `admin.users[].password`, so that configs hold no plain passwords. */
import type { Command } from 'commander';
import { hashPassword } from '../admin/password.js';
import { runVerb } from './admin-command.js';
import { CommandError, EXIT, print } from './output.js';

export function registerHashPassword(program: Command): void {
  program
    .command('hash-password')
    .summary('print a scrypt hash of a password, for admin.users[].password')
    .description(
      'print a scrypt hash (scrypt$N$r$p$salt$hash) to put in admin.users[].password; the password is read from the terminal without echo, or from standard input',
    )
    .option('--password <password>', 'the password (else read from standard input; a command line is visible to other users)')
    .action((opts: { password?: string }) =>
      runVerb(async () => {
        const plain = opts.password ?? (await readPassword());
        if (plain === '') throw new CommandError('the password is empty', EXIT.INVALID);
        print(await hashPassword(plain));
      }),
    );
}

/** From a terminal: asked twice, not echoed. From a pipe: everything, without one final newline. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  const first = await askHidden('Password: ');
  const again = await askHidden('Repeat it: ');
  if (first !== again) throw new CommandError('the two passwords differ', EXIT.INVALID);
  return first;
}

function askHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || (ch === '\u0004' && value === '')) return finish(new CommandError('cancelled'));
        if (ch === '\u0004') return finish();
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
