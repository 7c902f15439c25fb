import { ConfigError } from '@conveyor/runtime/config';
import { signToken } from '@conveyor/service-kit/tokens';
import { inheritedEnvironment, loadTokenConfig } from './config.js';
import { parseTokenArgs, tokenUsage, UsageError } from './token-args.js';

// `pnpm token`: prints a development JWT, and nothing else, on its last line.
// Exit codes: 0 printed, 1 refused by the config (production with the development secret), 2 bad arguments.
function main(argv: readonly string[]): number {
  let args: ReturnType<typeof parseTokenArgs>;
  try {
    args = parseTokenArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`token: ${error.message}`);
    console.error(tokenUsage);
    return 2;
  }
  if (args === 'help') {
    console.log(tokenUsage);
    return 0;
  }
  let secret: string;
  try {
    secret = loadTokenConfig(inheritedEnvironment()).JWT_SECRET;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`token: refused. ${error.message}`);
    return 1;
  }
  const { ttl, ...claims } = args;
  console.log(signToken(claims, { secret, expiresInSeconds: ttl }));
  return 0;
}

process.exitCode = main(process.argv.slice(2));
