#!/usr/bin/env node
// Runs before `npm test` (pretest): the suite drives two programs that npm cannot install,
// tmux (the dashboard end to end) and redis-server (the Redis store, on a private port).
// When one is missing, this installs it with the system's package manager (Debian/Ubuntu's
// apt-get as root, or with sudo), or says exactly what to install and exits 1: the tests never
// start half-equipped. CI and a fresh machine both come through here.
import { spawnSync } from 'node:child_process';

const TOOLS = [
  { command: 'tmux', apt: 'tmux', brew: 'tmux', why: 'the dashboard end-to-end tests' },
  { command: 'redis-server', apt: 'redis-server', brew: 'redis', why: 'the Redis store tests' },
];

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const missing = TOOLS.filter((t) => !has(t.command));
if (missing.length === 0) process.exit(0);

const names = missing.map((t) => t.apt);
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = !asRoot && has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0 ? ['sudo', '-n'] : asRoot ? [] : null;
if (has('apt-get') && sudo) {
  process.stderr.write(`bank-sim tests need ${missing.map((t) => `${t.command} (${t.why})`).join(' and ')}: installing ${names.join(' ')} with apt-get...\n`);
  const run = (args) =>
    spawnSync(sudo[0] ?? args[0], sudo.length ? [...sudo.slice(1), ...args] : args.slice(1), {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  run(['apt-get', 'update', '-qq']);
  const install = run(['apt-get', 'install', '-y', '-qq', ...names]);
  const still = missing.filter((t) => !has(t.command));
  if (install.status === 0 && still.length === 0) process.exit(0);
}
process.stderr.write(
  `bank-sim tests need ${missing.map((t) => `${t.command} (${t.why})`).join(' and ')}, which are not installed.\n` +
    `  Debian/Ubuntu: sudo apt-get install ${names.join(' ')}\n` +
    `  macOS:         brew install ${missing.map((t) => t.brew).join(' ')}\n`,
);
process.exit(1);
