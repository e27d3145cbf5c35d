import { Option, type Command } from 'commander'
import type { CloneArgs } from '../clone/clone.js'
import type { CloneMode } from '../core/clone-target.js'
import { MirrorError } from '../core/errors.js'
import { isSafeRefName } from '../core/refs.js'

const collect = (v: string, p: string[] = []): string[] => [...p, v]

/**
 * The options of `git clone` that mirror-clone takes with git's meaning.
 * The history-limiting ones (--depth, --shallow-*, --filter) ask for part
 * of the history while the published bundle holds all of it: the swarm
 * cannot help, so the clone is git's own, from the origin, and says so.
 */
export function addGitCloneOptions (cmd: Command): Command {
  // git clone's other options: not guessed at, but named, with the way on
  const unknown = cmd as unknown as { unknownOption: (flag: string) => void }
  const commanders = unknown.unknownOption.bind(cmd)
  unknown.unknownOption = (flag: string) => {
    const name = flag.split('=')[0]!
    if (GIT_CLONE_ONLY.has(name)) cmd.error(`error: mirror-clone does not take git clone's ${name}: run git clone ${name} … for that, or mirror-clone without it`, { code: 'commander.unknownOption' })
    commanders(flag)
  }
  return cmd
    .option('-b, --branch <name>', 'check out this branch of the origin instead of its HEAD; a tag gives a detached HEAD (as git clone -b)')
    .option('--single-branch', 'fetch only one branch (the origin\'s HEAD or --branch) and the tags in its history')
    .addOption(new Option('--no-single-branch', 'fetch every branch (the default)').hideHelp())
    .option('--no-tags', 'no tags, now or in later fetches (remote.<name>.tagopt=--no-tags)')
    .option('-o, --origin <name>', 'name the remote <name> instead of origin (default: git config clone.defaultRemoteName)')
    .option('-c, --config <key=value>', 'set this in the new repository\'s config before anything is fetched, as git clone -c (repeatable)', collect)
    .option('--recurse-submodules', 'after the checkout, clone the submodules the same way (through the swarm when a submodule publishes records, from its origin otherwise), as git clone --recurse-submodules; no pathspec')
    .option('--depth <n>', 'a shallow clone of the last <n> commits: git clone\'s own, from the origin (the bundle holds the whole history)')
    .option('--shallow-since <date>', 'a shallow clone of the commits since <date>: git clone\'s own, from the origin')
    .option('--shallow-exclude <ref>', 'a shallow clone without the history of <ref>: git clone\'s own, from the origin (repeatable)', collect)
    .option('--filter <spec>', 'a partial clone (e.g. blob:none): git clone\'s own, from the origin (the bundle holds every object)')
}

/** git clone's options (git 2.39) that mirror-clone does not take. */
const GIT_CLONE_ONLY = new Set([
  '-l', '--local', '--no-local', '--no-hardlinks', '-s', '--shared', '--reference', '--reference-if-able', '--dissociate',
  '--template', '--separate-git-dir', '-j', '--jobs', '-u', '--upload-pack', '--sparse', '--also-filter-submodules',
  '--remote-submodules', '--shallow-submodules', '--bundle-uri', '--server-option', '-4', '--ipv4', '-6', '--ipv6',
  '--reject-shallow', '--no-reject-shallow', '-v', '--verbose', '--progress', '--no-progress'
])

type GitCloneChoices = Pick<CloneArgs, 'branch' | 'singleBranch' | 'noTags' | 'remote' | 'config' | 'gitOnly' | 'recurseSubmodules'>

/** The choices of `addGitCloneOptions`, checked: a mistake is wrong usage (exit 2) with what to do instead. */
export function gitCloneChoices (o: Record<string, unknown>, mode: CloneMode): GitCloneChoices {
  const c: GitCloneChoices = {}
  if (typeof o.branch === 'string') {
    if (!isSafeRefName(`refs/heads/${o.branch}`)) throw new MirrorError('USAGE', `--branch ${JSON.stringify(o.branch)} is not a branch or tag name`)
    c.branch = o.branch
  }
  if (o.singleBranch === true) {
    if (mode === 'mirror') throw new MirrorError('USAGE', '--single-branch does not go with --mirror, which takes every ref: use git clone --mirror --single-branch for that, or --bare --single-branch')
    c.singleBranch = true
  }
  if (o.tags === false) {
    if (mode === 'mirror') throw new MirrorError('USAGE', '--no-tags does not go with --mirror, which takes every ref: use git clone --mirror --no-tags for that, or --bare --no-tags')
    c.noTags = true
  }
  if (typeof o.origin === 'string') {
    if (mode === 'mirror') throw new MirrorError('USAGE', '--origin does not go with --mirror (as in git clone)')
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(o.origin) || o.origin.endsWith('.lock') || o.origin.includes('..')) {
      throw new MirrorError('USAGE', `--origin ${JSON.stringify(o.origin)} is not a remote name git accepts (letters, digits, '.', '_', '-')`)
    }
    c.remote = o.origin
  }
  if (Array.isArray(o.config)) {
    for (const kv of o.config as string[]) {
      if (!/^[A-Za-z][A-Za-z0-9-]*\.(.+\.)?[A-Za-z][A-Za-z0-9-]*(=|$)/s.test(kv) || kv.includes('\n')) {
        throw new MirrorError('USAGE', `--config ${JSON.stringify(kv)} is not key=value with a key such as core.autocrlf or remote.origin.fetch`)
      }
    }
    c.config = o.config as string[]
  }
  if (o.recurseSubmodules === true) c.recurseSubmodules = true
  const gitOnly: string[] = []
  if (o.depth !== undefined) {
    if (!/^[1-9][0-9]{0,8}$/.test(String(o.depth))) throw new MirrorError('USAGE', `--depth ${JSON.stringify(o.depth)} is not a positive number`)
    gitOnly.push('--depth', String(o.depth))
  }
  if (typeof o.shallowSince === 'string') gitOnly.push(`--shallow-since=${o.shallowSince}`)
  for (const r of (o.shallowExclude as string[] | undefined) ?? []) gitOnly.push(`--shallow-exclude=${r}`)
  if (typeof o.filter === 'string') gitOnly.push(`--filter=${o.filter}`)
  if (gitOnly.length > 0 && o.singleBranch === false) gitOnly.push('--no-single-branch')   // --depth implies --single-branch in git unless told
  if (gitOnly.length > 0) {
    const what = o.filter !== undefined && gitOnly.length === 1 ? 'a partial clone' : 'a shallow clone'
    c.gitOnly = { args: gitOnly, reason: `${gitOnly.join(' ')} asks for ${what}, and the published bundle holds the whole history` }
  }
  return c
}
