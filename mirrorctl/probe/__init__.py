"""Probe mirrors: how fast they answer, how fast they serve files, whether they are real and fresh.

One concern per module, imported one way only (no module imports one that imports it back):

* :mod:`.model` - frozen, JSON-ready result types (stdlib only);
* :mod:`.checks` - per-ecosystem answer validation (PyPI simple page, conda repodata), pure;
* :mod:`.status` - the mirrors' own sync status feeds (tunasync, mirrorz), pure;
* :mod:`.rank` - staleness, install-time estimates, ordering and the pick, pure (imports only ``model``);
* :mod:`.http` - the client, a GET followed hop by hop, bounded reads, failures classified (httpx, lazily);
* :mod:`.sampling` - one timed, validated sample; a ranged file download; a status feed;
* :mod:`.plan` - what to probe: each profile's index URL per tool, its status feed, pure;
* :mod:`.race` - sequential elimination and when to stop, pure (its rule in its docstring);
* :mod:`.fanout` - concurrency and the deadline: one :class:`~.fanout.ToolRace` per tool; :func:`.fanout.run_bench`;

The text table, JSON and every message a user reads are in :mod:`mirrorctl.output.bench`.

This file imports nothing, so ``from mirrorctl.probe.model import ProbeResult`` stays cheap.
"""
