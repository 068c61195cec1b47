// res-generate-gradients refuses what it cannot differentiate, with the op
// and the reason.
// RUN: res-opt %s -split-input-file -res-generate-gradients -verify-diagnostics
// RUN: not res-opt %s -res-generate-gradients=model=nope 2>&1 | FileCheck %s --check-prefix=NOPE
// NOPE: error: no model function named 'nope'

module {
  res.param @w : tensor<4x4x3x3xf32>
  func.func @fused(%x: tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32> {
    %w = res.weight @w : tensor<4x4x3x3xf32>
    // expected-error@+1 {{is made by an inference-only rewrite: generate gradients from the model as written, before res-fold-bn and res-fuse-skip-add}}
    %y = res.fused_conv2d %x, %w residual %x act relu {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
    return %y : tensor<?x4x8x8xf32>
  }
}

// -----

module {
  // expected-error@+1 {{input 'x' does not reach any output}}
  func.func @ignores_input(%x: tensor<?x4xf32> {res.name = "x"}, %z: tensor<?x4xf32> {res.name = "z"}) -> tensor<?x4xf32> {
    %y = res.activation relu %z : tensor<?x4xf32>
    return %y : tensor<?x4xf32>
  }
}

// -----

module {
  // expected-error@+1 {{cannot add 'm_train': the module already has that symbol}}
  func.func @m(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    return %x : tensor<?x4xf32>
  }
  func.func private @m_train()
}

// -----

// expected-error@+1 {{no model function to differentiate}}
module {
}

// -----

// dropout(p) with p > 0 is the identity at inference only.
module {
  func.func @dropout(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    // expected-error@+1 {{dropout(p = 0.2) is the identity at inference, but training with dropout is not implemented}}
    %y = res.activation identity %x {res.dropout = 2.000000e-01 : f64} : tensor<?x4xf32>
    return %y : tensor<?x4xf32>
  }
}
