import { open, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import type { Torrent } from 'webtorrent'
import { MirrorError } from '../../core/errors.js'

const CHUNK = 1 << 20

/**
 * The bytes of one of a downloading torrent's files, in order, as soon as
 * the pieces holding them verified (download.ts picks pieces within
 * PIECE_WINDOW_BYTES of what is requested already, piece-window.ts, so
 * they come about in order): what lets a consumer (git index-pack) work
 * while the download goes on. Read back from the file on
 * disk, a megabyte at a time. Ends with an error when `signal` aborts or
 * the torrent goes away before the file is complete.
 */
export async function * readInOrder (torrent: Torrent, filePath: string, signal: AbortSignal): AsyncGenerator<Buffer> {
  const file = torrent.files.find(f => f.path === filePath)
  if (file === undefined) throw new Error(`torrent ${torrent.infoHash} has no file ${filePath}`)
  let fh: FileHandle | null = null
  try {
    for (let pos = 0; pos < file.length;) {
      const at = file.offset + pos
      const piece = Math.floor(at / torrent.pieceLength)
      await verified(torrent, piece, signal)
      fh ??= await open(path.join(torrent.path, file.path), 'r')
      const end = Math.min((piece + 1) * torrent.pieceLength - file.offset, file.length)
      while (pos < end) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, end - pos))
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos)
        if (bytesRead !== buf.length) throw new Error(`${file.path} is shorter on disk than its verified pieces`)
        pos += bytesRead
        yield buf
      }
    }
  } finally {
    await fh?.close()
  }
}

/** Resolves once `piece` verified; rejects on abort or when the torrent is destroyed first. */
async function verified (torrent: Torrent, piece: number, signal: AbortSignal): Promise<void> {
  if (torrent.bitfield.get(piece)) return
  await new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      torrent.removeListener('verified', onVerified)
      torrent.removeListener('close', onGone)
      signal.removeEventListener('abort', onGone)
    }
    const onVerified = (i: number): void => { if (i === piece) { cleanup(); resolve() } }
    const onGone = (): void => { cleanup(); reject(new MirrorError('ABORTED', 'the download stopped before the bundle was complete')) }
    if (signal.aborted || torrent.destroyed) { onGone(); return }
    torrent.on('verified', onVerified)
    torrent.once('close', onGone)
    signal.addEventListener('abort', onGone)
  })
}
