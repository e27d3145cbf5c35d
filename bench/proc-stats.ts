// What Linux's /proc says about one running process: CPU time, memory, open
// file descriptors. For the daemon benchmark, which watches a long-running
// process from outside. Linux only; elsewhere each reading is null.
import { readdir, readFile, readlink } from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'

/** Clock ticks a second (USER_HZ): 100 on every Linux that node runs on. */
export const USER_HZ = 100

/** utime + stime of the process (fields 14 and 15 of /proc/<pid>/stat), in seconds. */
export async function cpuSecondsOf (pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // the command name (field 2) is in parentheses and may hold spaces: count from after it
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ
  } catch {
    return null
  }
}

export interface ThreadCpu { tid: number, comm: string, user: number, system: number }

/** Each thread's name and CPU seconds (user, system) from /proc/<pid>/task/<tid>/stat. */
export async function threadCpuOf (pid: number): Promise<ThreadCpu[]> {
  const out: ThreadCpu[] = []
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => null)
    if (stat === null) continue
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    out.push({ tid: Number(tid), comm, user: Number(fields[11]) / USER_HZ, system: Number(fields[12]) / USER_HZ })
  }
  return out
}

/** CPU seconds each thread name used between two readings, largest first (threads of one name added up). */
export function threadCpuBetween (a: ThreadCpu[], b: ThreadCpu[]): Array<{ comm: string, user: number, system: number }> {
  const by = new Map<string, { comm: string, user: number, system: number }>()
  for (const t of b) {
    const before = a.find(x => x.tid === t.tid) ?? { user: 0, system: 0 }
    const e = by.get(t.comm) ?? { comm: t.comm, user: 0, system: 0 }
    e.user += t.user - before.user
    e.system += t.system - before.system
    by.set(t.comm, e)
  }
  return [...by.values()].filter(e => e.user + e.system > 0).sort((x, y) => (y.user + y.system) - (x.user + x.system))
}

/** VmRSS and VmHWM (the kernel's own peak of it) of /proc/<pid>/status, in KiB. */
export async function memoryOf (pid: number): Promise<{ rssKiB: number, hwmKiB: number } | null> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8')
    const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)![1])
    return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM') }
  } catch {
    return null
  }
}

export interface FdKinds {
  total: number
  /** regular files under `storeRoot` (the bundles it seeds) */
  storeFiles: number
  otherFiles: number
  sockets: number
  pipes: number
  /** epoll, eventfd, timerfd, inotify ... */
  anon: number
}

/** The open file descriptors of /proc/<pid>/fd by what they point at. */
export async function fdKindsOf (pid: number, storeRoot: string): Promise<FdKinds | null> {
  let names: string[]
  try { names = await readdir(`/proc/${pid}/fd`) } catch { return null }
  const k: FdKinds = { total: 0, storeFiles: 0, otherFiles: 0, sockets: 0, pipes: 0, anon: 0 }
  const store = path.resolve(storeRoot) + path.sep
  for (const n of names) {
    const target = await readlink(`/proc/${pid}/fd/${n}`).catch(() => null)
    if (target === null) continue   // closed meanwhile
    k.total++
    if (target.startsWith('socket:')) k.sockets++
    else if (target.startsWith('pipe:')) k.pipes++
    else if (target.startsWith('anon_inode:')) k.anon++
    else if (target.startsWith(store)) k.storeFiles++
    else k.otherFiles++
  }
  return k
}

export interface ProcSample { t: number, rssKiB: number, fds: number }

/**
 * Samples a process's RSS and its number of open descriptors every
 * intervalMs until stop(); t is seconds since the sampler started.
 */
export function sampleProc (pid: number, intervalMs = 500): { samples: ProcSample[], stop(): ProcSample[] } {
  const t0 = performance.now()
  const samples: ProcSample[] = []
  let busy = false
  const take = async (): Promise<void> => {
    if (busy) return
    busy = true
    try {
      const mem = await memoryOf(pid)
      const fds = await readdir(`/proc/${pid}/fd`).then(n => n.length, () => null)
      if (mem !== null && fds !== null) samples.push({ t: (performance.now() - t0) / 1000, rssKiB: mem.rssKiB, fds })
    } finally {
      busy = false
    }
  }
  void take()
  const timer = setInterval(() => { void take() }, intervalMs)
  return { samples, stop: () => { clearInterval(timer); return samples } }
}
