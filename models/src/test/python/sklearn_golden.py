#!/usr/bin/python3
"""Prints the scikit-learn values that dev.fathom.metrics.SklearnGoldenTest holds.

Run with Debian's scikit-learn (apt-get install python3-sklearn; written against 1.2.1):
    /usr/bin/python3 models/src/test/python/sklearn_golden.py
The inputs come from SplitMix64 (the stream of java.util.SplittableRandom), built with the same
double arithmetic in the Java test, so both sides see bit-identical data.
"""
import numpy as np
import sklearn
from sklearn import metrics
from sklearn.preprocessing import label_binarize

M = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.s = seed & M

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


def binary(n=200, seed=2026):
    r = SplitMix64(seed)
    y, s = [], []
    for _ in range(n):
        label = r.below(2)
        y.append(label)
        s.append(min(1.0, r.below(21) / 20.0 + label * 0.25))
    return np.array(y), np.array(s)


def multiclass(n=150, k=4, seed=7):
    r = SplitMix64(seed)
    y, rows = [], []
    for _ in range(n):
        label = r.below(k)
        raw = [r.below(10) / 10.0 + (0.3 if c == label else 0.0) + 0.05 for c in range(k)]
        total = 0.0
        for v in raw:
            total += v
        y.append(label)
        rows.append([v / total for v in raw])
    return np.array(y), np.array(rows)


def regression(n=100, seed=99):
    r = SplitMix64(seed)
    t, p = [], []
    for _ in range(n):
        target = r.below(1000) / 100.0 - 5.0
        t.append(target)
        p.append(target + (r.below(200) - 100) / 100.0)
    return np.array(t), np.array(p)


def out(name, v):
    if np.ndim(v) == 0:
        print(f"    static final double {name} = {float(v)!r};")
    else:
        vals = [repr(float(x)) for x in np.ravel(v)]
        rows = [", ".join(vals[i:i + 6]) for i in range(0, len(vals), 6)]
        print(f"    static final double[] {name} = {{\n        " + ",\n        ".join(rows) + "};")


print(f"    // scikit-learn {sklearn.__version__}, numpy {np.__version__}")
y, s = binary()
out("BINARY_ROC_AUC", metrics.roc_auc_score(y, s))
out("BINARY_AP", metrics.average_precision_score(y, s))
fpr, tpr, thr = metrics.roc_curve(y, s)
out("BINARY_FPR", fpr)
out("BINARY_TPR", tpr)
out("BINARY_THRESHOLDS_AFTER_FIRST", thr[1:])
p, rc, pthr = metrics.precision_recall_curve(y, s)
out("BINARY_PR_PRECISION", p)
out("BINARY_PR_RECALL", rc)
out("BINARY_PR_THRESHOLDS", pthr)

y, s = multiclass()
pred = s.argmax(axis=1)
out("MC_ACCURACY", metrics.accuracy_score(y, pred))
out("MC_TOP2", metrics.top_k_accuracy_score(y, s, k=2, labels=range(4)))
for avg in ("macro", "micro", "weighted"):
    out(f"MC_PRECISION_{avg.upper()}", metrics.precision_score(y, pred, average=avg, zero_division=0))
    out(f"MC_RECALL_{avg.upper()}", metrics.recall_score(y, pred, average=avg, zero_division=0))
    out(f"MC_F1_{avg.upper()}", metrics.f1_score(y, pred, average=avg, zero_division=0))
out("MC_CONFUSION", metrics.confusion_matrix(y, pred, labels=range(4)))
for avg in ("macro", "weighted"):
    out(f"MC_OVR_AUC_{avg.upper()}", metrics.roc_auc_score(y, s, multi_class="ovr", average=avg))
onehot = label_binarize(y, classes=range(4))
out("MC_OVR_AUC_MICRO", metrics.roc_auc_score(onehot, s, average="micro"))
for avg in ("macro", "weighted", "micro"):
    out(f"MC_OVR_AP_{avg.upper()}", metrics.average_precision_score(onehot, s, average=avg))

t, p = regression()
out("REG_MSE", metrics.mean_squared_error(t, p))
out("REG_MAE", metrics.mean_absolute_error(t, p))
out("REG_R2", metrics.r2_score(t, p))
