"""Prometheus metrics of one app instance (a registry of its own, so two apps can coexist)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.connections = Gauge(
            "metronome_ws_connections", "Open WebSocket connections", registry=self.registry
        )
        self.commands = Counter(
            "metronome_commands_total",
            "Commands by op and outcome (ok or an error code)",
            ["op", "outcome"],
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "metronome_command_seconds",
            "Time to run a command (transaction included)",
            buckets=_FAST,
            registry=self.registry,
        )
        self.fanout_seconds = Histogram(
            "metronome_patch_fanout_seconds",
            "Time to queue one patch for every connection of this instance",
            buckets=_FAST,
            registry=self.registry,
        )
        self.patches = Counter(
            "metronome_patches_total", "Patches fanned out", registry=self.registry
        )
        self.deliveries = Counter(
            "metronome_patch_deliveries_total",
            "Patch frames queued to connections",
            registry=self.registry,
        )
        self.listen_reconnects = Counter(
            "metronome_listen_reconnects_total",
            "Times the LISTEN connection was re-established",
            registry=self.registry,
        )
        self.publishes = Counter(
            "metronome_publishes_total",
            "Publish attempts by platform kind and outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )

        self.posters = Gauge(
            "metronome_posters",
            "Columns this instance publishes (poster tasks running)",
            registry=self.registry,
        )
        self.claim_seconds = Gauge(
            "metronome_poster_claim_seconds",
            "Time the last claim took to take columns and arm their posters",
            registry=self.registry,
        )
        self.publish_lateness = Histogram(
            "metronome_publish_lateness_seconds",
            "How long after its eta a card was taken to publish",
            buckets=_FAST,
            registry=self.registry,
        )

        self.link_redirects = Counter(
            "metronome_link_redirects_total",
            "Requests for tracked links by outcome: counted, not_counted (a bot, a HEAD, a"
            " prefetch), unknown (404), unavailable (503)",
            ["outcome"],
            registry=self.registry,
        )
        self.click_flushes = Counter(
            "metronome_click_flushes_total",
            "Stores of the clicks counted in memory, by outcome (ok, repeated, failed)",
            ["outcome"],
            registry=self.registry,
        )

    def on_fanout(self, seconds: float, connections: int) -> None:
        self.fanout_seconds.observe(seconds)
        self.patches.inc()
        self.deliveries.inc(connections)

    def render(self) -> bytes:
        return generate_latest(self.registry)
