#!/usr/bin/env node
// chalk (and ink's colours) ignore NO_COLOR: map it to FORCE_COLOR=0 before either is loaded,
// which is why everything else is imported dynamically.
if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') process.env.FORCE_COLOR = '0';
const { main } = await import('./main.js');
process.exitCode = await main(process.argv.slice(2));
