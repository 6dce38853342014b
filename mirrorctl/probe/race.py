"""The race, pure: sequential elimination over one tool's latency samples, and when to stop.

It has no clock and no I/O: :mod:`.fanout` feeds it answers and waits, so its error rate is tested on seeded
schedules without a network (tests/test_race.py).

**The race** (:class:`Race`, pure, so its error rate is tested on seeded schedules without a network). Each
mirror gets one request until it first answers, as in a one-sample test (so the start costs no more than one,
and a mirror out of the race after its first answer costs one request); a mirror still in the race then keeps
up to :data:`LANES` requests in flight, one after another on each of its kept-alive connections, so a
contender gathers samples several times faster than its latency alone allows, while the slowest mirrors'
first answers, which a bench waits for anyway, are still out. After every answer:

* the *leader* is the mirror with the lowest estimate (the mean of its samples);
* **the elimination rule**: mirror M leaves the race when ``est(M) - est(L) > Z * sqrt(var_L/n_L + var_M/n_M)``
  with ``Z`` = :data:`Z` (3). ``var`` is the pooled variance of every mirror's samples, shrunk towards
  :data:`PRIOR_SD_MS` with :data:`PRIOR_DOF` pseudo-samples (a handful of early samples can look
  deceptively calm), never below :data:`FLOOR_SD_MS`; a mirror's own variance, once it has five samples,
  replaces the pooled one when larger.
* a mirror whose first answer is still out counts as one sample as slow as the time already waited, once that
  is more than twice the leader's latency plus :data:`CENSOR_MARGIN_MS` (the wait includes opening the
  connection): a dead or very slow mirror is then out of the race without waiting for it (``bench`` still
  waits for its first answer, up to the deadline, to report it; ``use --fastest`` does not);
* the pick is **settled** when every other mirror is out or failed and the leader has ``samples`` samples,
  or when every remaining contender has ``max_samples`` (20) samples (a hard cap: the deadline aside, the
  only stop without confidence);
* **the pick rule**, once every mirror has answered, failed or left: only the pick matters, not the order of
  the others, so the race is also settled when the leader has ``samples`` samples and every rival M still in
  it is either behind or not worth waiting for: ``est(M) - est(L) > Z_PICK * spread - INDIFFERENCE_MS``
  (:data:`Z_PICK` = 2, :data:`INDIFFERENCE_MS` = 10). That is the one-sided confidence bound of the
  difference of two means: with the spread's confidence, M is not more than 10 ms per page ahead of L. A
  rival clearly behind settles on its gap; a rival as fast as the leader (a tie) settles once enough samples
  show that picking either costs at most 10 ms per page; and a pick 20 ms ahead settles with a margin of
  ``Z_PICK + 10 / spread`` spreads against a wrong pick. (The former rule also stopped every contender at 8
  samples once all had answered, confident or not: with the scatter a loaded machine adds, two means 20 ms
  apart crossed in several races in a hundred.) The rivals separated then leave the race too
  (:meth:`Race.conclude`), so a rival at 60-80 ms with one or two answers no longer holds a bench up for
  another round after the slowest first answer. Sampling stops then, and the pick is the lowest mean.

**By install time** (``install=True``) the score is the install time per index page: mean latency +
:attr:`Runner.penalty_ms` (:func:`penalty_ms`: the typical install's bytes over the bandwidth, divided by its
pages). Branch and bound: only a mirror whose download has ended (:meth:`Race.measure`) can lead; every other
mirror is scored at the best it could still do (latency alone while not downloaded; latency + the floor
:meth:`Race.bound` sets while its download runs, its budget arriving at once from now; its wait while
unanswered), and the same two rules apply to those scores, with a measured bandwidth term's uncertainty
(:data:`BANDWIDTH_REL_SD`) in the spread. :meth:`Race.to_measure` names the mirrors worth a download, most
promising first: answered, in the race, not measured, and ahead of the leader at infinite bandwidth. At the
sample cap a rival still unmeasured counts as settled only when it is behind the leader even at infinite
bandwidth. A stale mirror is :meth:`Race.drop`-ped, and the mirrors that left behind it come back.

Measured on seeded schedules (tests/test_race.py, 1000 seeds per fleet, the 10-220 ms and 20-160 ms fleets
whose two best means are 20 ms apart under +/-30 ms uniform jitter). By latency (``run``): wrong picks 1 and
0; 0 and 2 when each answer also takes up to 30 ms more than its latency shows; 3 and 1 when the prober
stalls 20-100 ms every 300 ms on average (``stall``: every answer that arrives during a stall is timed at its
end, late samples correlated as on a loaded machine); 10 and 4 with a stall every 100 ms. (The former rule,
which stopped every contender at 8 samples once all had answered: 3 and 4 with stalls every 300 ms, 19 and 7
every 100 ms.) The 20-160 ms race settles after the slowest first answer (a one-sample test's wall) in 0.3 %
of races. By install time (``run_install``, each download measuring its rate within +/-20 %, 100 MB/s each
unless said): wrong picks 1 on each 20 ms-step fleet; with every download reader-limited and measuring 3 to
100 % of a 1 GB/s link (loopback), 2 and 0 (pooled: :func:`.rank.pooled_rates`; on the raw figures, one pick
in five was wrong on loopback); 0 on the bandwidth-skewed fleets (near 10 ms at 1 MB/s, far 60 ms at
50 MB/s). Settled in a median 145 ms (20-160 ms), 130 ms (10-220 ms) and 410 ms (skewed: 0.25 s of the near
mirror's download); never more than one bounded download per mirror.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mirrorctl.probe.rank import BANDWIDTH_REL_SD, INDISTINGUISHABLE, TYPICAL

DEFAULT_SAMPLES = 3
DEFAULT_MAX_SAMPLES = 20
LANES = 5
Z = 3.0
#: Once every mirror has answered, the race stops when each rival is this many spreads behind the leader
#: (less :data:`INDIFFERENCE_MS`).
Z_PICK = 2.0
#: The pick may be this much (ms per page) slower than a rival that cannot be told apart from it: a rival
#: settles once it is, with Z_PICK confidence, at most this much ahead (20 pages: 0.2 s of an install).
INDIFFERENCE_MS = 10.0
PRIOR_SD_MS = 30.0
PRIOR_DOF = 4
FLOOR_SD_MS = 2.0
#: A first answer still out counts against a mirror only once it is this much more than twice the leader's
#: latency late (the wait includes opening the connection, which samples do not).
CENSOR_MARGIN_MS = 100.0
#: By install time, the penalty of a mirror whose package file could not be fetched: it cannot lead.
UNMEASURABLE_MS = 1e9


def penalty_ms(seconds_per_byte: float) -> float:
    """The bandwidth term of the typical install per index page, in ms: what ranking by install time adds to a
    mirror's latency (``pages x latency + bytes / bandwidth`` divided by ``pages``)."""
    return TYPICAL.bytes * seconds_per_byte / TYPICAL.pages * 1000


def estimate(samples: Sequence[float]) -> float:
    """The mean of the samples (with the +/-30 ms jitter of the targets, a trimmed mean or the median lost
    races the mean wins; a spike widens the variance, which only slows elimination down)."""
    return statistics.fmean(samples)


def _variance(samples: Sequence[float]) -> float:
    """The sample variance in floats (``statistics.variance`` is exact, with fractions: far too slow to run
    after every answer of every mirror)."""
    n = len(samples)
    if n < 2:
        return 0.0
    mean = math.fsum(samples) / n
    return math.fsum((x - mean) ** 2 for x in samples) / (n - 1)


@dataclass
class Runner:
    """One mirror in a race, as the race sees it."""

    samples: list[float] = field(default_factory=list)
    failed: bool = False
    out: bool = False
    #: The leader it left the race behind (revived if that one turns out stale).
    out_by: int | None = None
    #: By install time: the bandwidth term of its install time, per page, in ms (``bytes / bandwidth / pages``);
    #: None until its download has ended.
    penalty_ms: float | None = None
    #: While its download runs: the least the penalty can still turn out to be (its budget's bytes arriving at
    #: once from now on); 0 before.
    floor_ms: float = 0.0
    #: Its download was paced by the prober's reads, not the link: the penalty is only an upper bound.
    reader_limited: bool = False


class Race:
    """Sequential elimination over the samples of one tool's mirrors (the rule is in the module docstring).

    ``install=True`` races on estimated install time per page (latency + :attr:`Runner.penalty_ms`): only a
    mirror whose download has ended can lead, and a rival is judged by the best it could still do.
    """

    def __init__(self, count: int, *, min_samples: int = DEFAULT_SAMPLES, max_samples: int = DEFAULT_MAX_SAMPLES,
                 z: float = Z, install: bool = False) -> None:
        self.runners = [Runner() for _ in range(count)]
        self.min_samples, self.max_samples, self.z = min_samples, max(min_samples, max_samples), z
        self.install = install
        self.heard = False

    def add(self, index: int, latency_ms: float) -> None:
        self.runners[index].samples.append(latency_ms)

    def fail(self, index: int) -> None:
        self.runners[index].failed = True

    def drop(self, index: int) -> list[int]:
        """Mirror ``index`` cannot be the pick whatever its speed (its index lags the others': stale). The
        mirrors that left the race behind it come back (they were judged against a mirror that cannot win);
        returns them."""
        self.runners[index].out, self.runners[index].out_by = True, None
        back = [i for i, r in enumerate(self.runners) if r.out and r.out_by == index and not r.failed]
        for revived in back:
            self.runners[revived].out, self.runners[revived].out_by = False, None
        return back

    def revive(self, index: int) -> None:
        """Mirror ``index`` left the race on its wait alone, and its first answer came after all: it is back,
        to be judged on its answers (a bench waits for first answers anyway)."""
        runner = self.runners[index]
        if not runner.failed:
            runner.out, runner.out_by = False, None

    def measure(self, index: int, penalty_ms: float, reader_limited: bool = False) -> None:
        """Mirror ``index``'s download ended: its bandwidth costs ``penalty_ms`` per page
        (:data:`UNMEASURABLE_MS` when no file could be fetched); ``reader_limited``: the prober's reads set
        the pace (see :func:`.rank.pooled_rates`)."""
        runner = self.runners[index]
        runner.penalty_ms, runner.floor_ms, runner.reader_limited = penalty_ms, penalty_ms, reader_limited

    def best_penalty(self) -> float | None:
        """The lowest bandwidth term measured (the best rate), which every mirror that cannot be told apart
        from it shares (:func:`.rank.pooled_rates`)."""
        found = [r.penalty_ms for r in self.runners
                 if r.penalty_ms is not None and r.penalty_ms < UNMEASURABLE_MS and not r.failed]
        return min(found) if found else None

    def pooled(self, index: int) -> bool:
        """Whether mirror ``index``'s measured bandwidth term is the best one's (it cannot be told apart)."""
        runner, best = self.runners[index], self.best_penalty()
        if runner.penalty_ms is None or best is None or runner.penalty_ms >= UNMEASURABLE_MS:
            return False
        return runner.reader_limited or runner.penalty_ms <= best * INDISTINGUISHABLE

    def penalty(self, index: int) -> float:
        """The bandwidth term the race ranks mirror ``index`` on: the pooled one, its own when clearly worse;
        while unmeasured, the least it can still be (its floor, or the best term when the floor cannot be
        told apart from it)."""
        runner, best = self.runners[index], self.best_penalty()
        if runner.penalty_ms is not None:
            return best if best is not None and self.pooled(index) else runner.penalty_ms
        if best is not None and runner.floor_ms <= best * INDISTINGUISHABLE:
            return min(runner.floor_ms, best)
        return runner.floor_ms

    def bound(self, index: int, floor_ms: float) -> None:
        """Mirror ``index``'s download is under way: its penalty will be at least ``floor_ms``."""
        self.runners[index].floor_ms = max(self.runners[index].floor_ms, floor_ms)

    def live(self, index: int) -> bool:
        runner = self.runners[index]
        return not (runner.out or runner.failed)

    def measured(self, index: int) -> bool:
        return not self.install or self.runners[index].penalty_ms is not None

    def score(self, index: int) -> float:
        """The estimate the race ranks on: mean latency, plus by install time the bandwidth term (its floor,
        the best it could still be, while unmeasured)."""
        runner = self.runners[index]
        return estimate(runner.samples) + (self.penalty(index) if self.install else 0.0)

    def leader(self) -> int | None:
        """The best mirror with samples (by install time: among those whose download has ended)."""
        scored = [(self.score(i), i) for i, r in enumerate(self.runners)
                  if r.samples and self.live(i) and self.measured(i)]
        return min(scored)[1] if scored else None

    def to_measure(self) -> list[int]:
        """By install time: the mirrors worth a download, most promising first: answered, in the race, not
        measured, and able to beat the leader at least at infinite bandwidth (on their estimates)."""
        if not self.install:
            return []
        lead = self.leader()
        best = self.score(lead) if lead is not None else math.inf
        found = [(self.score(i), i) for i, r in enumerate(self.runners)
                 if r.samples and self.live(i) and not self.measured(i) and self.score(i) < best]
        return [i for _, i in sorted(found)]

    def outrun(self, index: int, penalty_ms: float) -> bool:
        """Whether mirror ``index``, at the penalty its download's rate so far gives, is behind another mirror
        still to be measured (whose best is better): its download can then end at that rate."""
        best = self.best_penalty()
        if best is not None and penalty_ms <= best * INDISTINGUISHABLE:
            penalty_ms = min(penalty_ms, best)
        mine = estimate(self.runners[index].samples) + penalty_ms
        return any(self.score(i) < mine for i in self.to_measure() if i != index)

    def pooled_variance(self) -> float:
        weighted, dof = PRIOR_DOF * PRIOR_SD_MS**2, float(PRIOR_DOF)
        for runner in self.runners:
            samples = runner.samples
            n = len(samples)
            if n >= 2 and not runner.failed:
                weighted += _variance(samples) * (n - 1)
                dof += n - 1
        return max(weighted / dof, FLOOR_SD_MS**2)

    def _var(self, runner: Runner, pooled: float) -> float:
        samples = runner.samples
        return max(_variance(samples), pooled) if len(samples) >= 5 else pooled

    def _term(self, index: int, pooled: float) -> float:
        """The variance of a mirror's score: its mean latency's, plus its measured bandwidth term's (the pooled
        term's when it shares it: two mirrors that share it differ by latency alone, see :meth:`_spread`)."""
        runner = self.runners[index]
        term = self._var(runner, pooled) / len(runner.samples)
        if self.install and runner.penalty_ms is not None and runner.penalty_ms < UNMEASURABLE_MS:
            term += (BANDWIDTH_REL_SD * self.penalty(index)) ** 2
        return term

    def _spread(self, lead: int, index: int, pooled: float) -> float:
        """The standard deviation of ``score(index) - score(lead)``."""
        variance = self._term(lead, pooled) + self._term(index, pooled)
        if self.install and self.pooled(lead) and self.pooled(index):
            variance -= 2 * (BANDWIDTH_REL_SD * self.penalty(lead)) ** 2  # one shared term: it cancels
        return math.sqrt(max(variance, 0.0))

    def judge(self, waiting_ms: Mapping[int, float] | None = None) -> list[int]:
        """Apply the elimination rule; ``waiting_ms``: index -> how long its first answer has been awaited.

        Returns the mirrors that left the race now.
        """
        lead = self.leader()
        if lead is None:
            return []
        pooled = self.pooled_variance()
        leader = self.runners[lead]
        best, leader_var = self.score(lead), self._term(lead, pooled)
        latency = estimate(leader.samples)
        out = []
        for index, runner in enumerate(self.runners):
            if index == lead or not self.live(index):
                continue
            if runner.samples:
                gap = self.score(index) - best
                spread = self._spread(lead, index, pooled)
            elif waiting_ms and index in waiting_ms:
                waited = waiting_ms[index]
                if waited <= 2 * latency + CENSOR_MARGIN_MS:
                    continue
                gap, spread = waited - best, math.sqrt(leader_var + pooled)
            else:
                continue
            if gap > self.z * spread:
                runner.out, runner.out_by = True, lead
                out.append(index)
        return out

    def _separated(self, lead: int, index: int, z: float, pooled: float, indifference: float = 0.0) -> bool:
        """Whether rival ``index`` is behind the leader with confidence ``z``; with ``indifference``: whether it
        cannot be more than that many ms ahead (the leader is then as good a pick, to within it)."""
        gap = self.score(index) - self.score(lead)
        return gap > z * self._spread(lead, index, pooled) - indifference

    def _resolved(self, lead: int, index: int) -> bool:
        """By install time, a rival at the sample cap is done once measured or behind even at its best."""
        return self.measured(index) or self.score(index) >= self.score(lead)

    @property
    def settled(self) -> bool:
        lead = self.leader()
        if lead is None:
            return all(r.failed for r in self.runners)
        leader = self.runners[lead]
        others = [i for i, r in enumerate(self.runners) if i != lead and self.live(i)]
        if not others and len(leader.samples) >= self.min_samples:
            return True
        if (all(len(self.runners[i].samples) >= self.max_samples for i in [lead, *others])
                and all(self._resolved(lead, i) for i in others)):
            return True
        if not self.heard or len(leader.samples) < self.min_samples:
            return False
        # Every mirror has answered: only the pick matters. Each rival must be behind the leader by
        # Z_PICK spreads less INDIFFERENCE_MS, or it and the leader must both have max_samples. A rival with
        # no sample yet cannot be judged: one knocked out unanswered (censored) comes back when the mirror that
        # knocked it out leaves as stale, and the race waits for its answer (or its failure) again.
        if any(not self.runners[i].samples for i in others):
            return False
        return self._picked(lead, others)

    def _picked(self, lead: int, others: Sequence[int]) -> bool:
        """The pick rule: each rival in ``others`` is Z_PICK spreads less INDIFFERENCE_MS behind the leader,
        or it and the leader both have max_samples."""
        leader, pooled = self.runners[lead], self.pooled_variance()
        return all(
            self._separated(lead, i, Z_PICK, pooled, INDIFFERENCE_MS)
            or (len(self.runners[i].samples) >= self.max_samples and len(leader.samples) >= self.max_samples
                and self._resolved(lead, i))
            for i in others
        )

    def holding(self) -> bool:
        """Whether the mirrors that answered can stop sampling until another first answer comes: the pick rule
        already holds among them (more of their samples would not change the pick; only a mirror still to
        answer can). While a bench waits for its slowest first answers, contenders then stop spending the
        prober's CPU, which would delay the timing of those answers."""
        lead = self.leader()
        if lead is None or self.heard or len(self.runners[lead].samples) < self.min_samples:
            return False
        others = [i for i, r in enumerate(self.runners) if i != lead and self.live(i) and r.samples]
        return self._picked(lead, others)

    def conclude(self) -> list[int]:
        """Once settled: the rivals :data:`Z_PICK` spreads behind the leader leave the race too (they could not
        be the pick). Returns them; the rest still in the race are the pick's close rivals."""
        lead = self.leader()
        if lead is None or not self.settled:
            return []
        pooled = self.pooled_variance()
        out = [i for i, r in enumerate(self.runners)
               if i != lead and self.live(i) and r.samples and self._separated(lead, i, Z_PICK, pooled)]
        for index in out:
            self.runners[index].out, self.runners[index].out_by = True, lead
        return out

    def all_heard(self) -> None:
        """Every mirror has answered, failed or left: from now on only the pick needs settling (the pick rule
        of the module docstring)."""
        self.heard = True

    def heard_all(self) -> bool:
        return all(r.samples or not self.live(i) for i, r in enumerate(self.runners))

    def wanted(self, index: int, in_flight: int, settled: bool | None = None, holding: bool | None = None) -> int:
        """How many more requests mirror ``index`` should have in flight now: one until it first answers (as a
        one-sample test sends), then :data:`LANES` while it is in the race and the answered mirrors are not
        :meth:`holding`. ``settled``, ``holding``: their values if the caller has them already."""
        runner = self.runners[index]
        if not self.live(index) or (settled if settled is not None else self.settled):
            return 0
        if runner.samples and (holding if holding is not None else self.holding()):
            return 0
        lanes = LANES if runner.samples else 1
        # A mirror alone (no rival left in the race) is not racing: it needs only its samples, not the cap.
        alone = not any(self.live(i) for i in range(len(self.runners)) if i != index)
        wanted = self.min_samples if alone else self.max_samples
        return max(0, min(lanes - in_flight, wanted - len(runner.samples) - in_flight))
