import { describe, expect, it } from 'vitest';
import { A, ACCOUNT, EVENT_SIZE, G, SLOT, Shared } from '../../src/sim/stores/memory/layout.js';

/** The 64-byte lines that byte ranges [from, to) fall on, for a buffer that starts `base` bytes into a line. */
function linesOf(base: number, ranges: [number, number][]): Set<number> {
  const lines = new Set<number>();
  for (const [from, to] of ranges) for (let line = Math.floor((base + from) / 64); line <= Math.floor((base + to - 1) / 64); line++) lines.add(line);
  return lines;
}

describe('shared memory layout', () => {
  it('keeps what different threads write often on cache lines of their own, however the buffer is aligned', () => {
    const accounts = 2;
    const agents = 3;
    const slots = 2;
    const sh = Shared.create(accounts, agents, 16, slots);
    const cell = (i: number): [number, number] => [sh.cells.byteOffset + 4 * i, sh.cells.byteOffset + 4 * i + 4];
    const word = (i: number): [number, number] => [sh.words.byteOffset + 8 * i, sh.words.byteOffset + 8 * i + 8];
    const regions: Record<string, [number, number][]> = {
      // Read before every step: must not share a line with anything written per step.
      control: [
        ...Object.entries(G)
          .filter(([name]) => name !== 'EVENT_NEXT')
          .map(([, i]) => cell(i)),
        [sh.start.byteOffset, sh.start.byteOffset + 8],
      ],
      'event counter': [cell(G.EVENT_NEXT)],
      events: [cell(sh.eventBase), cell(sh.eventBase + 16 * EVENT_SIZE - 1)],
    };
    for (let s = 0; s < slots; s++) {
      regions[`slot ${s}`] = [
        ...Array.from({ length: accounts }, (_, a) => word(sh.word(s, a))),
        ...Object.values(SLOT).map((c) => cell(sh.slot(s, c))),
        ...Array.from({ length: accounts }, (_, a) => Object.values(ACCOUNT).map((c) => cell(sh.account(s, a, c)))).flat(),
      ];
    }
    for (let i = 0; i < agents; i++) regions[`agent ${i}`] = Object.values(A).map((c) => cell(sh.agent(i, c)));
    // A SharedArrayBuffer's memory is only known to be 16-byte aligned.
    for (const base of [0, 16, 32, 48]) {
      const lines = Object.entries(regions).map(([name, ranges]) => [name, linesOf(base, ranges)] as const);
      for (const [a, linesA] of lines) {
        for (const [b, linesB] of lines) {
          if (a < b)
            expect(
              [...linesA].filter((l) => linesB.has(l)),
              `${a} and ${b} share a line (base ${base})`,
            ).toEqual([]);
        }
      }
    }
  });

  it('keeps every cell, word and event record inside the buffer and apart from each other', () => {
    const sh = Shared.create(3, 4, 8, 5);
    const taken = new Map<number, string>();
    const cellByte = (i: number) => sh.cells.byteOffset + 4 * i;
    const wordByte = (i: number) => sh.words.byteOffset + 8 * i;
    const claim = (byte: number, bytes: number, what: string) => {
      expect(byte + bytes, what).toBeLessThanOrEqual(sh.cells.buffer.byteLength);
      for (let b = byte; b < byte + bytes; b++) {
        expect(taken.get(b), `${what} overlaps ${taken.get(b)}`).toBeUndefined();
        taken.set(b, what);
      }
    };
    for (const [name, i] of Object.entries(G)) claim(cellByte(i), 4, `G.${name}`);
    claim(sh.start.byteOffset, 8, 'start');
    for (let s = 0; s < 5; s++) {
      for (let a = 0; a < 3; a++) claim(wordByte(sh.word(s, a)), 8, `word ${s}/${a}`);
      for (const [name, c] of Object.entries(SLOT)) claim(cellByte(sh.slot(s, c)), 4, `SLOT.${name} ${s}`);
      for (let a = 0; a < 3; a++) for (const [name, c] of Object.entries(ACCOUNT)) claim(cellByte(sh.account(s, a, c)), 4, `ACCOUNT.${name} ${s}/${a}`);
    }
    for (let i = 0; i < 4; i++) for (const [name, c] of Object.entries(A)) claim(cellByte(sh.agent(i, c)), 4, `A.${name} ${i}`);
    for (let e = 0; e < 8; e++) claim(cellByte(sh.eventBase + e * EVENT_SIZE), 4 * EVENT_SIZE, `event ${e}`);
  });
});
