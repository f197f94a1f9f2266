/**
 * The one source of a run's inputs: every agent's transactions (role, amount, accounts) and the
 * pauses between them, drawn from the config and the seed. Thread agents, async agents, Redis
 * agents (their own transactions, or the jobs a queue run dispatches), trials, the explorer and
 * replay all draw through here, so a seed is the same program on every store and in the model.
 *
 * Two streams per agent: one for the transactions, one for the pauses. The amounts then depend
 * on the seed alone, whatever the pacing (a time scale, a time-scale-0 trial, the explorer that
 * has no time), and a consumer that never pauses may skip the pace stream entirely.
 */
import { agentCount, type SimConfig } from './config.js';
import { drawTx, rolesOf, type Role, type Tx } from './programs.js';
import { agentSeed, between, rng } from './rng.js';

/** One agent's inputs, drawn in order: `nextTx()` for each transaction, `nextIdleUs()` after each but the last. */
export class AgentInputs {
  readonly role: Role;
  private readonly txs: () => number;
  private readonly pace: () => number;
  private readonly everyUs: number;

  constructor(
    private readonly config: SimConfig,
    readonly agent: number,
  ) {
    const role = rolesOf(config)[agent];
    if (role === undefined) throw new RangeError(`agent ${agent} is not in this run (${agentCount(config)} agents)`);
    this.role = role;
    this.txs = rng(agentSeed(config.seed, agent));
    this.pace = rng(agentSeed(config.seed, agent) ^ 0x2545f491);
    this.everyUs = role === 'withdrawer' ? config.withdrawEveryUs : config.depositEveryUs;
  }

  /** The agent's next transaction. */
  nextTx(): Tx {
    return drawTx(this.role, this.txs, this.config);
  }

  /** The idle time before the agent's next transaction, in µs before time scaling (half to all of its role's pace). */
  nextIdleUs(): number {
    return between(this.pace, Math.floor(this.everyUs / 2), this.everyUs);
  }
}

/** Agent `agent`'s inputs from the start. */
export function inputsOf(config: SimConfig, agent: number): AgentInputs {
  return new AgentInputs(config, agent);
}

/** Every agent's transactions, in agent order then transaction order (the explorer, queue dispatch, tests). */
export function transactionsOf(config: SimConfig): Tx[][] {
  return rolesOf(config).map((_, agent) => {
    const inputs = inputsOf(config, agent);
    return Array.from({ length: config.ops }, () => inputs.nextTx());
  });
}
