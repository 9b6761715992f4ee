"""Change detection: a pure function from (pair state, baseline position, observation) to (state, alert).

Called once per stance observation, in the order the observations arrive, by ``alerts.service`` (live)
and by tests. Nothing here reads the clock: "now" is the observation's ``published`` time, so the
corroboration window runs on article time and a replay of history behaves as it did live.

Rules per ``COUNTRY:topic``:

- the *reference* stance is the last alerted stance while a change is active, else the baseline's;
- an observation whose stance differs from the reference is a candidate; a change fires when the
  candidates for that stance come from >= ``min_sources`` distinct source domains within ``window``,
  or when one candidate has confidence >= ``high_confidence``;
- kinds, always measured against the baseline: ``reversal`` (support <-> oppose), ``shift`` (a side ->
  neutral, or neutral/mixed -> a side), ``new_position`` (the pair has no baseline and a side appears;
  a later different side of such a pair is a new position too), ``reverted`` (back to the baseline
  stance after an alert);
- hysteresis: a stance alerted since the last revert is not alerted again until the pair reverts;
  ``mixed -> neutral`` and ``no baseline -> neutral`` are not changes (neutral reverts a mixed pair).

Alert ids hash (country, topic, kind, new stance, baseline epoch, sequence): the same change computed
again from the same history (after a restart that lost progress) gets the same id and is not re-sent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from core.baseline import Position
from core.messages import Alert, Evidence, StanceObservation, source_of

SIDES = ("support", "oppose")
MAX_CANDIDATES = 50  # per pair, newest kept: bounds the stored state during a flood of one story


@dataclass(frozen=True)
class DetectConfig:
    """Corroboration and evidence settings (built from ``Settings`` by the service)."""

    min_confidence: float = 0.5
    min_sources: int = 2
    window: timedelta = timedelta(hours=72)
    high_confidence: float = 0.8
    evidence_max: int = 5


@dataclass(frozen=True)
class Candidate:
    """An observation that supports a change, kept while it is inside the window."""

    stance: str
    source: str
    published: datetime
    confidence: float
    sentence: str
    title: str
    url: str


@dataclass(frozen=True)
class PairState:
    """What the detector remembers about one ``COUNTRY:topic`` pair."""

    current: str | None = None  # stance of the active (unreverted) change, None when at baseline
    alerted: tuple[str, ...] = ()  # stances alerted since the last revert (hysteresis)
    candidates: tuple[Candidate, ...] = ()
    sequence: int = 0  # alerts fired for this pair, part of the stable alert id
    last_seen: datetime | None = field(default=None, compare=False)


def kind_of(baseline: str | None, previous: str | None, new: str) -> str | None:
    """The alert kind of moving to ``new``; None when the move is not a change worth alerting.

    ``baseline`` is the baseline stance (None: no baseline), ``previous`` the active alerted stance.
    """
    back = new == baseline or (baseline == "mixed" and new == "neutral")  # neutral reads as mixed
    if baseline is not None and back:
        return "reverted" if previous is not None else None
    if baseline is None:  # every side a pair without a baseline takes is a new position
        return "new_position" if new in SIDES else None
    if baseline in SIDES and new in SIDES:
        return "reversal"
    return "shift"


def baseline_epoch(position: Position | None) -> str:
    """Identifies the baseline entry a change is measured against (editing it starts a new epoch)."""
    if position is None:
        return "none"
    return hashlib.sha256(f"{position.stance}|{position.evidence}".encode()).hexdigest()[:12]


def alert_id(country: str, topic: str, kind: str, new_stance: str, epoch: str, sequence: int) -> str:
    raw = f"{country}|{topic}|{kind}|{new_stance}|{epoch}|{sequence}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def _corroborated(cands: list[Candidate], config: DetectConfig) -> bool:
    if any(c.confidence >= config.high_confidence for c in cands):
        return True
    return len({c.source for c in cands}) >= config.min_sources


def _evidence(cands: list[Candidate], limit: int) -> tuple[Evidence, ...]:
    # strongest first, then newest; one sentence per source first so the evidence shows independence
    ranked = sorted(cands, key=lambda c: (-c.confidence, -c.published.timestamp()))
    chosen: list[Candidate] = []
    seen: set[str] = set()
    for c in ranked:
        if c.source not in seen:
            chosen.append(c)
            seen.add(c.source)
    chosen += [c for c in ranked if c not in chosen]
    return tuple(
        Evidence(
            sentence=c.sentence, title=c.title, url=c.url, published=c.published, confidence=c.confidence
        )
        for c in chosen[:limit]
    )


def step(
    state: PairState, position: Position | None, obs: StanceObservation, config: DetectConfig
) -> tuple[PairState, Alert | None]:
    """Fold one observation into the pair's state; return the new state and the alert it fires, if any."""
    if obs.confidence < config.min_confidence:
        return state, None
    now = obs.published
    baseline = position.stance if position is not None else None
    reference = state.current if state.current is not None else baseline
    last_seen = max(state.last_seen, now) if state.last_seen else now
    kept = tuple(c for c in state.candidates if abs(now - c.published) <= config.window)
    if obs.stance == reference or kind_of(baseline, state.current, obs.stance) is None:
        # agreement with the reference (or a non-change such as mixed -> neutral) fires nothing
        return replace(state, candidates=kept, last_seen=last_seen), None
    cand = Candidate(
        stance=obs.stance,
        # the independent-source key; an article without a domain is a source of its own
        source=source_of(obs.url, obs.source) or f"article:{obs.article_id}",
        published=now,
        confidence=obs.confidence,
        sentence=obs.evidence,
        title=obs.title,
        url=obs.url,
    )
    kept = (*kept, cand)[-MAX_CANDIDATES:]
    same = [c for c in kept if c.stance == obs.stance]
    if not _corroborated(same, config):
        return replace(state, candidates=kept, last_seen=last_seen), None
    kind = kind_of(baseline, state.current, obs.stance)
    assert kind is not None
    if kind == "reverted":
        return PairState(sequence=state.sequence + 1, last_seen=last_seen), _alert(
            kind, state, position, obs, same, config
        )
    if obs.stance in state.alerted:
        # hysteresis: this change was already alerted and has not reverted since; follow it silently
        return replace(state, current=obs.stance, candidates=(), last_seen=last_seen), None
    new_state = PairState(
        current=obs.stance,
        alerted=(*state.alerted, obs.stance),
        sequence=state.sequence + 1,
        last_seen=last_seen,
    )
    return new_state, _alert(kind, state, position, obs, same, config)


def _alert(
    kind: str,
    state: PairState,
    position: Position | None,
    obs: StanceObservation,
    cands: list[Candidate],
    config: DetectConfig,
) -> Alert:
    evidence = _evidence(cands, config.evidence_max)
    return Alert(
        id=alert_id(obs.country, obs.topic, kind, obs.stance, baseline_epoch(position), state.sequence + 1),
        kind=kind,  # type: ignore[arg-type]
        country=obs.country,
        topic=obs.topic,
        baseline_stance=position.stance if position is not None else None,
        new_stance=obs.stance,
        confidence=max(c.confidence for c in cands),
        evidence=evidence,
        baseline_evidence=position.evidence if position is not None else "",
        detected_at=obs.published,
    )
