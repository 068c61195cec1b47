// res-prune-identity with a positive threshold: blocks whose branch has a
// certified gain bound within it (and maps 0 to 0) are pruned.
// RUN: res-opt %s -split-input-file -res-prune-identity=threshold=0.05 -verify-diagnostics | FileCheck %s

// A negative threshold is an error.
// RUN: not res-opt %s -split-input-file -res-prune-identity=threshold=-1 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// NEGATIVE: error: res-prune-identity: threshold must be at least 0, got -1

// ||diag(0.01, 0.02)|| is 0.02 and the branch maps 0 to 0: pruned, with
// the bound in the remark.
// CHECK-LABEL: func.func @small
// CHECK-NOT: res.residual
res.param @b.fc.weight : tensor<2x2xf32> = dense<[[0.01, 0.0], [0.0, 0.02]]> : tensor<2x2xf32>
func.func @small(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // expected-remark@+1 {{pruned block 'b': gain bound |branch_scale| * L = 0.02 <= threshold 0.05; bound 0.02}}
  %y = res.residual %x {layer = "b"} : tensor<?x2xf32> -> tensor<?x2xf32> branch {
  ^bb0(%a: tensor<?x2xf32>):
    %w = res.weight @b.fc.weight : tensor<2x2xf32>
    %d = res.dense %a, %w {layer = "b.fc"} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
    %r = res.activation relu %d : tensor<?x2xf32>
    res.yield %r : tensor<?x2xf32>
  }
  return %y : tensor<?x2xf32>
}
