package dev.fathom.cuda;

/**
 * A row-major product as the column-major cuBLAS call that computes it. cuBLAS reads a row-major
 * {@code C[m×n]} (row stride n) as the column-major {@code Cᵀ[n×m]}, so {@code C = A·B} becomes
 * {@code Cᵀ = Bᵀ·Aᵀ}: cuBLAS's first operand is our B, its second our A. A row-major operand with
 * unit column stride is, read column-major, its own transpose with leading dimension = its row
 * stride ({@code CUBLAS_OP_N} then); one with unit row stride (a transposed view) is the matrix
 * itself with leading dimension = its column stride ({@code CUBLAS_OP_T}). Any other layout (no
 * unit stride, or a leading dimension too small, as in broadcast rows) does not fit BLAS.
 *
 * @param transFirst {@code CUBLAS_OP_T} for cuBLAS's first operand (our B)
 * @param transSecond {@code CUBLAS_OP_T} for cuBLAS's second operand (our A)
 * @param rows cuBLAS's m: our n
 * @param cols cuBLAS's n: our m
 * @param inner cuBLAS's k: our k
 * @param ldFirst leading dimension of our B as cuBLAS reads it
 * @param ldSecond leading dimension of our A as cuBLAS reads it
 * @param ldOut leading dimension of the output: our n
 */
record BlasGemm(boolean transFirst, boolean transSecond, int rows, int cols, int inner, int ldFirst, int ldSecond, int ldOut) {

    /**
     * The call for {@code out[m×n] = a[m×k]·b[k×n]} with element strides {@code (aRs, aCs)} and
     * {@code (bRs, bCs)} and a contiguous output; null when a layout does not fit BLAS.
     */
    static BlasGemm of(int m, int n, int k, long aRs, long aCs, long bRs, long bCs) {
        if (m <= 0 || n <= 0 || k <= 0) {
            return null;  // nothing to multiply: the own kernel writes the zeros
        }
        // cuBLAS's first operand: our B, k×n, stored as n×k (op N) or k×n (op T).
        Layout first = layout(k, n, bRs, bCs);
        // Its second: our A, m×k, stored as k×m (op N) or m×k (op T).
        Layout second = layout(m, k, aRs, aCs);
        if (first == null || second == null) {
            return null;
        }
        return new BlasGemm(first.trans, second.trans, n, m, k, first.ld, second.ld, n);
    }

    private record Layout(boolean trans, int ld) {
    }

    /**
     * How cuBLAS reads a row-major {@code rows×cols} operand with strides {@code (rs, cs)}: op N with
     * ld = rs when the columns are unit-stride, op T with ld = cs when the rows are; a dimension of
     * size 1 has no stride to speak of, so it takes the smallest valid one.
     */
    private static Layout layout(int rows, int cols, long rs, long cs) {
        long rowStride = rows == 1 ? cols : rs;
        long colStride = cols == 1 ? 1 : cs;
        if (colStride == 1 && rowStride >= cols && rowStride <= Integer.MAX_VALUE) {
            return new Layout(false, (int) Math.max(1, rowStride));
        }
        rowStride = rows == 1 ? 1 : rs;
        colStride = cols == 1 ? rows : cs;
        if (rowStride == 1 && colStride >= rows && colStride <= Integer.MAX_VALUE) {
            return new Layout(true, (int) Math.max(1, colStride));
        }
        return null;
    }
}
