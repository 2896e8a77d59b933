/**
 * Tools of deep-learning theory on Fathom's autograd: what a network looks like at initialization and
 * near a minimum, measured on real models and set beside the formulas from the literature.
 *
 * <h2>Curvature and kernels</h2>
 * <ul>
 *   <li>{@link dev.fathom.theory.HessianVectorProduct}: {@code H·v} of a scalar loss by double backward
 *       ({@code Autograd.grad} with {@code createGraph}), never forming H.</li>
 *   <li>{@link dev.fathom.theory.HessianSpectrum}: extreme eigenvalues of the Hessian from Hessian-vector
 *       products (Lanczos with full reorthogonalization, package-private {@code Lanczos}), its trace
 *       by Hutchinson's estimator, and its spectral density by stochastic Lanczos quadrature (Gauss rules
 *       per random probe, a {@link dev.fathom.theory.SpectralDensity} with moments and Gaussian smoothing).</li>
 *   <li>{@link dev.fathom.theory.EmpiricalNtk}: the empirical neural tangent kernel
 *       {@code Θ(x, x') = J(x)·J(x')ᵀ} of a model's outputs.</li>
 * </ul>
 *
 * <h2>Loss landscapes</h2>
 * <ul>
 *   <li>{@link dev.fathom.theory.LossLandscape}: the loss along a line ({@link dev.fathom.theory.LossLine}) or
 *       over a plane ({@link dev.fathom.theory.LossSurface}) through the current parameters, along
 *       filter-normalized random directions (Li et al. 2018) or towards other weights (the linear
 *       interpolation of Goodfellow, Vinyals &amp; Saxe 2015).</li>
 * </ul>
 *
 * <h2>Nonlinear least squares</h2>
 * <ul>
 *   <li>{@link dev.fathom.theory.LevenbergMarquardt}: minimizes {@code ½‖r(θ)‖²} over a list of
 *       {@link dev.fathom.nn.Parameter}s with Jacobians from vector- or Jacobian-vector products and a damped
 *       Gauss–Newton solve in F64 on the host; returns a {@link dev.fathom.theory.LevenbergMarquardtResult}.
 *       For small problems only ({@code M·P} and {@code P} are bounded).</li>
 * </ul>
 *
 * <h2>Criticality and depth-to-width</h2>
 * <ul>
 *   <li>{@link dev.fathom.theory.Criticality}: the infinite-width kernel map, its fixed points, the
 *       susceptibilities {@code χ_⊥}, {@code χ_∥}, the correlation map and the 1/n four-point vertex, by
 *       Gauss–Legendre quadrature on refined panels in F64 (Poole et al. 2016; Schoenholz et al. 2017; Roberts, Yaida &amp; Hanin 2022).</li>
 *   <li>{@link dev.fathom.theory.CriticalityProbe}: the same quantities measured on real MLPs at
 *       initialization, one network or a batched ensemble, collected in {@link dev.fathom.theory.CriticalityStats}.</li>
 * </ul>
 *
 * <h2>Contracts</h2>
 * <ul>
 *   <li>Dependencies: only {@code tensor-api} ({@code dev.fathom.tensor}, {@code dev.fathom.autograd},
 *       {@code dev.fathom.nn}); never a backend (they are found at run time). {@code dev.fathom.models}
 *       appears in tests only.</li>
 *   <li>Host-side linear algebra (solves, eigenproblems, quadrature) runs in F64, whatever the model's
 *       dtype and device; results are plain {@code double}s or records of them, except the tensors that
 *       {@code EmpiricalNtk.compute} and {@code HessianVectorProduct.apply(List)} hand to the caller to close.</li>
 *   <li>Randomness comes from a caller's {@link dev.fathom.tensor.Generator}, so a seed reproduces a
 *       measurement on every backend.</li>
 *   <li>Every other tensor an entry point creates is closed before it returns (each works in its own
 *       {@link dev.fathom.tensor.Scope}); graph recording is turned on or off as each needs and restored.</li>
 *   <li>Not thread-safe: these tools use the calling thread's grad mode and scopes, and
 *       {@code LevenbergMarquardt} updates the parameters in place ({@code LossLandscape} moves them and puts them back).</li>
 *   <li>Bad input (nulls, empty parameter lists, sizes above a dense limit, non-finite starting values,
 *       negative variances, depth or width below 1, unknown names) fails at once with an
 *       {@link java.lang.IllegalArgumentException} (or a {@link java.lang.NullPointerException}) naming the
 *       call, the values and how to fix it.</li>
 * </ul>
 */
package dev.fathom.theory;
