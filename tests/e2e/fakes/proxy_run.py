#!/usr/bin/env python3
"""Fake executor for proxy redaction tests (driven by the C++ runtime tests through RunConfig.proxy,
since `quarry run` has no proxy flags yet). It checks that the run request carries the proxy with
its password (by design, executor-contract §7.1) and never prints the password. The script path
argument selects what its run_result says:
  proxy-used-clean     proxy_used = protocol/host/port/username (what our executor sends)
  proxy-used-password  proxy_used also carries `password` (a misbehaving foreign executor)
  no-proxy-used        no proxy_used (the runtime must redact its own copy)
"""
import sys

from frames import Fake, log

mode = sys.argv[1] if len(sys.argv) > 1 else "proxy-used-clean"
f = Fake(echo_request=False)
proxy = f.request.get("proxy") or {}
password = proxy.get("password") or ""
log(f"FAKE-PROXY: host={proxy.get('host')} port={proxy.get('port')} "
    f"user={proxy.get('username')} password received ({len(password)} chars)")
f.item("fake", {"n": 1, "proxy_host": proxy.get("host")})
f.complete({"mode": mode})
outcome = {"status": "completed", "message": "run completed with summary"}
frame = {"type": "run_result", "outcome": outcome}
if mode != "no-proxy-used":
    used = {"protocol": proxy.get("protocol"), "host": proxy.get("host"), "port": proxy.get("port"),
            "username": proxy.get("username")}
    if mode == "proxy-used-password":
        used["password"] = password
    frame["proxy_used"] = used
f.send(frame)
f.finish(0)
