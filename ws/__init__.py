"""The one WebSocket: the sans-I/O protocol, the fanout hub, the LISTEN connection, the endpoint."""
