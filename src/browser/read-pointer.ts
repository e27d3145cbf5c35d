import { refused } from '../core/check-push-object.js'
import { MirrorError } from '../core/errors.js'
import { parsePagePointer, type PagePointer } from '../core/page-records.js'
import { pointerMagnet, pointerSignedBytes, type PointerName } from '../core/pointer.js'
import { acceptedBefore, verifiesEd25519 } from './check-signed.js'
import { askDaemon } from './read-records.js'

/**
 * The pointer a BEP 46 magnet names, through the daemon that served the
 * page (a browser cannot reach the DHT), checked here as a DHT node checks
 * an item before keeping it: its BEP 44 signature over salt, seq and v, by
 * the magnet's key. Then, as mirror-clone: a seq older than the push
 * object this browser accepted for that key and project is a rollback.
 * NO_RECORDS when the daemon has no pointer, or cannot reach the DHT.
 */
export async function readPointer (server: string, name: PointerName, signal: AbortSignal): Promise<PagePointer> {
  const magnet = pointerMagnet(name)
  const text = await askDaemon(`${server}/clone/pointer?magnet=${encodeURIComponent(magnet)}`, `the pointer for ${name.project}`, signal)
  const p = parsePagePointer(text, `the daemon's pointer for ${name.project}`)
  const sig = Buffer.from(p.sig, 'hex')
  if (!await verifiesEd25519(name.key, pointerSignedBytes(name.project, p.seq, p.infoHash), sig)) {
    throw new MirrorError('BAD_RECORD', `the pointer for ${name.project} is not signed by ${name.key.text} (seq ${p.seq})`)
  }
  const accepted = acceptedBefore(name.key.id, name.project)
  if (accepted !== null && p.seq < accepted.sequence) {
    throw refused('rollback', `the DHT pointer's sequence ${p.seq} is older than sequence ${accepted.sequence}, accepted before`, { sequence: p.seq, accepted: accepted.sequence })
  }
  return p
}
