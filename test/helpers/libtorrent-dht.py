#!/usr/bin/python3
# libtorrent-rasterbar's DHT (Debian's python3-libtorrent, libtorrent 2.0) as
# an independent BEP 44 implementation for interop tests: one libtorrent
# session joins a private DHT on 127.0.0.1 (bound there, no public node),
# serves get and put commands read as JSON lines on stdin, one at a time,
# and answers each with a JSON line on stdout. One session for a whole test:
# a libtorrent node that left stays in the bittorrent-dht nodes' tables, and
# every later lookup waits for it to time out (libtorrent's get reports its
# final, authoritative answer only then, after about 15 s). Run it with
# /usr/bin/python3: Debian installs the module into /usr/lib/python3/dist-packages,
# which a python3 of pyenv or a virtualenv earlier on PATH does not see.
#
#   libtorrent-dht.py --bootstrap 127.0.0.1:PORT [--timeout S] [--verbose]
#   stdin:  {"id":1,"op":"get","key":HEX32,"salt":HEX,"timeout":S}
#           {"id":2,"op":"put","key":HEX32,"seed":HEX32,"salt":HEX,"data":HEX,"timeout":S}
#   stdout: {"event":"listening",...} then {"event":"ready"} once bootstrapped;
#           per command {"id",...,"event":"item","key","salt","seq","sig","v","printed"}
#           (v: hex of the bencoded value, as signed), {"id","event":"none"},
#           {"id","event":"put","seq","sig","key","salt","nodes"} or
#           {"id","event":"error","message"}.
# It exits when stdin closes; 1 when it cannot listen or bootstrap in time.
#
# What libtorrent 2.0.8 needs to use a DHT made of nodes on 127.0.0.1
# (settings_pack names; checked here with 2.0.8-1+b1 from bookworm against
# 5 to 8 bittorrent-dht nodes):
# - listen_interfaces "127.0.0.1:0": the DHT runs on the listen socket's UDP
#   port. Not "127.0.0.1:0l": the "l" (local network) flag, which libtorrent
#   also sets itself on loopback addresses it expands from 0.0.0.0, means no
#   DHT on that socket (session_impl starts the DHT only on sockets without
#   local_network): with it, every get and put here timed out.
# - dht_bootstrap_nodes: the private DHT's first node only. The default is
#   dht.libtorrent.org:25401, the public DHT.
# - dht_restrict_search_ips false: NEEDED. By default a lookup visits one node
#   per IP address; with every node on 127.0.0.1 a put of libtorrent's
#   reached 2 of 8 nodes (num_success 2), and all 8 with it off.
# - dht_restrict_routing_ips false (one routing table entry per /24 by
#   default) and dht_prefer_verified_node_ids false (BEP 42 ids derive from
#   the external IP; bittorrent-dht's random ids are unverified): set so
#   that neither can drop loopback nodes, though with either left at its
#   default the put still reached all 8 here. dht_enforce_node_id stays
#   false (its default); set to true it made no difference here either.
# - dht_block_ratelimit raised: NEEDED. libtorrent's DHT DoS blocker counts
#   every packet per source IP address and bans an address that sends 50 in
#   10 s (5/s, the default) for dht_block_timeout (5 min). Here every node is
#   127.0.0.1, so the third put in a row logged "BANNING PEER [ ip: 127.0.0.1
#   ... count: 50 ]" and every later get and put timed out.
# - Not avoidable by a setting: once the bittorrent-dht nodes know
#   libtorrent's node they return it in their answers, and libtorrent 2.0.8
#   then sends the put_data step of a put to itself (its own node id), which
#   nothing answers: that put reports only after the RPC timeout, ~15 s
#   (seen on the fourth of eight puts in a row, every run). Bound commands
#   at 20 s or more.
# - Nothing in 2.0.8 refuses 127.0.0.1 as such: no private-address filter
#   applies (dht_ignore_dark_internet drops only some class A networks).
# - enable_lsd, enable_upnp, enable_natpmp false: nothing leaves loopback.
#
# What the Python bindings of 2.0.8 can put: session.dht_put_mutable_item(
# private_key 64 bytes, public_key 32, data, salt) signs with libtorrent's own
# ed25519 (dht::sign_mutable_item) but sets the item's value to the byte
# STRING data (bindings/python/src/session.cpp, put_string: `e = data`) and
# its seq to the highest seq its get found plus one. The bindings expose
# neither the C++ dht_put_item(key, callback, salt) whose callback could set a
# dictionary, nor ed25519 or sign_mutable_item. So this driver cannot put a
# BEP 46 value ({ ih: <20 bytes> }): what libtorrent puts from Python has a
# byte-string value. Its private key is libtorrent's (orlp ed25519) 64-byte
# form: SHA-512 of the 32-byte seed, clamped; derived here from --seed.
import argparse
import hashlib
import json
import queue
import sys
import threading
import time

try:
    import libtorrent as lt
except ImportError as err:  # the wrapper reports it as "not installed"
    print(json.dumps({'event': 'error', 'message': f'no libtorrent module: {err}'}), flush=True)
    sys.exit(3)


def emit(**fields):
    print(json.dumps(fields), flush=True)


def b(x):
    """bytes of what the bindings return: bytes, or str (latin-1 per byte) in some builds."""
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode('latin-1')
    return bytes(x)


def secret_key(seed):
    """libtorrent's (orlp ed25519) secret key: SHA-512(seed) with the scalar clamped."""
    h = bytearray(hashlib.sha512(seed).digest())
    h[0] &= 248
    h[31] &= 63
    h[31] |= 64
    return bytes(h)


def remember_value(values, pkt):
    """From a DHT response {y: r, r: {k, seq, sig, v, ...}}: values[(k, seq, sig)] = bencoded v."""
    try:
        msg = lt.bdecode(pkt)
        r = msg.get(b'r') if isinstance(msg, dict) and msg.get(b'y') == b'r' else None
        if isinstance(r, dict) and all(f in r for f in (b'k', b'seq', b'sig', b'v')):
            values[(bytes(r[b'k']), int(r[b'seq']), bytes(r[b'sig']))] = b(lt.bencode(r[b'v']))
    except Exception:
        pass


def session(bootstrap):
    # dht_log: the dht_pkt_alerts, whose raw responses give a got item's value (see get below)
    mask = (lt.alert.category_t.dht_notification | lt.alert.category_t.error_notification
            | lt.alert.category_t.status_notification | lt.alert.category_t.dht_log_notification)
    return lt.session({
        'listen_interfaces': '127.0.0.1:0',
        'enable_dht': True,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'dht_bootstrap_nodes': bootstrap,
        'dht_restrict_routing_ips': False,
        'dht_restrict_search_ips': False,
        'dht_prefer_verified_node_ids': False,
        'dht_enforce_node_id': False,
        'dht_block_ratelimit': 1000000,
        'alert_mask': int(mask),
    })


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bootstrap', required=True, help='host:port of the private DHT\'s first node')
    ap.add_argument('--timeout', type=float, default=20.0, help='seconds to bootstrap')
    ap.add_argument('--verbose', action='store_true', help='libtorrent DHT log lines on stderr')
    a = ap.parse_args()

    commands = queue.Queue()

    def read_stdin():
        for line in sys.stdin:
            if line.strip():
                commands.put(line)
        commands.put(None)  # stdin closed: quit

    threading.Thread(target=read_stdin, daemon=True).start()

    ses = session(a.bootstrap)
    deadline = time.monotonic() + a.timeout
    bootstrapped = False
    current = None  # the command being run: {id, op, deadline, best}
    values = {}  # signature -> bencoded v, from the responses to our gets

    def finish(**fields):
        nonlocal current
        emit(id=current['id'], **fields)
        current = None

    while True:
        now = time.monotonic()
        if not bootstrapped and now > deadline:
            emit(event='error', message=f'the DHT did not bootstrap within {a.timeout:g} s')
            return 1
        if current is not None and now > current['deadline']:
            finish(event='error', message=f'{current["op"]}: no result within {current["timeout"]:g} s')
        if bootstrapped and current is None:
            try:
                line = commands.get_nowait()
            except queue.Empty:
                line = ''
            if line is None:
                return 0
            if line:
                try:
                    current = start(ses, json.loads(line))
                except Exception as err:  # a bad command: say so, keep serving
                    emit(event='error', message=f'bad command {line.strip()!r}: {err}')
        ses.wait_for_alert(100)
        for al in ses.pop_alerts():
            if isinstance(al, lt.dht_pkt_alert):
                remember_value(values, b(al.pkt_buf))
                if a.verbose:
                    print(al.message(), file=sys.stderr, flush=True)
            elif isinstance(al, lt.dht_log_alert):
                if a.verbose:
                    print(al.message(), file=sys.stderr, flush=True)
            elif isinstance(al, lt.listen_succeeded_alert):
                emit(event='listening', port=al.port, address=str(al.address), socket=str(al.socket_type))
            elif isinstance(al, lt.listen_failed_alert):
                emit(event='error', message=f'listen failed: {al.message()}')
                return 1
            elif isinstance(al, lt.dht_bootstrap_alert) and not bootstrapped:
                bootstrapped = True
                emit(event='ready')
            elif isinstance(al, lt.dht_mutable_item_alert) and current is not None and current['op'] == 'get':
                if b(al.key) != current['key'] or b(al.salt) != current['salt']:
                    continue
                item = {
                    'key': b(al.key).hex(), 'salt': b(al.salt).hex(), 'seq': al.seq,
                    'sig': b(al.signature).hex(), 'authoritative': bool(al.authoritative),
                }
                # The bindings give the value through entry.string(), which raises "invalid type
                # requested from entry" for a dictionary (BEP 46's value): take the bencoded v from
                # the raw response that carried this key, seq and signature (libtorrent checked the
                # signature over salt, seq and v before posting this alert), and keep libtorrent's
                # own printable form of the value from the alert's message. When the lookup found
                # nothing, the final alert has an empty item, seq 0 and a signature that is not one
                # (2.0.8 leaves its bytes uninitialised: seen here repeating an earlier item's).
                v = values.get((b(al.key), al.seq, b(al.signature)))
                if v is not None:
                    item['v'] = v.hex()
                item['printed'] = al.message()
                if v is not None and (current['best'] is None or al.seq >= current['best']['seq']):
                    current['best'] = item
                if al.authoritative:
                    if current['best'] is None:
                        finish(event='none')
                    else:
                        finish(event='item', **current['best'])
            elif isinstance(al, lt.dht_put_alert) and current is not None and current['op'] == 'put':
                if b(al.public_key) != current['key'] or b(al.salt) != current['salt']:
                    continue
                finish(event='put', seq=al.seq, sig=b(al.signature).hex(), key=b(al.public_key).hex(),
                       salt=b(al.salt).hex(), nodes=al.num_success)
            elif a.verbose:
                print(f'{type(al).__name__}: {al.message()}', file=sys.stderr, flush=True)


def start(ses, cmd):
    """Starts one command: {"id", "op": "get"|"put", "key", "salt", "seed", "data", "timeout"} (hex bytes, seconds)."""
    key = bytes.fromhex(cmd['key'])
    salt = bytes.fromhex(cmd['salt'])
    if len(key) != 32:
        raise ValueError('key is 32 bytes')
    timeout = float(cmd.get('timeout', 20))
    current = {'id': cmd.get('id'), 'op': cmd['op'], 'key': key, 'salt': salt, 'best': None,
               'timeout': timeout, 'deadline': time.monotonic() + timeout}
    if cmd['op'] == 'get':
        ses.dht_get_mutable_item(key, salt)
    elif cmd['op'] == 'put':
        seed = bytes.fromhex(cmd['seed'])
        if len(seed) != 32:
            raise ValueError('seed is 32 bytes')
        ses.dht_put_mutable_item(secret_key(seed), key, bytes.fromhex(cmd['data']), salt)
    else:
        raise ValueError(f'no op {cmd["op"]}')
    return current


if __name__ == '__main__':
    sys.exit(main())
