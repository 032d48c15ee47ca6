"""Production traffic in: logs, chat logs and OpenTelemetry spans become a ``traffic`` dataset."""
