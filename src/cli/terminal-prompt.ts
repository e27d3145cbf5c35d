/**
 * Asks on the terminal (stdin and stderr): the line typed, echoed unless
 * `hidden` (passwords, passphrases), as git's own prompt does. Ctrl-C
 * while asking is a Ctrl-C (SIGINT to this process); Ctrl-D gives up.
 */
export async function terminalPrompt (prompt: string, hidden: boolean): Promise<string> {
  const input = process.stdin
  const out = process.stderr
  const wasRaw = input.isRaw
  input.setRawMode(true)   // before the prompt shows: a password typed at once is never echoed
  out.write(`\r\x1b[K${prompt}`)   // over any progress line
  input.resume()
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = ''
      const onData = (chunk: Buffer): void => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') { finish(); resolve(typed); return }
          if (ch === '\x03') { finish(); reject(new Error('interrupted')); process.kill(process.pid, 'SIGINT'); return }
          if (ch === '\x04') { finish(); reject(new Error('no answer')); return }
          if (ch === '\x7f' || ch === '\b') {
            if (typed.length > 0) { typed = [...typed].slice(0, -1).join(''); if (!hidden) out.write('\b \b') }
            continue
          }
          if (ch < ' ') continue
          typed += ch
          if (!hidden) out.write(ch)
        }
      }
      const finish = (): void => { input.off('data', onData); out.write('\n') }
      input.on('data', onData)
    })
  } finally {
    input.setRawMode(wasRaw)
    input.pause()
  }
}
