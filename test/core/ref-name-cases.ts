// Shared by test/core/refs.test.ts (isSafeRefName) and
// test/io/refs-check-ref-format.test.ts (the same names against real git).

/** Names isSafeRefName accepts; test/io/refs-check-ref-format.test.ts checks git accepts them too. */
export const SAFE_REF_NAMES: string[] = [
  'HEAD',
  'refs/heads/main',
  'refs/heads/feature/x-1',
  'refs/tags/v1.0.0',
  'refs/tags/v1.0.0-rc.1+build',
  'refs/mirrors/bundle/torrent',
  'refs/mirror/torrent/refs/heads/main',
  'refs/heads/caf\u00e9',
  'refs/heads/a.b',
  'refs/heads/a@b',
  'refs/heads/@',
  'refs/heads/lock',
  'refs/heads/x.locked',
  'refs/heads/' + 'a'.repeat(1013)   // 1024 characters in all
]

/** Names it refuses: git's rules, plus what we refuse on top of them. */
export const UNSAFE_REF_NAMES: string[] = [
  '',
  'head',
  'main',
  'heads/main',
  'refs',
  'refs/',
  'refs/heads/',
  'refs/heads//main',
  '/refs/heads/main',
  'refs/heads/main/',
  'refs/heads/main.',
  'refs/heads/main.lock',
  'refs/heads/.hidden',
  'refs/heads/x/.hidden',
  'refs/heads/a..b',
  'refs/heads/../../etc/passwd',
  'refs/heads/a b',
  'refs/heads/a\tb',
  'refs/heads/a\nb',
  'refs/heads/a\rb',
  'refs/heads/a\u0000b',
  'refs/heads/a\u007fb',
  'refs/heads/a~1',
  'refs/heads/a^',
  'refs/heads/a:b',
  'refs/heads/a?',
  'refs/heads/a*',
  'refs/heads/a[b',
  'refs/heads/a\\b',
  'refs/heads/a@{1}',
  'refs/heads/' + 'a'.repeat(1014),   // 1025 characters
  'HEAD/x',
  ' HEAD'
]
