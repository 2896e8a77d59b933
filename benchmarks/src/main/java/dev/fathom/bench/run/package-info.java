/**
 * {@code scripts/bench}: {@link dev.fathom.bench.run.BenchMain} parses {@link dev.fathom.bench.run.BenchOptions},
 * picks the backends ({@link dev.fathom.bench.run.BackendChoice}: every available one, or those
 * named, never a silent CPU run), runs the {@link dev.fathom.bench.run.Suite}'s entries through JMH
 * ({@link dev.fathom.bench.run.JmhRunner}: one forked JVM per benchmark, with
 * {@code -Dfathom.threads}), turns times into rates ({@link dev.fathom.bench.run.Work}), runs the
 * PyTorch peers in the same run ({@link dev.fathom.bench.run.PeerRunner}, parsed by
 * {@link dev.fathom.bench.run.PeerLines}), with {@code --rounds} takes the median of alternating
 * repeats ({@link dev.fathom.bench.run.Rounds}), and hands everything to {@link dev.fathom.bench.report}.
 */
package dev.fathom.bench.run;
