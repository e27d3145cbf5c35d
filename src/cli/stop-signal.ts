/**
 * One AbortSignal for a long-running command: aborted by SIGINT/SIGTERM (the
 * reason is the signal's name) or when `durationMs` is over ('duration'). A
 * SIGINT that `onInterrupt` takes (it returns true: e.g. a clone skipping
 * the source it is trying) does not abort. A signal while shutting down
 * exits at once, after `onForce`.
 */
export function stopSignal (durationMs?: number, o: { onForce?: () => void, onInterrupt?: () => boolean } = {}): { signal: AbortSignal, dispose: () => void } {
  const controller = new AbortController()
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      o.onForce?.()   // synchronous last words: remove what must not stay behind
      process.exit(130)
    }
    if (sig === 'SIGINT' && o.onInterrupt?.() === true) return
    controller.abort(sig)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const timer = durationMs === undefined ? undefined : setTimeout(() => controller.abort('duration'), durationMs)
  return {
    signal: controller.signal,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer)
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}
