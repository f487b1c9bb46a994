/** Core record, step, contract and sink types shared by every generated handler. */

/** Declared type of one contract field; `timestamp` is an ISO-8601 string that Date.parse accepts. */
export type FieldType = "string" | "number" | "boolean" | "timestamp";

/** One decoded pipeline record. */
export type Rec = Record<string, unknown>;

/** A compiled transform step: null = dropped by a filter (intended, counted); throw = this record failed. */
export type Step = (r: Rec) => Rec | null | Promise<Rec | null>;

/** Incoming records must carry every field with the declared type; extra fields are allowed. */
export interface Contract {
  fields: Readonly<Record<string, FieldType>>;
}

/** One record on its way to a sink, with the stream coordinates that identify it. */
export interface SinkItem {
  record: Rec;
  shardId: string;
  sequenceNumber: string;
  /** Arrival time in ms since the epoch. */
  arrival: number;
  /**
   * The sequence number a retry of this item would restart from: the batch's first record, or the
   * failed record before it (Lambda redelivers from the lowest reported failure). Sinks that name
   * objects by it overwrite on retry instead of storing the same records twice.
   */
  checkpoint?: string;
}

/** A destination; `failed` lists the sequence numbers that were not durably written. */
export interface Sink {
  name: string;
  write(items: SinkItem[]): Promise<{ failed: string[] }>;
}
