import { describe, expect, it } from 'vitest';
import { parseTokenArgs, UsageError } from '../src/token-args.js';

describe('parseTokenArgs', () => {
  it('reads every option and defaults the lifetime to one hour', () => {
    expect(
      parseTokenArgs([
        '--sub',
        'u1',
        '--role',
        'BRAND',
        '--email',
        'b@conveyor.test',
        '--name',
        'B',
      ]),
    ).toEqual({
      sub: 'u1',
      role: 'BRAND',
      email: 'b@conveyor.test',
      name: 'B',
      ttl: 3600,
    });
  });

  it('accepts a role in any case, as a developer types it', () => {
    expect(parseTokenArgs(['--sub', 'u1', '--role', 'viewer'])).toMatchObject({ role: 'VIEWER' });
  });

  it.each([
    [['--role', 'ADMIN'], '--sub is required'],
    [['--sub', 'u1'], '--role is required'],
    [
      ['--sub', 'u1', '--role', 'ADMIN', '--email', 'not-an-address'],
      '--email must be an email address',
    ],
    [['--sub', 'u1', '--role', 'ADMIN', '--ttl', 'soon'], '--ttl must be a number of seconds'],
    [['--sub', 'u1', '--role', 'ADMIN', '--ttl', '0'], '--ttl must be at least 1 second'],
    [['--sub', 'u1', '--role', 'ADMIN', '--admin'], "Unknown option '--admin'"],
  ])('refuses %j with a message that names the problem', (argv, message) => {
    expect(() => parseTokenArgs(argv)).toThrow(UsageError);
    expect(() => parseTokenArgs(argv)).toThrow(message);
  });

  it('answers help for --help', () => {
    expect(parseTokenArgs(['--help'])).toBe('help');
  });
});
