#!/usr/bin/env python3
"""Prints a TCP port that is free on every address, chosen BELOW the kernel's ephemeral range.

Port 0 ("any free port") hands out a port from the ephemeral range, which outbound connections
also draw from: under connection churn (a load test, thousands of TIME-WAIT sockets) a server
started a moment later finds that port taken ("Address already in use"). A port below the range
is never picked for an outbound connection, so only another listener could take it.
Usage: python3 bin/lib/free_port.py [COUNT]   (COUNT distinct ports, one per line)
"""
import random
import socket
import sys

with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    low = int(f.read().split()[0])
count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
lo, hi = 10000, max(10001, low - 1)
found = []
for _ in range(1000):
    port = random.randint(lo, hi)
    if port in found:
        continue
    s = socket.socket()  # no SO_REUSEADDR: a TIME-WAIT socket on the port makes this fail too
    try:
        s.bind(("0.0.0.0", port))
    except OSError:
        continue
    finally:
        s.close()
    found.append(port)
    if len(found) == count:
        print("\n".join(map(str, found)))
        sys.exit(0)
sys.exit("free_port: no free port found below the ephemeral range")
