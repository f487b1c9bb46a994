/** Kinesis Data Streams: row 17 (AVD-AWS-0064). Firehose is in sfn-glue-athena-firehose-opensearch.ts. */
import { attr, isSet, show } from "../expr.ts";
import { resourcesOf } from "../load-module.ts";
import type { Rule, Violation } from "../types.ts";
import { violation } from "./util.ts";

export const kinesisRules: Rule[] = [
  {
    id: "AVD-AWS-0064",
    title: "Kinesis streams are encrypted with KMS",
    aliases: ["aws-kinesis-enable-in-transit-encryption"],
    resourceTypes: ["aws_kinesis_stream"],
    check(model) {
      const out: Violation[] = [];
      for (const s of resourcesOf(model, "aws_kinesis_stream")) {
        const type = attr(model, s, "encryption_type");
        if (type !== "KMS") out.push(violation("AVD-AWS-0064", s, `encryption_type must be "KMS" (is ${show(type)})`));
        else if (!isSet(attr(model, s, "kms_key_id"))) out.push(violation("AVD-AWS-0064", s, "kms_key_id is not set"));
      }
      return out;
    },
  },
];
