import { prettyFactory } from 'pino-pretty';

const colors = [36, 35, 33, 32, 34, 91, 96, 95, 93, 92];

export interface OutputOptions {
  /** One readable line per pino JSON line; otherwise lines pass through as they are. */
  pretty: boolean;
  /** ANSI colours for the prefixes and levels (a terminal). */
  colorize: boolean;
  /** Width the names are padded to, so the lines of every app start in one column. */
  nameWidth: number;
  write: (text: string) => void;
}

/**
 * Writes the output of one app, each line prefixed with the app's name. Pino's JSON lines
 * are shown by pino-pretty when `pretty` is on; other lines (a crash's stack trace, a config
 * error) pass through untouched.
 */
export function createAppPrinter(
  name: string,
  index: number,
  options: OutputOptions,
): (line: string) => void {
  const label = name.padEnd(options.nameWidth);
  const prefix = options.colorize
    ? `\u001b[${colors[index % colors.length]}m${label} |\u001b[0m `
    : `${label} | `;
  const prettify = options.pretty
    ? prettyFactory({
        colorize: options.colorize,
        translateTime: 'HH:MM:ss.l',
        ignore: 'pid,hostname,app',
        singleLine: true,
      })
    : undefined;
  return (line) => {
    if (line.length === 0) return;
    const shown: string = prettify && line.startsWith('{') ? prettify(line) : `${line}\n`;
    options.write(
      shown
        .replace(/\n$/, '')
        .split('\n')
        .map((part) => `${prefix}${part}\n`)
        .join(''),
    );
  };
}
