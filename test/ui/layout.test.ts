import { describe, expect, it } from 'vitest';
import { footerText } from '../../src/ui/keys.js';
import { AGENT_GAP, computeLayout, FIXED_LINES, FOOTER_LINES, HEADER_LINES } from '../../src/ui/layout.js';
import { wrap } from '../../src/ui/text.js';

const race = (columns: number, rows: number, panes = 2) => computeLayout({ columns, rows, panes, agents: 10, nameWidth: 1 });

describe('layout (one pure function of the terminal size)', () => {
  it('at 80x24 two race panes show every agent, a lane, and room for a whole story, below the terminal height', () => {
    const l = race(80, 24);
    expect(l.tooSmall).toBeNull();
    expect(l.direction).toBe('row');
    expect(l.agentRows).toBe(10);
    expect(l.agentsPerRow).toBe(1);
    expect(l.noteLines).toBeGreaterThanOrEqual(3); // "! B read $4.00, then wrote $5.00 over $9.00: 4 deposits (A, C, D, E) lost" at 36 columns
    expect(l.columns.lane).toBeGreaterThanOrEqual(8);
    const c = l.columns;
    expect(c.name + c.state + c.tx + c.wait + c.lane).toBe(l.pane.innerWidth);
    expect(2 * l.pane.width).toBeLessThanOrEqual(80);
    const paneInner = FIXED_LINES + l.agentRows + l.noteLines + (l.sparklines ? 2 : 0);
    expect(HEADER_LINES + paneInner + 2 + FOOTER_LINES).toBeLessThanOrEqual(23);
  });

  it('three panes at 80 columns drop the counts but keep state and lane; a narrow tall terminal stacks them', () => {
    const three = race(80, 24, 3);
    expect(three.tooSmall).toBeNull();
    expect(three.columns.tx + three.columns.wait).toBe(0);
    expect(3 * three.pane.width).toBeLessThanOrEqual(80);
    expect(race(50, 60).direction).toBe('column');
  });

  it('wide terminals use their space: counts, the legend, sparklines, more notes', () => {
    const l = race(160, 40);
    expect(l.columns.tx).toBeGreaterThan(0);
    expect(l.columns.wait).toBeGreaterThan(0);
    expect(l.legend).toBe(true);
    expect(l.sparklines).toBe(true);
    expect(l.columns.lane).toBeGreaterThan(race(80, 24).columns.lane);
  });

  it('at 80x24 the condition scenario shows all 15 agents: side by side when the rows are short, verdict notes kept', () => {
    const condition = (columns: number, rows: number, panes: number) => computeLayout({ columns, rows, panes, agents: 15, nameWidth: 3 });
    for (const panes of [1, 2]) {
      const l = condition(80, 24, panes);
      expect(l.agentsPerRow, `${panes} panes`).toBe(2);
      expect(l.agentRows * l.agentsPerRow).toBeGreaterThanOrEqual(15);
      expect(l.noteLines).toBeGreaterThanOrEqual(3); // "✗ overdraft: the balance went down to -$49.68" at 36 columns, and more
      expect(HEADER_LINES + 2 + FIXED_LINES + l.agentRows + l.noteLines + FOOTER_LINES).toBeLessThanOrEqual(23);
      const c = l.columns;
      expect(c.state).toBeGreaterThanOrEqual(11); // "wait funds" and a space
      expect(2 * (c.name + c.state + c.lane) + AGENT_GAP).toBeLessThanOrEqual(l.pane.innerWidth);
    }
    expect(condition(80, 24, 1).columns.lane).toBeGreaterThanOrEqual(8); // one pane: room for the lanes too
    expect(condition(80, 24, 2).columns.lane).toBe(0); // two: the states, not 3-character lanes
    // A tall terminal keeps one agent a line, with counts and lanes.
    expect(condition(120, 40, 2).agentsPerRow).toBe(1);
    expect(condition(120, 40, 2).agentRows).toBe(15);
  });

  it('at 80x24 tellers (12 customers) and transfer keep one agent a line, all of them, with lanes', () => {
    const tellers = computeLayout({ columns: 80, rows: 24, panes: 2, agents: 12, nameWidth: 3 });
    expect([tellers.agentsPerRow, tellers.agentRows]).toEqual([1, 12]);
    expect(tellers.columns.lane).toBeGreaterThanOrEqual(8);
    expect(tellers.noteLines).toBeGreaterThanOrEqual(2); // "✗ tellers: 11 customers were served at once with 3 windows"
    const transfer = computeLayout({ columns: 80, rows: 24, panes: 2, agents: 4, nameWidth: 2, stateWant: 26 });
    expect([transfer.agentsPerRow, transfer.agentRows]).toEqual([1, 4]);
    expect(transfer.noteLines).toBeGreaterThanOrEqual(5);
  });

  it('when not even side by side fits, a window of agents and a line saying how many are hidden', () => {
    const l = computeLayout({ columns: 80, rows: 24, panes: 3, agents: 15, nameWidth: 3 });
    expect(l.agentsPerRow).toBe(1);
    expect(l.agentRows).toBeLessThan(15);
  });

  it('below the smallest usable size it says what is needed', () => {
    expect(race(40, 10).tooSmall).toEqual({ width: 48, height: 15 });
  });

  it('the footer offers only what makes sense: no pause once finished; step mode names the agents', () => {
    expect(footerText({ mode: 'finished', names: [], selected: 0 }, 80)).toBe('r restart · t tour · c challenge · ? help · q quit');
    const names = ['D1', 'D2', 'D3', 'D4', 'D5', 'W1', 'W2', 'W3', 'W4', 'W5', 'W6'];
    const step = footerText({ mode: 'step', names, selected: 10 }, 200);
    expect(step).toMatch(/1-9,0 step D1-W5/);
    expect(step).toMatch(/↑↓ pick/);
    expect(step).toMatch(/⏎ step W6/);
    expect(footerText({ mode: 'step', names, selected: 10 }, 40).length).toBeLessThanOrEqual(40);
  });

  it('wrap keeps every word', () => {
    expect(wrap('B read $0.00, then wrote $1.00 over $1.00', 16)).toEqual(['B read $0.00,', 'then wrote $1.00', 'over $1.00']);
  });
});
