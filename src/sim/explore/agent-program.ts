/**
 * One agent's whole life as a tree of program positions, for the explorer. The agent runs the
 * same generators the real agents run (`transaction()` for each of its `ops` inputs, drawn by
 * `drawTx` from its seeded generator exactly as `agentLoop` draws them). Generators cannot be
 * cloned, so each position reached is kept as a node: the step the agent takes there, and one
 * child per result it may receive. Going back to an earlier position is a pointer move; a new
 * child re-runs a fresh generator along the node's results (stateless re-execution) only when
 * the live generator is elsewhere.
 */
import type { SimConfig } from '../model/config.js';
import { transaction, type Role, type Tx } from '../model/programs.js';
import { inputsOf } from '../model/inputs.js';
import type { Step } from '../model/steps.js';

export class UnsupportedProgram extends Error {
  override name = 'UnsupportedProgram';
}

export interface ProgramNode {
  /** Unique among all nodes of all agents (a state key uses it). */
  readonly id: number;
  /** The step the agent takes here, or null: it has finished. */
  readonly step: Step | null;
  /** A funds poll (back-off) came between the previous step and this one: the agent is polling. */
  readonly polls: boolean;
  readonly parent: ProgramNode | null;
  /** The result that led here from the parent. */
  readonly result: unknown;
  readonly children: Map<string, ProgramNode>;
}

let nextId = 0;

/** The inputs of an agent's transactions: the one source every consumer draws from (model/inputs.ts). */
export function agentInputs(c: SimConfig, _role: Role, me: number): Tx[] {
  const inputs = inputsOf(c, me);
  return Array.from({ length: c.ops }, () => inputs.nextTx());
}

function* life(c: SimConfig, txs: Tx[]): Generator<Step, void, unknown> {
  for (const tx of txs) yield* transaction(c.sync, c.order, tx);
}

/** A short key for a step result (what the program may branch on). */
export function resultKey(result: unknown): string {
  if (result === undefined) return '';
  if (typeof result === 'boolean') return result ? 't' : 'f';
  const r = result as Record<string, unknown>;
  if ('version' in r) return `${r.value}:${r.version}`;
  // A write's result (what it overwrote, whose write that was) feeds the trace, not the program:
  // no program in programs.ts branches on it, so the tree does not split on it. (A program that
  // did would need this line to key on the result.)
  if ('stale' in r) return 'w';
  if ('ok' in r) return `${r.ok}:${r.value}`;
  return JSON.stringify(result);
}

export class AgentProgram {
  readonly root: ProgramNode;
  private gen: Generator<Step, void, unknown>;
  private at: ProgramNode;

  constructor(
    private readonly config: SimConfig,
    readonly txs: Tx[],
  ) {
    this.gen = life(config, txs);
    this.root = this.advance(null, undefined, true);
    this.at = this.root;
  }

  /** The node reached from `node` when its step gives `result`. */
  child(node: ProgramNode, result: unknown): ProgramNode {
    const key = resultKey(result);
    const known = node.children.get(key);
    if (known) return known;
    if (this.at !== node) this.reach(node);
    const made = this.advance(node, result, false);
    node.children.set(key, made);
    this.at = made;
    return made;
  }

  /** Puts a fresh generator at `node` by feeding it the results on the way there. */
  private reach(node: ProgramNode): void {
    const path: unknown[] = [];
    for (let n: ProgramNode | null = node; n?.parent; n = n.parent) path.push(n.result);
    path.reverse();
    this.gen = life(this.config, this.txs);
    this.skipPauses(this.gen.next());
    for (const result of path) this.skipPauses(this.gen.next(result));
    this.at = node;
  }

  private skipPauses(first: IteratorResult<Step, void>): { step: Step | null; polls: boolean } {
    let next = first;
    let polls = false;
    while (!next.done && (next.value.op === 'window' || next.value.op === 'backoff')) {
      if (next.value.op === 'backoff') {
        if (next.value.reason !== 'poll') {
          throw new UnsupportedProgram('a tryLock back-off retries for ever in some interleavings (a livelock): explore supports --order naive and global');
        }
        polls = true;
      }
      next = this.gen.next();
    }
    if (!next.done && next.value.op === 'move') throw new UnsupportedProgram("'move' steps run on Redis only");
    return { step: next.done ? null : next.value, polls };
  }

  private advance(parent: ProgramNode | null, result: unknown, first: boolean): ProgramNode {
    const { step, polls } = this.skipPauses(first ? this.gen.next() : this.gen.next(result));
    return { id: nextId++, step, polls, parent, result, children: new Map() };
  }
}
