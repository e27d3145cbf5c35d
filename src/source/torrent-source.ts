import { addressRefusal } from '../core/address-policy.js'
import { MirrorError } from '../core/errors.js'
import { parseMagnetRecord } from '../core/records.js'
import { RECORD_REFS, type RecordName } from '../core/refs.js'
import { checkBundleTorrent, type BundleTorrentShape } from '../core/torrent-policy.js'
import { readMagnet, readTorrent, type MagnetSource, type ParsedTorrent } from '../io/torrent/torrent-file.js'

/** The swarm's copy of a bundle, as the records name it: parsed, its infohash known, not yet checked against the policy. */
export type TorrentRecord =
  | { kind: 'torrent', parsed: ParsedTorrent, torrentFile: Buffer, infoHash: string, what: string }
  | { kind: 'magnet', magnet: MagnetSource, infoHash: string, what: string }

/** A torrent record that passed the policy; a magnet's metadata is checked when the swarm sends it. */
export type TorrentSource =
  | (Extract<TorrentRecord, { kind: 'torrent' }> & { shape: BundleTorrentShape })
  | Extract<TorrentRecord, { kind: 'magnet' }>

/**
 * The torrent record, else the magnet record, parsed (BAD_RECORD when it
 * does not parse); null when the remote publishes neither.
 */
export async function readTorrentRecord (records: Partial<Record<RecordName, Buffer>>, url: string): Promise<TorrentRecord | null> {
  if (records.torrent !== undefined) {
    const what = `${RECORD_REFS.torrent} on ${url}`
    const parsed = await readTorrent(records.torrent, what)
    return { kind: 'torrent', parsed, torrentFile: records.torrent, infoHash: parsed.infoHash, what }
  }
  if (records.magnet !== undefined) {
    const what = `${RECORD_REFS.magnet} on ${url}`
    const { uri } = parseMagnetRecord(records.magnet.toString('utf8'), what)
    const magnet = await readMagnet(uri, what)
    return { kind: 'magnet', magnet, infoHash: magnet.infoHash, what }
  }
  return null
}

/**
 * The torrent against the bundle-torrent policy before anything is
 * written (one plain *.bundle file, or a signed publish's folder of bundle
 * and push object; under `maxSize`; a consistent piece table):
 * UNSAFE_TORRENT or TOO_LARGE when refused.
 */
export function checkTorrentRecord (r: TorrentRecord, o: { maxSize: number }): TorrentSource {
  if (r.kind === 'magnet') return r
  return { ...r, shape: checkBundleTorrent(r.parsed.info, { maxSize: o.maxSize, ref: r.what }) }
}

/**
 * The source without the web seeds (a torrent's url-list, a magnet's ws=
 * and as=) and trackers (its announce list, a magnet's tr=) this machine
 * must not contact for a clone of `origin` (core/address-policy.ts), and
 * those left out, with what they were and why. Trackers the user
 * configured (--tracker, mirror.tracker) replace a public torrent's and
 * are theirs to choose; a private torrent's own are used, and screened.
 */
export function screenAddresses (s: TorrentSource, origin: string, o: { userTrackers: boolean }): { source: TorrentSource, refused: Array<{ what: 'web seed' | 'tracker', url: string, reason: string }> } {
  const refused: Array<{ what: 'web seed' | 'tracker', url: string, reason: string }> = []
  const screen = (what: 'web seed' | 'tracker', urls: string[]): string[] => urls.filter(u => {
    let reason: string | null
    try { reason = addressRefusal(new URL(u), origin) } catch { reason = 'is not a URL' }
    if (reason !== null) refused.push({ what, url: u, reason })
    return reason === null
  })
  const from = s.kind === 'torrent' ? s.parsed : s.magnet
  const urlList = screen('web seed', from.urlList ?? [])
  // a private torrent (BEP 27) is announced to its own trackers whatever the user configured: they are screened too
  const ownTrackers = !o.userTrackers || (s.kind === 'torrent' && s.parsed.private === true)
  const announce = ownTrackers ? screen('tracker', from.announce ?? []) : from.announce ?? []
  if (refused.length === 0) return { source: s, refused }
  return { source: s.kind === 'torrent' ? { ...s, parsed: { ...s.parsed, urlList, announce } } : { ...s, magnet: { ...s.magnet, urlList, announce } }, refused }
}

/** NO_RECORDS: what a seeder says of a remote that publishes no bundle. */
export function noBundle (url: string): MirrorError {
  return new MirrorError('NO_RECORDS', `${url} publishes no bundle (no ${RECORD_REFS.torrent} or ${RECORD_REFS.magnet})`, { url })
}
