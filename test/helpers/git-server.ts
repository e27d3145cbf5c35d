// A real smart-HTTP git server on loopback: node's http server in front of
// `git http-backend` run as a CGI per request (fetch, clone, push, protocol v2).
import { spawn, type ChildProcess } from 'node:child_process'
import http from 'node:http'
import Debug from 'debug'
import { closeServer, listenLoopback, newStats, splitUrl, type RequestRecord } from './http-stats.js'
import { withDeadline } from './wait.js'

const debug = Debug('gtm:test:git-server')

export interface GitServer {
  port: number
  /** http://127.0.0.1:PORT/<repoPath> */
  url(repoPath: string): string
  /** total response body bytes sent, all requests */
  readonly bytesSent: number
  readonly requests: RequestRecord[]
  resetStats(): void
  close(): Promise<void>
}

const MAX_CGI_HEADER = 64 * 1024

export interface GitServerOptions {
  root: string
  env: NodeJS.ProcessEnv
  /**
   * HTTP Basic authentication for every request (off by default): a request
   * without these credentials gets 401 and `WWW-Authenticate: Basic`, as a
   * server of a private repository answers; git then asks its credential
   * helper and retries.
   */
  auth?: { user: string; password: string }
}

export async function startGitServer (opts: GitServerOptions): Promise<GitServer> {
  let stats = newStats()
  const cgis = new Set<ChildProcess>()
  let port = 0

  const server = http.createServer((req, res) => {
    const { path, query } = splitUrl(req.url)
    let bytes = 0
    res.once('close', () => {
      stats.requests.push({ method: req.method ?? '', path, query, status: res.statusCode, bytes })
    })
    if (opts.auth !== undefined && req.headers.authorization !== `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.password}`).toString('base64')}`) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' }).end('authentication required\n')
      return
    }
    let pathInfo: string
    try { pathInfo = decodeURIComponent(path) } catch {
      res.writeHead(400).end()
      return
    }
    const cgi = spawn('git', ['http-backend'], {
      cwd: opts.root,
      env: cgiEnv(opts, req, pathInfo, query, port),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true   // its own process group: upload-pack and pack-objects die with it
    })
    cgis.add(cgi)
    let stderrTail = ''
    let head: Buffer | null = Buffer.alloc(0) // null once the CGI header block is parsed

    const send = (chunk: Buffer): void => {
      if (chunk.length === 0) return
      bytes += chunk.length
      stats.bytesSent += chunk.length
      if (!res.write(chunk)) {
        cgi.stdout?.pause()
        res.once('drain', () => cgi.stdout?.resume())
      }
    }
    const fail = (why: string): void => {
      debug('%s %s: %s', req.method, req.url, why)
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' })
      res.end(why + '\n')
      killGroup(cgi)
    }

    cgi.on('error', err => fail(`git http-backend: ${err.message}`))
    cgi.stdin?.on('error', () => { /* the CGI may answer before reading the body */ })
    req.pipe(cgi.stdin!)
    cgi.stderr?.on('data', (d: Buffer) => {
      const s = d.toString()
      debug('%s %s stderr: %s', req.method, path, s.trimEnd())
      stderrTail = (stderrTail + s).slice(-4096)
    })
    cgi.stdout?.on('data', (chunk: Buffer) => {
      if (head === null) { send(chunk); return }
      head = Buffer.concat([head, chunk])
      const end = headerEnd(head)
      if (end === -1) {
        if (head.length > MAX_CGI_HEADER) fail('CGI header block too large')
        return
      }
      const body = head.subarray(end)
      applyCgiHeaders(res, head.subarray(0, end).toString('latin1'))
      head = null
      send(body)
    })
    cgi.on('close', (code, signal) => {
      cgis.delete(cgi)
      if (res.writableEnded) return
      if (head !== null) fail(`git http-backend exited (${code ?? signal}) without headers: ${stderrTail.trim()}`)
      else res.end()
    })
    res.once('close', () => {
      if (!res.writableFinished) killGroup(cgi) // client went away
    })
  })

  port = await listenLoopback(server)
  debug('listening on %d, root %s', port, opts.root)

  let closing: Promise<void> | undefined
  return {
    port,
    url: (repoPath: string) => `http://127.0.0.1:${port}/${encodePath(repoPath)}`,
    get bytesSent () { return stats.bytesSent },
    get requests () { return stats.requests },
    resetStats: () => { stats = newStats() },
    close: () => (closing ??= closeAll(server, cgis))
  }
}

function cgiEnv (
  opts: GitServerOptions,
  req: http.IncomingMessage,
  pathInfo: string,
  query: string,
  port: number
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...opts.env,
    GIT_PROJECT_ROOT: opts.root,
    GIT_HTTP_EXPORT_ALL: '1',
    REMOTE_USER: 'test',
    REMOTE_ADDR: '127.0.0.1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_NAME: '127.0.0.1',
    SERVER_PORT: String(port),
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: pathInfo,
    QUERY_STRING: query
  }
  for (const k of ['CONTENT_TYPE', 'CONTENT_LENGTH', 'HTTP_CONTENT_ENCODING', 'GIT_PROTOCOL']) delete env[k]
  const h = req.headers
  if (h['content-type'] !== undefined) env.CONTENT_TYPE = h['content-type']
  if (h['content-length'] !== undefined) env.CONTENT_LENGTH = h['content-length']
  if (h['content-encoding'] !== undefined) env.HTTP_CONTENT_ENCODING = h['content-encoding']
  const proto = h['git-protocol']
  if (typeof proto === 'string') env.GIT_PROTOCOL = proto
  return env
}

/** Offset of the body after the CGI header block (blank line, LF or CRLF), or -1. */
export function headerEnd (buf: Buffer): number {
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) {
    if (buf[i + 1] === 10) return i + 2
    if (buf[i + 1] === 13 && buf[i + 2] === 10) return i + 3
  }
  return -1
}

function applyCgiHeaders (res: http.ServerResponse, block: string): void {
  const headers = new Map<string, string[]>()
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim()
    const value = line.slice(colon + 1).trim()
    if (name.toLowerCase() === 'status') {
      res.statusCode = Number.parseInt(value, 10) || 500
      continue
    }
    headers.set(name, [...(headers.get(name) ?? []), value])
  }
  for (const [name, values] of headers) res.setHeader(name, values.length === 1 ? values[0]! : values)
}

function encodePath (p: string): string {
  return p.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/')
}

async function closeAll (server: http.Server, cgis: Set<ChildProcess>): Promise<void> {
  const exits = [...cgis].map(async cgi => {
    if (cgi.exitCode !== null || cgi.signalCode !== null) return
    await new Promise(resolve => { cgi.once('close', resolve); killGroup(cgi) })
  })
  await closeServer(server)
  await withDeadline(Promise.all(exits), 5000, 'git http-backend processes did not exit')
}

/**
 * SIGKILL to a CGI and what it started (git upload-pack, pack-objects): on
 * its own, an orphaned upload-pack blocks writing into the pipe it
 * inherited, which keeps the CGI's stdout open and the test process alive.
 */
function killGroup (cgi: ChildProcess): void {
  try { process.kill(-cgi.pid!, 'SIGKILL') } catch { cgi.kill('SIGKILL') }
}
