/**
 * What git's "fatal: Could not read from remote repository." hides. Over
 * ssh, git ends every failure with that line and an advice paragraph; the
 * cause is the line before it: ssh's own ("user@host: Permission denied
 * (publickey).", "Host key verification failed.", "ssh: connect to host
 * ... Connection refused") or the remote git's ("fatal: '/srv/x.git' does
 * not appear to be a git repository"). Returns that line, without a
 * "fatal:"/"error:" prefix, or null when git did not say so (HTTP and
 * git:// failures name their cause in their own fatal line). Reads git's
 * stderr under LC_ALL=C, as the git runner pins it.
 */
export function hiddenRemoteCause (stderr: string): string | null {
  const lines = stderr.split(/[\r\n]+/).map(l => l.trim()).filter(l => l !== '')
  const at = lines.findLastIndex(l => /^fatal: Could not read from remote repository\.?$/.test(l))
  if (at <= 0) return null
  const cause = lines[at - 1]!.replace(/^(fatal|error):\s*/, '')
  return cause === '' ? null : cause
}
