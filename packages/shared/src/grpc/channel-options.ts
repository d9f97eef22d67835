import type { ChannelOptions } from "@grpc/grpc-js";

/**
 * The largest message either side sends or accepts. A call carries the whole standard
 * input one way and the whole output the other, so this bounds both.
 */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Options shared by every CARES channel and server. */
export const CHANNEL_OPTIONS: ChannelOptions = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
};

/**
 * Server options. grpc-js sets SO_REUSEPORT by default, which lets a second process bind
 * a port that is already serving and silently split its traffic; CARES wants that to
 * fail instead.
 */
export const SERVER_OPTIONS: ChannelOptions = {
  ...CHANNEL_OPTIONS,
  "grpc.so_reuseport": 0,
  "grpc.keepalive_permit_without_calls": 1,
};

/** The metadata key that carries a CaresError's code across gRPC. */
export const REMOTE_CODE_KEY = "cares-error-code";
