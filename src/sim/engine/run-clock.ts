/** A run's clock: the time its agents ran, paused time excluded (rates and the header use it). */
export class RunClock {
  private since = 0;
  private ranMs = 0;

  /** Starts (or resumes) counting. */
  start(): void {
    if (!this.since) this.since = performance.now();
  }

  /** Stops (or pauses) counting. */
  stop(): void {
    if (this.since) this.ranMs += performance.now() - this.since;
    this.since = 0;
  }

  get elapsedMs(): number {
    return this.ranMs + (this.since ? performance.now() - this.since : 0);
  }
}
