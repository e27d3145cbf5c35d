import { InvalidArgumentError, Option, type Command } from 'commander'
import { parseRate, parseSize } from '../core/format.js'
import type { NetworkFlags } from '../core/network-options.js'

/** Largest bundle a download accepts unless --max-size says otherwise. */
export const DEFAULT_MAX_SIZE = 64 * 2 ** 30

/** --max-size, shown with its default as a size. */
export function maxSizeOption (): Option {
  return new Option('--max-size <size>', 'refuse bundles larger than this (e.g. 500M, 64G)').argParser(sizeArgument).default(DEFAULT_MAX_SIZE, '64G')
}

const collect = (value: string, previous: unknown): string[] => [...(Array.isArray(previous) ? previous : []), value]

/** DESIGN.md's options every network command takes. */
export function addNetworkOptions (cmd: Command): Command {
  return cmd
    .option('--tracker <url>', 'announce to exactly these trackers, replacing the defaults (repeatable; git config mirror.tracker)', collect)
    .option('--no-tracker', 'use no tracker at all')
    .option('--no-dht', 'do not use the DHT (git config mirror.dht)')
    .option('--dht-bootstrap <host:port>', 'bootstrap the DHT from these nodes, e.g. a private DHT (repeatable; git config mirror.dhtBootstrap)', collect)
    .option('--no-lsd', 'no local peer discovery multicast (git config mirror.lsd)')
    .option('--no-upnp', 'no UPnP/NAT-PMP port mapping on the router (git config mirror.upnp)')
    .option('--port <n>', 'peer listening port (default: any free port)')
    .option('--json', 'print the result as JSON on stdout; human text goes to stderr')
    .option('-q, --quiet', 'no progress output')
}

/** Only what the command line said: git config fills in the rest. */
export function networkFlags (cmd: Command): NetworkFlags {
  const o = cmd.opts()
  const said = (key: string): boolean => cmd.getOptionValueSource(key) === 'cli'
  const flags: NetworkFlags = {}
  if (said('tracker')) flags.tracker = o.tracker === false ? false : o.tracker as string[]
  if (said('dht')) flags.dht = o.dht as boolean
  if (said('dhtBootstrap')) flags.dhtBootstrap = o.dhtBootstrap as string[]
  if (said('lsd')) flags.lsd = o.lsd as boolean
  if (said('upnp')) flags.upnp = o.upnp as boolean
  if (said('port')) flags.port = o.port as string
  return flags
}

/** A commander argument parser for a positive number (seconds, bytes). */
export function positiveNumber (value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number.')
  return n
}

/** A commander argument parser for a count that may be 0 (--max-increments). */
export function nonNegativeInteger (value: string): number {
  const n = Number(value)
  if (!/^\d{1,6}$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number, 0 or more.')
  return n
}

/**
 * The longest wait a seconds option may ask for: node's timers hold at most
 * 2^31-1 ms, and a longer one (`--timeout 1e9`) fires after 1 ms instead.
 */
export const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000)

/** A commander argument parser for a duration in seconds: positive, at most MAX_SECONDS. */
export function positiveSeconds (value: string): number {
  const n = positiveNumber(value)
  if (n > MAX_SECONDS) throw new InvalidArgumentError(`expected at most ${MAX_SECONDS} seconds (about 24 days).`)
  return n
}

/** The longest validity a push object may be given, in days (a century). */
export const MAX_VALID_DAYS = 36_500

/** A commander argument parser for --valid-days: positive, at most MAX_VALID_DAYS. */
export function positiveDays (value: string): number {
  const n = positiveNumber(value)
  if (n > MAX_VALID_DAYS) throw new InvalidArgumentError(`expected at most ${MAX_VALID_DAYS} days.`)
  return n
}

/** A commander argument parser for a size with an optional K/M/G/T suffix. */
export function sizeArgument (value: string): number {
  const n = parseSize(value)
  if (n === null) throw new InvalidArgumentError('expected a size such as 500M or 64G.')
  return n
}

/** A commander argument parser for a rate (a size per second, or 0). */
export function rateArgument (value: string): number {
  const n = parseRate(value)
  if (n === null) throw new InvalidArgumentError('expected a rate such as 32K, 1M/s or 0.')
  return n
}

/** --http's HOST:PORT ([::1]:PORT for IPv6; port 0: any free one). */
export function hostPort (value: string): { host: string, port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):([0-9]{1,5})$/.exec(value)
  if (m === null || Number(m[2]) > 65535) throw new InvalidArgumentError('expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:0.')
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) }
}
