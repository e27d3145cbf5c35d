// A bounded loopback HTTP request without keep-alive, for tests and helpers.
import http from 'node:http'

export interface HttpResponse { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

export async function httpRequest (
  url: string,
  opts: { method?: string; headers?: http.OutgoingHttpHeaders; timeoutMs?: number } = {}
): Promise<HttpResponse> {
  const timeoutMs = opts.timeoutMs ?? 10000
  return await new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false, timeout: timeoutMs }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('timeout', () => req.destroy(new Error(`${opts.method ?? 'GET'} ${url}: no answer within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end()
  })
}

/** GET url; reject unless 2xx. */
export async function getText (url: string, timeoutMs = 10000): Promise<string> {
  const res = await httpRequest(url, { timeoutMs })
  const body = res.body.toString('utf8')
  if (res.status < 200 || res.status > 299) throw new Error(`GET ${url}: HTTP ${res.status}: ${body.slice(0, 200)}`)
  return body
}
