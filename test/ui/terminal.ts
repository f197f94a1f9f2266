import { EventEmitter } from 'node:events';
import { stripVTControlCharacters } from 'node:util';
import { render, type Instance } from 'ink';
import type { ReactElement } from 'react';

// ink-testing-library's terminal is always 100 columns with no height; the dashboard's layout
// depends on both, so these tests render into a terminal of a given size instead (same idea:
// debug mode writes every whole frame, the last one is what the screen shows).
class Screen extends EventEmitter {
  frames: string[] = [];
  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    super();
  }
  write = (frame: string): boolean => (this.frames.push(frame), true);
}

class Keyboard extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write = (data: string): void => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export interface Terminal {
  /** The screen's text now, without colours. */
  frame(): string;
  keys(input: string): void;
  unmount: Instance['unmount'];
}

export function renderAt(tree: ReactElement, columns: number, rows: number): Terminal {
  const stdout = new Screen(columns, rows);
  const stdin = new Keyboard();
  const instance = render(tree, {
    stdout: stdout as never,
    stderr: new Screen(columns, rows) as never,
    stdin: stdin as never,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return { frame: () => stripVTControlCharacters(stdout.frames.at(-1) ?? ''), keys: (input) => stdin.write(input), unmount: instance.unmount };
}

/** The frame's lines wider than `columns` (each character here takes one column), and its height. */
export function measure(frame: string, columns: number): { wide: string[]; height: number } {
  const lines = frame.replace(/\n$/, '').split('\n');
  return { wide: lines.filter((l) => [...l].length > columns), height: lines.length };
}
