import { open } from 'node:fs/promises'
import { parseBundleHeader, type BundleHeader } from '../../core/bundle-header.js'
import { MirrorError } from '../../core/errors.js'

/** Enough for hundreds of thousands of refs; a larger "header" is not one. */
const MAX_HEADER_BYTES = 64 * 1024 * 1024

/** Reads a bundle file's header only, growing the read until it is complete. */
export async function readBundleHeader (file: string): Promise<BundleHeader> {
  const fh = await open(file, 'r')
  try {
    let buf = Buffer.alloc(0)
    let chunk = 64 * 1024
    for (;;) {
      const more = Buffer.alloc(chunk)
      const { bytesRead } = await fh.read(more, 0, chunk, buf.length)
      buf = Buffer.concat([buf, more.subarray(0, bytesRead)])
      const header = parseBundleHeader(buf)
      if (header !== null) return header
      if (bytesRead === 0) throw new MirrorError('BAD_BUNDLE', 'the bundle ends inside its header')
      if (buf.length >= MAX_HEADER_BYTES) throw new MirrorError('BAD_BUNDLE', 'the bundle header is larger than 64 MiB')
      chunk = Math.min(chunk * 2, 8 * 1024 * 1024)
    }
  } finally {
    await fh.close()
  }
}
