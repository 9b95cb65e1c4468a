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
import org.apache.spark.sql.types.StructType

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

  /** Same column names and types as the case class (`sql` ignores nullability): `.as[T]` alone
    * would silently upcast an int to a long and drop extra columns. */
  private def checkSchema(table: String, actual: StructType, expected: StructType): Unit = {
    def shape(s: StructType): String = s.fields.map(f => s"${f.name}:${f.dataType.sql}").mkString(", ")
    check(shape(actual) == shape(expected), s"$table schema is [${shape(actual)}], consumer expects [${shape(expected)}]")
  }

  def main(args: Array[String]): Unit = {
    require(args.length == 3, "usage: RecordingTablesConsumer <groups table> <pairs table> <expected.json>")
    val Array(groupsPath, pairsPath, expectedPath) = args
    val expected: JsonNode = new ObjectMapper().readTree(new File(expectedPath))

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
      val nGroupRows = groups.count()
      val nPairs = pairs.count()
      check(nGroupRows == expected.get("groups_rows").asLong, s"recording_groups has $nGroupRows rows, expected ${expected.get("groups_rows")}")
      check(nPairs == expected.get("pairs_rows").asLong, s"recording_pairs has $nPairs rows, expected ${expected.get("pairs_rows")}")
      val sizes = groups.map(g => (g.recording_group_id, g.group_size)).distinct().collect()
      val nGroups = sizes.map(_._1).distinct.length
      check(nGroups == expected.get("distinct_groups").asLong, s"$nGroups distinct groups, expected ${expected.get("distinct_groups")}")
      check(sizes.length == nGroups, s"${sizes.length - nGroups} groups carry more than one group_size")
      check(sizes.map(_._2).sum == nGroupRows, s"sum of group_size over groups is ${sizes.map(_._2).sum}, rows are $nGroupRows")
      val orphanReps = groups
        .map(g => (g.recording_group_id, g.representative_track_id)).distinct().toDF("gid", "rep")
        .join(groups.toDF(), $"gid" === $"recording_group_id" && $"rep" === $"track_id", "left_anti")
        .as[(String, String)].take(5)
      check(orphanReps.isEmpty, s"representative not a member of its group: ${orphanReps.mkString(", ")}")
      val runId = expected.get("run_id").asText
      check(groups.filter(_.run_id != runId).isEmpty && pairs.filter(_.run_id != runId).isEmpty, s"rows with run_id other than $runId")

      // Specific track -> group assignments.
      val wantGroup = expected.get("track_groups").elements.asScala
        .map(n => n.get("track_id").asText -> n.get("recording_group_id").asText).toMap
      val gotGroup = groups.filter(g => wantGroup.contains(g.track_id)).collect().map(g => g.track_id -> g.recording_group_id).toMap
      for ((track, group) <- wantGroup)
        check(gotGroup.get(track).contains(group), s"track $track: recording_group_id ${gotGroup.getOrElse(track, "<missing>")}, expected $group")

      // Specific pair probabilities.
      val wantProb = expected.get("pairs").elements.asScala
        .map(n => (n.get("track_id_l").asText, n.get("track_id_r").asText) -> n.get("match_probability").asDouble).toMap
      val gotProb = pairs.filter(p => wantProb.contains((p.track_id_l, p.track_id_r))).collect()
        .map(p => (p.track_id_l, p.track_id_r) -> p.match_probability).toMap
      for ((pair, prob) <- wantProb)
        check(gotProb.get(pair).exists(p => math.abs(p - prob) <= 1e-12), s"pair $pair: match_probability ${gotProb.getOrElse(pair, "<missing>")}, expected $prob")

      // Comparison levels: present on every pair, level -1 (null) or above.
      val badLevels = pairs.filter(p => p.comparison_levels.isEmpty || p.comparison_levels.exists(_.level < -1)).count()
      check(badLevels == 0, s"$badLevels pairs with empty comparison_levels or a level below -1")

      if (failures.nonEmpty) {
        System.err.println(s"SCALA CONSUMER FAILED (${failures.size} problems):\n  " + failures.mkString("\n  "))
        spark.stop()
        sys.exit(1)
      }
      println(s"SCALA CONSUMER OK groups=$nGroups pairs=$nPairs")
    } finally spark.stop()
  }
}
