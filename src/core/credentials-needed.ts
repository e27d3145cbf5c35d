/**
 * git's words when an origin asked for a user name or password and git
 * could not ask anyone (no terminal: prompts disabled, or none to open):
 * "fatal: could not read Username for 'https://host': terminal prompts
 * disabled". Returns the URL it names, or null.
 */
export function credentialsNeeded (stderr: string): string | null {
  const m = /could not read (?:Username|Password) for '([^'\n]{1,2048})'/.exec(stderr)
  return m === null ? null : m[1]!
}

/** The one-line failure: what asked, and the two ways on (a credential helper, or a terminal). */
export function credentialsMessage (url: string): string {
  return `${url} asks for a user name and password, and there is no terminal to ask on: ` +
    'configure a credential helper (git config --global credential.helper cache, or store, or your system\'s: ' +
    'libsecret, osxkeychain, manager), or run in a terminal, where you are asked once per run'
}
