/**
 * Colours and width for people: colours only when stdout is a terminal and NO_COLOR is not set
 * (https://no-color.org); tables fit the terminal, or 80 columns when the output is not one.
 */

export type Colour = 'red' | 'green' | 'yellow' | 'cyan' | 'dim' | 'bold';

const SGR: Record<Colour, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

export function coloursOn(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

export function paint(text: string, colour: Colour | null, on: boolean): string {
  if (!on || colour === null || text === '') return text;
  const [open, close] = SGR[colour];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

/** The terminal's width, `COLUMNS`, else 80. */
export function outputWidth(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  if (stream.isTTY === true && stream.columns > 0) return stream.columns;
  const fromEnv = Number(env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv >= 40 ? fromEnv : 80;
}

/** Control characters from the data (a URI, a user name) must not drive the terminal. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
}

/** Status colours: 2xx green, 3xx cyan, 4xx yellow, 5xx and failures red. */
export function statusColour(status: number | null, failed: boolean): Colour | null {
  if (failed || status === null || status >= 500) return 'red';
  if (status >= 400) return 'yellow';
  if (status >= 300) return 'cyan';
  return 'green';
}
