/**
 * An agent's name on the command line (--crash C@3, --pause-holder D2@1:300ms) to its index: the
 * inverse of agentName (A, B.. or A27 in the race and async scenarios; D1.., W1.., T1.., C1..
 * elsewhere). One function for every flag, so each reads the names the program prints.
 */
import type { SimConfig } from '../sim/model/config.js';

/** The agent's index, or null for a name of the wrong form. An index past the last agent is for validate() to report. */
export function agentIndexOf(name: string, c: SimConfig): number | null {
  if (c.scenario === 'race' || c.scenario === 'async') {
    if (/^[A-Z]$/.test(name)) return name.charCodeAt(0) - 65;
    const m = /^A(\d+)$/.exec(name);
    return m ? Number(m[1]) - 1 : null;
  }
  const m = /^([DWTC])(\d+)$/.exec(name);
  return m ? (m[1] === 'W' ? c.depositors : 0) + Number(m[2]) - 1 : null;
}
