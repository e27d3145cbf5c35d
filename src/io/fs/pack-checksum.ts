import { open } from 'node:fs/promises'
import { MirrorError } from '../../core/errors.js'

/**
 * The pack checksum a pack index (.idx, version 2) records: the 20 bytes
 * before the index's own checksum at its end. It equals the last 20 bytes
 * of the pack the index describes.
 */
export async function packChecksumOf (idx: string): Promise<Buffer> {
  const fh = await open(idx, 'r')
  try {
    const { size } = await fh.stat()
    const buf = Buffer.alloc(20)
    // a version 2 index: 8-byte header, 1 KiB fan-out table, then at least the two checksums
    if (size < 1072 || (await fh.read(buf, 0, 20, size - 40)).bytesRead !== 20) throw new MirrorError('BAD_BUNDLE', `${idx} is too short to be a pack index`)
    return buf
  } finally {
    await fh.close()
  }
}
