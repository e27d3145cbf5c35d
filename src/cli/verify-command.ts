import { Command } from 'commander'
import { formatBytes } from '../core/format.js'
import { Git } from '../io/git/run-git.js'
import { PushObjectStore } from '../io/store/push-objects.js'
import { verify, type VerifyReport } from '../verify/verify.js'
import { Reporter } from './reporter.js'
import { runCli } from './run.js'
import { resolveNetworkOptions } from '../core/network-options.js'
import { readMirrorConfig } from '../io/git/repository.js'
import { defaultCacheDir } from '../io/store/cache-dir.js'
import { Store } from '../io/store/store.js'
import { addNetworkOptions, DEFAULT_MAX_SIZE, networkFlags, positiveSeconds } from './network-flags.js'
import { cloneNetwork, pointerOf } from './pointer-clone.js'

export function verifyCommand (name: string): Command {
  const cmd = new Command(name)
    .description('Check a signed push object (and optionally a bundle) the way mirror-clone does, and print the result.')
    .argument('[target]', 'a push object file, a revision naming its blob, a remote URL (its refs/mirrors/push), or a BEP 46 magnet (the DHT pointer, its torrent and push object); default: refs/mirrors/push of this repository')
    .option('--bundle <file>', 'also check this bundle: size, SHA-256, refs and infohash against the signed ones')
    .option('--trust <key>', 'trust this public key ("ssh-ed25519 AAAA...") (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .option('--project <name>', 'the project name it must carry (default: from the URL or this repository\'s origin; a file outside a repository is not checked)')
    .option('--timeout <seconds>', 'with a BEP 46 magnet: how long the DHT and the swarm may stay silent', positiveSeconds, 60)
  addNetworkOptions(cmd)
  cmd.addHelpText('after', `
Trusted keys are --trust values, git config mirror.trustedKey and
mirror.<url>.trustedKey, and the key in mirror.signingKey (your own). The
checks: the signature, a trusted signer, the project, not expired, not older
than a push object accepted before by this user, and with --bundle the
bundle itself. Nothing is recorded as accepted.

Exit status: 0 when valid, 1 when a check fails (the reason names it), 2 on
wrong usage.

Examples:
  $ ${name}                                   # refs/mirrors/push here
  $ ${name} https://git.example.org/project.git
  $ ${name} project-0123456789ab.push --bundle project-0123456789ab.bundle --trust "ssh-ed25519 AAAA..."
  $ ${name} 'magnet:?xs=urn:btpk:<64 hex>&s=<hex of the project>'   # the DHT pointer and what it leads to`)
  return cmd.action(async (target: string | undefined) => await runCli(name, async () => await runVerify(cmd, target), { json: cmd.opts().json === true }))
}

async function runVerify (cmd: Command, target: string | undefined): Promise<number> {
  const o = cmd.opts()
  const reporter = new Reporter({ quiet: o.quiet === true, json: o.json === true })
  const git = new Git(process.cwd())
  const pointer = target === undefined ? null : pointerOf(target, resolveNetworkOptions(networkFlags(cmd), await readMirrorConfig(git)))
  if (pointer !== null) {
    const network = await cloneNetwork(resolveNetworkOptions(networkFlags(cmd), await readMirrorConfig(git)), pointer)
    try {
      const store = await Store.open(defaultCacheDir())
      const report = await network.verify({ store, timeoutMs: (o.timeout as number) * 1000, maxSize: DEFAULT_MAX_SIZE, onProgress: p => reporter.progress(p) }, target!)
      reporter.result({ ...verifyJson(report), pointer: report.pointer }, [...(report.pointer === null ? [] : [`DHT pointer: sequence ${report.pointer.seq}, torrent ${report.pointer.infoHash}`]), ...verifyText(report)])
      return report.valid ? 0 : 1
    } finally {
      await network.close()
    }
  }
  const report = await verify({ git, accepted: PushObjectStore.forUser(), now: () => Math.floor(Date.now() / 1000) }, {
    ...(target === undefined ? {} : { target }),
    ...(o.bundle === undefined ? {} : { bundle: o.bundle as string }),
    trust: (o.trust as string[] | undefined) ?? [],
    ...(o.project === undefined ? {} : { project: o.project as string })
  })
  reporter.result(verifyJson(report), verifyText(report))
  return report.valid ? 0 : 1
}

function verifyJson (r: VerifyReport): Record<string, unknown> {
  const po = r.pushObject
  return {
    valid: r.valid,
    check: r.check,
    reason: r.reason,
    source: r.source,
    projectChecked: r.projectChecked,
    bundleChecked: r.bundleChecked,
    pushObject: po === null
      ? null
      : { id: po.id, project: po.project, sequence: po.sequence, created: po.created, expires: po.expires, prev: po.prev, signer: po.signer.text, keyId: po.signer.id, bundle: po.bundle, refs: po.refs.length }
  }
}

function verifyText (r: VerifyReport): string[] {
  const po = r.pushObject
  const lines: string[] = []
  if (po !== null) {
    const when = (s: number): string => new Date(s * 1000).toISOString()
    lines.push(
      `push object ${po.sequence} of project ${po.project}${r.projectChecked ? '' : ' (project not checked: give --project)'}`,
      `  id       ${po.id}`,
      `  prev     ${po.prev}`,
      `  signer   ${po.signer.text}`,
      `  valid    ${when(po.created)} to ${when(po.expires)}`,
      `  bundle   ${formatBytes(po.bundle.size)}, sha256 ${po.bundle.sha256}, infohash ${po.bundle.infoHash}`,
      `  refs     ${po.refs.length}`)
  }
  lines.push(r.valid ? `valid${r.bundleChecked ? ' (and the bundle matches it)' : ''}` : `NOT valid: ${r.reason ?? ''}`)
  return lines
}
