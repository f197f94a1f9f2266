/** What a report of a run on Redis adds: where, the store's counters, each agent's share, the faults' story. */
import chalk from 'chalk';
import type { Report } from '../sim/engine/run.js';
import { money } from '../sim/engine/trace.js';
import type { RedisFacts } from '../sim/stores/redis/backend.js';

/** What a run on Redis adds to the report: where, the store's counters, each agent's share, the faults. */
export function formatRedis(r: Report<RedisFacts>): string {
  const x = r.redis;
  if (!x) return '';
  const n = (v: number): string => v.toLocaleString('en-US');
  const lines = [`  on Redis       ${x.url} (run ${x.runId}), agents as ${x.agentsOn}${x.dispatch === 'queue' ? ', transactions from a queue (stream + consumer group)' : ''}`];
  const counters = [
    x.aborts ? `${n(x.aborts)} WATCH aborts (EXEC refused: retried)` : '',
    x.fencedRejects ? `${n(x.fencedRejects)} writes refused by fencing` : '',
    x.lockLost ? `${n(x.lockLost)} unlocks found their lock expired (lock TTL ${x.lockTtlMs} ms)` : '',
    x.denied ? `${n(x.denied)} withdrawals refused by the Lua check` : '',
  ].filter(Boolean);
  if (counters.length) lines.push(`  store          ${counters.join('; ')}`);
  const total = x.shares.reduce((a, s) => a + s.transactions, 0);
  const share = x.shares
    .map(
      (s) =>
        `${s.agent} ${n(s.transactions)}${x.dispatch === 'queue' && total ? ` (${Math.round((s.transactions * 100) / total)}%)` : ''}${s.pid !== null && x.agentsOn !== 'threads' ? ` pid ${s.pid}${x.agentsOn === 'remote' ? `@${s.host}` : ''}` : ''}`,
    )
    .join(', ');
  lines.push(`  agents         ${share}`);
  for (const note of x.notes) lines.push(chalk.yellow(`  ${note}`));
  if (x.failure)
    lines.push(chalk.red(`  RUN ENDED EARLY: ${x.failure}; the figures above are the last ones read (balance ${money(r.balance)} after ${n(r.transactions)} transactions)`));
  return lines.join('\n');
}
