#!/usr/bin/env node
// chalk (and ink's colours) ignore NO_COLOR: map it to FORCE_COLOR=0 before either is loaded,
// which is why everything else is imported dynamically.
if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') process.env.FORCE_COLOR = '0';
// React (under ink) picks its build when it is first loaded, the development one unless told
// otherwise: it checks and times every component render (React 19 calls performance.measure for
// each), which more than doubles the dashboard's cost per frame, paid on the main thread that
// the agents share the cores with. A NODE_ENV the user set is kept.
process.env.NODE_ENV ??= 'production';
// Ctrl-C, SIGTERM and SIGHUP are held from the first moment: one that comes while the modules
// load is handed to main (which reports and exits 130/143/129), never Node's default death,
// which would leave a private redis-server or agent processes behind.
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const early: NodeJS.Signals[] = [];
const hold = (signal: NodeJS.Signals): void => void early.push(signal);
for (const signal of STOP_SIGNALS) process.on(signal, hold);
const { main } = await import('./cli/main.js');
const code = await main(process.argv.slice(2), {
  early,
  release: () => {
    for (const signal of STOP_SIGNALS) process.off(signal, hold);
  },
});
process.exitCode = code;
// On a terminal, leave explicitly: stdin, resumed by the dashboard, must not keep us alive.
// (Piped output is left to drain normally.)
if (process.stdout.isTTY) process.exit(code);
