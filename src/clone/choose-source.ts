import { isMirrorError, MirrorError } from '../core/errors.js'
import { parseMagnetRecord } from '../core/records.js'
import { RECORD_REFS, type RecordName } from '../core/refs.js'
import { checkBundleTorrent, type BundleTorrentShape } from '../core/torrent-policy.js'
import { readMagnet, readTorrent, type MagnetSource, type ParsedTorrent } from '../io/torrent/torrent-file.js'

/** Where a bundle can come from, checked as far as the records allow before anything is written. */
export type BundleSource =
  | { kind: 'torrent', parsed: ParsedTorrent, torrentFile: Buffer, shape: BundleTorrentShape, what: string }
  | { kind: 'magnet', magnet: MagnetSource, what: string }

/**
 * The torrent record, checked (one plain *.bundle file, or a signed
 * publish's folder of bundle and push object; under `maxSize`, a
 * consistent piece table); else the magnet record, whose metadata is
 * checked the same way when the swarm sends it. NO_RECORDS when the remote
 * publishes neither; BAD_RECORD, UNSAFE_TORRENT or TOO_LARGE when what it
 * publishes is refused (with the infohash in `data` when the torrent parsed).
 */
export async function chooseSource (
  records: Partial<Record<RecordName, Buffer>>, o: { url: string, maxSize: number }
): Promise<BundleSource> {
  if (records.torrent !== undefined) {
    const what = `${RECORD_REFS.torrent} on ${o.url}`
    const parsed = await readTorrent(records.torrent, what)
    let shape
    try {
      shape = checkBundleTorrent(parsed.info, { maxSize: o.maxSize, ref: what })
    } catch (err) {
      if (isMirrorError(err)) Object.assign(err.data, { infoHash: parsed.infoHash })
      throw err
    }
    return { kind: 'torrent', parsed, torrentFile: records.torrent, shape, what }
  }
  if (records.magnet !== undefined) {
    const what = `${RECORD_REFS.magnet} on ${o.url}`
    const { uri } = parseMagnetRecord(records.magnet.toString('utf8'), what)
    return { kind: 'magnet', magnet: await readMagnet(uri, what), what }
  }
  throw new MirrorError('NO_RECORDS', `${o.url} publishes no bundle (no ${RECORD_REFS.torrent} or ${RECORD_REFS.magnet})`, { url: o.url })
}

export function sourceInfoHash (s: BundleSource): string {
  return s.kind === 'torrent' ? s.parsed.infoHash : s.magnet.infoHash
}
