"""Deliver notices to every configured channel; say what did not get through.

Each channel is tried whatever the others did (Slack down must not silence Telegram). A notice that
some channel did not take raises `NotDeliveredError` once all were tried, so Lambda retries the
invocation (and, after its retries, puts the event on the notifier's dead-letter queue, which has
an alarm): delivery is at least once, and a channel that took it the first time may show it twice.
No channel configured is not an error but a metric (`NotifierUnconfigured`, alarmed): alarms then
reach only the email subscription.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from omegacopy.domain.notifications import Notice
from omegacopy.ports import DeliveryError, NoticeChannel, Telemetry


class NotDeliveredError(RuntimeError):
    """At least one channel did not take a notice (the message lists which, and why)."""


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def raise_if_failed(self) -> None:
        if self.failed:
            raise NotDeliveredError("; ".join(f"{name}: {why}" for name, why in sorted(self.failed.items())))


def deliver(notice: Notice, channels: Sequence[NoticeChannel], telemetry: Telemetry) -> DeliveryReport:
    report = DeliveryReport()
    if not channels:
        telemetry.count("NotifierUnconfigured")
        telemetry.warning("no notification channel configured: notice not sent", kind=notice.kind, title=notice.title)
        return report
    for channel in channels:
        try:
            channel.send(notice)
        except DeliveryError as exc:
            report.failed[channel.name] = str(exc)
            telemetry.count("NotificationsFailed")
            telemetry.error("notice not delivered", channel=channel.name, kind=notice.kind, error=str(exc))
        else:
            report.delivered.append(channel.name)
            telemetry.count("NotificationsSent")
    telemetry.info("notice", kind=notice.kind, title=notice.title, delivered=report.delivered,
                   failed=sorted(report.failed))  # fmt: skip
    return report


def deliver_all(
    notices: Sequence[tuple[str, Notice]], channels: Sequence[NoticeChannel], telemetry: Telemetry
) -> DeliveryReport:
    """Every notice to every channel (an unreadable event is counted, and still told); raises
    `NotDeliveredError` after trying them all if any channel missed any notice."""
    total = DeliveryReport()
    for kind, notice in notices:
        if kind == "unreadable":
            telemetry.count("NotifierInvalidMessages")
            telemetry.error("notification event could not be read", detail=" ".join(notice.lines))
        report = deliver(notice, channels, telemetry)
        total.delivered.extend(report.delivered)
        total.failed.update({f"{name} ({notice.kind})": why for name, why in report.failed.items()})
    total.raise_if_failed()
    return total
