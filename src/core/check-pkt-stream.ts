/**
 * Whether a response in git's pkt-line framing (gitprotocol-common(5): four
 * hex digits of length, then the payload; 0000 flush, 0001 delim, 0002
 * response-end) arrived whole. Both answers a ref listing over smart HTTP
 * reads end with a flush-pkt: the advertisement of GET info/refs (v1 and v2)
 * and the output of a v2 ls-refs command (`*ref flush-pkt`).
 *
 * isomorphic-git's reader (GitPktLine.streamReader) ends a listing quietly
 * at the first framing error or where the body breaks off: it returns the
 * refs read so far, and a listing cut short would look like records that
 * were removed. This is the check it leaves out, made on the whole body
 * before isomorphic-git parses it.
 */
export type PktStream =
  | { kind: 'complete', packets: number }   // `packets`: the data packets (not flush, delim or response-end)
  | { kind: 'truncated' }                   // ends inside a packet, or not with a flush-pkt
  | { kind: 'malformed', offset: number }   // a length that is not four hex digits, or 3
  | { kind: 'error', message: string }      // an ERR packet: the server's own one-line reason

/** The longest part of a server's ERR message kept (it goes into a one-line error). */
export const MAX_ERR_MESSAGE = 200

const ERR = 'ERR '

export function checkPktStream (buf: Uint8Array): PktStream {
  let at = 0
  let packets = 0
  let endsWithFlush = false
  while (at < buf.length) {
    if (buf.length - at < 4) return { kind: 'truncated' }
    const len = hexLength(buf, at)
    if (len === null || len === 3) return { kind: 'malformed', offset: at }
    endsWithFlush = len === 0
    if (len < 4) { at += 4; continue }
    if (at + len > buf.length) return { kind: 'truncated' }
    const payload = buf.subarray(at + 4, at + len)
    if (startsWithErr(payload)) return { kind: 'error', message: oneLine(payload.subarray(ERR.length)) }
    packets++
    at += len
  }
  return endsWithFlush ? { kind: 'complete', packets } : { kind: 'truncated' }
}

function hexLength (buf: Uint8Array, at: number): number | null {
  let n = 0
  for (let i = at; i < at + 4; i++) {
    const c = buf[i]!
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1
    if (d < 0) return null
    n = n * 16 + d
  }
  return n
}

function startsWithErr (payload: Uint8Array): boolean {
  return payload.length >= ERR.length && [...ERR].every((ch, i) => payload[i] === ch.charCodeAt(0))
}

/** The server's text as one printable line: control characters become spaces, cut at MAX_ERR_MESSAGE. */
function oneLine (bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('utf8').replace(/[\x00-\x1f\x7f]+/g, ' ').trim()
  return text.length > MAX_ERR_MESSAGE ? `${text.slice(0, MAX_ERR_MESSAGE)}...` : text
}
