import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import createDebug from 'debug'

const debug = createDebug('mirror:askpass')

/** Asks the user (the CLI's terminal): `hidden` for passwords and passphrases. */
export type Ask = (prompt: string, hidden: boolean) => Promise<string>

/** The longest prompt or answer passed through (git's and ssh's prompts are one short line). */
const MAX_LINE = 4096

/**
 * Credential prompts for one run, asked once. git runs several times
 * against the origin in one clone (its refs, the records, the final fetch),
 * and each run would ask for the password again; ssh would ask for a key's
 * passphrase at every connection. And git runs in its own session (so that
 * a timeout can kill what it started), where it cannot open the terminal.
 * So git and ssh are given an askpass program (GIT_ASKPASS, SSH_ASKPASS with
 * SSH_ASKPASS_REQUIRE=force) that hands each prompt over a private socket
 * to this process, which asks the user through `ask` once per prompt text
 * and answers repeats from memory. Nothing is written to disk but the
 * helper itself; the answers end with the process. git's credential
 * helpers are still asked first, and told of what worked, as in git clone.
 */
export class AskPass {
  readonly env: NodeJS.ProcessEnv
  private readonly server: Server
  private readonly dir: string
  private readonly answers = new Map<string, string>()
  private queue: Promise<unknown> = Promise.resolve()
  private closing: Promise<void> | null = null

  private constructor (dir: string, server: Server, env: NodeJS.ProcessEnv) {
    this.dir = dir
    this.server = server
    this.env = env
  }

  /** Starts the socket and writes the helper into a private directory; `close()` removes both. */
  static async start (ask: Ask): Promise<AskPass> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'git-torrent-mirror-askpass-'))   // mode 0700
    const token = randomBytes(32).toString('hex')
    const socket = path.join(dir, 'socket')
    const helper = path.join(dir, 'askpass')
    await writeFile(path.join(dir, 'askpass.cjs'), HELPER, { mode: 0o600 })
    await writeFile(helper, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(path.join(dir, 'askpass.cjs'))} "$@"\n`, { mode: 0o700 })
    await chmod(helper, 0o700)
    let self: AskPass | null = null
    const server = createServer(conn => { self?.serve(conn, token) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(socket, () => { server.off('error', reject); resolve() })
    })
    server.unref()   // never what keeps the process alive
    self = new AskPass(dir, server, {
      GIT_ASKPASS: helper,
      SSH_ASKPASS: helper,
      SSH_ASKPASS_REQUIRE: 'force',
      GIT_TORRENT_MIRROR_ASKPASS: `${socket}\n${token}`
    })
    self.ask = ask
    return self
  }

  private ask: Ask = async () => { throw new Error('no terminal') }

  private serve (conn: Socket, token: string): void {
    conn.on('error', () => {})
    const lines = createInterface({ input: conn, crlfDelay: Infinity })
    lines.once('line', line => {
      lines.close()
      void this.answer(line, token).then(
        reply => conn.end(JSON.stringify({ answer: reply }) + '\n'),
        (err: unknown) => { debug('no answer: %s', (err as Error).message); conn.end('{}\n') })
    })
  }

  private async answer (line: string, token: string): Promise<string> {
    if (line.length > MAX_LINE) throw new Error('request too long')
    const req = JSON.parse(line) as { token?: unknown, prompt?: unknown }
    const given = Buffer.from(typeof req.token === 'string' ? req.token : '')
    if (given.length !== token.length || !timingSafeEqual(given, Buffer.from(token))) throw new Error('bad token')
    if (typeof req.prompt !== 'string') throw new Error('no prompt')
    // eslint-disable-next-line no-control-regex
    const prompt = req.prompt.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?')   // git's text, but a URL in it is the origin's
    // one prompt at a time: a second git asking the same thing meanwhile gets the first answer
    const run = this.queue.then(async () => {
      const known = this.answers.get(prompt)
      if (known !== undefined) return known
      const hidden = !/^Username\b/i.test(prompt) && !/\(yes\/no/.test(prompt)
      const answer = (await this.ask(prompt, hidden)).slice(0, MAX_LINE)
      this.answers.set(prompt, answer)
      return answer
    })
    this.queue = run.catch(() => {})
    return await run
  }

  /** Forgets the answers, stops the socket, removes the helper. Idempotent. */
  async close (): Promise<void> {
    this.closing ??= (async () => {
      this.answers.clear()
      await new Promise<void>(resolve => this.server.close(() => resolve()))
      await rm(this.dir, { recursive: true, force: true })
    })()
    await this.closing
  }
}

function shellQuote (s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`
}

/**
 * The askpass program git and ssh run with the prompt as its argument: it
 * asks this process over the socket and prints the answer. Plain CommonJS,
 * no dependencies: it runs from the private directory.
 */
const HELPER = `'use strict'
const net = require('node:net')
const [socket, token] = (process.env.GIT_TORRENT_MIRROR_ASKPASS || '').split('\\n')
if (!socket || !token) process.exit(1)
const conn = net.connect(socket)
let data = ''
conn.setEncoding('utf8')
conn.on('data', d => { data += d; if (data.length > 65536) process.exit(1) })
conn.on('error', () => process.exit(1))
conn.on('end', () => {
  try {
    const { answer } = JSON.parse(data)
    if (typeof answer !== 'string') process.exit(1)
    process.stdout.write(answer + '\\n')
  } catch { process.exit(1) }
})
conn.write(JSON.stringify({ token, prompt: String(process.argv[2] || '') }) + '\\n')
`
