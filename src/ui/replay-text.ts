/** What the dashboard says about a replay (tui --replay): the panel under the panes and each pane's verdict against the model. Pure. */
import { sameOutcome, type ReplayPlan } from '../sim/engine/replay.js';
import type { Snapshot } from '../sim/engine/run.js';
import { money } from '../sim/engine/trace.js';
import type { PanelLine } from './challenge.js';
import type { Colour } from './text.js';
import { STEP_MS, type ReplayState } from './use-replay.js';

/** A finished pane against the model's prediction: true (match), false (mismatch), null (nothing to compare yet). */
export function replayMatches(snapshot: Snapshot, plan: ReplayPlan | undefined): boolean | null {
  if (!plan?.model || snapshot.status !== 'finished' || snapshot.interrupted) return null;
  return sameOutcome({ accounts: snapshot.accounts, violations: snapshot.verdict.violations }, plan.model.outcome);
}

function predicted(plan: ReplayPlan): string {
  const o = plan.model!.outcome;
  return `${o.balances.map(money).join(' ')}${o.outcome.deadlock ? ', deadlock' : ''}`;
}

/** The pane's first note: the replay against the model, once it is over. */
export function replayNotes(snapshot: Snapshot, plan: ReplayPlan | undefined, error: string | null): { text: string; color: Colour }[] {
  if (error) return [{ text: `✗ replay stuck: ${error}`, color: 'red' }];
  const matches = replayMatches(snapshot, plan);
  if (matches === null) return [];
  return matches ? [{ text: `✓ match: the model predicted ${predicted(plan!)}`, color: 'green' }] : [{ text: `✗ MISMATCH: the model predicted ${predicted(plan!)}`, color: 'red' }];
}

/** The panel: the schedule and how far it got, then what the model predicts (per pane when there are several). */
export function replayText(plans: readonly ReplayPlan[], state: ReplayState | null): PanelLine[] {
  const over = state !== null && state.done >= state.total;
  const first = plans[0]!;
  const names = first.schedule.map((a) => first.names[a]).join(',');
  const done = state?.done ?? 0;
  const total = state?.total ?? first.schedule.length;
  const next = done < total ? first.names[first.schedule[done]!] : null;
  const pace = state?.playing === false ? 'paused (⏎ next step)' : `a step every ${STEP_MS / 1000} s`;
  const head = over
    ? { text: `Replayed ${names} on real threads, ${total} steps${first.complete ? '' : ', then the agents ran on their own'}.`, color: 'yellow' as Colour }
    : { text: `Replay ${names} on real threads: ${done} of ${total} steps done, next ${next} · ${pace}`, color: 'yellow' as Colour };
  const model = plans.map((p) => {
    const who = plans.length > 1 ? `${p.config.sync}: the` : 'The';
    return p.model
      ? { text: `${who} model ${over ? 'predicted' : 'predicts'} ${predicted(p)}: ${p.model.explanation}.` }
      : { text: `${who} schedule stops before the end: after it the agents run free, so there is no prediction.` };
  });
  return [head, ...model];
}
