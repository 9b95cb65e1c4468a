// A JVM consumer of the recording output tables, as a Scala/Scio job would be.
// Reads recording_groups and recording_pairs from Delta into case classes that
// mirror features/schemas.py, then checks them against values the Python test
// wrote. Run by tests/test_scala_consumer.py through spark-submit.
// Args: <groups table> <pairs table> <expected.json>

import java.io.File

import scala.collection.mutable.ListBuffer
import scala.jdk.CollectionConverters._

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}
import org.apache.spark.sql.{Dataset, Encoders, SparkSession}
import org.apache.spark.sql.types.{ArrayType, DataType, StructType}

// Contract RECORDING_GROUPS: no nullable column.
case class RecordingGroup(
    track_id: String,
    recording_group_id: String,
    group_size: Long,
    representative_track_id: String,
    run_id: String,
    model_version: String)

// Contract COMPARISON_LEVEL: only match_weight is nullable.
case class ComparisonLevel(comparison: String, level: Int, match_weight: Option[Double])

// Contract RECORDING_PAIRS: no nullable column.
case class RecordingPair(
    track_id_l: String,
    track_id_r: String,
    match_weight: Double,
    match_probability: Double,
    comparison_levels: Seq[ComparisonLevel],
    above_threshold: Boolean,
    run_id: String,
    model_version: String)

object RecordingTablesConsumer {
  private val failures = ListBuffer.empty[String]

  private def check(ok: Boolean, message: => String): Unit = if (!ok) failures += message

  private def same[A](what: String, got: A, want: A): Unit =
    check(got == want, s"$what is $got, expected $want")

  /** Nullability dropped at every depth: Delta stores every column as nullable. */
  private def loose(t: DataType): DataType = t match {
    case s: StructType =>
      StructType(s.fields.map(f => f.copy(dataType = loose(f.dataType), nullable = true)))
    case a: ArrayType => ArrayType(loose(a.elementType), containsNull = true)
    case other => other
  }

  /** Same column names and types as the case class: `.as[T]` alone would silently
    * upcast an int to a long and drop extra columns. */
  private def checkSchema(table: String, actual: StructType, expected: StructType): Unit = {
    def shape(s: StructType): String =
      s.fields.map(f => s"${f.name}:${loose(f.dataType).sql}").mkString(", ")
    same(s"$table schema", shape(actual), shape(expected))
  }

  def main(args: Array[String]): Unit = {
    require(args.length == 3, "usage: RecordingTablesConsumer <groups> <pairs> <expected.json>")
    val Array(groupsPath, pairsPath, expectedPath) = args
    val expected: JsonNode = new ObjectMapper().readTree(new File(expectedPath))
    def rows(key: String) = expected.get(key).elements.asScala.toSeq

    val spark = SparkSession.builder().appName("recording-tables-consumer").getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    import spark.implicits._

    try {
      val groupsDf = spark.read.format("delta").load(groupsPath)
      val pairsDf = spark.read.format("delta").load(pairsPath)
      checkSchema("recording_groups", groupsDf.schema, Encoders.product[RecordingGroup].schema)
      checkSchema("recording_pairs", pairsDf.schema, Encoders.product[RecordingPair].schema)
      val groups: Dataset[RecordingGroup] = groupsDf.as[RecordingGroup].cache()
      val pairs: Dataset[RecordingPair] = pairsDf.as[RecordingPair].cache()

      // Counts and group structure.
      val nRows = groups.count()
      val nPairs = pairs.count()
      same("recording_groups row count", nRows, expected.get("groups_rows").asLong)
      same("recording_pairs row count", nPairs, expected.get("pairs_rows").asLong)
      val sizes = groups.map(g => (g.recording_group_id, g.group_size)).distinct().collect()
      val nGroups = sizes.map(_._1).distinct.length
      same("distinct recording_group_id count", nGroups.toLong, expected.get("distinct_groups").asLong)
      same("groups with more than one group_size", sizes.length - nGroups, 0)
      same("sum of group_size over groups", sizes.map(_._2).sum, nRows)
      val orphanReps = groups
        .map(g => (g.recording_group_id, g.representative_track_id)).distinct().toDF("gid", "rep")
        .join(groups.toDF(), $"gid" === $"recording_group_id" && $"rep" === $"track_id", "left_anti")
        .as[(String, String)].take(5).toSeq
      same("(group, representative) not a member of its group", orphanReps, Seq.empty)
      val runId = expected.get("run_id").asText
      same(s"rows with run_id other than $runId",
        groups.filter(_.run_id != runId).count() + pairs.filter(_.run_id != runId).count(), 0L)

      // Specific track -> group assignments.
      val wantGroup = rows("track_groups")
        .map(n => n.get("track_id").asText -> n.get("recording_group_id").asText).toMap
      val gotGroup = groups.filter(g => wantGroup.contains(g.track_id)).collect()
        .map(g => g.track_id -> g.recording_group_id).toMap
      for ((track, group) <- wantGroup)
        same(s"track $track recording_group_id", gotGroup.getOrElse(track, "<missing>"), group)

      // Specific pair probabilities.
      val wantProb = rows("pairs").map { n =>
        (n.get("track_id_l").asText, n.get("track_id_r").asText) -> n.get("match_probability").asDouble
      }.toMap
      val gotProb = pairs.filter(p => wantProb.contains((p.track_id_l, p.track_id_r))).collect()
        .map(p => (p.track_id_l, p.track_id_r) -> p.match_probability).toMap
      for ((pair, prob) <- wantProb)
        check(gotProb.get(pair).exists(p => math.abs(p - prob) <= 1e-12),
          s"pair $pair match_probability is ${gotProb.getOrElse(pair, "<missing>")}, expected $prob")

      // Comparison levels: present on every pair, level -1 (null) or above.
      val badLevels = pairs
        .filter(p => p.comparison_levels.isEmpty || p.comparison_levels.exists(_.level < -1)).count()
      same("pairs with empty comparison_levels or a level below -1", badLevels, 0L)

      if (failures.nonEmpty) {
        System.err.println(s"SCALA CONSUMER FAILED (${failures.size} problems):\n  " + failures.mkString("\n  "))
        spark.stop()
        sys.exit(1)
      }
      println(s"SCALA CONSUMER OK groups=$nGroups pairs=$nPairs")
    } finally spark.stop()
  }
}
