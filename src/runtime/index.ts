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
export type { OpenSearchSinkOptions } from "./opensearch-sink.ts";
export type { FirehoseSinkOptions } from "./firehose-sink.ts";
export type { StreamHandlerOptions } from "./stream-handler.ts";
export type { WindowedOptions } from "./windowed-handler.ts";
export type { GeneratorOptions } from "./generator-handler.ts";
export type { HttpApiOptions, HttpRoute } from "./http-api.ts";
export type { KafkaEvent, KafkaRecord, KafkaBatchSummary, KafkaHandlerOptions } from "./kafka-handler.ts";
export type { HttpIngestOptions } from "./http-ingest.ts";
export type { S3Event, S3EventRecord, S3ObjectOptions, S3ObjectHandlerOptions, S3ObjectDeps, S3ObjectResult } from "./s3-object-handler.ts";
export { s3Sink } from "./s3-sink.ts";
export { dynamodbSink } from "./dynamodb-sink.ts";
export { snsSink } from "./sns-sink.ts";
export { eventbridgeSink } from "./eventbridge-sink.ts";
export { opensearchSink } from "./opensearch-sink.ts";
export { firehoseSink } from "./firehose-sink.ts";
export { streamHandler } from "./stream-handler.ts";
export { windowedAggregateHandler } from "./windowed-handler.ts";
export { generatorHandler } from "./generator-handler.ts";
export { httpApiHandler } from "./http-api.ts";
export { kafkaHandler } from "./kafka-handler.ts";
export { httpIngestHandler } from "./http-ingest.ts";
export { s3ObjectHandler } from "./s3-object-handler.ts";
export { contractViolation, isTimestamp } from "./contract.ts";
