#!/usr/bin/env python3
"""Independent check of a mamori-gencap capture: every packet with a transport payload contains
the canary. Parses pcap/pcapng and the link and IP layers itself, so it does not share code
with the generator.

Usage: check_canary.py FILE [CANARY]   (exit 1 if a packet lacks the canary)
"""
import mmap
import struct
import sys

def frames(path):
    f = open(path, 'rb')
    data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # load captures are large
    magic = struct.unpack('<I', data[:4])[0]
    if magic == 0xa1b2c3d4:
        link = struct.unpack('<I', data[20:24])[0]
        off = 24
        while off < len(data):
            ts, us, incl, orig = struct.unpack('<IIII', data[off:off+16])
            yield link, data[off+16:off+16+incl]
            off += 16 + incl
    elif magic == 0x0a0d0d0a:
        off = 0; links = []
        while off < len(data):
            btype, blen = struct.unpack('<II', data[off:off+8])
            body = data[off+8:off+blen-4]
            if btype == 1:
                links.append(struct.unpack('<H', body[:2])[0])
            elif btype == 6:
                iface, th, tl, cap, orig = struct.unpack('<IIIII', body[:20])
                yield links[iface], body[20:20+cap]
            off += blen
    else:
        raise SystemExit('unknown format')

def ip_of(link, f):
    if link == 1:
        et = struct.unpack('>H', f[12:14])[0]; o = 14
        while et in (0x8100, 0x88a8):
            et = struct.unpack('>H', f[o+2:o+4])[0]; o += 4
        return f[o:]
    if link == 113: return f[16:]
    if link == 101: return f
    raise SystemExit('link %d' % link)

def payload_len(ip):
    v = ip[0] >> 4
    if v == 4:
        ihl = (ip[0] & 15) * 4; total = struct.unpack('>H', ip[2:4])[0]
        proto = ip[9]; frag = struct.unpack('>H', ip[6:8])[0]
        body = ip[ihl:total]
        if frag & 0x1fff: return len(body)
        if frag & 0x2000 and proto == 17: return len(body) - 8
    else:
        nxt = ip[6]; body = ip[40:40+struct.unpack('>H', ip[4:6])[0]]
        while nxt in (0, 44):
            if nxt == 44:
                fo = struct.unpack('>H', body[2:4])[0]
                n2 = body[0]; body = body[8:]
                if fo >> 3: return len(body)
                if fo & 1 and n2 == 17: return len(body) - 8
                nxt = n2
            else:
                n2 = body[0]; l = (body[1] + 1) * 8; body = body[l:]; nxt = n2
        proto = nxt
    if proto == 6: return len(body) - (body[12] >> 4) * 4
    if proto == 17: return len(body) - 8
    if proto in (1, 58): return len(body) - 8
    return len(body)

canary = sys.argv[2].encode() if len(sys.argv) > 2 else b'MAMORI-CANARY-7f3a9c'
n = withp = bad = 0
for link, f in frames(sys.argv[1]):
    n += 1
    ip = ip_of(link, f)
    if payload_len(ip) > 0:
        withp += 1
        if canary not in ip:
            bad += 1
            if bad < 10: print('frame %d: payload without canary' % n)
print('%s: %d frames, %d with payload, %d without canary' % (sys.argv[1], n, withp, bad))
sys.exit(1 if bad else 0)
