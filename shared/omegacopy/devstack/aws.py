"""AWS for tests and local runs: moto in server mode on loopback.

boto3 reaches it through the standard endpoint configuration (`AWS_ENDPOINT_URL`), so the code
under test builds its clients exactly as it does in Lambda.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from omegacopy.devstack.postgres import free_port

REGION = "eu-west-1"


@dataclass
class MotoServer:
    endpoint: str
    _server: ThreadedMotoServer

    @property
    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",  # moto accepts any credentials
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }

    def client(self, service: str) -> Any:
        e = self.env
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=e["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=e["AWS_SECRET_ACCESS_KEY"],
        )

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_moto() -> MotoServer:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return MotoServer(endpoint=f"http://127.0.0.1:{port}", _server=server)


@dataclass(frozen=True)
class ExecutionQueues:
    queue_url: str
    dlq_url: str


def create_execution_queues(sqs: Any, name: str = "omegacopy-execution", max_receive_count: int = 5) -> ExecutionQueues:
    """The FIFO queue and DLQ as the template declares them (explicit dedup ids, no content dedup)."""
    dlq = sqs.create_queue(QueueName=f"{name}-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(
        QueueName=f"{name}.fifo",
        Attributes={
            "FifoQueue": "true",
            "ContentBasedDeduplication": "false",
            "VisibilityTimeout": "180",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}),
        },
    )["QueueUrl"]
    return ExecutionQueues(queue_url=queue, dlq_url=dlq)
