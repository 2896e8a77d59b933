/**
 * The CPU backend: {@link dev.fathom.cpu.CpuBackend}, found by {@code ServiceLoader}.
 *
 * <p>Buffers are Java arrays ({@code CpuBuffer}); kernels are grouped by family
 * ({@code ElementwiseKernels}, {@code ReduceKernels}, {@code MatmulKernel} (F32; {@code GemmF64}),
 * {@code IndexKernels}, {@code RandomKernels}, {@code ConvKernels} on GEMM with B panels from a
 * {@code PanelSource} ({@code Im2colPanels} gathers them from the image; {@code Im2col} forms the
 * column matrix where it must exist and {@code PaddedCol2im} adds one back into a padded image; {@code ConvNarrowK} serves a K narrower than the output
 * channels straight from im2col rows, four output rows at a time through {@code FourRowProduct}, which the attention's scores share) and {@code ConvDirect} as its by-definition twin,
 * {@code PoolKernels} (with {@code MaxPool2x2F32}), the fused {@code SoftmaxKernels}, {@code LayerNormKernels}, {@code BatchNormKernels},
 * {@code AttentionKernels}, {@code RecurrentKernels} (the LSTM cell) and {@code OptimizerKernels}) behind {@code CpuKernels}. Strided operands are walked by
 * {@code StridedLoop}, which merges dims so that contiguous work becomes long rows; contiguous F32
 * rows use the Vector API loops of {@code VectorF32} (comparisons, where and ReLU's gradient: {@code MaskF32}), everything else the scalar meaning in
 * {@code ScalarMath} (F32 GELU, its gradient and erf rows: the fitted polynomials of {@code Erf32}). Large work is split over the one pool of {@code Parallel}; small work stays on
 * the calling thread. Every kernel is synchronous.
 *
 * <p>Results do not depend on JIT state (JitDeterminismTest runs the same work interpreted and
 * C2-compiled): no {@code reduceLanes(ADD)} (its order differs between C2 and the fallback; lane
 * sums go through {@code Lanes}) and no JDK vector transcendentals ({@code ExpF32} builds exp, tanh,
 * sigmoid and silu from IEEE-exact lane ops; log, sin, cos and pow run scalar {@link Math}).
 *
 * <p>Depends on {@code dev.fathom.spi} and {@code dev.fathom.tensor} (DType, Device) and the JDK
 * ({@code jdk.incubator.vector}) only.
 */
package dev.fathom.cpu;
