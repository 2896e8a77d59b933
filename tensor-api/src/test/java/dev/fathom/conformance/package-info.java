/**
 * The conformance suite: one set of tests that every backend must pass, run by each backend
 * module against itself (the suite ships in {@code tensor-api}'s test jar; a backend's surefire
 * scans it with {@code dependenciesToScan}; {@code tensor-api}'s own surefire skips it).
 *
 * <p>Map:
 * <ul>
 *   <li>{@link dev.fathom.conformance.TestBackends} and {@link dev.fathom.conformance.BackendTest}:
 *       which backends run (all found by {@code ServiceLoader}, narrowed by the system property
 *       {@code fathom.test.backends}); an unavailable backend makes every test SKIPPED with its
 *       reason, never passed.</li>
 *   <li>{@link dev.fathom.conformance.ConformanceTest}: the base class; {@code use(backend)} selects
 *       the device under test and opens a scope that the test's tensors die with.</li>
 *   <li>{@link dev.fathom.conformance.Ref}: the yardstick, a naive F64 n-d array with plain loops.
 *       Expected values are always computed with it, never with Fathom.</li>
 *   <li>{@link dev.fathom.conformance.Inputs}: fixed-seed random data and the non-contiguous
 *       layouts (permuted, narrowed, expanded) every op is fed.</li>
 *   <li>{@link dev.fathom.conformance.Check}: the comparison, in order shape, dtype, values
 *       ({@code |a-b| <= atol + rtol·|ref|}, NaN matches NaN); a failure names op, dtype, shape and
 *       the first bad index with both values.</li>
 *   <li>The tests, one class per area: elementwise ({@code UnaryOpsTest}, {@code BinaryOpsTest}),
 *       reductions, matmul, views, indexing, creation and casts, random streams, in-place ops,
 *       gradients ({@code GradcheckTest}, {@code AutogradTest}), bad input and memory.</li>
 * </ul>
 *
 * <p>Tolerances are per op and per dtype, stated where the op is tested: F64 is held tight
 * (about 1e-12), F32 to 1e-5..1e-4 depending on how much the op amplifies rounding.
 */
package dev.fathom.conformance;
