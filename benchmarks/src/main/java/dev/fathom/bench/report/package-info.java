/**
 * The benchmark report: {@link dev.fathom.bench.report.Measurement} (one number, as a line of
 * {@code bench-results.jsonl} written by {@link dev.fathom.bench.report.JsonLines}), the machine's
 * peaks ({@link dev.fathom.bench.report.CpuPeak} computed from vector width, FMA units, cores and
 * clock; {@link dev.fathom.bench.report.MemoryBandwidth} measured;
 * {@link dev.fathom.bench.report.GpuPeaks} published), and {@code bench-report.md}
 * ({@link dev.fathom.bench.report.Report}): one {@link dev.fathom.bench.report.FamilyTable} per
 * {@link dev.fathom.bench.report.Family}, the issue-7 {@link dev.fathom.bench.report.TargetTable},
 * and {@link dev.fathom.bench.report.Charts}. Nothing here runs a benchmark; everything renders
 * from a list of measurements, so tests can pin every cell. Files are written atomically.
 */
package dev.fathom.bench.report;
