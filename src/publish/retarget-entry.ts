import { readFile } from 'node:fs/promises'
import type { Store, StoredBundle } from '../io/store/store.js'
import { readTorrent, retargetTorrent, setPrivateFlag } from '../io/torrent/torrent-file.js'

/**
 * The stored torrent for this publish's options: a new announce list or web
 * seeds keep the infohash; a switch between public and private sets or
 * clears BEP 27's flag in the info dictionary, which gives the other
 * infohash (always the same one for the same bundle, so an unchanged state
 * keeps one infohash per visibility), with no new bundle and no hashing.
 */
export async function retargetEntry (store: Store, entry: StoredBundle, t: { trackers: string[], webSeeds: string[], private: boolean }): Promise<StoredBundle> {
  const current = await readFile(entry.torrentPath)
  const parsed = await readTorrent(current, entry.torrentPath)
  const same = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])
  const switched = (parsed.private === true) === t.private ? null : setPrivateFlag(current, t.private)
  if (switched === null && same(parsed.announce, t.trackers) && same(parsed.urlList, t.webSeeds)) return entry
  const meta = switched === null ? entry.meta : { ...entry.meta, infoHash: switched.infoHash }
  return await store.update(entry, meta, retargetTorrent(switched?.torrent ?? current, t.trackers, t.webSeeds))
}
