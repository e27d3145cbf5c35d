// Polls with deadlines, and free loopback ports. No fixed sleeps.
import net from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'

/** Poll fn until it returns true; reject naming `what` once timeoutMs has passed. Errors thrown by fn propagate. */
export async function waitUntil (
  fn: () => boolean | Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; what: string }
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs
  const interval = opts.intervalMs ?? 50
  for (;;) {
    if (await fn()) return
    const left = deadline - Date.now()
    if (left <= 0) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}`)
    await delay(Math.min(interval, left))
  }
}

/** Settle like p, or reject with `${what} within ${ms} ms` when p takes longer. */
export async function withDeadline<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)
    })])
  } finally {
    clearTimeout(timer)
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const addr = server.address()
  await new Promise<void>(resolve => server.close(() => resolve()))
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address')
  return addr.port
}
