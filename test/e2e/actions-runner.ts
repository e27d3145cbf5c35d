// A GitHub Actions workflow run the way GitHub runs it, as far as the CI
// recipe needs and no further: jobs whose `if:` holds, in parallel; each on a
// fresh "runner" (its own workspace and HOME); `run:` steps with `bash -e`,
// in order; `uses:` steps and the commands that reach outside (npm, gh) taken
// from tables the test gives, anything else refused; `${{ }}` expressions
// from a table, an unknown one refused. The cache: ./actions-cache.ts.
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { startProcess, type Running } from '../helpers/processes.js'
import { withDeadline } from '../helpers/wait.js'

export interface Event {
  name: 'push' | 'schedule' | 'workflow_dispatch'
  /** refs/tags/v1 or refs/heads/main */
  ref: string
  sha: string
}

export interface Workflow {
  name: string
  on: Record<string, any>
  env?: Record<string, string | number>
  jobs: Record<string, Job>
}

interface Job {
  'runs-on': string
  if?: string
  permissions?: Record<string, string>
  env?: Record<string, string>
  steps: Step[]
}

export interface Step {
  uses?: string
  with?: Record<string, string | number>
  run?: string
  env?: Record<string, string>
  name?: string
}

/** One job as it runs: where, with what, and what its steps printed. */
export interface JobRun {
  id: string
  event: Event
  runId: number
  workspace: string
  permissions: Record<string, string>
  /** The environment of the next step; an action may change it (setup-node's PATH). */
  env: NodeJS.ProcessEnv
  outputs: Array<{ step: Step, stdout: string, stderr: string }>
}

/** What a `uses:` step does here; it may return the action's post step (run after the job's steps, if they all passed). */
export type Action = (job: JobRun, inputs: Record<string, string>) => Promise<(() => Promise<void>) | undefined>

export interface RunnerOptions {
  workflow: Workflow
  dir: string
  /** The runner's environment before the workflow's (PATH, HOME's neighbours, GIT_CONFIG_GLOBAL...). */
  baseEnv: NodeJS.ProcessEnv
  github: { server_url: string, repository: string, default_branch: string }
  /** Values replacing the workflow's top-level env (each must be one it has). */
  envOverrides: Record<string, string>
  uses: Record<string, Action>
  /** Whole `run:` scripts done here instead of by bash (npm install -g, gh workflow run). */
  commands: Record<string, (job: JobRun, env: NodeJS.ProcessEnv) => Promise<void>>
  stepTimeoutMs: number
  /** Called while a `run:` step runs; the step is stopped if it throws. */
  onStep?: (job: JobRun, step: Step, running: Running) => Promise<void>
}

const RUNNER_KEYS = { workflow: ['name', 'on', 'env', 'jobs'], job: ['runs-on', 'if', 'permissions', 'env', 'steps'], step: ['name', 'uses', 'with', 'run', 'env'] }
const OUTSIDE = /(^|[\s;&|(`])(npm|npx|gh|curl|wget|sudo|apt-get)(\s|$)/m

export class Runner {
  private runs = 0
  private readonly background: Array<Promise<unknown>> = []

  constructor (readonly o: RunnerOptions) {
    checkKeys(o.workflow, RUNNER_KEYS.workflow, 'the workflow')
    for (const k of Object.keys(o.envOverrides)) {
      if (!(k in (o.workflow.env ?? {}))) throw new Error(`the workflow's env has no ${k} to override`)
    }
  }

  /** Runs the workflow for `event`: every job whose `if:` holds, in parallel. Rejects when a job fails. */
  async run (event: Event): Promise<Record<string, JobRun | 'skipped'>> {
    this.checkTrigger(event)
    const runId = 1000 + ++this.runs
    const github = this.githubContext(event, runId)
    const wfEnv: Record<string, string> = {}
    for (const [k, v] of Object.entries(this.o.workflow.env ?? {})) wfEnv[k] = this.o.envOverrides[k] ?? expand(String(v), github, {}, `env.${k}`)
    const results: Record<string, JobRun | 'skipped'> = {}
    await Promise.all(Object.entries(this.o.workflow.jobs).map(async ([id, job]) => {
      checkKeys(job, RUNNER_KEYS.job, `job ${id}`)
      if (!/^ubuntu-/.test(job['runs-on'])) throw new Error(`job ${id} runs on ${job['runs-on']}; this test is a Linux runner`)
      if (job.if !== undefined && !condition(job.if, github, wfEnv)) { results[id] = 'skipped'; return }
      results[id] = await this.runJob(id, job, event, runId, github, wfEnv)
    }))
    return results
  }

  /** A workflow_dispatch run started from a job (gh workflow run): it runs in the background, as on GitHub. */
  dispatch (event: Event): void {
    const p = this.run(event)
    p.catch(() => { /* surfaces in settle() */ })
    this.background.push(p)
  }

  /** Waits for the dispatched runs; rejects with the first failure. */
  async settle (timeoutMs: number): Promise<Array<Record<string, JobRun | 'skipped'>>> {
    const all = this.background.splice(0)
    return await withDeadline(Promise.all(all), timeoutMs, 'the dispatched workflow runs ended') as Array<Record<string, JobRun | 'skipped'>>
  }

  private checkTrigger (event: Event): void {
    const on = this.o.workflow.on
    if (!(event.name in on)) throw new Error(`the workflow does not run on ${event.name}`)
    if (event.name === 'push') {
      const tag = event.ref.replace(/^refs\/tags\//, '')
      const globs: string[] = on.push?.tags ?? []
      if (tag === event.ref || !globs.some(g => new RegExp(`^${g.split('*').map(escapeRe).join('[^/]*')}$`).test(tag))) {
        throw new Error(`on.push does not take ${event.ref}`)
      }
    }
    if (event.name === 'schedule' && !(Array.isArray(on.schedule) && on.schedule.every((s: any) => /^\S+( \S+){4}$/.test(s.cron)))) {
      throw new Error('on.schedule needs a five-field cron')
    }
  }

  private githubContext (event: Event, runId: number): Record<string, string> {
    const g = this.o.github
    return {
      'github.server_url': g.server_url,
      'github.repository': g.repository,
      'github.run_id': String(runId),
      'github.token': 'ghs_test-token',
      'github.event_name': event.name,
      'github.ref': event.ref,
      'github.ref_type': event.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      'github.event.repository.default_branch': g.default_branch
    }
  }

  private async runJob (id: string, job: Job, event: Event, runId: number, github: Record<string, string>, wfEnv: Record<string, string>): Promise<JobRun> {
    const root = path.join(this.o.dir, `run-${runId}`, id)
    const workspace = path.join(root, 'workspace')
    const home = path.join(root, 'home')
    await mkdir(workspace, { recursive: true })
    await mkdir(home, { recursive: true })
    const env: NodeJS.ProcessEnv = {
      ...this.o.baseEnv,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
      XDG_STATE_HOME: path.join(home, '.local', 'state'),
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace,
      GITHUB_WORKFLOW: this.o.workflow.name,
      GITHUB_REPOSITORY: this.o.github.repository,
      GITHUB_SERVER_URL: this.o.github.server_url,
      GITHUB_EVENT_NAME: event.name,
      GITHUB_REF: event.ref,
      GITHUB_REF_NAME: event.ref.replace(/^refs\/(heads|tags)\//, ''),
      GITHUB_REF_TYPE: github['github.ref_type'],
      GITHUB_SHA: event.sha,
      GITHUB_RUN_ID: String(runId),
      RUNNER_TEMP: path.join(root, 'tmp'),
      ...wfEnv
    }
    for (const [k, v] of Object.entries(job.env ?? {})) env[k] = expand(v, github, env, `jobs.${id}.env.${k}`)
    const run: JobRun = { id, event, runId, workspace, permissions: job.permissions ?? {}, env, outputs: [] }
    const posts: Array<() => Promise<void>> = []
    for (const [i, step] of job.steps.entries()) {
      const where = `jobs.${id}.steps[${i}]`
      checkKeys(step, RUNNER_KEYS.step, where)
      const stepEnv: NodeJS.ProcessEnv = { ...run.env }
      for (const [k, v] of Object.entries(step.env ?? {})) stepEnv[k] = expand(v, github, run.env, `${where}.env.${k}`)
      if (step.uses !== undefined) {
        const action = this.o.uses[step.uses]
        if (action === undefined) throw new Error(`${where}: uses ${step.uses}, which this test does not know how to run`)
        const inputs: Record<string, string> = {}
        for (const [k, v] of Object.entries(step.with ?? {})) inputs[k] = expand(String(v), github, run.env, `${where}.with.${k}`)
        const post = await action(run, inputs)
        if (post !== undefined) posts.unshift(post)
      } else if (step.run !== undefined) {
        await this.runStep(run, step, expand(step.run, github, run.env, `${where}.run`), stepEnv, where)
      } else {
        throw new Error(`${where}: neither uses nor run`)
      }
    }
    for (const post of posts) await post()
    return run
  }

  private async runStep (job: JobRun, step: Step, script: string, env: NodeJS.ProcessEnv, where: string): Promise<void> {
    const command = this.o.commands[script.trim()]
    if (command !== undefined) { await command(job, env); return }
    if (OUTSIDE.test(script)) throw new Error(`${where}: "${script.trim()}" reaches outside this machine and is not one of the commands this test replaces`)
    const file = path.join(path.dirname(job.workspace), `step-${job.outputs.length}.sh`)
    await writeFile(file, script)
    // its own session: a stop reaches bash's children (git, then the node it runs) too
    const p = startProcess('setsid', ['bash', '-e', file], { cwd: job.workspace, env })
    stepGroups.add(p)
    try {
      const exited = withDeadline(p.exited, this.o.stepTimeoutMs, `${where} ended`)
      await Promise.all([exited, this.o.onStep?.(job, step, p)])
      const st = await p.exited
      job.outputs.push({ step, stdout: p.stdout(), stderr: p.stderr() })
      if (st.code !== 0) throw new Error(`${where} (${script.trim()}) failed: exit ${String(st.code ?? st.signal)}\n--- stdout\n${p.stdout().slice(-4000)}\n--- stderr\n${p.stderr().slice(-4000)}`)
    } finally {
      await stopGroup(p)
      stepGroups.delete(p)
    }
  }
}

const stepGroups = new Set<Running>()

/** Stops every step still running, with its children (for t.after). */
export async function stopAllSteps (): Promise<void> {
  await Promise.all([...stepGroups].map(stopGroup))
}

async function stopGroup (p: Running): Promise<void> {
  const pid = p.child.pid
  if (pid === undefined) return
  const signal = (s: NodeJS.Signals | 0): boolean => { try { process.kill(-pid, s); return true } catch { return false } }
  if (!signal(0)) return
  signal('SIGTERM')
  const deadline = Date.now() + 5000
  while (signal(0) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))   // polling the group, bounded
  signal('SIGKILL')
}

/** `${{ expr }}` from the github context table or env.X; anything else is refused. */
export function expand (text: string, github: Record<string, string>, env: NodeJS.ProcessEnv, where: string): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => lookup(expr, github, env, where))
}

function lookup (expr: string, github: Record<string, string>, env: NodeJS.ProcessEnv, where: string): string {
  if (expr in github) return github[expr]!
  const m = /^env\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr)
  if (m !== null && env[m[1]!] !== undefined) return env[m[1]!]!
  throw new Error(`${where}: unknown expression \${{ ${expr} }}`)
}

/** A job's `if:`: `<context> == '<text>'` or `!=`, nothing more. */
function condition (text: string, github: Record<string, string>, env: NodeJS.ProcessEnv): boolean {
  const m = /^(?:\$\{\{\s*)?([\w.]+)\s*(==|!=)\s*'([^']*)'(?:\s*\}\})?$/.exec(text.trim())
  if (m === null) throw new Error(`if: ${text} is not a form this test evaluates`)
  const value = lookup(m[1]!, github, env, `if: ${text}`)
  return m[2] === '==' ? value === m[3] : value !== m[3]
}

function checkKeys (o: object, known: string[], what: string): void {
  const unknown = Object.keys(o).filter(k => !known.includes(k))
  if (unknown.length > 0) throw new Error(`${what} has ${unknown.join(', ')}, which this test does not run`)
}

function escapeRe (s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
