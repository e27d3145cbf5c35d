// A listener for BEP 14 local service discovery (LSD) on this host: joins
// the multicast group 239.192.152.143:6771 (bittorrent-lsd's) and records
// every infohash announced in a BT-SEARCH. Multicast sent from this host
// loops back to it (IP_MULTICAST_LOOP), so this sees what our own peers
// multicast. `control()` proves the listener can hear: it sends one
// announce with TTL 0 (delivered on this host only, never to a network)
// and waits for it.
import dgram from 'node:dgram'
import { randomBytes } from 'node:crypto'
import { withDeadline } from './wait.js'

export const LSD_HOST = '239.192.152.143'
export const LSD_PORT = 6771

export interface LsdListener {
  /** Infohashes (lower-case hex) heard so far, with their announcers' ports. */
  readonly heard: ReadonlyMap<string, number[]>
  /** Sends a TTL-0 announce of a random infohash and resolves once it was heard (rejects after 5 s). */
  control(): Promise<void>
  close(): Promise<void>
}

export async function listenLsd (): Promise<LsdListener> {
  const heard = new Map<string, number[]>()
  const waiters = new Map<string, () => void>()
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true })
  sock.on('message', (msg: Buffer) => {
    const lines = msg.toString('latin1').split('\r\n')
    if (lines[0] !== 'BT-SEARCH * HTTP/1.1') return
    const port = Number(lines.find(l => l.startsWith('Port: '))?.slice(6))
    for (const l of lines.filter(l => l.startsWith('Infohash: '))) {
      const ih = l.slice(10).trim().toLowerCase()
      heard.set(ih, [...(heard.get(ih) ?? []), port])
      waiters.get(ih)?.()
    }
  })
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject)
    sock.bind(LSD_PORT, () => { sock.off('error', reject); resolve() })
  })
  sock.addMembership(LSD_HOST)
  sock.on('error', () => {})
  const sender = dgram.createSocket({ type: 'udp4' })
  await new Promise<void>(resolve => sender.bind(0, '0.0.0.0', () => resolve()))
  sender.setMulticastTTL(0)   // this host only
  let closing: Promise<void> | undefined
  return {
    heard,
    control: async () => {
      const ih = randomBytes(20).toString('hex')
      const got = new Promise<void>(resolve => waiters.set(ih, resolve))
      sender.send(`BT-SEARCH * HTTP/1.1\r\nHost: ${LSD_HOST}:${LSD_PORT}\r\nPort: 1\r\nInfohash: ${ih}\r\n\r\n\r\n`, LSD_PORT, LSD_HOST)
      try { await withDeadline(got, 5000, 'the LSD listener hearing its own TTL-0 announce') } finally { waiters.delete(ih) }
    },
    close: () => (closing ??= Promise.all([
      new Promise<void>(resolve => sock.close(() => resolve())),
      new Promise<void>(resolve => sender.close(() => resolve()))
    ]).then(() => {}))
  }
}
