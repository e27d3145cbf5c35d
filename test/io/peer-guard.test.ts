import { test } from 'node:test'
import assert from 'node:assert/strict'
import { canonicalIp, PeerBans } from '../../src/io/torrent/peer-guard.js'

// The guard itself is tested against real peers in test/e2e/clone-hostile-peers.test.ts.

test('PeerBans: an IPv4 peer is one address whether it dialled in (::ffff:a.b.c.d) or was dialled', () => {
  const bans = new PeerBans()
  bans.add('::ffff:127.0.0.2')
  assert.ok(bans.contains('127.0.0.2'))
  assert.ok(bans.contains('::FFFF:127.0.0.2'))
  assert.ok(!bans.contains('127.0.0.1'))
  bans.add('2001:db8::1')
  assert.ok(bans.contains('2001:db8::1'))
  assert.equal(bans.size, 2)
})

test('canonicalIp: only IPv4-mapped IPv6 changes', () => {
  assert.deepEqual(['::ffff:10.0.0.1', '10.0.0.1', '::1', 'fe80::1', '::ffff:abcd'].map(canonicalIp), ['10.0.0.1', '10.0.0.1', '::1', 'fe80::1', '::ffff:abcd'])
})
