// What the benchmark ran on: CPU, cores, memory, kernel, tool versions, disk.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'

export interface Machine {
  cpu: string
  cores: number
  memoryBytes: number
  kernel: string
  os: string
  node: string
  git: string
  aria2c: string | null
  /** the file system the temporary directories live on */
  disk: string
  /** 1-minute load average when the run started, and when it ended */
  loadStart: number
  loadEnd: number | null
}

function firstLine (cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 })
  if (r.status !== 0) return null
  return r.stdout.split('\n')[0]?.trim() ?? null
}

function osName (): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))
    if (m !== null) return m[1]!
  } catch { /* not Linux, or no os-release */ }
  return `${os.type()} ${os.release()}`
}

/** Device, type, size of the file system under `dir`, and whether the device is rotational. */
function diskOf (dir: string): string {
  const df = spawnSync('df', ['-PT', dir], { encoding: 'utf8', timeout: 10_000 })
  const row = df.status === 0 ? df.stdout.trim().split('\n')[1]?.split(/\s+/) : undefined
  if (row === undefined) return 'unknown'
  const [device, type, blocks] = row
  let kind = ''
  const dev = /^\/dev\/([a-z]+?)(p?\d+)?$/.exec(device ?? '')
  if (dev !== null) {
    try {
      const rot = readFileSync(`/sys/block/${dev[1]}/queue/rotational`, 'utf8').trim()
      kind = rot === '0' ? ', non-rotational' : ', the kernel reports it rotational (virtual disks often do)'
    } catch { /* a partition name we cannot map, or no sysfs */ }
  }
  return `${device} (${type}, ${(Number(blocks) / 2 ** 20).toFixed(0)} GiB${kind}) for ${dir}`
}

export function describeMachine (tmpDir = os.tmpdir()): Machine {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    kernel: `${os.release()} (${os.version()})`,
    os: osName(),
    node: process.version,
    git: firstLine('git', ['--version']) ?? 'unknown',
    aria2c: firstLine('aria2c', ['--version']),
    disk: diskOf(tmpDir),
    loadStart: os.loadavg()[0]!,
    loadEnd: null
  }
}
