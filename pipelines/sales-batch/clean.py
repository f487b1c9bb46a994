"""PySpark script of glue job `clean` in pipelines/sales-batch.yaml.

pipegen wrote this file once and never overwrites it: it is yours to edit. Every build copies it
into the module (glue/clean.py) and `terraform apply` uploads it. The record contract lives in the
generated module `clean_contract` (regenerated on every build), so contract changes reach this
script without edits here.

What it does as written, on each run:
1. reads the files that arrived since the last successful run (csv; Glue job bookmarks);
2. checks every row against the record contract and casts it; rows that break it are counted and
   written as JSON lines (reason + row) under --rejected_path, never dropped silently;
3. keeps one row per --dedupe_by key (the one sorting first by all fields, so reruns agree);
4. adds the partition columns (dt=YYYY-MM-DD, hr=HH in UTC) from --time_field;
5. writes Parquet partitioned by them under --output_path: staged under --TempDir, then published
   with names derived from the batch's content, so a retried run replaces its earlier attempt's
   objects instead of duplicating them;
6. commits the job, which moves the bookmark past the files it read.

Retries: the pipeline's Step Functions state machine retries a failed run; the bookmark only
moves on job.commit(), so a retried run reads the same files again.
"""

import hashlib
import json
import sys
from datetime import datetime, timezone

import boto3
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

import clean_contract as contract

SPARK_TYPES = {
    "boolean": T.BooleanType(),
    "number": T.DoubleType(),
    "string": T.StringType(),
    "timestamp": T.TimestampType(),
}


def optional_arg(name, default=None):
    """A job argument the module may leave out (--dedupe_by, --partition_by, --time_field)."""
    if "--" + name not in sys.argv:
        return default
    return getResolvedOptions(sys.argv, [name])[name]


def split_list(value):
    return [v for v in (value or "").split(",") if v]


def split_s3(url):
    bucket, _, key = url[len("s3://"):].partition("/")
    return bucket, key


def list_keys(s3, bucket, prefix):
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return sorted(keys)


def publish(staging, output, batch):
    """Copies the staged Parquet objects to the output with names derived from the batch."""
    s3 = boto3.client("s3")
    staging_bucket, staging_prefix = split_s3(staging)
    out_bucket, out_prefix = split_s3(output)
    by_partition = {}
    for key in list_keys(s3, staging_bucket, staging_prefix):
        if not key.endswith(".parquet"):
            continue  # _SUCCESS and other markers
        relative = key[len(staging_prefix):]
        partition = relative[: relative.rfind("/") + 1]
        by_partition.setdefault(partition, []).append(key)
    for partition, keys in sorted(by_partition.items()):
        # An earlier attempt of this batch may have published here already: replace, never add.
        for old in list_keys(s3, out_bucket, out_prefix + partition + batch + "-"):
            s3.delete_object(Bucket=out_bucket, Key=old)
        for index, key in enumerate(keys):
            target = contract.output_key(out_prefix, partition, batch, index)
            s3.copy_object(Bucket=out_bucket, Key=target, CopySource={"Bucket": staging_bucket, "Key": key})
    return sum(len(keys) for keys in by_partition.values())


def main():
    args = getResolvedOptions(sys.argv, ["JOB_NAME", "TempDir", "input_path", "input_format", "output_path", "rejected_path"])
    dedupe_by = split_list(optional_arg("dedupe_by"))
    partition_by = split_list(optional_arg("partition_by"))
    time_field = optional_arg("time_field")
    csv_input = args["input_format"] == "csv"

    sc = SparkContext.getOrCreate()
    glue_context = GlueContext(sc)
    spark = glue_context.spark_session
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    logger = glue_context.get_logger()
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    started = datetime.now(timezone.utc)

    # transformation_ctx is the bookmark's key: keep it stable, or the next run re-reads everything.
    source = glue_context.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [args["input_path"]], "recurse": True},
        format={"csv": "csv", "jsonl": "json", "parquet": "parquet"}[args["input_format"]],
        format_options={"withHeader": True} if csv_input else {},
        transformation_ctx="read_input",
    )
    # A field whose values have mixed types across files becomes text; the contract casts it back.
    rows = source.resolveChoice(choice="cast:string").toDF()
    if not rows.columns or rows.rdd.isEmpty():
        logger.info("clean: no new files")
        job.commit()
        return

    # The batch: a digest of the rows read, the same for a retried run over the same files.
    digest = rows.select(F.xxhash64(*[F.col(c).cast("string") for c in sorted(rows.columns)]).alias("h")).agg(
        F.count(F.lit(1)).alias("n"), F.sum(F.col("h").cast("decimal(38,0)")).alias("s")
    ).first()
    batch = hashlib.sha256(("%s:%s" % (digest["n"], digest["s"])).encode("utf-8")).hexdigest()[:20]

    def check(row):
        raw = row.asDict()
        record, reason = contract.parse_csv_row(raw) if csv_input else contract.parse_row(raw)
        if record is None:
            return False, json.dumps({"reason": reason, "row": {k: None if v is None else str(v) for k, v in raw.items()}}, sort_keys=True)
        record.update(contract.partition_values(record, partition_by, time_field, started))
        return True, record

    checked = rows.rdd.map(check).cache()
    rejected = checked.filter(lambda r: not r[0]).map(lambda r: (r[1],))
    rejected_count = rejected.count()
    if rejected_count:
        # Overwrite: a retried run writes the same batch again.
        spark.createDataFrame(rejected, "value string").coalesce(1).write.mode("overwrite").text(
            "%sbatch=%s/" % (args["rejected_path"], batch)
        )
        logger.warn("clean: %d rows broke the record contract; see %sbatch=%s/" % (rejected_count, args["rejected_path"], batch))

    fields = sorted(contract.FIELDS)
    schema = T.StructType(
        [T.StructField(f, SPARK_TYPES[contract.FIELDS[f]], False) for f in fields]
        + [T.StructField(p, T.StringType(), False) for p in partition_by]
    )
    columns = fields + partition_by
    good = spark.createDataFrame(checked.filter(lambda r: r[0]).map(lambda r: tuple(r[1][c] for c in columns)), schema)
    if dedupe_by:
        # Same choice as contract.dedupe(): the row sorting first by all contract fields.
        window = Window.partitionBy(*dedupe_by).orderBy(*[F.col(f).asc() for f in fields])
        good = good.withColumn("_pipegen_rank", F.row_number().over(window)).filter(F.col("_pipegen_rank") == 1).drop("_pipegen_rank")

    written = good.count()
    if written:
        staging = "%sstaging/%s/" % (args["TempDir"], batch)
        writer = good.repartition(*partition_by) if partition_by else good.coalesce(1)
        writer.write.mode("overwrite").partitionBy(*partition_by).parquet(staging)
        objects = publish(staging, args["output_path"], batch)
        logger.info("clean: batch %s wrote %d rows in %d objects" % (batch, written, objects))
    logger.info("clean: %d rows read, %d rejected, %d written" % (checked.count(), rejected_count, written))
    job.commit()


if __name__ == "__main__":
    main()
