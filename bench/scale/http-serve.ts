// One file over plain HTTP (GET/HEAD, single byte ranges), run inside the
// seeder's network namespace for the HTTP side of the scale benchmark:
//   ip netns exec NS node http-serve.js --host 10.213.0.2 --file BUNDLE
// Prints {"port":N,"url":"http://host:N/<name>"} once listening; on SIGTERM
// or SIGINT prints {"bytesSent":N,"requests":N} (response body bytes) and exits.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { host: { type: 'string' }, file: { type: 'string' }, port: { type: 'string' } } })
if (values.host === undefined || values.file === undefined) {
  process.stderr.write('usage: http-serve.js --host ADDR --file FILE [--port N]\n')
  process.exit(2)
}
const file = path.resolve(values.file)
const name = path.basename(file)
const size = (await stat(file)).size
let bytesSent = 0
let requests = 0

const server = http.createServer((req, res) => {
  requests++
  if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return }
  if (decodeURIComponent((req.url ?? '/').split('?')[0]!) !== `/${name}`) { res.writeHead(404).end(); return }
  let start = 0
  let end = size - 1
  let status = 200
  const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '')
  if (m !== null && (m[1] !== '' || m[2] !== '')) {
    if (m[1] === '') { start = Math.max(0, size - Number(m[2])) } else {
      start = Number(m[1])
      if (m[2] !== '') end = Math.min(size - 1, Number(m[2]))
    }
    if (start >= size || end < start) {
      res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end()
      return
    }
    status = 206
  }
  res.writeHead(status, {
    'Content-Type': 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    'Content-Length': String(end - start + 1),
    ...(status === 206 ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {})
  })
  if (req.method === 'HEAD') { res.end(); return }
  const stream = createReadStream(file, { start, end, highWaterMark: 256 * 1024 })
  stream.on('data', (chunk) => { bytesSent += chunk.length })
  stream.on('error', () => res.destroy())
  res.on('close', () => stream.destroy())
  stream.pipe(res)
})

server.listen(values.port === undefined ? 0 : Number(values.port), values.host, () => {
  const addr = server.address()
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address')
  process.stdout.write(`${JSON.stringify({ port: addr.port, url: `http://${values.host}:${addr.port}/${encodeURIComponent(name)}` })}\n`)
})

const stop = (): void => {
  process.stdout.write(`${JSON.stringify({ bytesSent, requests })}\n`)
  server.closeAllConnections()
  server.close()
  setTimeout(() => process.exit(0), 200).unref()
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
