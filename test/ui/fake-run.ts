import { preset, type ScenarioName, type Strategy } from '../../src/sim/model/config.js';
import type { AgentSnapshot, Report, Snapshot } from '../../src/sim/engine/run.js';
import type { TraceEvent } from '../../src/sim/engine/trace.js';
import type { RunHandle } from '../../src/ui/model.js';

/** A RunHandle with a fixed snapshot that records the commands the UI sends it. */
export class FakeRun implements RunHandle {
  readonly config;
  readonly names = ['A', 'B', 'C'];
  readonly calls: string[] = [];
  snap: Snapshot;
  evts: TraceEvent[] = [];
  constructor(sync: Strategy, overrides: Partial<Snapshot> = {}, scenario: ScenarioName = 'race') {
    this.config = { ...preset(scenario), sync, depositors: 3 };
    const agent = (name: string, state: AgentSnapshot['state']): AgentSnapshot => ({
      name,
      role: 'depositor',
      state,
      transactions: 4,
      movedCents: 400,
      lockWaits: 1,
      waitMs: 2,
      retries: 0,
      waitingFor: null,
      nextStep: null,
    });
    this.snap = {
      scenario: 'race',
      sync,
      status: 'running',
      stepMode: false,
      windowUs: 1000,
      elapsedMs: 1500,
      balance: 1000,
      expected: 1200,
      accounts: [{ balance: 1000, expected: 1200, commits: 12, version: 10 }],
      lostUpdates: 2,
      staleWrites: 2,
      interrupted: false,
      verdict: { ok: false, violations: [{ name: 'balance', reason: 'lost 2 of 12 deposits: balance $10.00, expected $12.00' }], lostUpdates: 2, updates: 12 },
      minBalance: 0,
      overdrafts: 0,
      transactions: 12,
      throughput: 8,
      retries: 0,
      servingNow: 0,
      servingMax: 0,
      permits: 1,
      lockHolders: [1],
      fundsWaiters: 0,
      deadlock: null,
      crashed: [],
      agents: [agent('A', 'in window'), agent('B', 'holding lock'), agent('C', 'waiting for lock')],
      ...overrides,
    };
  }
  snapshot(): Snapshot {
    return this.snap;
  }
  events(from = 0): TraceEvent[] {
    return this.evts.filter((e) => e.seq >= from);
  }
  run(): Promise<Report> {
    return new Promise(() => {});
  }
  togglePause(): void {
    this.calls.push('togglePause');
  }
  setStepMode(on: boolean): void {
    this.calls.push(`stepMode:${on}`);
    this.snap = { ...this.snap, stepMode: on };
  }
  step(agent: number): void {
    this.calls.push(`step:${agent}`);
  }
  setWindow(us: number): void {
    this.calls.push(`window:${us}`);
  }
  stop(): void {
    this.calls.push('stop');
  }
  async kill(): Promise<void> {
    this.calls.push('kill');
  }
}
