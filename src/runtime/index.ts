/** Public surface of pipegen/runtime: what generated handlers import. */
export type { FieldType, Rec, Step, Contract, SinkItem, Sink } from "./types.ts";
export type {
  KinesisEvent, KinesisStreamRecord, KinesisPayload, KinesisTumblingWindowEvent,
  BatchResponse, WindowResponse, ApiGatewayV2Event, ApiGatewayV2Result,
} from "./events.ts";
export type { Gen, GenDeps } from "./gen.ts";
export type { Measure, MeasureFn } from "./window-state.ts";
export type { S3SinkOptions } from "./s3-sink.ts";
export type { DynamoSinkOptions } from "./dynamodb-sink.ts";
export type { SnsSinkOptions } from "./sns-sink.ts";
export type { EventBridgeSinkOptions } from "./eventbridge-sink.ts";
export type { StreamHandlerOptions } from "./stream-handler.ts";
export type { WindowedOptions } from "./windowed-handler.ts";
export type { GeneratorOptions } from "./generator-handler.ts";
export type { HttpApiOptions, HttpRoute } from "./http-api.ts";
export { s3Sink } from "./s3-sink.ts";
export { dynamodbSink } from "./dynamodb-sink.ts";
export { snsSink } from "./sns-sink.ts";
export { eventbridgeSink } from "./eventbridge-sink.ts";
export { streamHandler } from "./stream-handler.ts";
export { windowedAggregateHandler } from "./windowed-handler.ts";
export { generatorHandler } from "./generator-handler.ts";
export { httpApiHandler } from "./http-api.ts";
export { contractViolation, isTimestamp } from "./contract.ts";
