// A JVM consumer of the output tables, as a Scala/Scio job would be. Reads every
// output table the Python test lists from Delta into its case class generated
// from the contracts (conf/contracts/OutputTables.scala, compiled with this file):
// each table's columns must be its case class's (names and types), every row must
// decode into it, and its row count must be Spark's in Python. Then checks
// recording_groups and recording_pairs in detail against values the test picked,
// and, when the test lists a knowledge graph, kg_nodes and kg_edges: node and edge
// counts by type as Python counts them, and no edge end that is not a node.
// Run by tests/test_scala_consumer.py through spark-submit. Args: <expected.json>

import java.io.File

import scala.collection.mutable.ListBuffer
import scala.jdk.CollectionConverters._
import scala.util.control.NonFatal

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}
import music_resolution.contracts.{KgEdges, KgNodes, OutputTables, RecordingGroups, RecordingPairs}
import org.apache.spark.sql.{Dataset, SparkSession}
import org.apache.spark.sql.types.{ArrayType, DataType, StructType}

object OutputTablesConsumer {
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

  /** Same column names and types as the case class, in its order: `.as[T]` alone would
    * silently upcast an int to a long and drop extra columns. Lists what differs. */
  private def checkSchema(table: String, actual: StructType, expected: StructType): Unit = {
    def columns(s: StructType) = s.fields.toSeq.map(f => f.name -> loose(f.dataType).sql)
    val (got, want) = (columns(actual), columns(expected))
    if (got != want) {
      val (gotType, wantType) = (got.toMap, want.toMap)
      val differs = want.collect {
        case (c, t) if !gotType.contains(c) => s"$c missing (case class: $t)"
        case (c, t) if gotType(c) != t => s"$c is ${gotType(c)}, case class: $t"
      } ++ got.collect { case (c, t) if !wantType.contains(c) => s"$c ($t) not in the case class" }
      val what = if (differs.nonEmpty) differs else Seq(s"column order ${got.map(_._1).mkString(", ")}")
      failures += s"$table columns differ from the case class: ${what.mkString("; ")}"
    }
  }

  /** One output table read as its generated case class: columns, every row decoded, count. */
  private def readTable(spark: SparkSession, name: String, path: String, rows: Long): Unit =
    OutputTables.tables.get(name) match {
      case None => failures += s"$name: no case class in OutputTables (conf/contracts/OutputTables.scala)"
      case Some(table) =>
        val cls = table.encoder.clsTag.runtimeClass.getSimpleName
        try {
          val df = spark.read.format("delta").load(path)
          checkSchema(s"$name ($cls)", df.schema, table.schema)
          // through the RDD: every row is decoded into the case class, not only counted
          val n = table.as(df).rdd.count()
          same(s"$name row count", n, rows)
          println(s"SCALA TABLE $name as $cls rows=$n")
        } catch {
          case NonFatal(e) => failures += s"$name: cannot be read as $cls: $e"
        }
    }

  def main(args: Array[String]): Unit = {
    require(args.length == 1, "usage: OutputTablesConsumer <expected.json>")
    val expected: JsonNode = new ObjectMapper().readTree(new File(args(0)))
    def rows(node: JsonNode, key: String) = node.get(key).elements.asScala.toSeq

    val spark = SparkSession.builder().appName("output-tables-consumer").getOrCreate()
    spark.sparkContext.setLogLevel("WARN")

    try {
      // Every output table, generically, through OutputTables.tables.
      val tables = rows(expected, "tables")
      for (t <- tables) readTable(spark, t.get("name").asText, t.get("path").asText, t.get("rows").asLong)

      // recording_groups and recording_pairs in detail, typed (an exception is a failure).
      val (nGroups, nPairs) =
        try checkRecordings(spark, expected.get("recordings"))
        catch { case NonFatal(e) => failures += s"recording tables: $e"; (-1, -1L) }

      val graph = Option(expected.get("graph")).filterNot(_.isNull)
      val graphLine =
        try graph.map(g => checkGraph(spark, g)).getOrElse("")
        catch { case NonFatal(e) => failures += s"knowledge graph: $e"; "" }

      if (failures.nonEmpty) {
        System.err.println(s"SCALA CONSUMER FAILED (${failures.size} problems):\n  " + failures.mkString("\n  "))
        spark.stop()
        sys.exit(1)
      }
      println(s"SCALA CONSUMER OK tables=${tables.length} groups=$nGroups pairs=$nPairs " +
        s"contract_version=${OutputTables.ContractVersion}$graphLine")
    } finally spark.stop()
  }

  /** kg_nodes and kg_edges as case classes: counts by type, every edge end a node. */
  private def checkGraph(spark: SparkSession, g: JsonNode): String = {
    import spark.implicits._
    def counts(key: String) =
      g.get(key).fields.asScala.map(e => e.getKey -> e.getValue.asLong).toMap
    val nodes: Dataset[KgNodes] = OutputTables.kgNodes.read(spark, g.get("nodes_path").asText)
    val edges: Dataset[KgEdges] = OutputTables.kgEdges.read(spark, g.get("edges_path").asText)
    val nodeCounts = nodes.groupByKey(_.node_type).count().collect().toMap
    val edgeCounts = edges.groupByKey(_.edge_type).count().collect().toMap
    same("kg_nodes by node_type", nodeCounts, counts("node_counts"))
    same("kg_edges by edge_type", edgeCounts, counts("edge_counts"))
    val ids = nodes.map(_.id).toDF("id")
    val ends = edges.flatMap(e => Seq(e.src, e.dst)).toDF("id")
    val dangling = ends.join(ids, Seq("id"), "left_anti").as[String].take(5).toSeq
    same("edge ends that are no node", dangling, Seq.empty)
    s" graph_nodes=${nodeCounts.values.sum} graph_edges=${edgeCounts.values.sum} edge_types=${edgeCounts.size}"
  }

  /** recording_groups and recording_pairs against the values the test picked: (groups, pairs). */
  private def checkRecordings(spark: SparkSession, rec: JsonNode): (Int, Long) = {
    import spark.implicits._
    def rows(key: String) = rec.get(key).elements.asScala.toSeq

    val groups: Dataset[RecordingGroups] =
      OutputTables.recordingGroups.read(spark, rec.get("groups_path").asText).cache()
    val pairs: Dataset[RecordingPairs] =
      OutputTables.recordingPairs.read(spark, rec.get("pairs_path").asText).cache()
    val nRows = groups.count()
    val nPairs = pairs.count()
    val sizes = groups.map(g => (g.recording_group_id, g.group_size)).distinct().collect()
    val nGroups = sizes.map(_._1).distinct.length
    same("distinct recording_group_id count", nGroups.toLong, rec.get("distinct_groups").asLong)
    same("groups with more than one group_size", sizes.length - nGroups, 0)
    same("sum of group_size over groups", sizes.map(_._2).sum, nRows)
    val orphanReps = groups
      .map(g => (g.recording_group_id, g.representative_track_id)).distinct().toDF("gid", "rep")
      .join(groups.toDF(), $"gid" === $"recording_group_id" && $"rep" === $"track_id", "left_anti")
      .as[(String, String)].take(5).toSeq
    same("(group, representative) not a member of its group", orphanReps, Seq.empty)
    // every pair is rescored by the latest resolve; a group row keeps the run that last
    // changed it, one of the published ones
    val runId = rec.get("run_id").asText
    same(s"pairs with run_id other than $runId", pairs.filter(_.run_id != runId).count(), 0L)
    val groupRuns = rec.get("group_runs").elements.asScala.map(_.asText).toSet
    same(s"group rows with a run_id not in $groupRuns",
      groups.filter(g => !groupRuns.contains(g.run_id)).count(), 0L)

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
    (nGroups, nPairs)
  }
}
