/**
 * A trickle is a stall. A source must deliver at least `minBytesPerSecond`
 * on average over every window of `windowMs` (at least one byte when the
 * minimum is 0), counted once it has been watched for a whole window: a
 * source that is connected but too slow to finish in reasonable time is
 * abandoned as surely as a silent one, so a clone's time is bounded by the
 * sources' windows, never by a slow peer or server. Pure: the caller feeds
 * samples of the running total with the time they were taken.
 */
export class RateWatch {
  private readonly windowMs: number
  private readonly minBytes: number
  private start: number
  /** Samples within the last window and the newest one at or before its start: (time, running total). */
  private readonly samples: Array<{ at: number, total: number }> = []

  constructor (o: { windowMs: number, minBytesPerSecond: number, now: number, total?: number }) {
    if (!(o.windowMs > 0) || !(o.minBytesPerSecond >= 0)) throw new RangeError(`bad rate watch ${o.windowMs} ms, ${o.minBytesPerSecond} B/s`)
    this.windowMs = o.windowMs
    this.minBytes = Math.max(1, Math.ceil(o.minBytesPerSecond * o.windowMs / 1000))
    this.start = o.now
    this.samples.push({ at: o.now, total: o.total ?? 0 })
  }

  /** Starts the watch again from `now` with the running total then (e.g. once a download is ready and its existing data hashed). */
  restart (now: number, total: number): void {
    this.start = now
    this.samples.length = 0
    this.samples.push({ at: now, total })
  }

  /**
   * Records the running total at `now` and says whether the source stalled:
   * null while it keeps up, else the bytes it delivered over the last window.
   */
  sample (now: number, total: number): { got: number, needed: number, windowMs: number } | null {
    this.samples.push({ at: now, total })
    // keep the newest sample at or before the window's start, and all after it
    while (this.samples.length > 1 && this.samples[1]!.at <= now - this.windowMs) this.samples.shift()
    if (now - this.start < this.windowMs) return null
    const got = total - this.samples[0]!.total   // the first sample is the window's start or older: the start of the watch at worst
    return got >= this.minBytes ? null : { got, needed: this.minBytes, windowMs: this.windowMs }
  }
}
