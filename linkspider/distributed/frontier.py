"""The shared frontier of a distributed run: Redis keys and the atomic Lua scripts on them.

Every key of run ``ID`` starts with ``linkspider:ID:``. An entry (``entries`` JSON, one id per
request) waits in its host's list ``q:<host>``; ``hosts`` holds the hosts with waiting entries,
scored by when each may be popped next. ``pop`` leases an entry: it moves to ``inflight``
(scored by the lease deadline, owner in ``owner``) and takes a permit of its host
(``permits:<host>``, at most the per-host limit, cluster-wide). The worker renews its leases
while it lives and acknowledges an entry (``ack``) only once the page's rows are in a closed,
renamed Parquet file. ``requeue_expired`` puts entries whose lease ran out (their worker died)
back at the head of their host's list and forgets what their page had claimed in the shared
page and redirect seen-sets (``claims:<id>``), so the page is fetched and stored again.
Before renaming a commit's files the worker marks its entries with the ``pages`` file they are
going into (``committing``, ``prepare``); an entry requeued with that mark keeps its claims,
and the worker that pops it again acknowledges it if that file is in place (the page is
durable: its worker died between the rename and the acknowledgement) or else drops the
claims (``unclaim``) and fetches it: each page is stored once.

Seen-sets (``seen``: URLs requested, ``pages``: final URLs stored, ``hops``: redirect hops
stored) hold 8-byte fingerprints in buckets (``linkspider.distributed.fingerprints``).
Every change is one script call: there is no gap between two round trips where a crash loses
an entry. Time is the Redis server's (``TIME``), so workers' clocks need not agree. Keys are
built inside the scripts from the prefix, so this targets a single Redis server (not Cluster).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from linkspider.distributed.fingerprints import bucket_of

if TYPE_CHECKING:
    import redis


def run_prefix(run_id: str) -> str:
    """Return the prefix of every Redis key of run ``run_id``."""
    return f"linkspider:{run_id}"


_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""

# Puts a leased entry back at the head of its host's list and drops its page's claims.
_REQUEUE = """
local function requeue(p, id)
  local host = redis.call('HGET', p..':entry_host', id)
  redis.call('ZREM', p..':inflight', id)
  redis.call('HDEL', p..':owner', id)
  if redis.call('HEXISTS', p..':committing', id) == 0 then
    -- (with a commit mark, the popping worker decides: see UNCLAIM)
    local claims = redis.call('LRANGE', p..':claims:'..id, 0, -1)
    for i = 1, #claims, 2 do redis.call('SREM', claims[i], claims[i + 1]) end
    redis.call('DEL', p..':claims:'..id)
  end
  if host then
    redis.call('ZREM', p..':permits:'..host, id)
    redis.call('LPUSH', p..':q:'..host, id)
    redis.call('ZADD', p..':hosts', 'NX', 0, host)
    redis.call('INCR', p..':queued')
  end
end
"""

# Removes every trace of an entry that is finished (acknowledged or refused).
_FORGET = """
local function forget(p, id, host)
  if not redis.call('ZSCORE', p..':inflight', id) then
    -- requeued after its lease expired, yet its page is durable: take it out of the queue
    if redis.call('LREM', p..':q:'..host, 1, id) > 0 then redis.call('DECR', p..':queued') end
  end
  redis.call('ZREM', p..':inflight', id)
  redis.call('ZREM', p..':permits:'..host, id)
  redis.call('HDEL', p..':entries', id)
  redis.call('HDEL', p..':entry_host', id)
  redis.call('HDEL', p..':owner', id)
  redis.call('HDEL', p..':committing', id)
  redis.call('DEL', p..':claims:'..id)
end
"""

#: ARGV: prefix, seen key, fingerprint, site, budget, entry, host. Returns the new entry's id,
#: 0 when the URL was seen already, -1 when its site's budget is spent.
ADD = """
local p = ARGV[1]
if redis.call('SISMEMBER', ARGV[2], ARGV[3]) == 1 then return 0 end
local budget = tonumber(ARGV[5])
if budget > 0 then
  local n = tonumber(redis.call('HGET', p..':site_pages', ARGV[4]) or '0')
  if n >= budget then return -1 end
end
redis.call('SADD', ARGV[2], ARGV[3])
redis.call('HINCRBY', p..':site_pages', ARGV[4], 1)
local id = redis.call('INCR', p..':seq')
redis.call('HSET', p..':entries', id, ARGV[6])
redis.call('HSET', p..':entry_host', id, ARGV[7])
redis.call('RPUSH', p..':q:'..ARGV[7], id)
redis.call('ZADD', p..':hosts', 'NX', 0, ARGV[7])
redis.call('INCR', p..':queued')
return id
"""

#: ARGV: prefix, worker, lease seconds, per-host limit, per-host delay, hosts to look at.
#: Returns {id, entry, host, commit mark or ''} or false when no host may be fetched from now.
POP = _NOW + """
local p = ARGV[1]
local deadline = now + tonumber(ARGV[3])
local limit, delay = tonumber(ARGV[4]), tonumber(ARGV[5])
local hosts = redis.call('ZRANGEBYSCORE', p..':hosts', '-inf', now, 'LIMIT', 0, tonumber(ARGV[6]))
for _, host in ipairs(hosts) do
  local permits = p..':permits:'..host
  redis.call('ZREMRANGEBYSCORE', permits, '-inf', now)
  local next_at = tonumber(redis.call('HGET', p..':host_next', host) or '0')
  if next_at > now then
    redis.call('ZADD', p..':hosts', next_at, host)
  elseif redis.call('ZCARD', permits) >= limit then
    redis.call('ZADD', p..':hosts', now + 0.05, host)  -- at its limit: look again soon
  else
    local id = redis.call('LPOP', p..':q:'..host)
    if id then
      redis.call('ZADD', permits, deadline, id)
      redis.call('ZADD', p..':inflight', deadline, id)
      redis.call('HSET', p..':owner', id, ARGV[2])
      redis.call('DECR', p..':queued')
      if delay > 0 then redis.call('HSET', p..':host_next', host, now + delay) end
      if redis.call('LLEN', p..':q:'..host) == 0 then
        redis.call('ZREM', p..':hosts', host)
      else
        redis.call('ZADD', p..':hosts', now + delay, host)
      end
      return {id, redis.call('HGET', p..':entries', id) or '', host,
              redis.call('HGET', p..':committing', id) or ''}
    end
    redis.call('ZREM', p..':hosts', host)
  end
end
return false
"""

#: ARGV: prefix, worker, lease seconds, n, n entry ids, then (host, token) permit pairs.
#: Renews the worker's leases and permits; returns the ids it no longer holds.
RENEW = _NOW + """
local p, worker = ARGV[1], ARGV[2]
local deadline = now + tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local lost = {}
for i = 5, 4 + n do
  if redis.call('HGET', p..':owner', ARGV[i]) == worker then
    redis.call('ZADD', p..':inflight', 'XX', deadline, ARGV[i])
  else
    table.insert(lost, ARGV[i])
  end
end
for j = 5 + n, #ARGV, 2 do
  redis.call('ZADD', p..':permits:'..ARGV[j], 'XX', deadline, ARGV[j + 1])
end
return lost
"""

#: ARGV: prefix, worker, entry ids whose pages are durable. Returns how many were finished.
ACK = _FORGET + """
local p, worker = ARGV[1], ARGV[2]
local n = 0
for i = 3, #ARGV do
  local host = redis.call('HGET', p..':entry_host', ARGV[i])
  if host then
    forget(p, ARGV[i], host)
    n = n + 1
  end
end
if n > 0 then
  redis.call('INCRBY', p..':done', n)
  redis.call('HINCRBY', p..':done_by', worker, n)
end
return n
"""

#: ARGV: prefix, pages file, entry ids. Marks the entries as going into that file's commit.
PREPARE = """
local p = ARGV[1]
for i = 3, #ARGV do redis.call('HSET', p..':committing', ARGV[i], ARGV[2]) end
return #ARGV - 2
"""

#: ARGV: prefix, entry id. Drops the claims and commit mark of an entry whose commit never
#: reached disk (it is fetched and stored again).
UNCLAIM = """
local p, id = ARGV[1], ARGV[2]
local claims = redis.call('LRANGE', p..':claims:'..id, 0, -1)
for i = 1, #claims, 2 do redis.call('SREM', claims[i], claims[i + 1]) end
redis.call('DEL', p..':claims:'..id)
redis.call('HDEL', p..':committing', id)
return 1
"""

#: ARGV: prefix, worker. Records that the worker is alive now (``live``).
HEARTBEAT = _NOW + """
redis.call('HSET', ARGV[1]..':live', ARGV[2], now)
return 1
"""

#: ARGV: prefix, worker, stale seconds. The worker stops: forgets it (and workers silent for
#: longer than stale seconds) in ``live``. Returns {finisher, last, live workers...}: last is 1
#: when no other worker lives; finisher is 1 when also nothing is queued or in flight: the run
#: ends with this worker. One script call: of workers stopping together, one alone is last.
LEAVE = _NOW + """
local p = ARGV[1]
redis.call('HDEL', p..':live', ARGV[2])
local live = {}
local beats = redis.call('HGETALL', p..':live')
for i = 1, #beats, 2 do
  if now - tonumber(beats[i + 1]) > tonumber(ARGV[3]) then
    redis.call('HDEL', p..':live', beats[i])
  else
    table.insert(live, beats[i])
  end
end
local idle = tonumber(redis.call('GET', p..':queued') or '0') <= 0
  and redis.call('ZCARD', p..':inflight') == 0
local finisher = (#live == 0 and idle) and 1 or 0
return {finisher, #live == 0 and 1 or 0, unpack(live)}
"""

#: ARGV: prefix, entry id, reason. Moves an entry that is not a request aside, unread.
REFUSE = _FORGET + """
local p, id = ARGV[1], ARGV[2]
local host = redis.call('HGET', p..':entry_host', id) or ''
redis.call('HSET', p..':refused', id, redis.call('HGET', p..':entries', id) or '')
redis.call('HSET', p..':refused_reason', id, ARGV[3])
forget(p, id, host)
return 1
"""

#: ARGV: prefix, at most this many. Requeues entries whose lease deadline has passed.
REQUEUE_EXPIRED = _NOW + _REQUEUE + """
local p = ARGV[1]
local ids = redis.call('ZRANGEBYSCORE', p..':inflight', '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do requeue(p, id) end
if #ids > 0 then redis.call('INCRBY', p..':requeued', #ids) end
return #ids
"""

#: ARGV: prefix, worker, entry ids. Gives back leases the worker holds (a clean stop).
RELEASE = _REQUEUE + """
local p, worker = ARGV[1], ARGV[2]
local n = 0
for i = 3, #ARGV do
  if redis.call('HGET', p..':owner', ARGV[i]) == worker then
    requeue(p, ARGV[i])
    n = n + 1
  end
end
if n > 0 then redis.call('INCRBY', p..':released', n) end
return n
"""

#: ARGV: prefix, entry id ('' for none), then (seen key, fingerprint) pairs. Adds each
#: fingerprint; returns 1 for each that was new (recorded as claimed by the entry), else 0.
CLAIM = """
local p, id = ARGV[1], ARGV[2]
local result = {}
for i = 3, #ARGV, 2 do
  if redis.call('SADD', ARGV[i], ARGV[i + 1]) == 1 then
    if id ~= '' then redis.call('RPUSH', p..':claims:'..id, ARGV[i], ARGV[i + 1]) end
    table.insert(result, 1)
  else
    table.insert(result, 0)
  end
end
return result
"""

#: ARGV: prefix, host, token, lease seconds, per-host limit. Takes a permit if one is free.
ACQUIRE = _NOW + """
local permits = ARGV[1]..':permits:'..ARGV[2]
redis.call('ZREMRANGEBYSCORE', permits, '-inf', now)
if redis.call('ZCARD', permits) >= tonumber(ARGV[5]) then return 0 end
redis.call('ZADD', permits, now + tonumber(ARGV[4]), ARGV[3])
return 1
"""


@dataclass(frozen=True)
class Lease:
    """A popped entry: its id, raw bytes (not yet trusted), host, and the ``pages`` file (path
    relative to the output directory) its page was being committed to when its worker died."""

    id: str
    raw: bytes
    host: str
    committing: str | None = None


class Frontier:
    """The Redis side of one distributed run: every operation is one script call."""

    SCRIPTS = {"add": ADD, "pop": POP, "renew": RENEW, "ack": ACK, "refuse": REFUSE,
               "requeue_expired": REQUEUE_EXPIRED, "release": RELEASE, "claim": CLAIM,
               "acquire": ACQUIRE, "prepare": PREPARE, "unclaim": UNCLAIM,
               "heartbeat": HEARTBEAT, "leave": LEAVE}  # fmt: skip

    def __init__(self, server: redis.Redis, run_id: str, buckets: int) -> None:
        self.server = server
        self.run_id = run_id
        self.prefix = run_prefix(run_id)
        self.buckets = buckets
        self._scripts = {name: server.register_script(text) for name, text in self.SCRIPTS.items()}

    def key(self, name: str) -> str:
        """Return the full Redis key of ``name`` in this run."""
        return f"{self.prefix}:{name}"

    def seen_key(self, kind: str, value: int) -> str:
        """Return the bucket key that holds fingerprint ``value`` of seen-set ``kind``."""
        return f"{self.prefix}:{kind}:{bucket_of(value, self.buckets)}"

    def _run(self, name: str, *args: Any) -> Any:
        return self._scripts[name](args=[self.prefix, *args])

    # -- entries -----------------------------------------------------------------------------

    def add(self, fingerprint: int, entry: bytes, host: str, site: str, budget: int) -> int:
        """Queue an entry unless its URL was seen or its site is full (see ``ADD``)."""
        return int(self._run("add", self.seen_key("seen", fingerprint), fingerprint, site,
                             budget, entry, host))  # fmt: skip

    def pop(self, worker: str, lease_seconds: float, limit: int, delay: float,
            scan: int = 64) -> Lease | None:  # fmt: skip
        """Lease the next entry of a host that may be fetched from now, or return None."""
        result = self._run("pop", worker, lease_seconds, limit, delay, scan)
        if not result:
            return None
        entry_id, raw, host, committing = result
        return Lease(entry_id.decode(), raw, host.decode("utf-8", "surrogateescape"),
                     committing.decode("utf-8", "surrogateescape") or None)  # fmt: skip

    def renew(self, worker: str, lease_seconds: float, ids: list[str],
              permits: list[tuple[str, str]]) -> list[str]:  # fmt: skip
        """Extend the worker's leases and permits; return the ids it no longer holds."""
        flat = [value for pair in permits for value in pair]
        lost = self._run("renew", worker, lease_seconds, len(ids), *ids, *flat)
        return [entry_id.decode() for entry_id in lost]

    def ack(self, worker: str, ids: list[str]) -> int:
        """Finish entries whose pages are durable; return how many were still known."""
        return int(self._run("ack", worker, *ids)) if ids else 0

    def prepare(self, pages_file: str, ids: list[str]) -> None:
        """Mark entries as going into the commit whose ``pages`` file is ``pages_file``."""
        if ids:
            self._run("prepare", pages_file, *ids)

    def unclaim(self, entry_id: str) -> None:
        """Drop the claims and commit mark of an entry whose commit never reached disk."""
        self._run("unclaim", entry_id)

    def release(self, worker: str, ids: list[str]) -> int:
        """Give back the worker's leases (requeued at once); return how many."""
        return int(self._run("release", worker, *ids)) if ids else 0

    def refuse(self, entry_id: str, reason: str) -> None:
        """Move an entry that is not a request to ``refused``, never to be read as one."""
        self._run("refuse", entry_id, reason)

    def requeue_expired(self, limit: int = 1000) -> int:
        """Requeue entries whose lease ran out; return how many."""
        return int(self._run("requeue_expired", limit))

    # -- seen-sets and permits ---------------------------------------------------------------

    def claim(self, entry_id: str | None, values: list[tuple[str, int]]) -> list[bool]:
        """Add ``(seen-set kind, fingerprint)`` pairs on behalf of an entry (forgotten again if
        its lease expires); return which were new."""
        if not values:
            return []
        flat = [item for kind, value in values for item in (self.seen_key(kind, value), value)]
        return [bool(flag) for flag in self._run("claim", entry_id or "", *flat)]

    def acquire(self, host: str, token: str, lease_seconds: float, limit: int) -> bool:
        """Take a permit of ``host`` if fewer than ``limit`` are held; return whether taken."""
        return bool(self._run("acquire", host, token, lease_seconds, limit))

    def release_permit(self, host: str, token: str) -> None:
        """Give back a permit of ``host``."""
        self.server.zrem(self.key(f"permits:{host}"), token)

    # -- workers -----------------------------------------------------------------------------

    def heartbeat(self, worker: str) -> None:
        """Record that ``worker`` is alive (Redis time)."""
        self._run("heartbeat", worker)

    def leave(self, worker: str, stale_seconds: float) -> tuple[bool, bool, list[str]]:
        """Record that ``worker`` stops; return (finisher: it ends the run, last: no other
        worker lives, the workers still alive) (see ``LEAVE``)."""
        finisher, last, *live = self._run("leave", worker, stale_seconds)
        return bool(finisher), bool(last), [name.decode() for name in live]

    def sites_full(self, sites: list[str], budget: int) -> list[bool]:
        """Return, for each site, whether ``budget`` of its pages are queued already."""
        if not sites or budget <= 0:
            return [False] * len(sites)
        counts = self.server.hmget(self.key("site_pages"), sites)
        return [int(n or 0) >= budget for n in counts]

    # -- reading -----------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Return the run's counters: queued, in flight, done, requeued, released, refused."""
        pipe = self.server.pipeline(transaction=True)
        pipe.get(self.key("queued"))
        pipe.zcard(self.key("inflight"))
        pipe.get(self.key("done"))
        pipe.get(self.key("requeued"))
        pipe.get(self.key("released"))
        pipe.hlen(self.key("refused"))
        values = pipe.execute()
        names = ("queued", "in_flight", "done", "requeued", "released", "refused")
        return {name: int(value or 0) for name, value in zip(names, values)}

    def busy(self) -> bool:
        """Return True while any entry is queued or in flight."""
        counts = self.counts()
        return counts["queued"] > 0 or counts["in_flight"] > 0
